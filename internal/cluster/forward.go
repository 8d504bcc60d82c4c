package cluster

// Forwarding RPC: how a follower hands a command to the controller (the Raft
// leader) and asks it how far the log is applied. It runs on the controller
// listener after the 'F' preamble (transport.go). One connection carries any
// number of request/response pairs in turn; the client opens one per call.
//
//	frame    = length:u32 (big-endian, of what follows; at most maxFrame)
//	           version:u8 (rpcVersion1)  op:u8  payload
//	request  ops: opPropose  payload = a metadata log entry (codec.go)
//	              opReadIndex payload = empty
//	response op = the request's op; payload = status:u8 result
//	status   = 0: result.Err is the command's outcome (the FSM's)
//	           1: result.Err is about the request (not controller, closed, ...);
//	              with ErrNotController the command was not appended
//	result   = index:uvarint errCode:u16 errMsg:string firstProducerID:varint
//	           topicID:[16] brokerEpoch:varint
//	errCode  = position in errorCodes (errors.go), 0xffff = other
//
// opReadIndex answers, once the controller has applied every entry committed
// before the request (a raft barrier), with index = the controller's applied
// index; the follower is caught up once it has applied that index too.
//
// Recipe for version 2: the server answers a version it does not know with a
// status-1 ErrUnsupportedVersion response at version 1, so a newer client can
// fall back.

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

const (
	rpcVersion1 = 1
	maxFrame    = 16 << 20

	opPropose   uint8 = 1
	opReadIndex uint8 = 2

	statusResult   uint8 = 0
	statusRPCError uint8 = 1
)

// errRetry marks a failure before the command reached a log: safe to retry
// against the (possibly new) controller.
var errRetry = errors.New("cluster: retry against the current controller")

func writeFrame(w io.Writer, op uint8, payload []byte) error {
	if len(payload)+2 > maxFrame {
		return fmt.Errorf("%w: frame of %d bytes exceeds %d", ErrInvalidRequest, len(payload)+2, maxFrame)
	}
	buf := make([]byte, 0, 6+len(payload))
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(payload)+2))
	buf = append(buf, rpcVersion1, op)
	buf = append(buf, payload...)
	_, err := w.Write(buf)
	return err
}

// readFrame reads one frame. io.EOF means a clean end between frames; bad
// frames give ErrCorrupt or ErrUnsupportedVersion.
func readFrame(r io.Reader) (op uint8, payload []byte, err error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n < 2 || n > maxFrame {
		return 0, nil, fmt.Errorf("%w: rpc frame length %d", ErrCorrupt, n)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return 0, nil, err
	}
	if body[0] != rpcVersion1 {
		return body[1], nil, fmt.Errorf("%w: rpc version %d", ErrUnsupportedVersion, body[0])
	}
	return body[1], body[2:], nil
}

func encodeResponse(status uint8, r Result) []byte {
	e := &encoder{}
	e.u8(status)
	e.uvarint(r.Index)
	e.u16(errorCode(r.Err))
	msg := ""
	if r.Err != nil {
		msg = r.Err.Error()
	}
	e.str(msg)
	e.varint(r.FirstProducerID)
	e.id(r.TopicID)
	e.varint(r.BrokerEpoch)
	return e.b
}

func decodeResponse(b []byte) (status uint8, r Result, err error) {
	d := &decoder{b: b}
	status = d.u8()
	r.Index = d.uvarint()
	code := d.u16()
	msg := d.str()
	r.FirstProducerID = d.varint()
	r.TopicID = d.id()
	r.BrokerEpoch = d.varint()
	if err := d.finish(); err != nil {
		return 0, Result{}, fmt.Errorf("rpc response: %w", err)
	}
	if status > statusRPCError {
		return 0, Result{}, fmt.Errorf("%w: rpc response status %d", ErrCorrupt, status)
	}
	r.Err = errorFromCode(code, msg)
	return status, r, nil
}

// call sends one request to the controller listener at addr. Errors: errRetry
// (wrapped) if the request never left this node or the peer says it is not the
// controller; ErrOutcomeUnknown if the connection failed after the request was
// sent; otherwise the RPC-level error the peer returned.
func (n *Node) call(ctx context.Context, addr string, op uint8, payload []byte) (Result, error) {
	deadline := time.Now().Add(n.cfg.RPCTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	conn, err := n.mux.dial(addr, time.Until(deadline), muxForward)
	if err != nil {
		if errors.Is(err, ErrClosed) {
			return Result{}, err
		}
		return Result{}, fmt.Errorf("%w: dialing controller %s: %v", errRetry, addr, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()
	_ = conn.SetDeadline(deadline)
	if err := writeFrame(conn, op, payload); err != nil {
		return Result{}, fmt.Errorf("%w: sending to controller %s: %v", ErrOutcomeUnknown, addr, err)
	}
	rop, body, err := readFrame(conn)
	if err == nil && rop != op {
		err = fmt.Errorf("%w: response op %d to request op %d", ErrCorrupt, rop, op)
	}
	var status uint8
	var res Result
	if err == nil {
		status, res, err = decodeResponse(body)
	}
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return Result{}, fmt.Errorf("%w: waiting for controller %s: %w", ErrOutcomeUnknown, addr, err)
	}
	if status == statusRPCError {
		if errors.Is(res.Err, ErrNotController) {
			return Result{}, fmt.Errorf("%w: %v", errRetry, res.Err)
		}
		return Result{}, res.Err
	}
	return res, nil
}

// serveForward serves one forwarding-RPC connection until it closes.
func (n *Node) serveForward(c net.Conn) {
	defer c.Close()
	for {
		// An idle connection is dropped after a while; clients open one per call.
		_ = c.SetReadDeadline(time.Now().Add(2 * n.cfg.RPCTimeout))
		op, payload, err := readFrame(c)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				n.log.Warn("bad forwarding rpc request; closing connection", "remote", c.RemoteAddr(), "err", err)
				if errors.Is(err, ErrUnsupportedVersion) {
					_ = writeFrame(c, op, encodeResponse(statusRPCError, Result{Err: err}))
				}
			}
			return
		}
		_ = c.SetReadDeadline(time.Time{})
		status, res := n.handleRPC(op, payload)
		_ = c.SetWriteDeadline(time.Now().Add(n.cfg.RPCTimeout))
		if err := writeFrame(c, op, encodeResponse(status, res)); err != nil {
			n.log.Debug("forwarding rpc response not sent", "remote", c.RemoteAddr(), "err", err)
			return
		}
	}
}

func (n *Node) handleRPC(op uint8, payload []byte) (uint8, Result) {
	// n.ctx ends when the node closes.
	ctx, cancel := context.WithTimeout(n.ctx, n.cfg.RPCTimeout)
	defer cancel()
	if !n.IsController() {
		return statusRPCError, Result{Err: fmt.Errorf("%w: node %d (controller is %d)", ErrNotController, n.cfg.NodeID, n.ControllerID())}
	}
	switch op {
	case opPropose:
		if _, err := decodeCommand(payload); err != nil {
			n.log.Warn("forwarded command does not decode", "err", err)
			return statusRPCError, Result{Err: err}
		}
		res, err := n.applyLocal(ctx, payload)
		if err != nil {
			if errors.Is(err, errRetry) {
				err = fmt.Errorf("%w: %v", ErrNotController, err)
			}
			return statusRPCError, Result{Err: err}
		}
		return statusResult, res
	case opReadIndex:
		idx, err := n.readIndexLocal(ctx)
		if err != nil {
			return statusRPCError, Result{Err: err}
		}
		return statusResult, Result{Index: idx}
	default:
		n.log.Warn("forwarding rpc with unknown op", "op", op)
		return statusRPCError, Result{Err: fmt.Errorf("%w: unknown rpc op %d", ErrInvalidRequest, op)}
	}
}

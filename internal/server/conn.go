package server

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/handler"
)

// pending is a reply queued for the write goroutine.
type pending struct {
	key, version int16
	corrID       int32
	reply        handler.Reply
	received     time.Time
}

// maxInflight bounds the requests read but not yet answered on a connection;
// when it is reached the read goroutine stops reading, which pushes back on
// the client through TCP. Clients pipeline at most a handful.
const maxInflight = 32

// Handler serves decoded requests; *handler.Handler is the real one.
type Handler interface {
	// Versions reports the range of versions served for an API key.
	Versions(key int16) (min, max int16, ok bool)
	// Handle is called on the connection's read goroutine, in request
	// order; ctx ends when the connection closes or the server stops.
	Handle(ctx context.Context, req *handler.Request) handler.Reply
}

type conn struct {
	srv    *Server
	nc     net.Conn
	info   handler.ConnInfo
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	queue  chan pending

	closeOnce sync.Once
}

func (c *conn) serve() {
	defer c.srv.untrack(c)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c.writeLoop()
	}()
	err := c.readLoop()
	// No more requests will come: parked requests (long-polling fetches,
	// joins) end now instead of at their max wait, so a closed client or a
	// shutdown is not held up. Writes waiting for their fsync keep going.
	c.cancel()
	close(c.queue)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && !errors.Is(err, os.ErrDeadlineExceeded) {
		c.log.Warn("closing connection", "err", err)
	} else if errors.Is(err, os.ErrDeadlineExceeded) && !c.srv.stopping() {
		c.log.Info("closing idle connection", "idle", c.srv.cfg.IdleTimeout)
	}
	wg.Wait()
	c.close()
}

func (c *conn) close() {
	c.closeOnce.Do(func() {
		c.cancel()
		c.nc.Close()
	})
}

// readLoop reads frames until EOF, an error, or shutdown. Any malformed frame
// ends the connection.
func (c *conn) readLoop() error {
	br := bufio.NewReaderSize(c.nc, 64<<10)
	var sizeBuf [4]byte
	for {
		if c.srv.stopping() {
			return nil
		}
		if c.srv.cfg.IdleTimeout > 0 {
			c.nc.SetReadDeadline(time.Now().Add(c.srv.cfg.IdleTimeout))
		}
		if _, err := io.ReadFull(br, sizeBuf[:]); err != nil {
			return err
		}
		size := int32(binary.BigEndian.Uint32(sizeBuf[:]))
		if size < minHeaderSize || int64(size) > int64(c.srv.cfg.MaxRequestBytes) {
			c.srv.metrics.badRequests.Inc()
			return errFrameSize(size, c.srv.cfg.MaxRequestBytes)
		}
		frame := getFrame(int(size))
		if _, err := io.ReadFull(br, frame); err != nil {
			return err
		}
		received := time.Now()
		c.srv.metrics.bytesIn.Add(float64(size + 4))
		if err := c.dispatch(frame, received); err != nil {
			c.srv.metrics.badRequests.Inc()
			return err
		}
		// A produce request's bytes are written to the log before its
		// handler returns and nothing keeps them, so its frame can serve
		// the next request. Other requests may be retained (group
		// metadata, for one), so their frames are left to the GC.
		if binary.BigEndian.Uint16(frame) == 0 {
			putFrame(frame)
		}
	}
}

// Large produce frames are reused: at hundreds of MB/s a fresh megabyte per
// request is most of what the broker allocates, and every allocation brings
// the next GC cycle closer.
var framePool sync.Pool // of *[]byte with cap >= minPooledFrame

const minPooledFrame = 64 << 10

func getFrame(size int) []byte {
	if size < minPooledFrame {
		return make([]byte, size)
	}
	if bp, ok := framePool.Get().(*[]byte); ok && cap(*bp) >= size {
		return (*bp)[:size]
	}
	return make([]byte, size, max(size, 1<<20))
}

func putFrame(b []byte) {
	if cap(b) >= minPooledFrame && cap(b) <= 16<<20 {
		framePool.Put(&b)
	}
}

func (c *conn) dispatch(frame []byte, received time.Time) error {
	h, rest, err := parseHeader(frame)
	if err != nil {
		return err
	}
	req := &handler.Request{Key: h.key, Version: h.version, CorrelationID: h.corrID, Conn: &c.info, Received: received}
	if h.clientID != nil {
		req.ClientID = *h.clientID
	}
	min, max, ok := c.srv.handler.Versions(h.key)
	switch {
	case !ok:
		return errUnknown(h.key)
	case h.key == 18 && h.version > max:
		// KIP-511: answer in the v0 layout with our key list; the client
		// retries at a version we serve.
		req.Version = 0
		req.Body = &kmsg.ApiVersionsRequest{Version: 0}
		req.UnsupportedVersion = true
	case h.version < min || h.version > max:
		return errVersion(h.key, h.version, min, max)
	default:
		body, err := decodeBody(h, rest)
		if err != nil {
			return err
		}
		req.Body = body
	}
	reply, err := c.srv.handle(c.ctx, req)
	if err != nil {
		return err
	}
	if reply.Close {
		c.srv.metrics.observe(req.Key, received)
		return fmt.Errorf("server: closing connection after a failed %s without a response", kmsg.NameForKey(req.Key))
	}
	if reply.Resp == nil && reply.Wait == nil {
		c.srv.metrics.observe(req.Key, received)
		return nil
	}
	select {
	case c.queue <- pending{key: req.Key, version: req.Version, corrID: h.corrID, reply: reply, received: received}:
		return nil
	case <-c.ctx.Done():
		return net.ErrClosed
	}
}

// writeLoop writes replies in request order. It keeps draining the queue after
// a write error so that Wait functions still run and nothing blocks forever.
func (c *conn) writeLoop() {
	var buf []byte
	var werr error
	for p := range c.queue {
		resp := p.reply.Resp
		if resp == nil {
			var perr error
			if resp, perr = c.wait(p); perr != nil && werr == nil {
				werr = perr
				c.close()
			}
		}
		if resp == nil || werr != nil {
			continue
		}
		resp.SetVersion(p.version)
		if fr, ok := resp.(*handler.FileResponse); ok {
			// Records go out with sendfile: write what is buffered, then
			// this response in pieces.
			if len(buf) > 0 {
				if werr = c.flush(buf); werr != nil {
					continue
				}
				buf = buf[:0]
			}
			werr = c.writeFileResponse(p.corrID, fr)
			c.srv.metrics.observe(p.key, p.received)
			if werr != nil {
				c.log.Info("write failed, closing connection", "err", werr)
				c.close()
			}
			continue
		}
		buf = appendResponse(buf, p.corrID, resp)
		c.srv.metrics.observe(p.key, p.received)
		// Coalesce: flush when no more replies are ready, or the buffer is big.
		if len(c.queue) > 0 && len(buf) < 256<<10 {
			continue
		}
		werr = c.flush(buf)
		buf = buf[:0]
		if cap(buf) > 4<<20 {
			buf = nil // do not pin a large fetch response's buffer
		}
	}
	if len(buf) > 0 && werr == nil {
		c.flush(buf)
	}
	if werr != nil {
		c.close()
	}
}

// wait runs a deferred reply; like handle, it turns a panic into a closed
// connection and a log line.
func (c *conn) wait(p pending) (resp kmsg.Response, err error) {
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("handler panic while answering", "api", kmsg.NameForKey(p.key), "version", p.version, "panic", r, "stack", string(debug.Stack()))
			resp, err = nil, fmt.Errorf("server: %s v%d answer failed: %v", kmsg.NameForKey(p.key), p.version, r)
		}
	}()
	return p.reply.Wait(), nil
}

func (c *conn) writeFileResponse(corrID int32, fr *handler.FileResponse) error {
	frame := appendResponse(nil, corrID, fr)
	segs, err := spliceFileResponse(frame, fr, fr.IsFlexible())
	if err != nil {
		return err
	}
	if c.srv.cfg.WriteTimeout > 0 {
		c.nc.SetWriteDeadline(time.Now().Add(c.srv.cfg.WriteTimeout))
	}
	return c.writeSegments(segs)
}

func (c *conn) flush(b []byte) error {
	if c.srv.cfg.WriteTimeout > 0 {
		c.nc.SetWriteDeadline(time.Now().Add(c.srv.cfg.WriteTimeout))
	}
	n, err := c.nc.Write(b)
	c.srv.metrics.bytesOut.Add(float64(n))
	if err != nil {
		c.log.Info("write failed, closing connection", "err", err)
		c.close()
	}
	return err
}

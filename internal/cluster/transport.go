package cluster

// The controller listener carries two protocols on one port. Every TCP
// connection starts with one preamble byte naming its protocol (part of the
// wire format; never renumber):
//
//	'R' (0x52)  hashicorp/raft NetworkTransport traffic, unchanged after the byte
//	'F' (0x46)  the forwarding RPC of forward.go
//
// A connection with any other first byte, or none within RPCTimeout, is logged
// and closed.

import (
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

const (
	muxRaft    byte = 'R'
	muxForward byte = 'F'
)

// mux accepts connections on the controller listener and routes them by
// preamble. Every connection it accepts or dials is tracked so that close can
// end them all.
type mux struct {
	ln        net.Listener
	advertise net.Addr
	log       *slog.Logger
	timeout   time.Duration
	raftCh    chan net.Conn
	closing   chan struct{}
	forward   func(net.Conn)     // serves one forwarding-RPC connection
	goFunc    func(func()) bool  // the node's tracked goroutine starter
	dialer    func() *net.Dialer // for tests; nil: a plain dialer
	onceClose sync.Once

	conns struct {
		sync.Mutex
		m      map[*trackedConn]struct{}
		closed bool
	}
}

type strAddr string

func (a strAddr) Network() string { return "tcp" }
func (a strAddr) String() string  { return string(a) }

func newMux(ln net.Listener, advertise string, timeout time.Duration, log *slog.Logger,
	forward func(net.Conn), goFunc func(func()) bool) *mux {
	m := &mux{ln: ln, advertise: strAddr(advertise), log: log, timeout: timeout,
		raftCh: make(chan net.Conn), closing: make(chan struct{}), forward: forward, goFunc: goFunc}
	m.conns.m = map[*trackedConn]struct{}{}
	return m
}

// trackedConn removes itself from the mux's set when closed.
type trackedConn struct {
	net.Conn
	m    *mux
	once sync.Once
}

func (c *trackedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.m.conns.Lock()
		delete(c.m.conns.m, c)
		c.m.conns.Unlock()
	})
	return err
}

// track registers c; after close it closes c and returns nil.
func (m *mux) track(c net.Conn) net.Conn {
	tc := &trackedConn{Conn: c, m: m}
	m.conns.Lock()
	defer m.conns.Unlock()
	if m.conns.closed {
		_ = c.Close()
		return nil
	}
	m.conns.m[tc] = struct{}{}
	return tc
}

// serve accepts until the listener is closed. Run it on a tracked goroutine.
func (m *mux) serve() {
	var delay time.Duration
	for {
		c, err := m.ln.Accept()
		if err != nil {
			select {
			case <-m.closing:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			m.log.Warn("controller listener accept failed", "err", err, "retry-in", delay)
			select {
			case <-time.After(delay):
			case <-m.closing:
				return
			}
			continue
		}
		delay = 0
		tc := m.track(c)
		if tc == nil {
			return
		}
		if !m.goFunc(func() { m.route(tc) }) {
			_ = tc.Close()
			return
		}
	}
}

func (m *mux) route(c net.Conn) {
	var b [1]byte
	_ = c.SetReadDeadline(time.Now().Add(m.timeout))
	if _, err := c.Read(b[:]); err != nil {
		m.log.Debug("controller connection closed before its preamble", "remote", c.RemoteAddr(), "err", err)
		_ = c.Close()
		return
	}
	_ = c.SetReadDeadline(time.Time{})
	switch b[0] {
	case muxRaft:
		select {
		case m.raftCh <- c:
		case <-m.closing:
			_ = c.Close()
		}
	case muxForward:
		m.forward(c)
	default:
		m.log.Warn("controller connection with unknown preamble closed", "remote", c.RemoteAddr(), "byte", b[0])
		_ = c.Close()
	}
}

// dial connects to a controller listener and sends the preamble.
func (m *mux) dial(addr string, timeout time.Duration, preamble byte) (net.Conn, error) {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	tc := m.track(c)
	if tc == nil {
		return nil, ErrClosed
	}
	_ = tc.SetWriteDeadline(time.Now().Add(timeout))
	if _, err := tc.Write([]byte{preamble}); err != nil {
		_ = tc.Close()
		return nil, err
	}
	_ = tc.SetWriteDeadline(time.Time{})
	return tc, nil
}

// close stops accepting and closes every tracked connection. Idempotent.
func (m *mux) close() {
	m.onceClose.Do(func() {
		close(m.closing)
		_ = m.ln.Close()
		m.conns.Lock()
		m.conns.closed = true
		all := make([]*trackedConn, 0, len(m.conns.m))
		for c := range m.conns.m {
			all = append(all, c)
		}
		m.conns.Unlock()
		for _, c := range all {
			_ = c.Close()
		}
	})
}

// raftStream is the raft.StreamLayer view of the mux.
type raftStream struct{ m *mux }

var _ raft.StreamLayer = raftStream{}

func (s raftStream) Accept() (net.Conn, error) {
	select {
	case c := <-s.m.raftCh:
		return c, nil
	case <-s.m.closing:
		return nil, net.ErrClosed
	}
}

// Close is a no-op: the node closes the mux after raft's transport.
func (s raftStream) Close() error   { return nil }
func (s raftStream) Addr() net.Addr { return s.m.advertise }

func (s raftStream) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	return s.m.dial(string(address), timeout, muxRaft)
}

package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/handler"
)

// Config is the listener configuration.
type Config struct {
	// Addr is the listen address; port 0 picks a free port (see Server.Addr).
	Addr string
	// MaxRequestBytes is socket.request.max.bytes: a larger frame closes
	// the connection.
	MaxRequestBytes int32
	// IdleTimeout is connections.max.idle.ms: a connection that sends no
	// request for this long is closed. Zero disables it.
	IdleTimeout time.Duration
	// WriteTimeout bounds one write to a client that does not read.
	WriteTimeout time.Duration
	// MaxConnections is max.connections; further connections are closed at
	// once with a log line.
	MaxConnections int
}

// Server is a Kafka protocol listener.
type Server struct {
	cfg     Config
	handler Handler
	log     *slog.Logger
	metrics *metrics

	ln       net.Listener
	nextID   atomic.Uint64
	stopFlag atomic.Bool

	mu struct {
		sync.Mutex
		conns map[*conn]struct{}
	}
	wg sync.WaitGroup
}

// New returns a server; call Listen then Serve. reg may be nil.
func New(cfg Config, h Handler, log *slog.Logger, reg prometheus.Registerer) *Server {
	if log == nil {
		log = slog.Default()
	}
	s := &Server{cfg: cfg, handler: h, log: log, metrics: newMetrics(reg)}
	s.mu.conns = make(map[*conn]struct{})
	return s
}

// Listen binds the listener and logs the address it got.
func (s *Server) Listen() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("server: listen on %q: %w", s.cfg.Addr, err)
	}
	s.ln = ln
	s.log.Info("kafka listener ready", "addr", ln.Addr().String())
	return nil
}

// UseListener makes the server accept on an already bound listener instead
// of calling Listen.
func (s *Server) UseListener(ln net.Listener) { s.ln = ln }

// Addr is the bound address (valid after Listen).
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Serve accepts connections until Shutdown. It returns nil after Shutdown.
func (s *Server) Serve() error {
	var delay time.Duration
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			if s.stopping() {
				return nil
			}
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.log.Warn("accept failed, retrying", "err", err, "delay", delay)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		if tc, ok := nc.(*net.TCPConn); ok {
			tc.SetNoDelay(true)
		}
		if !s.track(nc) {
			continue
		}
	}
}

func (s *Server) track(nc net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping() {
		nc.Close()
		return false
	}
	if s.cfg.MaxConnections > 0 && len(s.mu.conns) >= s.cfg.MaxConnections {
		s.log.Warn("connection limit reached, closing new connection", "remote", nc.RemoteAddr().String(), "max.connections", s.cfg.MaxConnections)
		nc.Close()
		return false
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &conn{
		srv:    s,
		nc:     nc,
		ctx:    ctx,
		cancel: cancel,
		queue:  make(chan pending, maxInflight),
		info:   handler.ConnInfo{ID: s.nextID.Add(1), RemoteAddr: nc.RemoteAddr(), LocalAddr: nc.LocalAddr()},
	}
	c.log = s.log.With("conn", c.info.ID, "remote", nc.RemoteAddr().String())
	s.mu.conns[c] = struct{}{}
	s.metrics.connections.Inc()
	s.wg.Add(1)
	go c.serve()
	return true
}

func (s *Server) untrack(c *conn) {
	s.mu.Lock()
	delete(s.mu.conns, c)
	s.mu.Unlock()
	s.metrics.connections.Dec()
	s.wg.Done()
}

func (s *Server) stopping() bool { return s.stopFlag.Load() }

// Shutdown stops accepting, lets every connection finish the requests it has
// read (their responses are written), and closes them. It returns when all
// connections are gone or ctx ends, in which case they are closed forcibly.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stopFlag.Store(true)
	if s.ln != nil {
		s.ln.Close()
	}
	s.mu.Lock()
	for c := range s.mu.conns {
		// Unblock the reader; requests already read still get answers.
		c.nc.SetReadDeadline(time.Now())
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		for c := range s.mu.conns {
			c.close()
		}
		s.mu.Unlock()
		<-done
		return ctx.Err()
	}
}

// handle calls the handler. A panic in a handler is a bug: it is logged with
// its stack and the connection is closed (the client reconnects and
// retries), rather than answering with a response that could look like
// success or taking the broker down.
func (s *Server) handle(ctx context.Context, req *handler.Request) (reply handler.Reply, err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("handler panic", "api", kmsg.NameForKey(req.Key), "version", req.Version, "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("server: %s v%d handler failed: %v", kmsg.NameForKey(req.Key), req.Version, r)
		}
	}()
	return s.handler.Handle(ctx, req), nil
}

func errFrameSize(size, max int32) error {
	return fmt.Errorf("server: frame size %d outside [%d, %d] (socket.request.max.bytes)", size, minHeaderSize, max)
}

func errUnknown(key int16) error {
	return fmt.Errorf("%w %d", errUnknownKey, key)
}

func errVersion(key, v, min, max int16) error {
	return fmt.Errorf("%w: %s v%d (serving v%d-v%d)", errVersionRange, kmsg.NameForKey(key), v, min, max)
}

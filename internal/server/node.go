package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/gregor-streaming/gregor/internal/broker"
	"github.com/gregor-streaming/gregor/internal/config"
	"github.com/gregor-streaming/gregor/internal/console"
	"github.com/gregor-streaming/gregor/internal/handler"
)

// Node is a whole running Gregor broker: the Kafka listener, the HTTP
// endpoints and the broker's services. `gregor serve` runs one; tests start
// several in one process.
type Node struct {
	Broker *broker.Broker
	Kafka  *Server
	log    *slog.Logger

	kafkaLn net.Listener
	httpLn  net.Listener
	http    *http.Server
	served  chan error
}

// StartNode binds the listeners, starts the broker and begins serving. It
// returns once clients can connect and be answered.
func StartNode(ctx context.Context, cfg *config.Broker, log *slog.Logger) (*Node, error) {
	if log == nil {
		log = slog.Default()
	}
	n := &Node{log: log, served: make(chan error, 1)}
	var err error
	n.kafkaLn, err = net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen on %q: %w", cfg.Listen, err)
	}
	advertised, err := advertisedAddr(cfg.Advertise, n.kafkaLn.Addr())
	if err != nil {
		n.kafkaLn.Close()
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	n.Broker, err = broker.Start(ctx, cfg, broker.Options{Advertised: advertised, Logger: log, Registry: reg})
	if err != nil {
		n.kafkaLn.Close()
		return nil, err
	}
	n.Kafka = New(Config{
		Addr:            cfg.Listen,
		MaxRequestBytes: cfg.SocketRequestMaxBytes,
		IdleTimeout:     time.Duration(cfg.ConnectionsMaxIdleMs) * time.Millisecond,
		WriteTimeout:    30 * time.Second,
		MaxConnections:  cfg.MaxConnections,
	}, handler.New(n.Broker), log, reg)
	n.Kafka.UseListener(n.kafkaLn)

	if cfg.HTTP != "" {
		n.httpLn, err = net.Listen("tcp", cfg.HTTP)
		if err != nil {
			n.Broker.Close()
			n.kafkaLn.Close()
			return nil, fmt.Errorf("listen on %q (http): %w", cfg.HTTP, err)
		}
		n.http = &http.Server{Handler: console.Handler(reg, n.ready), ReadHeaderTimeout: 10 * time.Second}
		go n.http.Serve(n.httpLn)
		log.Info("http listener ready", "addr", n.httpLn.Addr().String())
	}
	go func() { n.served <- n.Kafka.Serve() }()
	log.Info("kafka listener ready", "addr", n.kafkaLn.Addr().String(), "advertised", advertised, "node_id", cfg.NodeID)
	return n, nil
}

// KafkaAddr is the bound Kafka listener address.
func (n *Node) KafkaAddr() net.Addr { return n.kafkaLn.Addr() }

// HTTPAddr is the bound HTTP address, or nil.
func (n *Node) HTTPAddr() net.Addr {
	if n.httpLn == nil {
		return nil
	}
	return n.httpLn.Addr()
}

func (n *Node) ready() error {
	if n.Broker.Meta.Image().ControllerID < 0 {
		return errors.New("no controller")
	}
	return nil
}

// Shutdown stops accepting clients, finishes the requests already read, and
// closes the broker, which syncs every partition and writes the
// clean-shutdown marker.
func (n *Node) Shutdown(ctx context.Context) error {
	var errs []error
	if err := n.Kafka.Shutdown(ctx); err != nil {
		errs = append(errs, err)
	}
	if n.http != nil {
		hctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		n.http.Shutdown(hctx)
		cancel()
	}
	if err := n.Broker.Close(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// advertisedAddr resolves the address given to clients. The default follows
// the listener's real port (so --listen :0 or :9192 advertise correctly), and
// a port of 0 in an explicit address is replaced by the bound port.
func advertisedAddr(adv string, bound net.Addr) (string, error) {
	_, boundPort, err := net.SplitHostPort(bound.String())
	if err != nil {
		return "", err
	}
	if adv == "" || (adv == config.DefaultAdvertise && boundPort != "9092") {
		return net.JoinHostPort("localhost", boundPort), nil
	}
	host, port, err := net.SplitHostPort(adv)
	if err != nil {
		return "", fmt.Errorf("advertise %q: %w", adv, err)
	}
	if p, _ := strconv.Atoi(port); p == 0 {
		port = boundPort
	}
	if host == "" {
		host = "localhost"
	}
	return net.JoinHostPort(host, port), nil
}

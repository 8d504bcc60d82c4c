package server

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/handler"
)

// panicky answers ApiVersions, panics on Metadata while handling and on
// FindCoordinator while answering later.
type panicky struct{}

func (panicky) Versions(key int16) (int16, int16, bool) {
	return 0, 12, key == 18 || key == 3 || key == 10
}

func (panicky) Handle(_ context.Context, r *handler.Request) handler.Reply {
	switch r.Key {
	case 3:
		panic("boom in Handle")
	case 10:
		return handler.Reply{Wait: func() kmsg.Response { panic("boom in Wait") }}
	}
	resp := kmsg.NewPtrApiVersionsResponse()
	return handler.Reply{Resp: resp}
}

func startTestServer(t *testing.T) string {
	t.Helper()
	s := New(Config{Addr: "127.0.0.1:0", MaxRequestBytes: 1 << 20}, panicky{}, nil, nil)
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	go s.Serve()
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	return s.Addr().String()
}

func send(t *testing.T, c net.Conn, req kmsg.Request) {
	t.Helper()
	frame := encodeRequest(req, 1)
	if _, err := c.Write(append(binary.BigEndian.AppendUint32(nil, uint32(len(frame))), frame...)); err != nil {
		t.Fatal(err)
	}
}

func TestHandlerPanicClosesOnlyThatConnection(t *testing.T) {
	addr := startTestServer(t)
	for _, req := range []kmsg.Request{kmsg.NewPtrMetadataRequest(), kmsg.NewPtrFindCoordinatorRequest()} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		send(t, c, req)
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if n, err := io.ReadAll(c); len(n) != 0 || err != nil {
			t.Fatalf("%T: got %d bytes, err %v; want the connection closed without an answer", req, len(n), err)
		}
		c.Close()

		// The server still answers others.
		ok, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		av := kmsg.NewPtrApiVersionsRequest()
		send(t, ok, av)
		ok.SetReadDeadline(time.Now().Add(10 * time.Second))
		var size [4]byte
		if _, err := io.ReadFull(ok, size[:]); err != nil {
			t.Fatalf("after a %T panic, ApiVersions on a new connection: %v", req, err)
		}
		ok.Close()
	}
}

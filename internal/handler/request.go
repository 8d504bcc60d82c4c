package handler

import (
	"net"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Request is one decoded request handed to a Handler.
type Request struct {
	Key, Version  int16
	CorrelationID int32
	ClientID      string
	Body          kmsg.Request
	Conn          *ConnInfo
	Received      time.Time

	// UnsupportedVersion is set on an ApiVersions request whose version we do
	// not serve: its body was not parsed and Body is an empty v0 request. The
	// answer must be the v0 layout with UNSUPPORTED_VERSION and our key list.
	UnsupportedVersion bool
}

// Reply is a handler's answer. Resp is sent as is; otherwise Wait, if set, is
// called on the connection's write goroutine (in request order) and may block
// until the answer is ready. With both nil nothing is sent (acks=0 produce).
// The response's version is set to the request's by the server.
type Reply struct {
	Resp kmsg.Response
	Wait func() kmsg.Response
	// Close asks the server to close the connection after this request
	// (an acks=0 produce that failed: the client has no other way to
	// learn that it should refresh its metadata).
	Close bool
}

// ConnInfo describes a client connection to handlers.
type ConnInfo struct {
	ID         uint64
	RemoteAddr net.Addr
	LocalAddr  net.Addr
}

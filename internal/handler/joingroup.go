package handler

// JoinGroup (key 11), v0-9.
//
//	v1 rebalance timeout (v0 uses the session timeout for both)
//	v2 throttle time
//	v4 KIP-394: an empty member id gets MEMBER_ID_REQUIRED and an id to rejoin with
//	v5 KIP-345 group.instance.id (static membership)
//	v6 flexible
//	v7 protocol type in the response
//	v8 reason
//	v9 SkipAssignment in the response (always false: Gregor never skips)
//
// The request parks until the join phase ends (every member rejoined, or the
// rebalance timeout, or the initial rebalance delay for a new group); it is
// answered on the connection's write goroutine so the read loop keeps going.

import (
	"context"
	"net"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/group"
)

func init() {
	register(api{key: 11, min: 0, max: 9, handle: handleJoinGroup})
}

func handleJoinGroup(h *Handler, ctx context.Context, r *Request) Reply {
	req := r.Body.(*kmsg.JoinGroupRequest)
	if r.Version < 5 {
		req.InstanceID = nil
	}
	fut := h.b.Groups.JoinGroup(req, clientOf(r))
	return Reply{Wait: func() kmsg.Response {
		resp, ok := fut.Wait(ctx.Done())
		if !ok {
			return nil // connection gone
		}
		return resp
	}}
}

// clientOf names the client for group membership (client id and host).
func clientOf(r *Request) group.Client {
	host := ""
	if r.Conn != nil && r.Conn.RemoteAddr != nil {
		host = r.Conn.RemoteAddr.String()
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = "/" + host
	}
	return group.Client{ID: r.ClientID, Host: host}
}

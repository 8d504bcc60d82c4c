package handler

import (
	"context"
	"log/slog"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/broker"
)

// api is one registered Kafka API.
type api struct {
	key      int16
	min, max int16
	// handle serves a request whose version is in [min, max].
	handle func(h *Handler, ctx context.Context, r *Request) Reply
}

// apis is the API table, indexed by key. It is filled by the init functions
// of the handler files and only read afterwards.
var apis [128]*api

// register adds an API to the table; called from init only.
func register(a api) {
	if a.key < 0 || int(a.key) >= len(apis) || apis[a.key] != nil {
		panic("handler: bad or duplicate registration for key " + kmsg.NameForKey(a.key))
	}
	if req := kmsg.RequestForKey(a.key); req == nil || a.max > req.MaxVersion() {
		panic("handler: kmsg cannot encode " + kmsg.NameForKey(a.key) + " at the registered max version")
	}
	apis[a.key] = &a
}

// Handler serves requests for one broker.
type Handler struct {
	b   *broker.Broker
	log *slog.Logger
}

// New returns the handler for a started broker.
func New(b *broker.Broker) *Handler {
	return &Handler{b: b, log: b.Log}
}

// Versions implements server.Handler.
func (h *Handler) Versions(key int16) (min, max int16, ok bool) {
	if key < 0 || int(key) >= len(apis) || apis[key] == nil {
		return 0, 0, false
	}
	a := apis[key]
	return a.min, a.max, true
}

// Handle implements server.Handler.
func (h *Handler) Handle(ctx context.Context, r *Request) Reply {
	return apis[r.Key].handle(h, ctx, r)
}

// now answers with a response at once.
func now(resp kmsg.Response) Reply { return Reply{Resp: resp} }

// Package server accepts Kafka protocol connections, frames and decodes requests
// with kmsg, hands them to a Handler in order, and writes the responses back in
// request order.
//
// Each connection has one read goroutine and one write goroutine. The read
// goroutine decodes a frame and calls Handler.Handle for it before reading the
// next one, so handlers see a connection's requests strictly in order (a produce
// is appended before the next request on the same connection is looked at). A
// handler may answer at once or return a Reply whose Wait function blocks (an
// acks=all produce waiting for its fsync, a long-polling fetch); the write
// goroutine calls Wait in request order, so pipelined requests overlap their
// waiting while their responses still leave in order, as every Kafka client
// expects. A Reply with neither a response nor a Wait sends nothing (acks=0).
//
// Malformed input (a frame larger than socket.request.max.bytes, a header that
// does not parse, an unknown API key, a body kmsg cannot decode, a version we do
// not serve) closes that connection with a log line; it never affects others.
package server

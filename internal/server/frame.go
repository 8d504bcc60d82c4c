package server

import (
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// A request frame on the wire (all integers big-endian):
//
//	+--------+---------+---------+----------------+---------------------+-------------+------+
//	| size   | api key | version | correlation id | client id           | tags (v2    | body |
//	| int32  | int16   | int16   | int32          | int16 len + bytes,  | header only)|      |
//	|        |         |         |                | -1 = null           |             |      |
//	+--------+---------+---------+----------------+---------------------+-------------+------+
//
// size counts every byte after itself. Request header v1 is used by
// non-flexible versions, v2 (with tagged fields) by flexible ones; the client
// id stays a classic int16-length string in both.

// minHeaderSize is key + version + correlation id + client id length.
const minHeaderSize = 2 + 2 + 4 + 2

var (
	errShortHeader  = errors.New("server: request header truncated")
	errUnknownKey   = errors.New("server: unknown api key")
	errBadBody      = errors.New("server: request body does not decode")
	errVersionRange = errors.New("server: api version not served")
)

// header is a decoded request header.
type header struct {
	key      int16
	version  int16
	corrID   int32
	clientID *string
}

// parseHeader reads the fixed part of a request header. The returned body
// aliases frame.
func parseHeader(frame []byte) (header, []byte, error) {
	if len(frame) < minHeaderSize {
		return header{}, nil, errShortHeader
	}
	r := kbin.Reader{Src: frame}
	h := header{key: r.Int16(), version: r.Int16(), corrID: r.Int32()}
	h.clientID = r.NullableString()
	if !r.Ok() {
		return header{}, nil, errShortHeader
	}
	return h, r.Src, nil
}

// decodeBody decodes the body of a request whose header parsed, after the
// caller checked that the version is served. Tagged header fields of flexible
// versions are skipped.
func decodeBody(h header, rest []byte) (kmsg.Request, error) {
	req := kmsg.RequestForKey(h.key)
	if req == nil {
		return nil, fmt.Errorf("%w %d", errUnknownKey, h.key)
	}
	req.SetVersion(h.version)
	if req.IsFlexible() {
		r := kbin.Reader{Src: rest}
		kmsg.SkipTags(&r)
		if !r.Ok() {
			return nil, errShortHeader
		}
		rest = r.Src
	}
	if err := readFrom(req, rest); err != nil {
		return nil, fmt.Errorf("%w: %s v%d: %v", errBadBody, kmsg.NameForKey(h.key), h.version, err)
	}
	return req, nil
}

// readFrom decodes with a recover: kmsg is generated and fuzzed, but a decode
// panic on hostile bytes must cost one connection, never the broker.
func readFrom(req kmsg.Request, b []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("decode panic: %v", r)
		}
	}()
	return req.ReadFrom(b)
}

// appendResponse appends a size-prefixed response frame to dst. Flexible
// responses carry a response header v1 (an empty tag section) except
// ApiVersions, whose header never has tags so that a client can parse it
// before it knows our versions (KIP-511).
func appendResponse(dst []byte, corrID int32, resp kmsg.Response) []byte {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	dst = kbin.AppendInt32(dst, corrID)
	if resp.IsFlexible() && resp.Key() != 18 {
		dst = append(dst, 0)
	}
	dst = resp.AppendTo(dst)
	size := uint32(len(dst) - start - 4)
	dst[start] = byte(size >> 24)
	dst[start+1] = byte(size >> 16)
	dst[start+2] = byte(size >> 8)
	dst[start+3] = byte(size)
	return dst
}

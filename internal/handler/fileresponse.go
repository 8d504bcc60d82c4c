package handler

import (
	"crypto/rand"
	"encoding/binary"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/storage"
)

// FileResponse is a response some of whose byte fields are stored file
// ranges rather than memory, so that the server can send them with
// sendfile(2) without copying them through user space.
//
// Each such field holds a 16-byte placeholder, FileMarker followed by the
// big-endian index into Parts, when the response is encoded; the server
// finds the placeholders in the encoded response (which is small: record
// bytes are not in it), replaces each one's length prefix with the real
// length, and sends Parts[i] in its place. Fetch response records are the
// only such field; no length field encloses them, only the frame size.
type FileResponse struct {
	kmsg.Response
	Parts [][]storage.Range
}

// FileMarker starts every placeholder. It is random per process, so that no
// topic name or other response byte can imitate it.
var FileMarker = func() (m [12]byte) {
	rand.Read(m[:])
	return m
}()

// placeholder returns the placeholder for part i.
func placeholder(i int) []byte {
	b := make([]byte, 16)
	copy(b, FileMarker[:])
	binary.BigEndian.PutUint32(b[12:], uint32(i))
	return b
}

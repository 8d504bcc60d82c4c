package server

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"syscall"

	"github.com/twmb/franz-go/pkg/kbin"

	"github.com/gregor-streaming/gregor/internal/handler"
	"github.com/gregor-streaming/gregor/internal/storage"
)

// segment is a piece of an outgoing frame: bytes, or a file range.
type segment struct {
	b []byte
	r storage.Range
}

// spliceFileResponse turns an encoded FileResponse frame (starting at
// frame[0] with its size) into segments: placeholders become the real
// length prefix and the file ranges, and the frame size is corrected.
func spliceFileResponse(frame []byte, fr *handler.FileResponse, flexible bool) ([]segment, error) {
	var segs []segment
	size := int64(binary.BigEndian.Uint32(frame))
	last := 0
	pos := 0
	for {
		i := bytes.Index(frame[pos:], handler.FileMarker[:])
		if i < 0 {
			break
		}
		at := pos + i
		if at+16 > len(frame) {
			return nil, errors.New("server: truncated file placeholder")
		}
		idx := int(binary.BigEndian.Uint32(frame[at+12:]))
		if idx >= len(fr.Parts) {
			return nil, fmt.Errorf("server: file placeholder %d of %d", idx, len(fr.Parts))
		}
		var n int64
		for _, r := range fr.Parts[idx] {
			n += r.Len
		}
		prefixLen := 4
		if flexible {
			prefixLen = 1 // uvarint(16+1)
		}
		segs = append(segs, segment{b: frame[last : at-prefixLen]})
		var prefix []byte
		if flexible {
			prefix = kbin.AppendUvarint(nil, uint32(n+1))
		} else {
			prefix = kbin.AppendInt32(nil, int32(n))
		}
		segs = append(segs, segment{b: prefix})
		for _, r := range fr.Parts[idx] {
			segs = append(segs, segment{r: r})
		}
		size += n + int64(len(prefix)) - 16 - int64(prefixLen)
		last = at + 16
		pos = last
	}
	segs = append(segs, segment{b: frame[last:]})
	binary.BigEndian.PutUint32(segs[0].b, uint32(size))
	return segs, nil
}

// writeSegments writes segments, sending file ranges with sendfile(2) at
// explicit offsets (the file's own position is shared and never used). With
// TCP_CORK the pieces leave as full packets.
func (c *conn) writeSegments(segs []segment) error {
	tc, ok := c.nc.(*net.TCPConn)
	if !ok {
		return c.writeSegmentsCopy(segs)
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return c.writeSegmentsCopy(segs)
	}
	raw.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_CORK, 1) })
	defer raw.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_CORK, 0) })
	for _, s := range segs {
		if s.r.File == nil {
			if len(s.b) == 0 {
				continue
			}
			n, err := c.nc.Write(s.b)
			c.srv.metrics.bytesOut.Add(float64(n))
			if err != nil {
				return err
			}
			continue
		}
		fdf, ok := s.r.File.(interface{ Fd() uintptr })
		if !ok {
			if err := c.copyRange(s.r); err != nil {
				return err
			}
			continue
		}
		src := int(fdf.Fd())
		off, left := s.r.Pos, s.r.Len
		var serr error
		err := raw.Write(func(dst uintptr) bool {
			for left > 0 {
				n, err := syscall.Sendfile(int(dst), src, &off, int(min(left, 1<<30)))
				if n > 0 {
					left -= int64(n)
					c.srv.metrics.bytesOut.Add(float64(n))
				}
				switch {
				case err == syscall.EAGAIN:
					return false // wait until writable
				case err == syscall.EINTR:
					continue
				case err != nil:
					serr = err
					return true
				case n == 0:
					serr = fmt.Errorf("server: %s ends before %d (truncated under a read)", s.r.File.Name(), s.r.Pos+s.r.Len)
					return true
				}
			}
			return true
		})
		if err == nil {
			err = serr
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// copyRange sends a range of a file without a descriptor through memory.
func (c *conn) copyRange(r storage.Range) error {
	buf := make([]byte, r.Len)
	if _, err := r.File.ReadAt(buf, r.Pos); err != nil {
		return err
	}
	n, err := c.nc.Write(buf)
	c.srv.metrics.bytesOut.Add(float64(n))
	return err
}

func (c *conn) writeSegmentsCopy(segs []segment) error {
	for _, s := range segs {
		if s.r.File != nil {
			if err := c.copyRange(s.r); err != nil {
				return err
			}
			continue
		}
		n, err := c.nc.Write(s.b)
		c.srv.metrics.bytesOut.Add(float64(n))
		if err != nil {
			return err
		}
	}
	return nil
}

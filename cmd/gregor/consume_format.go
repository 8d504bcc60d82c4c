package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
)

// recordFormat is a compiled --format string of "gregor consume".
//
// Tokens (kcat-like):
//
//	%t topic            %p partition        %o offset
//	%k key              %v or %s value      %T timestamp (Unix ms)
//	%h headers as k1=v1,k2=v2               %K key length, %S value length
//	%%  a literal %
//
// Escapes: \n newline, \t tab, \r carriage return, \\ backslash, \0 NUL.
// A null key or value prints as nothing (its length as -1). Anything else
// after % or \ is an error, so a typo never silently prints garbage.
type recordFormat []formatPart

// formatPart is one literal run or one token.
type formatPart struct {
	lit  string
	verb byte // 0 for a literal
}

// errFormat is wrapped by every --format parse error.
var errFormat = fmt.Errorf("%w: bad --format", errUsage)

// parseFormat compiles s. It never panics, whatever s holds.
func parseFormat(s string) (recordFormat, error) {
	var (
		f   recordFormat
		lit strings.Builder
	)
	flushLit := func() {
		if lit.Len() > 0 {
			f = append(f, formatPart{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '%' && c != '\\' {
			lit.WriteByte(c)
			continue
		}
		if i+1 >= len(s) {
			return nil, fmt.Errorf("%w: %q ends with a lone %q", errFormat, s, c)
		}
		i++
		n := s[i]
		if c == '\\' {
			switch n {
			case 'n':
				lit.WriteByte('\n')
			case 't':
				lit.WriteByte('\t')
			case 'r':
				lit.WriteByte('\r')
			case '\\':
				lit.WriteByte('\\')
			case '0':
				lit.WriteByte(0)
			default:
				return nil, fmt.Errorf("%w: unknown escape \\%c at byte %d of %q", errFormat, n, i-1, s)
			}
			continue
		}
		switch n {
		case '%':
			lit.WriteByte('%')
		case 't', 'p', 'o', 'k', 'v', 's', 'T', 'h', 'K', 'S':
			flushLit()
			f = append(f, formatPart{verb: n})
		default:
			return nil, fmt.Errorf("%w: unknown token %%%c at byte %d of %q", errFormat, n, i-1, s)
		}
	}
	flushLit()
	return f, nil
}

// appendRecord appends r rendered by f to dst and returns the extended
// slice. It reads r and never retains it.
func (f recordFormat) appendRecord(dst []byte, r *kgo.Record) []byte {
	for _, p := range f {
		switch p.verb {
		case 0:
			dst = append(dst, p.lit...)
		case 't':
			dst = append(dst, r.Topic...)
		case 'p':
			dst = strconv.AppendInt(dst, int64(r.Partition), 10)
		case 'o':
			dst = strconv.AppendInt(dst, r.Offset, 10)
		case 'k':
			dst = append(dst, r.Key...)
		case 'v', 's':
			dst = append(dst, r.Value...)
		case 'T':
			dst = strconv.AppendInt(dst, r.Timestamp.UnixMilli(), 10)
		case 'K':
			dst = strconv.AppendInt(dst, lenOrNull(r.Key), 10)
		case 'S':
			dst = strconv.AppendInt(dst, lenOrNull(r.Value), 10)
		case 'h':
			for i, h := range r.Headers {
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = append(dst, h.Key...)
				dst = append(dst, '=')
				dst = append(dst, h.Value...)
			}
		}
	}
	return dst
}

// lenOrNull is len(b), or -1 for a null (nil) slice as Kafka encodes it.
func lenOrNull(b []byte) int64 {
	if b == nil {
		return -1
	}
	return int64(len(b))
}

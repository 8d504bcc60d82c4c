package config

// Java .properties format, as java.util.Properties.load reads it (Kafka
// reads server.properties this way):
//
//   - The input is split into natural lines at \n, \r or \r\n.
//   - A natural line that is empty or white space only is skipped. One whose
//     first non-white-space character is '#' or '!' is a comment and is
//     skipped whole (a comment never continues onto the next line).
//   - A line ending in an odd number of backslashes continues on the next
//     natural line; the backslash and the line break are removed, and so is
//     the white space at the start of the next line. A continuation at the
//     end of input is dropped.
//   - In the resulting logical line, the key runs from the first
//     non-white-space character to the first unescaped '=', ':' or white
//     space. White space, then one optional '=' or ':', then white space
//     separate it from the value, which runs to the end of the line
//     (trailing white space is kept; Kafka trims when parsing).
//   - In keys and values, \t \n \r \f are control characters, \uXXXX a UTF-16
//     code unit (surrogate pairs combine), and a backslash before any other
//     character stands for that character ("\=" "\:" "\ " "\\" "\#").
//   - White space is space, \t and \f.
//
// Differences: Java reads bytes as ISO-8859-1; Gregor reads UTF-8 and rejects
// invalid UTF-8, so that a file written by any modern editor means what it
// shows. Java silently accepts a malformed \u escape in some versions and
// throws in others; Gregor reports it as a SyntaxError.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// maxPropertiesSize bounds the file LoadFile reads; a broker config is a few
// kilobytes, so a larger file is a mistake (a log file given as --config).
const maxPropertiesSize = 16 << 20

// LoadFile reads a Java .properties file (see the format at the top of
// properties.go) and returns its key/value pairs; a later duplicate key
// replaces an earlier one, as in Java. Errors are *SyntaxError (ErrSyntax)
// naming the file and line, or the I/O error from opening or reading.
// The returned map is the caller's.
func LoadFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxPropertiesSize+1))
	if err != nil {
		return nil, fmt.Errorf("config: reading %s: %w", path, err)
	}
	if len(data) > maxPropertiesSize {
		return nil, &SyntaxError{Path: path, Line: 1, Msg: fmt.Sprintf("file is larger than %d bytes; is it a properties file?", maxPropertiesSize)}
	}
	m, err := ParseProperties(data)
	var se *SyntaxError
	if errors.As(err, &se) {
		se.Path = path
	}
	return m, err
}

// ParseProperties parses Java .properties text. See LoadFile.
func ParseProperties(data []byte) (map[string]string, error) {
	if !utf8.Valid(data) {
		line := 1 + bytes.Count(data[:firstInvalidUTF8(data)], []byte{'\n'})
		return nil, &SyntaxError{Line: line, Msg: "invalid UTF-8"}
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF")) // byte order mark
	out := map[string]string{}
	lines := naturalLines(string(data))
	for i := 0; i < len(lines); i++ {
		start := i
		line := trimLeftWS(lines[i])
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		// Join continuations.
		var sb strings.Builder
		for {
			if n := trailingBackslashes(line); n%2 == 1 {
				sb.WriteString(line[:len(line)-1])
				i++
				if i >= len(lines) {
					break
				}
				line = trimLeftWS(lines[i])
				continue
			}
			sb.WriteString(line)
			break
		}
		key, value, err := splitKeyValue(sb.String())
		if err != nil {
			return nil, &SyntaxError{Line: start + 1, Msg: err.Error()}
		}
		out[key] = value
	}
	return out, nil
}

func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return len(b)
}

// naturalLines splits at \n, \r and \r\n.
func naturalLines(s string) []string {
	var lines []string
	for len(s) > 0 {
		i := strings.IndexAny(s, "\r\n")
		if i < 0 {
			lines = append(lines, s)
			break
		}
		lines = append(lines, s[:i])
		if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
			i++
		}
		s = s[i+1:]
	}
	return lines
}

func isWS(c byte) bool { return c == ' ' || c == '\t' || c == '\f' }

func trimLeftWS(s string) string {
	i := 0
	for i < len(s) && isWS(s[i]) {
		i++
	}
	return s[i:]
}

func trailingBackslashes(s string) int {
	n := 0
	for i := len(s) - 1; i >= 0 && s[i] == '\\'; i-- {
		n++
	}
	return n
}

// splitKeyValue splits a logical line (leading white space removed) and
// unescapes both parts.
func splitKeyValue(line string) (string, string, error) {
	end := len(line)
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c == '\\' {
			i++ // skip the escaped character
			continue
		}
		if c == '=' || c == ':' || isWS(c) {
			end = i
			break
		}
	}
	rawKey := line[:end]
	rest := trimLeftWS(line[end:])
	if rest != "" && (rest[0] == '=' || rest[0] == ':') {
		rest = trimLeftWS(rest[1:])
	}
	key, err := unescape(rawKey)
	if err != nil {
		return "", "", fmt.Errorf("key %q: %v", rawKey, err)
	}
	value, err := unescape(rest)
	if err != nil {
		return "", "", fmt.Errorf("value of %s: %v", key, err)
	}
	return key, value, nil
}

func unescape(s string) (string, error) {
	if !strings.Contains(s, "\\") {
		return s, nil
	}
	var sb strings.Builder
	var units []uint16 // pending UTF-16 code units from \u escapes
	flush := func() {
		if len(units) > 0 {
			sb.WriteString(string(utf16.Decode(units)))
			units = units[:0]
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			flush()
			sb.WriteByte(c)
			continue
		}
		i++
		if i >= len(s) {
			// A lone trailing backslash (even count was consumed as
			// continuation); Java drops it.
			break
		}
		switch s[i] {
		case 't':
			flush()
			sb.WriteByte('\t')
		case 'n':
			flush()
			sb.WriteByte('\n')
		case 'r':
			flush()
			sb.WriteByte('\r')
		case 'f':
			flush()
			sb.WriteByte('\f')
		case 'u':
			if i+5 > len(s) {
				return "", fmt.Errorf(`malformed \u escape at %q`, s[i-1:])
			}
			n, err := strconv.ParseUint(s[i+1:i+5], 16, 16)
			if err != nil {
				return "", fmt.Errorf(`malformed \u escape at %q`, s[i-1:min(len(s), i+5)])
			}
			units = append(units, uint16(n))
			i += 4
		default:
			flush()
			// Any other escaped character stands for itself; copy a
			// whole UTF-8 sequence.
			_, size := utf8.DecodeRuneInString(s[i:])
			sb.WriteString(s[i : i+size])
			i += size - 1
		}
	}
	flush()
	return sb.String(), nil
}

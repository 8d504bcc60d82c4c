package config

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseProperties(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want map[string]string
	}{
		{"empty", "", map[string]string{}},
		{"equals", "a=b\n", map[string]string{"a": "b"}},
		{"colon", "a: b", map[string]string{"a": "b"}},
		{"space separator", "a b", map[string]string{"a": "b"}},
		{"space and equals", "a  =  b", map[string]string{"a": "b"}},
		{"tab and form feed", "\ta\t=\fb", map[string]string{"a": "b"}},
		{"only one separator consumed", "a==b", map[string]string{"a": "=b"}},
		{"colon then equals", "a:=b", map[string]string{"a": "=b"}},
		{"key only", "flag", map[string]string{"flag": ""}},
		{"key and separator", "flag=", map[string]string{"flag": ""}},
		{"trailing space kept", "a=b  ", map[string]string{"a": "b  "}},
		{"hash comment", "# c\na=1\n  # indented\n", map[string]string{"a": "1"}},
		{"bang comment", "! c\na=1", map[string]string{"a": "1"}},
		{"hash inside value", "a=1 # not a comment", map[string]string{"a": "1 # not a comment"}},
		{"comment does not continue", "# c \\\na=1", map[string]string{"a": "1"}},
		{"blank lines", "\n\n   \n\ta=1\n\n", map[string]string{"a": "1"}},
		{"CRLF", "a=1\r\nb=2\r\n", map[string]string{"a": "1", "b": "2"}},
		{"CR only", "a=1\rb=2", map[string]string{"a": "1", "b": "2"}},
		{"continuation", "listeners=PLAINTEXT://:9092,\\\n    CONTROLLER://:9093", map[string]string{"listeners": "PLAINTEXT://:9092,CONTROLLER://:9093"}},
		{"continuation CRLF", "a=x\\\r\n  y\r\n", map[string]string{"a": "xy"}},
		{"continuation of key", "lo\\\n  ng=v", map[string]string{"long": "v"}},
		{"continued line starting with hash", "a=1\\\n#2", map[string]string{"a": "1#2"}},
		{"continuation into blank", "a=1\\\n\nb=2", map[string]string{"a": "1", "b": "2"}},
		{"continuation at EOF", "a=1\\", map[string]string{"a": "1"}},
		{"even backslashes do not continue", "a=1\\\\\nb=2", map[string]string{"a": "1\\", "b": "2"}},
		{"three backslashes continue", "a=1\\\\\\\n2", map[string]string{"a": "1\\2"}},
		{"escaped separators in key", `a\=b\:c\ d=v`, map[string]string{"a=b:c d": "v"}},
		{"escapes", `a=\t\n\r\f\\\q`, map[string]string{"a": "\t\n\r\f\\q"}},
		{"unicode escape", `a=caf\u00e9`, map[string]string{"a": "café"}},
		{"surrogate pair", `a=\ud83d\ude00`, map[string]string{"a": "😀"}},
		{"utf8 value", "a=naïve", map[string]string{"a": "naïve"}},
		{"BOM", "\uFEFFa=1", map[string]string{"a": "1"}},
		{"duplicate: last wins", "a=1\na=2", map[string]string{"a": "2"}},
		{"escaped leading space in value", `a=\ b`, map[string]string{"a": " b"}},
		{"windows path", `log.dirs=C:\\kafka\\data`, map[string]string{"log.dirs": `C:\kafka\data`}},
		{"separator only", "=v", map[string]string{"": "v"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseProperties([]byte(c.in))
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(got, c.want) {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestParsePropertiesErrors(t *testing.T) {
	cases := []struct {
		in   string
		line int
		want string
	}{
		{"a=1\nb=\\u12", 2, `malformed \u escape`},
		{"a=1\n\nb=\\uZZZZ", 3, `malformed \u escape`},
		{"a=1\nb=\xff\xfe", 2, "invalid UTF-8"},
		{"k\\u00=1", 1, `key "k\\u00"`},
	}
	for _, c := range cases {
		_, err := ParseProperties([]byte(c.in))
		var se *SyntaxError
		if !errors.As(err, &se) || !errors.Is(err, ErrSyntax) {
			t.Errorf("%q: err %v", c.in, err)
			continue
		}
		if se.Line != c.line || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v (line %d), want line %d and %q", c.in, err, se.Line, c.line, c.want)
		}
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "server.properties")
	// A trimmed copy of Kafka's config/kraft/server.properties.
	content := `# Licensed to the Apache Software Foundation (ASF) ...
############################# Server Basics #############################
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@localhost:9093

############################# Socket Server Settings #############################
listeners=PLAINTEXT://:9092,CONTROLLER://:9093
inter.broker.listener.name=PLAINTEXT
advertised.listeners=PLAINTEXT://localhost:9092
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL
num.network.threads=3
num.io.threads=8
socket.send.buffer.bytes=102400
socket.receive.buffer.bytes=102400
socket.request.max.bytes=104857600

############################# Log Basics #############################
log.dirs=/tmp/kraft-combined-logs
num.partitions=1
num.recovery.threads.per.data.dir=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
log.retention.hours=168
log.segment.bytes=1073741824
log.retention.check.interval.ms=300000
`
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	props, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if props["node.id"] != "1" || props["listeners"] != "PLAINTEXT://:9092,CONTROLLER://:9093" || len(props) != 22 {
		t.Errorf("%d props: %v", len(props), props)
	}
	// Kafka's stock file applies cleanly (unused properties are logged).
	b := DefaultBroker()
	b.Logger = discardLogger()
	if err := b.Apply(props); err != nil {
		t.Fatal(err)
	}
	if err := b.Validate(); err != nil {
		t.Fatal(err)
	}
	if b.DataDir != "/tmp/kraft-combined-logs" || b.OffsetsTopicReplicationFactor != 1 || b.TransactionStateLogMinISR != 1 || b.Voters != "1@localhost:9093" {
		t.Errorf("%+v", b)
	}

	bad := filepath.Join(dir, "bad.properties")
	if err := os.WriteFile(bad, []byte("a=1\nb=\\u00zz\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = LoadFile(bad)
	if err == nil || !strings.HasPrefix(err.Error(), bad+":2: ") {
		t.Errorf("got %v", err)
	}
	if _, err := LoadFile(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// FuzzParseProperties: ParseProperties never panics; on success every key
// and value is valid UTF-8 and a file rendered from the result parses back
// to the same map.
func FuzzParseProperties(f *testing.F) {
	for _, seed := range []string{
		"", "a=b", "a: b\r\nc d", "# c\n! d\n", "a=1\\\n  2", "a=\\u00e9\\ud83d\\ude00", `k\=x\:y=v\\`,
		"a=1\\", "\uFEFFa=1", "a=\\u12", "\xff",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseProperties(data)
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		var sb strings.Builder
		for k, v := range m {
			if !utf8.ValidString(k) || !utf8.ValidString(v) {
				// Lone surrogates from \u escapes decode to U+FFFD, so
				// this must not happen.
				t.Fatalf("invalid UTF-8 in %q=%q", k, v)
			}
			sb.WriteString(escapeProperty(k, true) + "=" + escapeProperty(v, false) + "\n")
		}
		back, err := ParseProperties([]byte(sb.String()))
		if err != nil || !maps.Equal(back, m) {
			t.Fatalf("round trip of %q: %q, %v; want %q", sb.String(), back, err, m)
		}
	})
}

// escapeProperty writes s so that ParseProperties reads it back unchanged.
func escapeProperty(s string, key bool) string {
	var sb strings.Builder
	for i, r := range s {
		switch r {
		case '\\':
			sb.WriteString(`\\`)
		case '\n':
			sb.WriteString(`\n`)
		case '\r':
			sb.WriteString(`\r`)
		case '\t':
			sb.WriteString(`\t`)
		case '\f':
			sb.WriteString(`\f`)
		case '=', ':', '#', '!':
			sb.WriteString(`\` + string(r))
		case ' ':
			if key || i == 0 {
				sb.WriteString(`\ `)
			} else {
				sb.WriteRune(r)
			}
		case '\uFEFF':
			sb.WriteString(`\uFEFF`)
		default:
			sb.WriteRune(r)
		}
	}
	return sb.String()
}

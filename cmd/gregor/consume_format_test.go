package main

import (
	"errors"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/twmb/franz-go/pkg/kgo"
)

func TestParseFormatAndAppendRecord(t *testing.T) {
	r := &kgo.Record{
		Topic:     "t",
		Partition: 3,
		Offset:    42,
		Key:       []byte("key"),
		Value:     []byte("value"),
		Timestamp: time.UnixMilli(1700000000123),
		Headers:   []kgo.RecordHeader{{Key: "a", Value: []byte("1")}, {Key: "b", Value: nil}},
	}
	for _, tc := range []struct{ format, want string }{
		{`%v\n`, "value\n"},
		{`%s`, "value"},
		{`%t/%p/%o`, "t/3/42"},
		{`%k=%v`, "key=value"},
		{`%T`, "1700000000123"},
		{`%h`, "a=1,b="},
		{`%K %S`, "3 5"},
		{`100%% \t|\r|\\|\0`, "100% \t|\r|\\|\x00"},
		{`plain`, "plain"},
		{``, ""},
		{`é%vé`, "évalueé"},
	} {
		f, err := parseFormat(tc.format)
		if err != nil {
			t.Errorf("parseFormat(%q): %v", tc.format, err)
			continue
		}
		if got := string(f.appendRecord([]byte("prefix:"), r)); got != "prefix:"+tc.want {
			t.Errorf("format %q: got %q, want %q", tc.format, got, "prefix:"+tc.want)
		}
	}

	null := &kgo.Record{Topic: "t"}
	f, _ := parseFormat(`[%k][%v][%K][%S][%h]`)
	if got := string(f.appendRecord(nil, null)); got != "[][][-1][-1][]" {
		t.Errorf("null key and value: got %q", got)
	}

	for _, bad := range []string{`%`, `\`, `%x`, `\q`, `abc%`, `%v\`, `%V`} {
		_, err := parseFormat(bad)
		if !errors.Is(err, errFormat) || !errors.Is(err, errUsage) {
			t.Errorf("parseFormat(%q): want errFormat, got %v", bad, err)
		}
	}
}

// FuzzParseFormat checks that any --format string either fails with
// errFormat or renders a record without panicking, and that literal text
// without % or \ renders unchanged.
func FuzzParseFormat(f *testing.F) {
	for _, s := range []string{`%v\n`, `%t %p %o %k %v %T %h`, `%%\\%`, `\0%K%S`, "x\xff%"} {
		f.Add(s)
	}
	r := &kgo.Record{Topic: "t", Key: []byte("k"), Value: []byte("v"), Headers: []kgo.RecordHeader{{Key: "h"}}}
	f.Fuzz(func(t *testing.T, s string) {
		fm, err := parseFormat(s)
		if err != nil {
			if !errors.Is(err, errFormat) {
				t.Fatalf("parseFormat(%q): error %v is not errFormat", s, err)
			}
			return
		}
		out := fm.appendRecord(nil, r)
		plain := true
		for i := 0; i < len(s); i++ {
			if s[i] == '%' || s[i] == '\\' {
				plain = false
			}
		}
		if plain && string(out) != s {
			t.Fatalf("plain format %q rendered as %q", s, out)
		}
		_ = utf8.Valid(out)
	})
}

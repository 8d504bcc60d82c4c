package main

import (
	"errors"
	"math"
	"testing"
	"time"
)

func TestParseOffsetSpec(t *testing.T) {
	rfc := "2024-01-02T03:04:05.678Z"
	rfcMs := time.Date(2024, 1, 2, 3, 4, 5, 678e6, time.UTC).UnixMilli()
	for _, tc := range []struct {
		in   string
		want offsetSpec
	}{
		{"beginning", offsetSpec{kind: offsetStart}},
		{"earliest", offsetSpec{kind: offsetStart}},
		{"OLDEST", offsetSpec{kind: offsetStart}},
		{"end", offsetSpec{kind: offsetEnd}},
		{"latest", offsetSpec{kind: offsetEnd}},
		{"0", offsetSpec{kind: offsetExact, n: 0}},
		{"17", offsetSpec{kind: offsetExact, n: 17}},
		{"-5", offsetSpec{kind: offsetFromEnd, n: 5}},
		{"-0", offsetSpec{kind: offsetFromEnd, n: 0}},
		{"@1700000000000", offsetSpec{kind: offsetAfterTime, n: 1700000000000}},
		{"s@12", offsetSpec{kind: offsetAfterTime, n: 12}},
		{"@" + rfc, offsetSpec{kind: offsetAfterTime, n: rfcMs}},
	} {
		got, err := parseOffsetSpec(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("parseOffsetSpec(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "x", "@", "@-1", "@yesterday", "s12", "1.5", "-9223372036854775808", "99999999999999999999"} {
		if _, err := parseOffsetSpec(bad); !errors.Is(err, errUsage) {
			t.Errorf("parseOffsetSpec(%q): want a usage error, got %v", bad, err)
		}
	}
}

func TestOffsetSpecResolve(t *testing.T) {
	// A log spanning [10, 20).
	for _, tc := range []struct {
		spec       offsetSpec
		timeOffset int64
		want       int64
		clamped    bool
	}{
		{offsetSpec{kind: offsetStart}, -1, 10, false},
		{offsetSpec{kind: offsetEnd}, -1, 20, false},
		{offsetSpec{kind: offsetExact, n: 15}, -1, 15, false},
		{offsetSpec{kind: offsetExact, n: 20}, -1, 20, false},
		{offsetSpec{kind: offsetExact, n: 3}, -1, 10, true},
		{offsetSpec{kind: offsetExact, n: 25}, -1, 20, true},
		{offsetSpec{kind: offsetFromEnd, n: 4}, -1, 16, false},
		{offsetSpec{kind: offsetFromEnd, n: 0}, -1, 20, false},
		{offsetSpec{kind: offsetFromEnd, n: 50}, -1, 10, false},
		{offsetSpec{kind: offsetAfterTime, n: 1}, 12, 12, false},
		{offsetSpec{kind: offsetAfterTime, n: 1}, -1, 20, false},
		{offsetSpec{kind: offsetAfterTime, n: 1}, 5, 10, true},
	} {
		got, clamped := tc.spec.resolve(10, 20, tc.timeOffset)
		if got != tc.want || clamped != tc.clamped {
			t.Errorf("%+v.resolve(10, 20, %d) = %d, %v; want %d, %v", tc.spec, tc.timeOffset, got, clamped, tc.want, tc.clamped)
		}
	}
}

func TestParseTopicPartitions(t *testing.T) {
	got, err := parseTopicPartitions([]string{"a", "b:2,0", "b:2", "c:1", "c"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got["a"] != nil || len(got["b"]) != 2 || got["b"][0] != 2 || got["b"][1] != 0 || len(got["c"]) != 1 {
		t.Fatalf("got %v", got)
	}
	for _, bad := range []string{":1", "a:", "a:x", "a:-1", "a:1,,2"} {
		if _, err := parseTopicPartitions([]string{bad}); !errors.Is(err, errUsage) {
			t.Errorf("%q: want a usage error, got %v", bad, err)
		}
	}
}

func TestEnvOrAndBrokerList(t *testing.T) {
	t.Setenv("GREGOR_TEST_ENV", "")
	if got := envOr("GREGOR_TEST_ENV", "def"); got != "def" {
		t.Errorf("empty env: got %q", got)
	}
	t.Setenv("GREGOR_TEST_ENV", "h1:1")
	if got := envOr("GREGOR_TEST_ENV", "def"); got != "h1:1" {
		t.Errorf("set env: got %q", got)
	}

	root := newRootCmd()
	cmd, _, err := root.Find([]string{"cluster", "info"})
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.ParseFlags([]string{"--brokers", " a:1, ,b:2 "}); err != nil {
		t.Fatal(err)
	}
	got, err := brokerList(cmd)
	if err != nil || len(got) != 2 || got[0] != "a:1" || got[1] != "b:2" {
		t.Fatalf("brokerList = %v, %v", got, err)
	}
	if err := cmd.ParseFlags([]string{"-b", " , "}); err != nil {
		t.Fatal(err)
	}
	if _, err := brokerList(cmd); !errors.Is(err, errUsage) {
		t.Fatalf("empty broker list: want a usage error, got %v", err)
	}
}

func TestShiftOffsetSaturates(t *testing.T) {
	for _, tc := range []struct{ cur, by, want int64 }{
		{5, 3, 8},
		{5, -3, 2},
		{5, -10, 0},
		{5, math.MaxInt64, math.MaxInt64},
		{0, math.MinInt64, 0},
	} {
		if got := shiftOffset(tc.cur, tc.by); got != tc.want {
			t.Errorf("shiftOffset(%d, %d) = %d, want %d", tc.cur, tc.by, got, tc.want)
		}
	}
}

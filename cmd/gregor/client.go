package main

// client.go holds what every client-side command shares: reading the
// --brokers flag, building kgo and kadm clients, logging, error formatting
// with Kafka's error names, and small parsers for repeated k=v flags.
//
// The client commands (topic, produce, consume, cluster, group) talk to
// brokers only through franz-go's kgo and kadm, never through Gregor's
// internals: the CLI is itself a Kafka client and so proves compatibility.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// defaultAdminTimeout bounds every admin request the CLI makes, so that a
// command against an unreachable cluster fails instead of hanging.
const defaultAdminTimeout = 30 * time.Second

// errUsage marks errors caused by bad flags or arguments (as opposed to
// errors reported by the cluster).
var errUsage = errors.New("gregor: invalid usage")

// errPartial marks a command that ran but for which the cluster rejected some
// of the requested items (topics, records, groups); the per-item errors were
// already printed. Match it with errors.Is; the concrete error is a
// *partialError.
var errPartial = errors.New("gregor: some operations failed")

// partialError says how many of the requested items failed.
type partialError struct {
	failed, total int
	what          string // plural noun: "topics", "records", ...
	detail        string // optional, e.g. the first error
}

func partialf(failed, total int, what string) *partialError {
	return &partialError{failed: failed, total: total, what: what}
}

func (e *partialError) Error() string {
	s := fmt.Sprintf("%d of %d %s failed", e.failed, e.total, e.what)
	if e.detail != "" {
		s += ": " + e.detail
	}
	return s
}

func (e *partialError) Is(target error) bool { return target == errPartial }

// envOr returns the value of the environment variable key, or def if the
// variable is unset or empty.
func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// usageErrorf returns an error wrapping errUsage with a formatted message.
func usageErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}

// brokerList returns the seed brokers named by the persistent --brokers flag
// (comma-separated host:port list, spaces ignored). It fails if the flag is
// missing or names no broker.
func brokerList(cmd *cobra.Command) ([]string, error) {
	f := cmd.Flag("brokers") // own or inherited from a parent
	if f == nil {
		return nil, usageErrorf("no --brokers flag on command %q", cmd.CommandPath())
	}
	var out []string
	for _, b := range strings.Split(f.Value.String(), ",") {
		if b = strings.TrimSpace(b); b != "" {
			out = append(out, b)
		}
	}
	if len(out) == 0 {
		return nil, usageErrorf("--brokers names no broker")
	}
	return out, nil
}

// cmdLogger returns the logger for cmd: text records at warn level and above
// on cmd's error stream. Setting GREGOR_LOG_LEVEL=debug|info|warn|error
// changes the level (kgo's own logs go through it too).
func cmdLogger(cmd *cobra.Command) *slog.Logger {
	level := slog.LevelWarn
	if v := os.Getenv("GREGOR_LOG_LEVEL"); v != "" {
		var l slog.Level
		if err := l.UnmarshalText([]byte(v)); err == nil {
			level = l
		}
	}
	return slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
}

// kgoSlog adapts a *slog.Logger to kgo.Logger. It is safe for concurrent use.
type kgoSlog struct{ l *slog.Logger }

func (k kgoSlog) Level() kgo.LogLevel {
	ctx := context.Background()
	switch {
	case k.l.Enabled(ctx, slog.LevelDebug):
		return kgo.LogLevelDebug
	case k.l.Enabled(ctx, slog.LevelInfo):
		return kgo.LogLevelInfo
	case k.l.Enabled(ctx, slog.LevelWarn):
		return kgo.LogLevelWarn
	default:
		return kgo.LogLevelError
	}
}

func (k kgoSlog) Log(level kgo.LogLevel, msg string, keyvals ...any) {
	l := slog.LevelError
	switch level {
	case kgo.LogLevelDebug:
		l = slog.LevelDebug
	case kgo.LogLevelInfo:
		l = slog.LevelInfo
	case kgo.LogLevelWarn:
		l = slog.LevelWarn
	}
	k.l.Log(context.Background(), l, msg, keyvals...)
}

// newClient builds a kgo client seeded from cmd's --brokers flag, logging to
// cmd's error stream, with opts appended. The caller owns the client and must
// Close it.
func newClient(cmd *cobra.Command, opts ...kgo.Opt) (*kgo.Client, error) {
	brokers, err := brokerList(cmd)
	if err != nil {
		return nil, err
	}
	base := []kgo.Opt{
		kgo.SeedBrokers(brokers...),
		kgo.ClientID("gregor-cli"),
		kgo.WithLogger(kgoSlog{cmdLogger(cmd)}),
		kgo.DialTimeout(10 * time.Second),
		kgo.RetryTimeout(defaultAdminTimeout),
	}
	cl, err := kgo.NewClient(append(base, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("gregor: creating client for %v: %w", brokers, err)
	}
	return cl, nil
}

// newAdmin builds a kadm client over a fresh kgo client (see newClient). The
// caller must call the returned close function.
func newAdmin(cmd *cobra.Command) (*kadm.Client, func(), error) {
	adm, cl, err := newAdminClient(cmd)
	if err != nil {
		return nil, nil, err
	}
	return adm, cl.Close, nil
}

// newAdminClient is newAdmin that also returns the kgo client underneath, for
// requests kadm does not wrap. The caller must Close the kgo client.
func newAdminClient(cmd *cobra.Command) (*kadm.Client, *kgo.Client, error) {
	cl, err := newClient(cmd)
	if err != nil {
		return nil, nil, err
	}
	adm := kadm.NewClient(cl)
	adm.SetTimeoutMillis(int32(defaultAdminTimeout / time.Millisecond))
	return adm, cl, nil
}

// adminContext returns cmd's context bounded by defaultAdminTimeout.
func adminContext(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	return context.WithTimeout(cmd.Context(), defaultAdminTimeout)
}

// kafkaErrText renders err for a person: Kafka errors as "NAME: description",
// followed by the broker's own message when it sent one that adds something.
// A nil err renders as "OK".
func kafkaErrText(err error, brokerMsg string) string {
	if err == nil {
		return "OK"
	}
	s := err.Error()
	if brokerMsg != "" && !strings.Contains(s, brokerMsg) {
		s += " (" + brokerMsg + ")"
	}
	return s
}

// isKafkaErr reports whether err is, or wraps, the Kafka error target.
func isKafkaErr(err error, target *kerr.Error) bool {
	var ke *kerr.Error
	return errors.As(err, &ke) && ke.Code == target.Code
}

// parseKV splits "k=v" at the first '='. The key must not be empty; the
// value may be empty or contain '='.
func parseKV(flag, s string) (key, value string, err error) {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return "", "", usageErrorf("%s %q: expected key=value", flag, s)
	}
	return k, v, nil
}

// table is a small column aligner for command output. Cells are separated
// by two spaces; the zero value is not usable, build it with newTable.
type table struct {
	w    io.Writer
	rows [][]string
}

func newTable(w io.Writer, header ...string) *table {
	t := &table{w: w}
	if len(header) > 0 {
		t.rows = append(t.rows, header)
	}
	return t
}

// row adds one row; values are formatted with %v.
func (t *table) row(cells ...any) {
	r := make([]string, len(cells))
	for i, c := range cells {
		r[i] = fmt.Sprint(c)
	}
	t.rows = append(t.rows, r)
}

// flush writes all rows, aligning columns, and returns the first write error.
func (t *table) flush() error {
	var widths []int
	for _, r := range t.rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], len(c))
		}
	}
	var b strings.Builder
	for _, r := range t.rows {
		for i, c := range r {
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-len(c)+2))
			}
		}
		b.WriteByte('\n')
	}
	t.rows = nil
	_, err := io.WriteString(t.w, b.String())
	return err
}

// section writes a titled block header like "PARTITIONS\n==========\n".
func section(w io.Writer, title string) error {
	_, err := fmt.Fprintf(w, "%s\n%s\n", title, strings.Repeat("=", len(title)))
	return err
}

// int32List renders replica lists as "[1 2 3]".
func int32List(xs []int32) string {
	return fmt.Sprint(xs)
}

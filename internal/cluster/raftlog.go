package cluster

import (
	"context"
	"errors"
	"io"
	"log"
	"log/slog"
	"net"
	"strings"

	"github.com/hashicorp/go-hclog"
)

// hclogAdapter sends hashicorp/raft's hclog output to slog. Raft logs every
// state transition at INFO; the node logs its own transitions (controller
// changes) with Gregor's keys, so raft's INFO and below become slog DEBUG,
// keeping a healthy node quiet at info level. Raft's WARN and ERROR stay,
// except a few warnings that are routine in a healthy cluster (benignWarnings).
type hclogAdapter struct {
	l       *slog.Logger
	name    string
	implied []any
}

// benignWarnings are raft WARN messages that happen on every normal start or
// failover and are reported by the node itself.
var benignWarnings = []string{
	"heartbeat timeout reached, starting election",
	"Election timeout reached, restarting election",
	"skipping application of old log",
}

func newHCLogger(l *slog.Logger) hclog.Logger { return &hclogAdapter{l: l} }

func (a *hclogAdapter) level(level hclog.Level, msg string) slog.Level {
	switch {
	case level >= hclog.Error:
		return slog.LevelError
	case level == hclog.Warn:
		for _, b := range benignWarnings {
			if strings.HasPrefix(msg, b) {
				return slog.LevelDebug
			}
		}
		return slog.LevelWarn
	default:
		return slog.LevelDebug
	}
}

func (a *hclogAdapter) Log(level hclog.Level, msg string, args ...any) {
	if level == hclog.Off {
		return
	}
	lv := a.level(level, msg)
	if lv > slog.LevelDebug && closedConnError(args) {
		// Our own socket, closed by Close: routine during shutdown.
		lv = slog.LevelDebug
	}
	ctx := context.Background()
	if !a.l.Enabled(ctx, lv) {
		return
	}
	if len(a.implied) > 0 {
		args = append(append([]any(nil), a.implied...), args...)
	}
	a.l.Log(ctx, lv, msg, args...)
}

// closedConnError reports whether an error among the args is net.ErrClosed,
// which only our own Close of a socket produces (a peer's close reads as EOF
// or a reset).
func closedConnError(args []any) bool {
	for _, v := range args {
		if err, ok := v.(error); ok && errors.Is(err, net.ErrClosed) {
			return true
		}
	}
	return false
}

func (a *hclogAdapter) Trace(msg string, args ...any) { a.Log(hclog.Trace, msg, args...) }
func (a *hclogAdapter) Debug(msg string, args ...any) { a.Log(hclog.Debug, msg, args...) }
func (a *hclogAdapter) Info(msg string, args ...any)  { a.Log(hclog.Info, msg, args...) }
func (a *hclogAdapter) Warn(msg string, args ...any)  { a.Log(hclog.Warn, msg, args...) }
func (a *hclogAdapter) Error(msg string, args ...any) { a.Log(hclog.Error, msg, args...) }

func (a *hclogAdapter) enabled(l slog.Level) bool { return a.l.Enabled(context.Background(), l) }
func (a *hclogAdapter) IsTrace() bool             { return a.enabled(slog.LevelDebug) }
func (a *hclogAdapter) IsDebug() bool             { return a.enabled(slog.LevelDebug) }
func (a *hclogAdapter) IsInfo() bool              { return a.enabled(slog.LevelDebug) }
func (a *hclogAdapter) IsWarn() bool              { return a.enabled(slog.LevelWarn) }
func (a *hclogAdapter) IsError() bool             { return a.enabled(slog.LevelError) }
func (a *hclogAdapter) ImpliedArgs() []any        { return a.implied }

func (a *hclogAdapter) With(args ...any) hclog.Logger {
	c := *a
	c.implied = append(append([]any(nil), a.implied...), args...)
	return &c
}

func (a *hclogAdapter) Name() string { return a.name }

func (a *hclogAdapter) Named(name string) hclog.Logger {
	if a.name != "" {
		name = a.name + "." + name
	}
	return a.ResetNamed(name)
}

func (a *hclogAdapter) ResetNamed(name string) hclog.Logger {
	c := *a
	c.name = name
	c.l = a.l.With("raft-component", name)
	return &c
}

// SetLevel is a no-op: the slog handler decides what is shown.
func (a *hclogAdapter) SetLevel(hclog.Level) {}

func (a *hclogAdapter) GetLevel() hclog.Level {
	switch {
	case a.enabled(slog.LevelDebug):
		return hclog.Debug
	case a.enabled(slog.LevelWarn):
		return hclog.Warn
	default:
		return hclog.Error
	}
}

func (a *hclogAdapter) StandardLogger(opts *hclog.StandardLoggerOptions) *log.Logger {
	return log.New(a.StandardWriter(opts), "", 0)
}

func (a *hclogAdapter) StandardWriter(opts *hclog.StandardLoggerOptions) io.Writer {
	lv := hclog.Info
	if opts != nil && opts.ForceLevel != hclog.NoLevel {
		lv = opts.ForceLevel
	}
	return &stdWriter{a: a, level: lv}
}

type stdWriter struct {
	a     *hclogAdapter
	level hclog.Level
}

func (w *stdWriter) Write(p []byte) (int, error) {
	w.a.Log(w.level, strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

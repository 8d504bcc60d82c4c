package config

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error this package returns for bad configuration
// matches exactly one of them with errors.Is; handlers map them to Kafka's
// INVALID_CONFIG (40) or INVALID_REQUEST (42) at the protocol edge.
var (
	// ErrUnknownConfig: the name is not a configuration this resource has.
	ErrUnknownConfig = errors.New("config: unknown config")
	// ErrInvalidConfig: the name is known but the value is not acceptable.
	ErrInvalidConfig = errors.New("config: invalid value")
	// ErrReadOnlyConfig: the broker config exists but cannot change at runtime.
	ErrReadOnlyConfig = errors.New("config: not dynamically updatable")
	// ErrSyntax: a properties file could not be parsed.
	ErrSyntax = errors.New("config: syntax error")
)

// ValueError reports a value that is not acceptable for a config. Its text
// names the value and what was expected, for example
// `invalid value "abc" for retention.ms: must be a long >= -1`.
// It matches ErrInvalidConfig.
type ValueError struct {
	Name   string // config name
	Value  string // the value as given
	Reason string // what was expected
}

func (e *ValueError) Error() string {
	return fmt.Sprintf("invalid value %q for %s: %s", e.Value, e.Name, e.Reason)
}

// Is reports whether target is ErrInvalidConfig.
func (e *ValueError) Is(target error) bool { return target == ErrInvalidConfig }

// UnknownError reports a config name that does not exist for the resource.
// It matches ErrUnknownConfig.
type UnknownError struct {
	Name     string
	Resource string // "topic" or "broker"
}

func (e *UnknownError) Error() string {
	return fmt.Sprintf("unknown %s config %q", e.Resource, e.Name)
}

// Is reports whether target is ErrUnknownConfig.
func (e *UnknownError) Is(target error) bool { return target == ErrUnknownConfig }

// ReadOnlyError reports an attempt to change a broker config at runtime that
// can only be set in the static configuration. It matches ErrReadOnlyConfig.
type ReadOnlyError struct {
	Name string
}

func (e *ReadOnlyError) Error() string {
	return fmt.Sprintf("broker config %s cannot be updated dynamically: set it in the static configuration and restart", e.Name)
}

// Is reports whether target is ErrReadOnlyConfig.
func (e *ReadOnlyError) Is(target error) bool { return target == ErrReadOnlyConfig }

// SyntaxError reports a malformed line in a properties file. It matches
// ErrSyntax.
type SyntaxError struct {
	Path string // file name, "" when parsed from a reader
	Line int    // 1-based line where the logical line starts
	Msg  string
}

func (e *SyntaxError) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg)
}

// Is reports whether target is ErrSyntax.
func (e *SyntaxError) Is(target error) bool { return target == ErrSyntax }

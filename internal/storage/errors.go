package storage

import (
	"errors"
	"fmt"
	"syscall"
)

// Sentinel errors. Match them with errors.Is; details are wrapped with %w.
var (
	// ErrOffsetOutOfRange: the offset is below the log start offset or above
	// the log end offset.
	ErrOffsetOutOfRange = errors.New("storage: offset out of range")
	// ErrCorrupt is the class of every corruption: bad batch length, magic or
	// CRC, an unreadable index or checkpoint. errors.Is(err, ErrCorrupt) holds
	// for all of them; the wrapped message says what and where.
	ErrCorrupt = errors.New("storage: corrupt")
	// ErrInvalidRecord: a well-formed batch that a producer may not send
	// (baseOffset != 0, record count mismatch, control batch).
	ErrInvalidRecord = errors.New("storage: invalid record")
	// ErrMessageTooLarge: the batch is larger than max.message.bytes.
	ErrMessageTooLarge = errors.New("storage: message too large")
	// ErrRecordListTooLarge: the batch is larger than segment.bytes.
	ErrRecordListTooLarge = errors.New("storage: record list too large")
	// ErrOffsetMismatch: a follower append does not start at the log end offset.
	ErrOffsetMismatch = errors.New("storage: offset mismatch")
	// ErrClosed: the log or directory was closed (or deleted).
	ErrClosed = errors.New("storage: closed")
	// ErrDiskFull: the file system reported ENOSPC (or EDQUOT).
	ErrDiskFull = errors.New("storage: disk full")
	// ErrReadOnly: the file system reported EROFS, EACCES or EPERM.
	ErrReadOnly = errors.New("storage: read-only file system")
)

// corruptf returns an error in the ErrCorrupt class.
func corruptf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}

// ioErr classifies an I/O error: ENOSPC becomes ErrDiskFull, EROFS/EACCES
// ErrReadOnly, both still wrapping the original error. Other errors are
// returned wrapped with op for context.
func ioErr(op string, err error) error {
	if err == nil {
		return nil
	}
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return fmt.Errorf("%w: %s: %w", ErrDiskFull, op, err)
	case errors.Is(err, syscall.EROFS), errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return fmt.Errorf("%w: %s: %w", ErrReadOnly, op, err)
	}
	return fmt.Errorf("storage: %s: %w", op, err)
}

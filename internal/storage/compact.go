package storage

import "context"

// Cleaner compacts logs whose cleanup.policy includes compact.
type Cleaner struct {
	opts Options
}

// NewCleaner returns a cleaner using opts' I/O rate limit.
func NewCleaner(opts Options) *Cleaner { return &Cleaner{opts: opts.withDefaults()} }

// Clean compacts l if it is due (or force). It reports whether it cleaned.
func (c *Cleaner) Clean(ctx context.Context, l *Log, force bool) (bool, error) {
	return false, nil
}

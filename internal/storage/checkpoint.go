package storage

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gregor-streaming/gregor/internal/vfs"
)

// Partition checkpoint (partition.checkpoint), part of the on-disk format.
// Text, one value per line, written atomically (write .tmp, fsync, rename,
// fsync dir):
//
//	0                  format version
//	<logStartOffset>   first readable offset; only moves forward
//	<recoveryPoint>    every batch below it was fsynced before this file was written
//	<clean>            1 = written by a clean close: recoveryPoint is the log end
//	                   offset and the index files are complete; 0 otherwise
//
// Kafka keeps log-start-offset-checkpoint, recovery-point-offset-checkpoint and
// .kafka_cleanshutdown per data directory; Gregor keeps the same facts per
// partition so that a partition can be opened alone. A log rewrites the file
// with clean=0 before its first change after opening.
//
// Format recipe: version 0 is the only version. A later version must keep
// line 1 as the version number and be readable by Open after upgrading.
const partitionCheckpointFile = "partition.checkpoint"

type partitionCheckpoint struct {
	logStart      int64
	recoveryPoint int64
	clean         bool
}

func (c partitionCheckpoint) encode() []byte {
	clean := 0
	if c.clean {
		clean = 1
	}
	return fmt.Appendf(nil, "0\n%d\n%d\n%d\n", c.logStart, c.recoveryPoint, clean)
}

func readLines(fsys vfs.FS, path string) ([]string, error) {
	b, err := vfs.ReadFile(fsys, path)
	if err != nil {
		return nil, err
	}
	if len(b) == 0 || b[len(b)-1] != '\n' {
		return nil, corruptf("%s: truncated", path)
	}
	return strings.Split(string(bytes.TrimSuffix(b, []byte("\n"))), "\n"), nil
}

func readPartitionCheckpoint(fsys vfs.FS, dir string) (partitionCheckpoint, error) {
	path := filepath.Join(dir, partitionCheckpointFile)
	lines, err := readLines(fsys, path)
	if err != nil {
		return partitionCheckpoint{}, err
	}
	if len(lines) != 4 || lines[0] != "0" {
		return partitionCheckpoint{}, corruptf("%s: want 4 lines of version 0, got %q", path, lines)
	}
	var v [3]int64
	for i := range v {
		v[i], err = strconv.ParseInt(lines[i+1], 10, 64)
		if err != nil || v[i] < 0 {
			return partitionCheckpoint{}, corruptf("%s: line %d: %q", path, i+2, lines[i+1])
		}
	}
	if v[2] > 1 || v[1] < v[0] && v[2] == 1 {
		return partitionCheckpoint{}, corruptf("%s: inconsistent values %v", path, v)
	}
	return partitionCheckpoint{logStart: v[0], recoveryPoint: v[1], clean: v[2] == 1}, nil
}

// Leader-epoch checkpoint (leader-epoch-checkpoint), part of the on-disk
// format, Kafka's layout. Text, written atomically like the partition
// checkpoint:
//
//	0                          format version
//	<n>                        number of entries
//	<epoch> <startOffset>      n lines, both strictly increasing
const epochCheckpointFile = "leader-epoch-checkpoint"

type epochEntry struct {
	epoch int32
	start int64
}

func encodeEpochs(es []epochEntry) []byte {
	b := fmt.Appendf(nil, "0\n%d\n", len(es))
	for _, e := range es {
		b = fmt.Appendf(b, "%d %d\n", e.epoch, e.start)
	}
	return b
}

func readEpochCheckpoint(fsys vfs.FS, dir string) ([]epochEntry, error) {
	path := filepath.Join(dir, epochCheckpointFile)
	lines, err := readLines(fsys, path)
	if err != nil {
		return nil, err
	}
	if len(lines) < 2 || lines[0] != "0" {
		return nil, corruptf("%s: bad header %q", path, lines)
	}
	n, err := strconv.Atoi(lines[1])
	if err != nil || n != len(lines)-2 {
		return nil, corruptf("%s: count %q for %d entries", path, lines[1], len(lines)-2)
	}
	es := make([]epochEntry, 0, n)
	for i, ln := range lines[2:] {
		f := strings.Fields(ln)
		if len(f) != 2 {
			return nil, corruptf("%s: entry %d: %q", path, i, ln)
		}
		ep, err1 := strconv.ParseInt(f[0], 10, 32)
		off, err2 := strconv.ParseInt(f[1], 10, 64)
		if err1 != nil || err2 != nil || ep < 0 || off < 0 {
			return nil, corruptf("%s: entry %d: %q", path, i, ln)
		}
		e := epochEntry{epoch: int32(ep), start: off}
		if len(es) > 0 && (e.epoch <= es[len(es)-1].epoch || e.start < es[len(es)-1].start) {
			return nil, corruptf("%s: entry %d not increasing: %q", path, i, ln)
		}
		es = append(es, e)
	}
	return es, nil
}

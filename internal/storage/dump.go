package storage

import (
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/gregor-streaming/gregor/internal/vfs"
)

// DumpSegment prints every batch of a .log segment file, one line each:
// offset range, record count, size, timestamps, producer id/epoch/sequence,
// leader epoch, codec, flags and whether the CRC matches. Damage (a torn tail,
// a bad header) is printed as a final line and returned as an ErrCorrupt-class
// error after everything readable was printed. It is wired to
// `gregor debug segment FILE`; .index and .timeindex files are printed entry
// by entry.
func DumpSegment(w io.Writer, path string) error {
	return dumpSegment(w, vfs.Default, path)
}

func dumpSegment(w io.Writer, fsys vfs.FS, path string) error {
	switch filepath.Ext(path) {
	case indexSuffix, timeIndexSuffix:
		return dumpIndex(w, fsys, path)
	}
	f, err := fsys.OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		return ioErr("open", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return ioErr("stat", err)
	}
	fmt.Fprintf(w, "segment %s: %d bytes\n", path, st.Size())
	sc := newScanner(f, 0, st.Size(), false)
	var n, records int64
	for {
		h, pos, _, err := sc.next()
		if err == errScanEnd {
			break
		}
		if err != nil {
			fmt.Fprintf(w, "position=%d: %v\n", pos, err)
			return err
		}
		crcOK := "ok"
		if b, rerr := sc.ensure(pos, int(h.Size())); rerr != nil {
			crcOK = "unreadable"
		} else if crc32.Checksum(b[offAttributes:], crcTable) != h.CRC {
			crcOK = "MISMATCH"
		}
		flags := ""
		if h.IsTransactional() {
			flags += " transactional"
		}
		if h.IsControl() {
			flags += " control"
		}
		if h.LogAppendTime() {
			flags += " log-append-time"
		}
		fmt.Fprintf(w, "offset=%d..%d position=%d size=%d records=%d base-timestamp=%s max-timestamp=%s producer-id=%d producer-epoch=%d base-sequence=%d leader-epoch=%d codec=%s%s crc=%s\n",
			h.BaseOffset, h.LastOffset(), pos, h.Size(), h.NumRecords, fmtTs(h.BaseTimestamp), fmtTs(h.MaxTimestamp),
			h.ProducerID, h.ProducerEpoch, h.BaseSequence, h.PartitionLeaderEpoch, h.Codec(), flags, crcOK)
		n++
		records += int64(h.NumRecords)
	}
	fmt.Fprintf(w, "%d batches, %d records\n", n, records)
	return nil
}

func fmtTs(ms int64) string {
	if ms < 0 {
		return fmt.Sprint(ms)
	}
	return fmt.Sprintf("%d(%s)", ms, time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z"))
}

func dumpIndex(w io.Writer, fsys vfs.FS, path string) error {
	b, err := vfs.ReadFile(fsys, path)
	if err != nil {
		return ioErr("read", err)
	}
	base, _ := parseSegmentName(filepath.Base(path), filepath.Ext(path))
	if filepath.Ext(path) == indexSuffix {
		x, err := decodeOffsetIndex(b, 1<<31-1, 1<<31)
		fmt.Fprintf(w, "offset index %s: %d entries\n", path, len(b)/indexEntrySize)
		for _, e := range x {
			fmt.Fprintf(w, "offset=%d position=%d\n", base+int64(e.rel), e.pos)
		}
		if err != nil {
			fmt.Fprintf(w, "%v\n", err)
		}
		return err
	}
	x, err := decodeTimeIndex(b, 1<<31)
	fmt.Fprintf(w, "time index %s: %d entries\n", path, len(b)/timeIndexEntrySize)
	for _, e := range x {
		fmt.Fprintf(w, "timestamp=%s offset=%d\n", fmtTs(e.ts), base+int64(e.rel))
	}
	if err != nil {
		fmt.Fprintf(w, "%v\n", err)
	}
	return err
}

// DumpLog prints a partition directory: its checkpoints, then every segment
// (DumpSegment). It is wired to `gregor debug log DIR`. Errors of single
// segments are printed and the walk goes on; they are returned joined.
func DumpLog(w io.Writer, dir string) error {
	return dumpLog(w, vfs.Default, dir)
}

func dumpLog(w io.Writer, fsys vfs.FS, dir string) error {
	ents, err := fsys.ReadDir(dir)
	if err != nil {
		return ioErr("read dir", err)
	}
	fmt.Fprintf(w, "log %s\n", dir)
	if c, err := readPartitionCheckpoint(fsys, dir); err == nil {
		fmt.Fprintf(w, "%s: log-start-offset=%d recovery-point=%d clean-shutdown=%v\n", partitionCheckpointFile, c.logStart, c.recoveryPoint, c.clean)
	} else {
		fmt.Fprintf(w, "%s: %v\n", partitionCheckpointFile, err)
	}
	if es, err := readEpochCheckpoint(fsys, dir); err == nil {
		fmt.Fprintf(w, "%s:", epochCheckpointFile)
		for _, e := range es {
			fmt.Fprintf(w, " epoch=%d@%d", e.epoch, e.start)
		}
		fmt.Fprintln(w)
	} else {
		fmt.Fprintf(w, "%s: %v\n", epochCheckpointFile, err)
	}
	var names []string
	for _, e := range ents {
		if _, ok := parseSegmentName(e.Name(), logSuffix); ok {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	var errs []error
	for _, n := range names {
		if err := dumpSegment(w, fsys, filepath.Join(dir, n)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

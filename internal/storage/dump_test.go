package storage

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gregor-streaming/gregor/internal/vfs"
)

func TestDump(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "t-0")
	cfg := testCfg()
	cfg.IndexIntervalBytes = 10
	l := openT(t, vfs.Default, dir, cfg, nil)
	mustAppend(t, l, mkValues(t, 3, 10, 1700000000000))
	mustAppend(t, l, mkBatch(t, CodecZstd, 1700000000000, kv{key: []byte("a"), value: []byte("b")}))
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := DumpLog(&b, dir); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"offset=0..2", "offset=3..3", "codec=zstd", "crc=ok", "records=3", "2 batches, 4 records", "clean-shutdown=true", "epoch=0@0"} {
		if !strings.Contains(out, want) {
			t.Errorf("dump lacks %q:\n%s", want, out)
		}
	}
	b.Reset()
	if err := DumpSegment(&b, filepath.Join(dir, segmentName(0)+indexSuffix)); err != nil || !strings.Contains(b.String(), "offset=3 position=") {
		t.Errorf("index dump: %v\n%s", err, b.String())
	}
	// A torn tail is printed and reported as corruption.
	seg := filepath.Join(dir, segmentName(0)+logSuffix)
	f, _ := os.OpenFile(seg, os.O_WRONLY|os.O_APPEND, 0)
	f.Write([]byte{0, 0, 0, 0, 0, 0, 0, 4, 0, 0})
	f.Close()
	b.Reset()
	if err := DumpSegment(&b, seg); !errors.Is(err, ErrCorrupt) || !strings.Contains(b.String(), "trailing bytes") {
		t.Errorf("torn dump: %v\n%s", err, b.String())
	}
	t.Log(b.String())
}

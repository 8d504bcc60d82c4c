package vfs

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestFSContract runs one body over every implementation.
func TestFSContract(t *testing.T) {
	for _, tc := range []struct {
		name string
		fs   func(t *testing.T) (FS, string)
	}{
		{"os", func(t *testing.T) (FS, string) { return Default, t.TempDir() }},
		{"mem", func(t *testing.T) (FS, string) { return NewMem(), "/data" }},
		{"errorfs-mem", func(t *testing.T) (FS, string) { return NewErrorFS(NewMem(), nil), "/data" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys, root := tc.fs(t)
			dir := filepath.Join(root, "a", "b")
			if err := fsys.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			name := filepath.Join(dir, "f")
			f, err := Create(fsys, name)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.Write([]byte("hello ")); err != nil {
				t.Fatal(err)
			}
			if _, err := f.WriteAt([]byte("world"), 6); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 20)
			n, err := f.ReadAt(buf, 0)
			if err != io.EOF || string(buf[:n]) != "hello world" {
				t.Fatalf("ReadAt = %q, %v", buf[:n], err)
			}
			if err := f.Truncate(5); err != nil {
				t.Fatal(err)
			}
			if st, err := f.Stat(); err != nil || st.Size() != 5 {
				t.Fatalf("Stat = %v, %v", st, err)
			}
			if err := f.Sync(); err != nil {
				t.Fatal(err)
			}
			if err := fsys.Rename(name, name+"2"); err != nil {
				t.Fatal(err)
			}
			// the handle survives the rename
			if n, _ := f.ReadAt(buf[:5], 0); n != 5 || string(buf[:5]) != "hello" {
				t.Fatalf("after rename: %q", buf[:n])
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := f.ReadAt(buf, 0); err == nil {
				t.Fatal("read after close succeeded")
			}
			if _, err := fsys.Stat(name); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("stat of renamed: %v", err)
			}
			ents, err := fsys.ReadDir(dir)
			if err != nil || len(ents) != 1 || ents[0].Name() != "f2" {
				t.Fatalf("ReadDir = %v, %v", ents, err)
			}
			if _, err := fsys.OpenFile(filepath.Join(dir, "missing"), os.O_RDONLY, 0); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("open missing: %v", err)
			}
			if err := WriteFileAtomic(fsys, filepath.Join(dir, "cp"), []byte("x y")); err != nil {
				t.Fatal(err)
			}
			if b, err := ReadFile(fsys, filepath.Join(dir, "cp")); err != nil || string(b) != "x y" {
				t.Fatalf("ReadFile = %q, %v", b, err)
			}
			if err := fsys.SyncDir(dir); err != nil {
				t.Fatal(err)
			}
			if err := fsys.RemoveAll(filepath.Join(root, "a")); err != nil {
				t.Fatal(err)
			}
			if _, err := fsys.Stat(dir); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("after RemoveAll: %v", err)
			}
		})
	}
}

func TestOSFileHasFd(t *testing.T) {
	f, err := Create(Default, filepath.Join(t.TempDir(), "x"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, ok := f.(interface{ Fd() uintptr }); !ok {
		t.Fatal("OS file does not expose Fd")
	}
}

func TestMemCrashKeepsOnlySynced(t *testing.T) {
	m := NewMem()
	if err := m.MkdirAll("/d", 0o755); err != nil {
		t.Fatal(err)
	}
	f, _ := Create(m, "/d/synced")
	f.Write([]byte("durable"))
	f.Sync()
	f.Write([]byte("-lost"))
	g, _ := Create(m, "/d/nodirsync")
	g.Write([]byte("x"))
	g.Sync()

	// Entries are not durable before SyncDir of their parents.
	c := m.Crash(nil)
	if _, err := c.Stat("/d"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("dir survived without SyncDir: %v", err)
	}
	m.SyncDir("/")
	m.SyncDir("/d")
	m.Remove("/d/nodirsync") // not durable yet
	c = m.Crash(nil)
	b, err := ReadFile(c, "/d/synced")
	if err != nil || string(b) != "durable" {
		t.Fatalf("after crash = %q, %v", b, err)
	}
	if _, err := c.Stat("/d/nodirsync"); err != nil {
		t.Fatalf("unsynced remove took effect: %v", err)
	}
	// Torn tails: a prefix of the unsynced bytes, sometimes with garbage.
	sawTorn := false
	for i := range 200 {
		c := m.Crash(rand.New(rand.NewPCG(uint64(i), 1)))
		b, _ := ReadFile(c, "/d/synced")
		if !bytes.HasPrefix(b, []byte("durable")) || len(b) > len("durable-lost") {
			t.Fatalf("torn content %q", b)
		}
		if len(b) > len("durable") {
			sawTorn = true
		}
	}
	if !sawTorn {
		t.Fatal("never saw a torn tail")
	}
	// In-place overwrite of synced bytes: only the synced content survives.
	f.WriteAt([]byte("D"), 0)
	c = m.Crash(rand.New(rand.NewPCG(1, 2)))
	if b, _ := ReadFile(c, "/d/synced"); string(b) != "durable" {
		t.Fatalf("overwrite survived: %q", b)
	}
	f.Sync()
	c = m.Crash(nil)
	if b, _ := ReadFile(c, "/d/synced"); string(b) != "Durable-lost" {
		t.Fatalf("synced overwrite lost: %q", b)
	}
}

func TestErrorFSInjects(t *testing.T) {
	e := NewErrorFS(NewMem(), nil)
	e.MkdirAll("/d", 0o755)
	f, err := Create(e, "/d/x")
	if err != nil {
		t.Fatal(err)
	}
	e.SetInjector(func(op Op, path string) error {
		if op == OpWrite && strings.HasSuffix(path, "/x") {
			return syscall.ENOSPC
		}
		return nil
	})
	if _, err := f.Write([]byte("a")); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("write: %v", err)
	}
	if err := f.Sync(); err != nil {
		t.Fatalf("sync should pass: %v", err)
	}
	e.SetInjector(nil)
	if _, err := f.Write([]byte("a")); err != nil {
		t.Fatal(err)
	}
}

package vfs

import (
	"io/fs"
	"os"
	"sync/atomic"
)

// Op names a file-system operation for error injection.
type Op uint8

// Operations that ErrorFS can fail.
const (
	OpOpen Op = iota
	OpRead
	OpWrite
	OpSync
	OpTruncate
	OpClose
	OpStat
	OpMkdir
	OpRemove
	OpRename
	OpReadDir
	OpSyncDir
)

var opNames = [...]string{"open", "read", "write", "sync", "truncate", "close", "stat", "mkdir", "remove", "rename", "readdir", "syncdir"}

func (o Op) String() string {
	if int(o) < len(opNames) {
		return opNames[o]
	}
	return "op?"
}

// Injector decides whether an operation fails: it returns nil to let it
// proceed, or the error to return (for example syscall.ENOSPC). It is called
// concurrently and must be safe for that.
type Injector func(op Op, path string) error

// ErrorFS wraps an FS and fails operations chosen by its Injector. The
// injector can be swapped at any time with SetInjector (nil = no faults).
// Injected errors are returned wrapped in *os.PathError, as the OS does.
type ErrorFS struct {
	fs  FS
	inj atomic.Pointer[Injector]
}

// NewErrorFS wraps fsys. inj may be nil.
func NewErrorFS(fsys FS, inj Injector) *ErrorFS {
	e := &ErrorFS{fs: fsys}
	e.SetInjector(inj)
	return e
}

// SetInjector replaces the injector; nil disables injection.
func (e *ErrorFS) SetInjector(inj Injector) {
	if inj == nil {
		e.inj.Store(nil)
		return
	}
	e.inj.Store(&inj)
}

func (e *ErrorFS) maybe(op Op, path string) error {
	p := e.inj.Load()
	if p == nil {
		return nil
	}
	if err := (*p)(op, path); err != nil {
		return &os.PathError{Op: op.String(), Path: path, Err: err}
	}
	return nil
}

func (e *ErrorFS) OpenFile(name string, flag int, perm os.FileMode) (File, error) {
	if err := e.maybe(OpOpen, name); err != nil {
		return nil, err
	}
	f, err := e.fs.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &errFile{File: f, e: e}, nil
}

func (e *ErrorFS) MkdirAll(dir string, perm os.FileMode) error {
	if err := e.maybe(OpMkdir, dir); err != nil {
		return err
	}
	return e.fs.MkdirAll(dir, perm)
}

func (e *ErrorFS) Remove(name string) error {
	if err := e.maybe(OpRemove, name); err != nil {
		return err
	}
	return e.fs.Remove(name)
}

func (e *ErrorFS) RemoveAll(name string) error {
	if err := e.maybe(OpRemove, name); err != nil {
		return err
	}
	return e.fs.RemoveAll(name)
}

func (e *ErrorFS) Rename(o, n string) error {
	if err := e.maybe(OpRename, n); err != nil {
		return err
	}
	return e.fs.Rename(o, n)
}

func (e *ErrorFS) ReadDir(dir string) ([]fs.DirEntry, error) {
	if err := e.maybe(OpReadDir, dir); err != nil {
		return nil, err
	}
	return e.fs.ReadDir(dir)
}

func (e *ErrorFS) Stat(name string) (os.FileInfo, error) {
	if err := e.maybe(OpStat, name); err != nil {
		return nil, err
	}
	return e.fs.Stat(name)
}

func (e *ErrorFS) SyncDir(dir string) error {
	if err := e.maybe(OpSyncDir, dir); err != nil {
		return err
	}
	return e.fs.SyncDir(dir)
}

type errFile struct {
	File
	e *ErrorFS
}

func (f *errFile) Read(p []byte) (int, error) {
	if err := f.e.maybe(OpRead, f.Name()); err != nil {
		return 0, err
	}
	return f.File.Read(p)
}

func (f *errFile) ReadAt(p []byte, off int64) (int, error) {
	if err := f.e.maybe(OpRead, f.Name()); err != nil {
		return 0, err
	}
	return f.File.ReadAt(p, off)
}

func (f *errFile) Write(p []byte) (int, error) {
	if err := f.e.maybe(OpWrite, f.Name()); err != nil {
		return 0, err
	}
	return f.File.Write(p)
}

func (f *errFile) WriteAt(p []byte, off int64) (int, error) {
	if err := f.e.maybe(OpWrite, f.Name()); err != nil {
		return 0, err
	}
	return f.File.WriteAt(p, off)
}

func (f *errFile) Sync() error {
	if err := f.e.maybe(OpSync, f.Name()); err != nil {
		return err
	}
	return f.File.Sync()
}

func (f *errFile) Truncate(size int64) error {
	if err := f.e.maybe(OpTruncate, f.Name()); err != nil {
		return err
	}
	return f.File.Truncate(size)
}

func (f *errFile) Close() error {
	if err := f.e.maybe(OpClose, f.Name()); err != nil {
		f.File.Close()
		return err
	}
	return f.File.Close()
}

func (f *errFile) Stat() (os.FileInfo, error) {
	if err := f.e.maybe(OpStat, f.Name()); err != nil {
		return nil, err
	}
	return f.File.Stat()
}

// Package vfs is the small file-system interface that internal/storage reads
// and writes through.
//
// Three implementations exist:
//
//   - Default (OS): the real file system. Its files also expose Fd() uintptr so
//     that the server can sendfile(2) from them with an explicit offset.
//   - MemFS: an in-memory file system that can simulate a crash (Crash keeps only
//     synced file bytes, plus an optional random torn tail of unsynced bytes, and
//     only directory entries made durable with SyncDir).
//   - ErrorFS: wraps another FS and injects errors (ENOSPC, EROFS, EIO, ...) on
//     chosen operations and paths.
//
// Contract shared by all implementations: a File may be used by several
// goroutines at once for ReadAt and WriteAt (as with *os.File); Read/Write use
// a shared file offset and need external serialisation. Errors wrap the
// underlying syscall errno where there is one (errors.Is(err, syscall.ENOSPC)),
// and *os.PathError is used for path operations, as in package os.
package vfs

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// File is an open file. See the package doc for the concurrency contract.
type File interface {
	io.Reader
	io.ReaderAt
	io.Writer
	io.WriterAt
	io.Closer
	// Sync makes the file's contents durable (fsync).
	Sync() error
	// Truncate changes the file's size.
	Truncate(size int64) error
	Stat() (os.FileInfo, error)
	// Name is the name the file was opened with.
	Name() string
}

// FS is a file system. Paths use the OS separator and may be absolute or
// relative; implementations do not interpret them beyond filepath.Clean.
type FS interface {
	// OpenFile opens a file with the os.O_* flags of package os.
	OpenFile(name string, flag int, perm os.FileMode) (File, error)
	MkdirAll(dir string, perm os.FileMode) error
	Remove(name string) error
	RemoveAll(name string) error
	// Rename atomically replaces newname with oldname. It is durable only
	// after SyncDir of the directories involved.
	Rename(oldname, newname string) error
	// ReadDir lists a directory sorted by name.
	ReadDir(dir string) ([]fs.DirEntry, error)
	Stat(name string) (os.FileInfo, error)
	// SyncDir makes the creation, removal and renaming of entries in dir
	// durable (fsync of the directory).
	SyncDir(dir string) error
}

// Default is the OS file system.
var Default FS = osFS{}

// OS returns the OS file system.
func OS() FS { return osFS{} }

type osFS struct{}

// OSFile is the File returned by the OS file system. It is an *os.File, so
// Fd() is available for sendfile(2).
type OSFile = *os.File

func (osFS) OpenFile(name string, flag int, perm os.FileMode) (File, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return f, nil
}

func (osFS) MkdirAll(dir string, perm os.FileMode) error { return os.MkdirAll(dir, perm) }
func (osFS) Remove(name string) error                    { return os.Remove(name) }
func (osFS) RemoveAll(name string) error                 { return os.RemoveAll(name) }
func (osFS) Rename(o, n string) error                    { return os.Rename(o, n) }
func (osFS) ReadDir(dir string) ([]fs.DirEntry, error)   { return os.ReadDir(dir) }
func (osFS) Stat(name string) (os.FileInfo, error)       { return os.Stat(name) }

func (osFS) SyncDir(dir string) error {
	d, err := os.Open(filepath.Clean(dir))
	if err != nil {
		return err
	}
	serr := d.Sync()
	cerr := d.Close()
	if serr != nil {
		return serr
	}
	return cerr
}

// Create is a helper: OpenFile(name, O_RDWR|O_CREATE|O_TRUNC, 0o644).
func Create(fsys FS, name string) (File, error) {
	return fsys.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
}

// ReadFile reads a whole file.
func ReadFile(fsys FS, name string) ([]byte, error) {
	f, err := fsys.OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	buf := make([]byte, st.Size())
	n, err := f.ReadAt(buf, 0)
	if err == io.EOF && int64(n) == st.Size() {
		err = nil
	}
	return buf[:n], err
}

// WriteFileAtomic writes data to name durably and atomically: it writes
// name+".tmp", syncs it, renames it over name and syncs the directory. After a
// crash, name holds either the old or the new content, never a mix.
func WriteFileAtomic(fsys FS, name string, data []byte) error {
	tmp := name + ".tmp"
	f, err := Create(fsys, tmp)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := fsys.Rename(tmp, name); err != nil {
		return err
	}
	return fsys.SyncDir(filepath.Dir(name))
}

package vfs

import (
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// MemFS is an in-memory file system that can simulate a machine crash.
//
// Durability model (the strict one, as in pebble's CrashableMem):
//   - A file's bytes are durable up to its last Sync; bytes written after it
//     may or may not survive (see Crash).
//   - A directory entry (created by OpenFile with O_CREATE, MkdirAll, Rename,
//     Remove) is durable only after SyncDir of its parent directory. The root
//     ("/" and ".") always exists.
//
// MemFS is safe for concurrent use. Removing or renaming a file does not affect
// open handles to it (Unix semantics).
type MemFS struct {
	mu   sync.Mutex // guards the tree: children and durable maps of every dir
	root *memNode
}

type memNode struct {
	isDir bool

	// dirs, guarded by MemFS.mu
	children map[string]*memNode
	durable  map[string]*memNode // the entries as of the last SyncDir
	pending  map[string]*memNode // entries changed since then (nil = removed)

	// files, guarded by mu
	mu         sync.RWMutex
	data       []byte
	synced     []byte // the durable content (a private copy)
	dirtyBelow bool   // bytes below len(synced) changed since the last Sync
	modTime    time.Time
}

// NewMem returns an empty MemFS.
func NewMem() *MemFS {
	return &MemFS{root: newDir()}
}

func newDir() *memNode {
	return &memNode{isDir: true, children: map[string]*memNode{}, durable: map[string]*memNode{}, pending: map[string]*memNode{}}
}

// set and unset change a directory entry and remember it for SyncDir.
func (d *memNode) set(name string, n *memNode) {
	d.children[name] = n
	d.pending[name] = n
}

func (d *memNode) unset(name string) {
	delete(d.children, name)
	d.pending[name] = nil
}

func splitPath(name string) []string {
	name = filepath.ToSlash(filepath.Clean(name))
	name = strings.TrimPrefix(name, "/")
	if name == "." || name == "" {
		return nil
	}
	return strings.Split(name, "/")
}

// lookupLocked returns the node at the path, or nil.
func (m *MemFS) lookupLocked(parts []string) *memNode {
	n := m.root
	for _, p := range parts {
		if !n.isDir {
			return nil
		}
		n = n.children[p]
		if n == nil {
			return nil
		}
	}
	return n
}

// parentLocked returns the directory holding the last element and that element.
func (m *MemFS) parentLocked(op, name string) (*memNode, string, error) {
	parts := splitPath(name)
	if len(parts) == 0 {
		return nil, "", &os.PathError{Op: op, Path: name, Err: syscall.EINVAL}
	}
	dir := m.lookupLocked(parts[:len(parts)-1])
	if dir == nil {
		return nil, "", &os.PathError{Op: op, Path: name, Err: syscall.ENOENT}
	}
	if !dir.isDir {
		return nil, "", &os.PathError{Op: op, Path: name, Err: syscall.ENOTDIR}
	}
	return dir, parts[len(parts)-1], nil
}

// OpenFile implements FS. Supported flags: O_RDONLY, O_WRONLY, O_RDWR,
// O_CREATE, O_EXCL, O_TRUNC, O_APPEND.
func (m *MemFS) OpenFile(name string, flag int, perm os.FileMode) (File, error) {
	m.mu.Lock()
	dir, base, err := m.parentLocked("open", name)
	if err != nil {
		m.mu.Unlock()
		return nil, err
	}
	n := dir.children[base]
	if n == nil {
		if flag&os.O_CREATE == 0 {
			m.mu.Unlock()
			return nil, &os.PathError{Op: "open", Path: name, Err: syscall.ENOENT}
		}
		n = &memNode{modTime: time.Now()}
		dir.set(base, n)
	} else if flag&(os.O_CREATE|os.O_EXCL) == os.O_CREATE|os.O_EXCL {
		m.mu.Unlock()
		return nil, &os.PathError{Op: "open", Path: name, Err: syscall.EEXIST}
	}
	m.mu.Unlock()
	if n.isDir && flag&(os.O_WRONLY|os.O_RDWR) != 0 {
		return nil, &os.PathError{Op: "open", Path: name, Err: syscall.EISDIR}
	}
	if flag&os.O_TRUNC != 0 && !n.isDir {
		n.mu.Lock()
		n.truncateLocked(0)
		n.mu.Unlock()
	}
	return &memFile{node: n, name: name, flag: flag}, nil
}

// MkdirAll implements FS.
func (m *MemFS) MkdirAll(dir string, perm os.FileMode) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.root
	for _, p := range splitPath(dir) {
		c := n.children[p]
		if c == nil {
			c = newDir()
			n.set(p, c)
		} else if !c.isDir {
			return &os.PathError{Op: "mkdir", Path: dir, Err: syscall.ENOTDIR}
		}
		n = c
	}
	return nil
}

// Remove implements FS.
func (m *MemFS) Remove(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	dir, base, err := m.parentLocked("remove", name)
	if err != nil {
		return err
	}
	n := dir.children[base]
	if n == nil {
		return &os.PathError{Op: "remove", Path: name, Err: syscall.ENOENT}
	}
	if n.isDir && len(n.children) > 0 {
		return &os.PathError{Op: "remove", Path: name, Err: syscall.ENOTEMPTY}
	}
	dir.unset(base)
	return nil
}

// RemoveAll implements FS.
func (m *MemFS) RemoveAll(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	dir, base, err := m.parentLocked("removeall", name)
	if err != nil {
		if errorsIsNotExist(err) {
			return nil
		}
		return err
	}
	if _, ok := dir.children[base]; ok {
		dir.unset(base)
	}
	return nil
}

func errorsIsNotExist(err error) bool {
	pe, ok := err.(*os.PathError)
	return ok && pe.Err == syscall.ENOENT
}

// Rename implements FS.
func (m *MemFS) Rename(oldname, newname string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	od, ob, err := m.parentLocked("rename", oldname)
	if err != nil {
		return err
	}
	nd, nb, err := m.parentLocked("rename", newname)
	if err != nil {
		return err
	}
	n := od.children[ob]
	if n == nil {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: syscall.ENOENT}
	}
	if old := nd.children[nb]; old != nil && old.isDir && (!n.isDir || len(old.children) > 0) {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: syscall.EEXIST}
	}
	od.unset(ob)
	nd.set(nb, n)
	return nil
}

// ReadDir implements FS.
func (m *MemFS) ReadDir(dir string) ([]fs.DirEntry, error) {
	m.mu.Lock()
	n := m.lookupLocked(splitPath(dir))
	if n == nil {
		m.mu.Unlock()
		return nil, &os.PathError{Op: "readdir", Path: dir, Err: syscall.ENOENT}
	}
	if !n.isDir {
		m.mu.Unlock()
		return nil, &os.PathError{Op: "readdir", Path: dir, Err: syscall.ENOTDIR}
	}
	type kv struct {
		name string
		n    *memNode
	}
	kids := make([]kv, 0, len(n.children))
	for k, v := range n.children {
		kids = append(kids, kv{k, v})
	}
	m.mu.Unlock()
	slices.SortFunc(kids, func(a, b kv) int { return strings.Compare(a.name, b.name) })
	out := make([]fs.DirEntry, len(kids))
	for i, k := range kids {
		out[i] = fs.FileInfoToDirEntry(k.n.stat(k.name))
	}
	return out, nil
}

// Stat implements FS.
func (m *MemFS) Stat(name string) (os.FileInfo, error) {
	m.mu.Lock()
	n := m.lookupLocked(splitPath(name))
	m.mu.Unlock()
	if n == nil {
		return nil, &os.PathError{Op: "stat", Path: name, Err: syscall.ENOENT}
	}
	return n.stat(filepath.Base(name)), nil
}

// SyncDir implements FS: it makes the current entries of dir durable.
func (m *MemFS) SyncDir(dir string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.lookupLocked(splitPath(dir))
	if n == nil {
		return &os.PathError{Op: "syncdir", Path: dir, Err: syscall.ENOENT}
	}
	if !n.isDir {
		return &os.PathError{Op: "syncdir", Path: dir, Err: syscall.ENOTDIR}
	}
	for k, v := range n.pending {
		if v == nil {
			delete(n.durable, k)
		} else {
			n.durable[k] = v
		}
	}
	clear(n.pending)
	return nil
}

// Crash returns the file system a machine would find after losing power now.
// Only durable directory entries survive (see MemFS); each surviving file
// holds its synced bytes. If rng is not nil, a file that was only appended to
// since its last Sync also keeps a random prefix of its unsynced bytes (a torn
// tail), and with probability 1/4 one byte of that tail is garbage. m itself is
// unchanged and may still be used (handles opened on m stay bound to m).
func (m *MemFS) Crash(rng *rand.Rand) *MemFS {
	m.mu.Lock()
	defer m.mu.Unlock()
	return &MemFS{root: crashDir(m.root, rng)}
}

func crashDir(d *memNode, rng *rand.Rand) *memNode {
	out := newDir()
	names := make([]string, 0, len(d.durable))
	for k := range d.durable {
		names = append(names, k)
	}
	slices.Sort(names) // deterministic use of rng
	for _, k := range names {
		c := d.durable[k]
		var nc *memNode
		if c.isDir {
			nc = crashDir(c, rng)
		} else {
			nc = c.crashFile(rng)
		}
		out.children[k] = nc
		out.durable[k] = nc // no pending changes after a crash
	}
	return out
}

func (n *memNode) crashFile(rng *rand.Rand) *memNode {
	n.mu.RLock()
	defer n.mu.RUnlock()
	data := slices.Clone(n.synced)
	if rng != nil && !n.dirtyBelow && len(n.data) > len(n.synced) {
		unsynced := n.data[len(n.synced):]
		k := rng.IntN(len(unsynced) + 1)
		if k > 0 {
			data = append(data, unsynced[:k]...)
			if rng.IntN(4) == 0 {
				data[len(n.synced)+rng.IntN(k)] = byte(rng.Uint32())
			}
		}
	}
	return &memNode{data: data, synced: slices.Clone(data), modTime: n.modTime}
}

func (n *memNode) stat(name string) os.FileInfo {
	if n.isDir {
		return memInfo{name: name, dir: true}
	}
	n.mu.RLock()
	defer n.mu.RUnlock()
	return memInfo{name: name, size: int64(len(n.data)), mod: n.modTime}
}

func (n *memNode) truncateLocked(size int64) {
	if size < int64(len(n.synced)) {
		n.dirtyBelow = true
	}
	if size <= int64(len(n.data)) {
		n.data = n.data[:size]
		return
	}
	n.data = append(n.data, make([]byte, size-int64(len(n.data)))...)
}

func (n *memNode) writeAtLocked(p []byte, off int64) {
	end := off + int64(len(p))
	if off < int64(len(n.synced)) {
		n.dirtyBelow = true
	}
	if end > int64(len(n.data)) {
		if end > int64(cap(n.data)) {
			nd := make([]byte, len(n.data), max(end, 2*int64(cap(n.data))))
			copy(nd, n.data)
			n.data = nd
		}
		n.data = n.data[:end]
	}
	copy(n.data[off:], p)
	n.modTime = time.Now()
}

type memInfo struct {
	name string
	size int64
	dir  bool
	mod  time.Time
}

func (i memInfo) Name() string { return i.name }
func (i memInfo) Size() int64  { return i.size }
func (i memInfo) Mode() os.FileMode {
	if i.dir {
		return os.ModeDir | 0o755
	}
	return 0o644
}
func (i memInfo) ModTime() time.Time { return i.mod }
func (i memInfo) IsDir() bool        { return i.dir }
func (i memInfo) Sys() any           { return nil }

type memFile struct {
	node *memNode
	name string
	flag int

	mu     sync.Mutex // guards pos and closed
	pos    int64
	closed bool
}

func (f *memFile) check(op string, write bool) error {
	f.mu.Lock()
	closed := f.closed
	f.mu.Unlock()
	if closed {
		return &os.PathError{Op: op, Path: f.name, Err: os.ErrClosed}
	}
	if f.node.isDir {
		return &os.PathError{Op: op, Path: f.name, Err: syscall.EISDIR}
	}
	acc := f.flag & (os.O_RDONLY | os.O_WRONLY | os.O_RDWR)
	if write && acc == os.O_RDONLY {
		return &os.PathError{Op: op, Path: f.name, Err: syscall.EBADF}
	}
	if !write && acc == os.O_WRONLY {
		return &os.PathError{Op: op, Path: f.name, Err: syscall.EBADF}
	}
	return nil
}

func (f *memFile) Read(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return 0, &os.PathError{Op: "read", Path: f.name, Err: os.ErrClosed}
	}
	n, err := f.readAt(p, f.pos)
	f.pos += int64(n)
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}

func (f *memFile) ReadAt(p []byte, off int64) (int, error) {
	if err := f.check("read", false); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, &os.PathError{Op: "readat", Path: f.name, Err: syscall.EINVAL}
	}
	return f.readAt(p, off)
}

func (f *memFile) readAt(p []byte, off int64) (int, error) {
	f.node.mu.RLock()
	defer f.node.mu.RUnlock()
	if off >= int64(len(f.node.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.node.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (f *memFile) Write(p []byte) (int, error) {
	if err := f.check("write", true); err != nil {
		return 0, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.node.mu.Lock()
	if f.flag&os.O_APPEND != 0 {
		f.pos = int64(len(f.node.data))
	}
	f.node.writeAtLocked(p, f.pos)
	f.node.mu.Unlock()
	f.pos += int64(len(p))
	return len(p), nil
}

func (f *memFile) WriteAt(p []byte, off int64) (int, error) {
	if err := f.check("write", true); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, &os.PathError{Op: "writeat", Path: f.name, Err: syscall.EINVAL}
	}
	f.node.mu.Lock()
	f.node.writeAtLocked(p, off)
	f.node.mu.Unlock()
	return len(p), nil
}

func (f *memFile) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return &os.PathError{Op: "close", Path: f.name, Err: os.ErrClosed}
	}
	f.closed = true
	return nil
}

func (f *memFile) Sync() error {
	if err := f.check("sync", false); err != nil && !f.node.isDir {
		// Syncing a write-only file is fine; only closed handles fail.
		f.mu.Lock()
		closed := f.closed
		f.mu.Unlock()
		if closed {
			return err
		}
	}
	n := f.node
	if n.isDir {
		return nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.dirtyBelow && len(n.data) >= len(n.synced) {
		n.synced = append(n.synced, n.data[len(n.synced):]...)
	} else {
		n.synced = slices.Clone(n.data)
	}
	n.dirtyBelow = false
	return nil
}

func (f *memFile) Truncate(size int64) error {
	if err := f.check("truncate", true); err != nil {
		return err
	}
	if size < 0 {
		return &os.PathError{Op: "truncate", Path: f.name, Err: syscall.EINVAL}
	}
	f.node.mu.Lock()
	f.node.truncateLocked(size)
	f.node.mu.Unlock()
	return nil
}

func (f *memFile) Stat() (os.FileInfo, error) {
	f.mu.Lock()
	closed := f.closed
	f.mu.Unlock()
	if closed {
		return nil, &os.PathError{Op: "stat", Path: f.name, Err: os.ErrClosed}
	}
	return f.node.stat(filepath.Base(f.name)), nil
}

func (f *memFile) Name() string { return f.name }

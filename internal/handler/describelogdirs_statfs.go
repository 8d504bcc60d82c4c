//go:build linux || darwin || freebsd

package handler

import "syscall"

// volumeBytes returns the total size of the file system holding dir and the
// bytes an unprivileged writer can still use there.
func volumeBytes(dir string) (total, usable int64, err error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return -1, -1, err
	}
	bsize := int64(st.Bsize)
	return int64(st.Blocks) * bsize, int64(st.Bavail) * bsize, nil
}

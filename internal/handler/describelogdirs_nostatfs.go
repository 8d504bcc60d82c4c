//go:build !(linux || darwin || freebsd)

package handler

import "errors"

// volumeBytes is not available on this platform; DescribeLogDirs v4 reports -1.
func volumeBytes(dir string) (total, usable int64, err error) {
	return -1, -1, errors.New("handler: volume size not available on this platform")
}

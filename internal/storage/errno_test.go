package storage

import "syscall"

var (
	errnoENOSPC error = syscall.ENOSPC
	errnoEIO    error = syscall.EIO
	errnoEROFS  error = syscall.EROFS
)

package dav

import (
	"errors"
	"net/http"
	"syscall"

	"github.com/gocaldav/gocaldav/gitstore"
)

// StorageError is the answer to a write the store could not make
// durable (err wraps gitstore.ErrStorage; nothing was committed), or nil
// for any other error:
//
//   - a full disk or quota (ENOSPC, EDQUOT, EFBIG) answers 507
//     Insufficient Storage (RFC 4918 §11.5);
//   - a data directory that cannot be written to (EROFS, EACCES, EPERM)
//     or a failing disk (EIO) answers 503 Service Unavailable: the server
//     still serves reads, and writes work again once an operator fixed
//     the file system;
//   - any other storage failure (an injected one, say) answers 507.
//
// The body says in plain words that the change was not stored; the cause
// itself goes to the server's log, not to clients.
func StorageError(err error) *Error {
	if !errors.Is(err, gitstore.ErrStorage) {
		return nil
	}
	for _, e := range []error{syscall.EROFS, syscall.EACCES, syscall.EPERM, syscall.EIO} {
		if errors.Is(err, e) {
			return Errorf(http.StatusServiceUnavailable,
				"the server cannot write to its data directory at the moment; the change was not stored (reads still work; try again later)")
		}
	}
	for _, e := range []error{syscall.ENOSPC, syscall.EDQUOT, syscall.EFBIG} {
		if errors.Is(err, e) {
			return Errorf(http.StatusInsufficientStorage, "the server's disk is full; the change was not stored")
		}
	}
	return Errorf(http.StatusInsufficientStorage, "the server could not store the change (storage failure); nothing was changed")
}

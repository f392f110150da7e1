package gitstore

import (
	"errors"
	"fmt"
)

var (
	// ErrStorage marks a failure to write to or read from the repository on
	// disk (a full disk, an I/O error, an injected fault). A Batch failing
	// with it has written nothing visible.
	ErrStorage = errors.New("gitstore: storage failure")
	// ErrUnknownCommit is returned for a commit id that is not in the repository.
	ErrUnknownCommit = errors.New("gitstore: unknown commit")
	// ErrInvalidPath is returned for a path that is empty where a file is
	// needed or contains "", ".", ".." or ".git" components.
	ErrInvalidPath = errors.New("gitstore: invalid path")
	// ErrIsDir is returned when a file operation meets a directory.
	ErrIsDir = errors.New("gitstore: is a directory")
	// ErrNotDir is returned when a path goes through a file.
	ErrNotDir = errors.New("gitstore: not a directory")
	// ErrDiverged is returned by Open when the local branch and the remote
	// branch both have commits the other lacks; nothing is changed.
	ErrDiverged = errors.New("gitstore: local and remote branches have diverged")
	// ErrPush wraps a push failure reported by a Batch in PushSync mode;
	// the commit itself is durable locally and will be pushed later.
	ErrPush = errors.New("gitstore: push failed")
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("gitstore: store closed")
)

// storageError marks err as an ErrStorage while keeping it inspectable
// (errors.Is(err, syscall.ENOSPC) still works).
type storageError struct{ err error }

func (e *storageError) Error() string   { return "storage failure: " + e.err.Error() }
func (e *storageError) Unwrap() []error { return []error{ErrStorage, e.err} }

func asStorage(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, ErrStorage) {
		return fmt.Errorf("%s: %w", op, err)
	}
	return &storageError{fmt.Errorf("%s: %w", op, err)}
}

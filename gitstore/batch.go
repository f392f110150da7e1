package gitstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

// job is one built commit waiting to become durable.
type job struct {
	objs   []rawObject
	commit plumbing.Hash
	snap   *Snapshot
	reflog string
	sizes  map[plumbing.Hash]int64
	seq    uint64 // set when durable: the store's commit counter
	err    error
	done   chan struct{}
}

// Batch runs fn on a transaction over the current head and commits its
// changes as one commit described by c. If fn returns an error nothing is
// written and that error is returned. If nothing changed, no commit is
// made and the current head's id is returned ("" for an empty repository).
//
// When Batch returns successfully the commit is durable (it survives a
// crash or power loss) and visible through Head. Concurrent batches are
// serialised, each gets its own commit, and commits waiting together share
// one round of fsyncs. In PushSync mode Batch also waits for the commit to
// be pushed; if that fails, the error wraps ErrPush and the returned id is
// still valid (the commit is kept and pushed later).
func (s *Store) Batch(ctx context.Context, c Commit, fn func(tx *Txn) error) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	select {
	case s.writeSem <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	case <-s.closed:
		return "", ErrClosed
	}
	// Release the writer slot exactly once, also when fn panics (the
	// panic goes on to the caller; the store stays usable).
	held := true
	release := func() {
		if held {
			held = false
			<-s.writeSem
		}
	}
	defer release()
	select {
	case <-s.closed:
		return "", ErrClosed
	default:
	}
	j, err := s.build(c, fn)
	if err != nil || j == nil {
		id := s.tip.Commit()
		release()
		if err != nil {
			return "", err
		}
		return id, nil
	}
	s.qmu.Lock()
	s.queue = append(s.queue, j)
	for _, o := range j.objs {
		s.inflight[o.hash] = o
	}
	s.qmu.Unlock()
	s.tip = j.snap
	s.lastCommit.Store(time.Now().UnixNano())
	release()

	s.flushQueue()
	<-j.done
	if j.err != nil {
		return "", j.err
	}
	id := j.commit.String()
	if s.o.Push == PushSync && s.o.Remote != nil {
		if err := s.push.waitPushed(ctx, j.seq); err != nil {
			return id, err
		}
	}
	return id, nil
}

// build runs fn over the tip and encodes the resulting commit; nil when
// nothing changed. Called with writeSem held.
func (s *Store) build(c Commit, fn func(tx *Txn) error) (*job, error) {
	base := s.tip
	tx := &Txn{s: s, base: base, root: &mdir{base: base.root}, objs: map[plumbing.Hash]rawObject{}}
	if err := fn(tx); err != nil {
		return nil, err
	}
	root, empty, err := tx.build(tx.root)
	if err != nil {
		return nil, fmt.Errorf("gitstore: build tree: %w", err)
	}
	if empty {
		root = emptyTree
	}
	if root == base.root {
		return nil, nil
	}
	if c.When.IsZero() {
		c.When = time.Now()
	}
	co := encodeCommit(c, root, base.commit)
	j := &job{
		commit: co.hash,
		snap:   &Snapshot{s: s, commit: co.hash, root: root, when: c.When.Truncate(time.Second)},
		sizes:  map[plumbing.Hash]int64{},
		done:   make(chan struct{}),
	}
	for _, o := range tx.objs {
		j.objs = append(j.objs, o)
		if o.typ == plumbing.BlobObject {
			j.sizes[o.hash] = int64(len(o.data))
		}
	}
	if root == emptyTree {
		j.objs = append(j.objs, encodeTree(nil))
	}
	j.objs = append(j.objs, co)
	first, _, _ := strings.Cut(c.message(), "\n")
	j.reflog = fmt.Sprintf("%s %s %s\tcommit: %s\n", base.commit, co.hash, identity(c.AuthorName, c.AuthorEmail, c.When), first)
	return j, nil
}

// flushQueue makes queued jobs durable. The first caller to get syncMu
// takes every queued job and writes them with one round of fsyncs; the
// others find their job done when they get the lock.
func (s *Store) flushQueue() {
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	s.qmu.Lock()
	group := s.queue
	s.queue = nil
	s.qmu.Unlock()
	if len(group) == 0 {
		return
	}
	var objs []rawObject
	var reflog []string
	for _, j := range group {
		objs = append(objs, j.objs...)
		reflog = append(reflog, j.reflog)
	}
	last := group[len(group)-1]
	old := s.head.Load().commit
	err := s.failHook()
	if err == nil {
		err = asStorage("gitstore: commit", s.b.persist(objs, old, last.commit, reflog))
	}
	if err != nil {
		s.log.Error("gitstore: commit failed", "err", err)
		// Later jobs were built on top of the failed ones: fail them too
		// and rebuild from the durable head.
		select {
		case s.writeSem <- struct{}{}:
			defer func() { <-s.writeSem }()
			s.tip = s.head.Load()
		case <-s.closed: // Close holds writeSem; nobody builds any more
		}
		s.qmu.Lock()
		group = append(group, s.queue...)
		s.queue = nil
		clear(s.inflight)
		s.qmu.Unlock()
		for _, j := range group {
			j.err = err
			close(j.done)
		}
		return
	}
	for _, j := range group {
		for h, n := range j.sizes {
			s.sizes.Add(h, n)
		}
	}
	s.head.Store(last.snap)
	seq := s.push.committed(len(group))
	s.qmu.Lock()
	for _, j := range group {
		for _, o := range j.objs {
			delete(s.inflight, o.hash)
		}
	}
	s.qmu.Unlock()
	for i, j := range group {
		j.seq = seq - uint64(len(group)-1-i)
		close(j.done)
	}
}

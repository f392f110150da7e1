package gitstore

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

// job is one built commit waiting to become durable.
type job struct {
	objs   []rawObject
	commit plumbing.Hash
	snap   *Snapshot
	reflog string
	seq    uint64 // set when durable: the store's commit counter
	err    error
	done   chan struct{}
}

// request is a Batch call waiting for its commit to be built.
type request struct {
	c  Commit
	fn func(tx *Txn) error

	// Set by the leader that built it, before built is closed.
	taken    bool   // claimed by a leader (under reqMu)
	job      *job   // the commit to make durable; nil if none
	id       string // without a job: the id of the commit it saw, nothing changed
	wait     *job   // without a job: the commit id names, if not yet durable
	err      error
	panicked bool
	panicVal any
	built    chan struct{}
}

// Batch runs fn on a transaction over the current head and commits its
// changes as one commit described by c. If fn returns an error nothing is
// written and that error is returned. If nothing changed, no commit is
// made and the current head's id is returned ("" for an empty repository).
//
// When Batch returns successfully the commit is durable (it survives a
// crash or power loss) and visible through Head. Concurrent batches are
// serialised: each sees the changes of those before it and gets its own
// commit. Batches that wait together are built as a group (their trees
// hashed in parallel) and share one round of fsyncs. In PushSync mode
// Batch also waits for the commit to be pushed; if that fails, the error
// wraps ErrPush and the returned id is still valid (the commit is kept
// and pushed later).
//
// fn may run on another caller's goroutine; a panic in it is passed on
// to its own caller, and the store stays usable.
func (s *Store) Batch(ctx context.Context, c Commit, fn func(tx *Txn) error) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	r := &request{c: c, fn: fn, built: make(chan struct{})}
	s.reqMu.Lock()
	s.reqs = append(s.reqs, r)
	s.reqMu.Unlock()
	select {
	case s.writeSem <- struct{}{}:
		s.lead() // builds r unless a leader before took it (and is done)
	case <-r.built:
	case <-ctx.Done():
		if s.withdraw(r) {
			return "", ctx.Err()
		}
	case <-s.closed:
		if s.withdraw(r) {
			return "", ErrClosed
		}
	}
	<-r.built
	if r.panicked {
		panic(r.panicVal)
	}
	if r.err != nil {
		return "", r.err
	}
	j := r.job
	if j == nil { // nothing changed: the commit seen must still be durable
		if j = r.wait; j == nil {
			return r.id, nil
		}
	}
	s.flushQueue()
	if <-j.done; j.err != nil {
		return "", j.err
	}
	if r.job == nil {
		return r.id, nil
	}
	id := j.commit.String()
	if s.o.Push == PushSync && s.o.Remote != nil {
		if err := s.push.waitPushed(ctx, j.seq); err != nil {
			return id, err
		}
	}
	return id, nil
}

// errGroupAbandoned is the outcome of a batch whose group's leader
// stopped before deciding it.
var errGroupAbandoned = errors.New("gitstore: the batch was abandoned while being built")

// withdraw removes r from the waiting requests, false when a leader has
// already taken it (its outcome is then awaited).
func (s *Store) withdraw(r *request) bool {
	s.reqMu.Lock()
	defer s.reqMu.Unlock()
	if r.taken {
		return false
	}
	s.reqs = slices.DeleteFunc(s.reqs, func(q *request) bool { return q == r })
	return true
}

// lead builds every waiting request as one group, with writeSem held
// (released on return).
func (s *Store) lead() {
	defer func() { <-s.writeSem }()
	s.reqMu.Lock()
	group := s.reqs
	s.reqs = nil
	for _, r := range group {
		r.taken = true
		// Until its outcome is decided: should this goroutine stop
		// early (a panic outside the callbacks, runtime.Goexit in one),
		// the others must not read success.
		r.err = errGroupAbandoned
	}
	s.reqMu.Unlock()
	defer func() {
		for _, r := range group {
			close(r.built)
		}
	}()
	select {
	case <-s.closed:
		for _, r := range group {
			r.err = ErrClosed
		}
		return
	default:
	}
	s.buildGroup(group)
}

// groupMember is one request of a group with its transaction.
type groupMember struct {
	r    *request
	tx   *Txn
	root plumbing.Hash
	err  error
}

// buildGroup runs the group's callbacks in order, each on a transaction
// that starts where the one before ended, then builds their trees (in
// parallel) and encodes one commit per request that changed something,
// each the parent of the next. Called with writeSem held.
func (s *Store) buildGroup(group []*request) {
	base := s.tip
	prev := newTxn(s, base) // no callback changes it: each gets its next
	var members []*groupMember
	for _, r := range group {
		tx := prev.next()
		r.err = nil
		if !runCallback(r, tx) {
			continue
		}
		r.err = errGroupAbandoned // until its commit is encoded
		members = append(members, &groupMember{r: r, tx: tx})
		prev = tx
	}
	s.buildTrees(members)
	defer func() {
		// A Txn is done with once its callback returned, but a node read
		// through it may be kept (in a cache); the group's built trees
		// must not be kept with it.
		prev.memo.dirs = nil
		for _, m := range members {
			m.tx.memo, m.tx.objs = nil, nil
		}
	}()

	parent, parentJob := base, s.tipJob
	var jobs []*job
	seen := map[plumbing.Hash]bool{}
	versions := map[plumbing.Hash]*rawObject{} // newest tree of the group, by the base it was spliced from
	for i, m := range members {
		if m.err != nil {
			// Every later member saw this one's changes: none can commit.
			for _, later := range members[i:] {
				later.r.err = fmt.Errorf("gitstore: build tree: %w", m.err)
			}
			break
		}
		m.r.err = nil
		if m.root == parent.root {
			m.r.id, m.r.wait = parent.Commit(), parentJob
			continue
		}
		j := s.encodeJob(m.r.c, parent, m.root, m.tx.objs, seen, versions)
		m.r.job = j
		jobs = append(jobs, j)
		parent, parentJob = j.snap, j
	}
	if len(jobs) == 0 {
		return
	}
	s.qmu.Lock()
	s.queue = append(s.queue, jobs...)
	for _, j := range jobs {
		for _, o := range j.objs {
			s.inflight[o.hash] = o
		}
	}
	s.qmu.Unlock()
	s.tip, s.tipJob = parent, parentJob
	s.lastCommit.Store(time.Now().UnixNano())
}

// runCallback runs r's callback on tx and records its failure in r;
// true when it succeeded.
func runCallback(r *request, tx *Txn) (ok bool) {
	defer func() {
		if v := recover(); v != nil {
			r.panicked, r.panicVal = true, v
			ok = false
		}
	}()
	if err := r.fn(tx); err != nil {
		r.err = err
		return false
	}
	return true
}

// buildTrees builds the members' trees, spread over the processors
// (hashing a large directory's tree is most of a commit's cost).
func (s *Store) buildTrees(members []*groupMember) {
	if len(members) == 1 { // a batch alone: no goroutine to start
		members[0].build()
		return
	}
	workers := min(len(members), runtime.GOMAXPROCS(0))
	var next atomic.Int32
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(members) {
					return
				}
				members[i].build()
			}
		}()
	}
	wg.Wait()
}

// build builds m's trees; a panic becomes its error.
func (m *groupMember) build() {
	defer func() {
		if v := recover(); v != nil {
			m.err = fmt.Errorf("%w: %v", errBuildFailed, v)
		}
	}()
	root, empty, err := m.tx.buildRoot()
	if empty {
		root = emptyTree
	}
	m.root, m.err = root, err
}

// encodeJob encodes the commit of root described by c on top of parent,
// with the objects of objs (blobs and the trees built) not already in an
// earlier job of the group (seen). A tree is hinted as a splice of the
// group's previous version of its directory (versions), so that the
// journal and the pending deltas stay as small as each commit's change.
func (s *Store) encodeJob(c Commit, parent *Snapshot, root plumbing.Hash, objs map[plumbing.Hash]rawObject, seen map[plumbing.Hash]bool, versions map[plumbing.Hash]*rawObject) *job {
	if c.When.IsZero() {
		c.When = time.Now()
	}
	co := encodeCommit(c, root, parent.commit)
	j := &job{
		commit: co.hash,
		snap:   &Snapshot{s: s, commit: co.hash, root: root, when: c.When.Truncate(time.Second)},
		done:   make(chan struct{}),
	}
	for h, o := range objs {
		if seen[h] {
			continue
		}
		seen[h] = true
		if o.tree != nil && o.hinted && !o.base.IsZero() {
			from := o.base // the group's base version of the directory
			if last := versions[from]; last != nil {
				o.base, o.baseSize = last.hash, last.size()
				o.pre = commonPrefixTrees(last.tree, o.tree)
				o.suf = commonSuffixTrees(last.tree, o.tree, o.pre, o.pre)
			}
			versions[from] = &o
		}
		j.objs = append(j.objs, o)
	}
	if root == emptyTree {
		j.objs = append(j.objs, encodeTree(nil))
	}
	j.objs = append(j.objs, co)
	first, _, _ := strings.Cut(c.message(), "\n")
	j.reflog = fmt.Sprintf("%s %s %s\tcommit: %s\n", parent.commit, co.hash, identity(c.AuthorName, c.AuthorEmail, c.When), first)
	return j
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
			s.tip, s.tipJob = s.head.Load(), nil
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

package gitstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage"
)

// PushStatus reports how far the remote lags behind.
type PushStatus struct {
	// Pending is the number of local commits the remote does not have yet.
	Pending int
	// LastError is the last push or fetch failure, credentials scrubbed;
	// "" after a successful push.
	LastError string
	// LastPush is the time of the last successful push.
	LastPush time.Time
	// Oldest is the author time of the oldest local commit the remote
	// does not have yet (zero when Pending is 0): how far the remote lags.
	Oldest time.Time
	// Attempts counts the pushes tried since Open (a rejected push
	// followed by a fetch and a second push counts once); Failures counts
	// those that failed. While the remote is down they grow with the
	// retry backoff, not with the number of writes.
	Attempts, Failures uint64
}

// pusher tracks durable commits and pushes them.
type pusher struct {
	s      *Store
	r      *Remote
	kick   chan struct{} // new commits
	urgent chan struct{} // Flush: push now, even during a backoff

	mu         sync.Mutex
	seq        uint64        // durable commits made by this process
	pushedSeq  uint64        // commits known to be on the remote
	pushed     plumbing.Hash // remote branch tip as last seen
	attemptSeq uint64        // commits covered by the last attempt
	attemptErr error
	attempts   uint64 // pushes tried
	failures   uint64 // of which failed
	lastErr    string
	lastPush   time.Time
	changed    chan struct{} // closed and replaced on every state change
}

func newPusher(s *Store) *pusher {
	return &pusher{s: s, r: s.o.Remote, kick: make(chan struct{}, 1), urgent: make(chan struct{}, 1),
		changed: make(chan struct{})}
}

// committed records n new durable commits and returns the new counter.
func (p *pusher) committed(n int) uint64 {
	p.mu.Lock()
	p.seq += uint64(n)
	seq := p.seq
	p.mu.Unlock()
	p.poke()
	return seq
}

func (p *pusher) poke() {
	if p.r == nil {
		return
	}
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// setPushed records the remote tip without a push (after a fetch).
func (p *pusher) setPushed(h plumbing.Hash) {
	p.mu.Lock()
	p.pushed = h
	p.mu.Unlock()
}

// firstRetry is the delay before the first retry of a failed push (a
// variable for tests).
var firstRetry = 500 * time.Millisecond

// run pushes whenever poked, retrying failed pushes with exponential
// backoff. Flush, and in PushSync mode a new commit, cut the backoff
// short, since someone is waiting for the push.
func (p *pusher) run(ctx context.Context) {
	first := firstRetry
	backoff := first
	for {
		select {
		case <-p.kick:
		case <-p.urgent:
		case <-ctx.Done():
			return
		}
		for p.attempt(ctx) != nil {
			if !p.sleep(ctx, backoff) {
				return
			}
			backoff = min(backoff*2, p.s.o.PushRetryMax)
		}
		backoff = first
	}
}

func (p *pusher) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			return true
		case <-p.kick:
			if p.s.o.Push == PushSync {
				return true
			}
		case <-p.urgent:
			return true
		case <-ctx.Done():
			return false
		}
	}
}

// attempt pushes the current head once; on a rejection it fetches and
// retries if the remote is still behind, never forcing.
func (p *pusher) attempt(ctx context.Context) error {
	p.mu.Lock()
	seq, pushed := p.seq, p.pushed
	p.mu.Unlock()
	head := p.s.Head().commit
	if head.IsZero() || head == pushed {
		p.done(seq, head, nil)
		return nil
	}
	p.mu.Lock()
	p.attempts++
	p.mu.Unlock()
	err := p.s.pushOnce(ctx, head)
	if err != nil && isRejected(err) {
		p.s.log.Warn("gitstore: push rejected, fetching", "remote", p.r.String())
		remote, ferr := p.s.fetch(ctx)
		switch {
		case ferr != nil:
			err = ferr
		case p.s.isAncestor(head, remote):
			// The remote has all our commits and more: adopt its history
			// if no commit was made meanwhile (else the next attempt sees
			// the divergence).
			err = p.s.fastForward(remote, true)
		case remote.IsZero() || p.s.isAncestor(remote, head):
			err = p.s.pushOnce(ctx, head)
		default:
			err = fmt.Errorf("%w: remote %s is at %s, which is not an ancestor of local %s; not forcing",
				ErrDiverged, p.r.String(), remote, head)
		}
	}
	p.done(seq, head, err)
	return err
}

func isRejected(err error) bool {
	m := err.Error()
	return errors.Is(err, git.ErrNonFastForwardUpdate) || strings.Contains(m, "non-fast-forward") ||
		strings.Contains(m, "fetch first") || strings.Contains(m, "rejected")
}

// done publishes the result of an attempt covering commits up to seq.
func (p *pusher) done(seq uint64, head plumbing.Hash, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.attemptSeq, p.attemptErr = seq, err
	if err == nil {
		p.pushedSeq = max(p.pushedSeq, seq)
		p.pushed = head
		p.lastPush = time.Now()
		p.lastErr = ""
	} else {
		p.failures++
		p.lastErr = p.r.scrub(err.Error())
		p.s.log.Warn("gitstore: push failed", "remote", p.r.String(), "err", p.lastErr)
	}
	close(p.changed)
	p.changed = make(chan struct{})
}

// waitPushed waits until commit number seq is on the remote, or an
// attempt covering it failed.
func (p *pusher) waitPushed(ctx context.Context, seq uint64) error {
	for {
		p.mu.Lock()
		if p.pushedSeq >= seq {
			p.mu.Unlock()
			return nil
		}
		if p.attemptSeq >= seq && p.attemptErr != nil {
			msg := p.lastErr
			p.mu.Unlock()
			return fmt.Errorf("%w: %s", ErrPush, msg)
		}
		ch := p.changed
		p.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("%w: %w", ErrPush, ctx.Err())
		case <-p.s.closed:
			return fmt.Errorf("%w: %w", ErrPush, ErrClosed)
		}
	}
}

// Flush waits until every commit made so far is on the remote (for a
// graceful shutdown). Without a remote it returns at once. It gives up
// early, with an error wrapping ErrDiverged, when a push tried after the
// call finds the remote branch diverged: only a person can reconcile the
// histories, so waiting out ctx would only delay the shutdown.
func (s *Store) Flush(ctx context.Context) error {
	p := s.push
	if p.r == nil {
		return nil
	}
	p.mu.Lock()
	seq, tried := p.seq, p.attempts
	p.mu.Unlock()
	select {
	case p.urgent <- struct{}{}:
	default:
	}
	for {
		p.mu.Lock()
		ok, ch, last := p.pushedSeq >= seq, p.changed, p.lastErr
		diverged := p.attempts > tried && p.attemptSeq >= seq && errors.Is(p.attemptErr, ErrDiverged)
		p.mu.Unlock()
		if ok {
			return nil
		}
		if diverged {
			// last is the scrubbed text of an error wrapping ErrDiverged.
			return fmt.Errorf("gitstore: flush: %w%s", ErrDiverged, strings.TrimPrefix(last, ErrDiverged.Error()))
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("gitstore: flush: %w (last push error: %s)", ctx.Err(), last)
		case <-s.closed:
			return ErrClosed
		}
	}
}

// PushStatus reports the commits not yet pushed and the last error.
// Without a remote it is the zero value.
func (s *Store) PushStatus() PushStatus {
	p := s.push
	if p.r == nil {
		return PushStatus{}
	}
	p.mu.Lock()
	st := PushStatus{LastError: p.lastErr, LastPush: p.lastPush, Attempts: p.attempts, Failures: p.failures}
	pushed := p.pushed
	p.mu.Unlock()
	st.Pending, st.Oldest = s.countUntil(s.Head().commit, pushed)
	return st
}

// countUntil counts first-parent commits from h until stop (or the root)
// and returns the author time of the last one counted.
func (s *Store) countUntil(h, stop plumbing.Hash) (int, time.Time) {
	n := 0
	var oldest time.Time
	for !h.IsZero() && h != stop && n < 1_000_000 {
		n++
		c, err := s.commit(h)
		if err != nil {
			break
		}
		oldest = c.info.When
		if len(c.parents) == 0 {
			break
		}
		h = c.parents[0]
	}
	return n, oldest
}

// isAncestor reports whether a is b or one of its ancestors.
func (s *Store) isAncestor(a, b plumbing.Hash) bool {
	if a.IsZero() {
		return true
	}
	seen := map[plumbing.Hash]bool{}
	todo := []plumbing.Hash{b}
	for len(todo) > 0 {
		h := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		if h == a {
			return true
		}
		if h.IsZero() || seen[h] {
			continue
		}
		seen[h] = true
		c, err := s.commit(h)
		if err != nil {
			continue
		}
		todo = append(todo, c.parents...)
	}
	return false
}

// remoteBranch is the branch name on the remote.
func (s *Store) remoteBranch() string {
	if b := s.o.Remote.branch; b != "" {
		return b
	}
	return s.o.Branch
}

func (s *Store) goRemote(st storage.Storer) *git.Remote {
	return git.NewRemote(st, &config.RemoteConfig{Name: "origin", URLs: []string{s.o.Remote.url}})
}

// pushOnce pushes the local branch; never forced.
func (s *Store) pushOnce(ctx context.Context, head plumbing.Hash) error {
	s.bgMu.Lock()
	defer s.bgMu.Unlock()
	spec := config.RefSpec(plumbing.NewBranchReferenceName(s.o.Branch).String() + ":" + plumbing.NewBranchReferenceName(s.remoteBranch()).String())
	err := s.b.transport(func(st storage.Storer) error {
		err := s.goRemote(st).PushContext(ctx, &git.PushOptions{
			RemoteName: "origin",
			RefSpecs:   []config.RefSpec{spec},
			Auth:       s.o.Remote.auth,
			CABundle:   s.o.Remote.ca,
		})
		if errors.Is(err, git.NoErrAlreadyUpToDate) {
			return nil
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("gitstore: push %s to %s: %s", head, s.o.Remote, s.o.Remote.scrub(err.Error()))
	}
	return nil
}

// fetch fetches the remote branch and returns its commit (zero when the
// remote or the branch does not exist yet).
func (s *Store) fetch(ctx context.Context) (plumbing.Hash, error) {
	s.bgMu.Lock()
	defer s.bgMu.Unlock()
	rb := s.remoteBranch()
	track := plumbing.NewRemoteReferenceName("origin", rb)
	spec := config.RefSpec("+" + plumbing.NewBranchReferenceName(rb).String() + ":" + track.String())
	var tip plumbing.Hash
	err := s.b.transport(func(st storage.Storer) error {
		err := s.goRemote(st).FetchContext(ctx, &git.FetchOptions{
			RemoteName: "origin",
			RefSpecs:   []config.RefSpec{spec},
			Auth:       s.o.Remote.auth,
			CABundle:   s.o.Remote.ca,
			Tags:       git.NoTags,
		})
		switch {
		case errors.Is(err, transport.ErrEmptyRemoteRepository) || errors.Is(err, git.NoMatchingRefSpecError{}):
			return nil
		case err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate):
			return err
		}
		ref, err := st.Reference(track)
		if err != nil {
			return fmt.Errorf("read %s: %w", track, err)
		}
		tip = ref.Hash()
		return nil
	})
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("gitstore: fetch %s: %s", s.o.Remote, s.o.Remote.scrub(err.Error()))
	}
	if err := s.b.reload(); err != nil {
		return plumbing.ZeroHash, asStorage("gitstore: reload", err)
	}
	return tip, nil
}

// fastForward moves the branch to remote, a descendant of the head that
// was fetched. When running, it first stops writers and makes sure no
// commit is queued; if the head moved meanwhile it changes nothing.
func (s *Store) fastForward(remote plumbing.Hash, running bool) error {
	if running {
		s.syncMu.Lock() // no group is being made durable (same order as flushQueue)
		defer s.syncMu.Unlock()
		select {
		case s.writeSem <- struct{}{}: // no batch is being built
			defer func() { <-s.writeSem }()
		case <-s.closed:
			return ErrClosed
		}
		s.qmu.Lock()
		queued := len(s.queue)
		s.qmu.Unlock()
		if queued > 0 || s.tip != s.head.Load() {
			return errors.New("gitstore: commits were made during the fetch; retrying")
		}
	}
	local := s.head.Load().commit
	if local == remote {
		return nil
	}
	if !s.isAncestor(local, remote) {
		return fmt.Errorf("%w: local %s is not an ancestor of remote %s", ErrDiverged, local, remote)
	}
	if !s.complete(remote) {
		return fmt.Errorf("gitstore: fetched commit %s is incomplete: %w", remote, ErrStorage)
	}
	if err := s.failHook(); err != nil {
		return err
	}
	line := fmt.Sprintf("%s %s gocaldav <> %d +0000\tfetch: fast-forward\n", local, remote, time.Now().Unix())
	if err := s.b.persist(nil, local, remote, []string{line}); err != nil {
		return asStorage("gitstore: fast-forward", err)
	}
	snap, err := s.snapshot(remote)
	if err != nil {
		return err
	}
	s.head.Store(snap)
	s.tip, s.tipJob = snap, nil
	s.log.Info("gitstore: fast-forwarded to remote", "remote", s.o.Remote.String(), "commit", remote.String())
	return nil
}

// syncRemote runs at Open: fetch, then adopt or fast-forward to the
// remote branch, or refuse to start when the two have diverged.
func (s *Store) syncRemote(ctx context.Context) error {
	local := s.head.Load().commit
	remote, err := s.fetch(ctx)
	if err != nil {
		if local.IsZero() {
			return fmt.Errorf("%w (refusing to start with an empty repository while the remote may hold data)", err)
		}
		s.log.Warn("gitstore: remote unreachable at start; will push later", "err", err)
		return nil
	}
	s.push.setPushed(remote)
	switch {
	case remote.IsZero() || remote == local || s.isAncestor(remote, local):
		return nil
	case s.isAncestor(local, remote):
		return s.fastForward(remote, false)
	}
	return fmt.Errorf("%w: local %s is at %s, remote %s is at %s; neither contains the other. "+
		"Refusing to start: reconcile the two histories by hand (nothing was changed)",
		ErrDiverged, s.o.Branch, local, s.o.Remote, remote)
}

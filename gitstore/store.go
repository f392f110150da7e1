// Package gitstore keeps gocaldav's data in a bare git repository: every
// Batch becomes one durable commit, readers see immutable snapshots of a
// commit, and changes are pushed to an optional remote.
//
// Paths are slash-separated repository paths such as
// "calendars/alice/event.ics"; the store attaches no meaning to them.
//
// How a commit is made (see batch.go, journal.go, pack.go): objects are
// built with plumbing only (no worktree); decoded trees are cached by id,
// so a commit re-encodes only the trees on the changed path. Concurrent
// batches are queued and the first waiter makes the whole queue durable
// with one append and one fsync of the commit journal (group commit); a
// rewritten tree is journalled as a splice of its previous version. The
// objects then stay readable from memory until a background writer packs
// them (with each tree a delta of its newer version) and moves the ref
// file. On open, the journal is replayed. go-git is used for packed-object
// reads (under a mutex), transports, and nothing else.
package gitstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/gocaldav/gocaldav/internal/gencache"
)

// PushMode says when commits are pushed to the remote.
type PushMode int

const (
	// PushAsync pushes in the background after commits, coalescing bursts
	// and retrying with backoff while the remote is unreachable.
	PushAsync PushMode = iota
	// PushSync makes Batch return only after its commit was pushed
	// (robur's behaviour).
	PushSync
)

// Options configures a Store. The zero value is usable.
type Options struct {
	// Branch is the branch holding the data; default "main".
	Branch string
	// Remote, if set, is fetched on Open and pushed to after commits.
	Remote *Remote
	// Push selects asynchronous (default) or synchronous pushes.
	Push PushMode
	// Logger receives diagnostics; default slog.Default().
	Logger *slog.Logger
	// PackInterval is how long committed objects may stay only in the
	// journal (and memory) before they are written to a pack; default
	// 30 s. Each pack holds one whole copy of every large directory it
	// touches (a 10,000-event calendar's tree is 800 KB), so packs are
	// written rarely: also when enough is pending, on push, and on Close.
	PackInterval time.Duration
	// MaxPacks is the number of packs above which background maintenance
	// merges packs; default 16.
	MaxPacks int
	// NoAutoMaintain disables background maintenance (Maintain can still
	// be called).
	NoAutoMaintain bool
	// FailWrites, if set, is called before each commit group, fast-forward
	// and maintenance pack is written; a non-nil result makes that write
	// fail as a storage error (ErrStorage), as a full disk would.
	FailWrites func() error
	// PushRetryMax caps the retry backoff of asynchronous pushes; default 1 minute.
	PushRetryMax time.Duration
}

func (o *Options) defaults() {
	if o.Branch == "" {
		o.Branch = "main"
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.PackInterval == 0 {
		o.PackInterval = 30 * time.Second
	}
	if o.MaxPacks == 0 {
		o.MaxPacks = 16
	}
	if o.PushRetryMax == 0 {
		o.PushRetryMax = time.Minute
	}
}

// Store is a git-backed data store. All methods are safe for concurrent use.
type Store struct {
	o     Options
	b     backend
	disk  *diskBackend // nil for memory stores
	log   *slog.Logger
	trees *gencache.Cache[plumbing.Hash, *tree]
	comms *gencache.Cache[plumbing.Hash, *commitObj]
	sizes *gencache.Cache[plumbing.Hash, int64]
	// blobs holds the content of small files recently read more than
	// once (rereads tells which).
	blobs   *gencache.Cache[plumbing.Hash, []byte]
	rereads rereads
	head    atomic.Pointer[Snapshot]

	reqMu sync.Mutex
	reqs  []*request // Batch calls waiting to be built

	writeSem chan struct{} // held while a batch is built
	tip      *Snapshot     // newest built commit, maybe not yet durable (under writeSem)
	tipJob   *job          // the job making tip durable, nil when it is (under writeSem)
	// lastCommit is when the newest commit was built, lastServed when
	// the last request told of by Serving ended (Unix nanoseconds), and
	// serving how many are under way: background work waits for a pause
	// (see idleFor).
	lastCommit atomic.Int64
	lastServed atomic.Int64
	serving    atomic.Int64

	qmu      sync.Mutex
	queue    []*job                      // built, waiting to be made durable
	inflight map[plumbing.Hash]rawObject // objects of queued jobs

	syncMu sync.Mutex // held by the leader making a group of jobs durable
	bgMu   sync.Mutex // serialises fetch, push and maintenance

	push  *pusher
	maint *maintainer

	closeOnce sync.Once
	closed    chan struct{}
	bg        sync.WaitGroup
}

// OpenMemory returns a store kept in memory, running the same code as an
// on-disk store; it is meant for tests.
func OpenMemory(o Options) (*Store, error) {
	o.defaults()
	return open(context.Background(), newMemBackend(o.Branch), nil, o)
}

// Open opens the bare git repository dir, creating it if dir is missing
// or empty. A repository left behind by a crash opens cleanly. With a
// Remote, the branch is fetched first: into an empty repository, or fast-
// forwarded when the remote is ahead; if both sides have commits the other
// lacks, Open fails with ErrDiverged and changes nothing.
func Open(ctx context.Context, dir string, o Options) (*Store, error) {
	o.defaults()
	d, err := openDisk(dir, o.Branch, o.PackInterval, o.Logger)
	if err != nil {
		return nil, err
	}
	s, err := open(ctx, d, d, o)
	if err != nil {
		d.close()
		return nil, err
	}
	return s, nil
}

func open(ctx context.Context, b backend, d *diskBackend, o Options) (*Store, error) {
	s := &Store{
		o:        o,
		b:        b,
		disk:     d,
		log:      o.Logger,
		trees:    gencache.New[plumbing.Hash](1<<19, func(t *tree) int { return t.cost() }),
		comms:    gencache.New[plumbing.Hash](1<<8, func(*commitObj) int { return 1 }),
		sizes:    gencache.New[plumbing.Hash](1<<14, func(int64) int { return 1 }),
		blobs:    gencache.New[plumbing.Hash](1<<20, func(b []byte) int { return len(b) + 64 }),
		writeSem: make(chan struct{}, 1),
		inflight: map[plumbing.Hash]rawObject{},
		closed:   make(chan struct{}),
	}
	h, err := b.loadHead(s.complete)
	if err != nil {
		return nil, err
	}
	snap, err := s.snapshot(h)
	if err != nil {
		return nil, err
	}
	s.head.Store(snap)
	s.tip = snap
	s.push = newPusher(s)
	s.maint = newMaintainer(s)
	if d != nil {
		d.onPack.Store(&s.maint.packed)
		idle := s.idleFor
		d.idle.Store(&idle)
	}
	if o.Remote != nil {
		if err := s.syncRemote(ctx); err != nil {
			return nil, err
		}
	}
	bg, cancel := context.WithCancel(context.Background())
	s.bg.Add(3)
	go func() { defer s.bg.Done(); <-s.closed; cancel() }()
	go func() { defer s.bg.Done(); s.maint.run(bg) }()
	go func() {
		defer s.bg.Done()
		if o.Remote != nil {
			s.push.poke()
			s.push.run(bg)
		}
	}()
	return s, nil
}

// complete reports whether commit h and its root tree can be read.
func (s *Store) complete(h plumbing.Hash) bool {
	c, err := s.commit(h)
	if err != nil {
		return false
	}
	_, err = s.tree(c.tree)
	return err == nil
}

// Close stops background work (pending pushes are not waited for: call
// Flush first) and releases the repository.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.writeSem <- struct{}{} // no batch is being built from here on
		close(s.closed)
		s.syncMu.Lock() // nor made durable
		s.bg.Wait()
		err = s.b.close()
		s.syncMu.Unlock()
	})
	return err
}

// Serving tells the store that a request it serves has begun; the
// function it returns tells that it ended. Background work that can wait
// (merging packs, writing a pack due for its delta chain) waits for a
// pause in requests as it does for one in commits, so that it does not
// take the processor from them.
func (s *Store) Serving() (done func()) {
	s.serving.Add(1)
	return func() {
		s.lastServed.Store(time.Now().UnixNano())
		s.serving.Add(-1)
	}
}

// idleFor is how long no commit was made and no request served (zero
// while one is).
func (s *Store) idleFor() time.Duration {
	if s.serving.Load() > 0 {
		return 0
	}
	return time.Since(time.Unix(0, max(s.lastCommit.Load(), s.lastServed.Load())))
}

// Head returns a snapshot of the current commit. It never blocks on writers.
func (s *Store) Head() *Snapshot { return s.head.Load() }

// At returns a snapshot of any commit, given its full hex id.
func (s *Store) At(commit string) (*Snapshot, error) {
	h, ok := parseHex(strings.ToLower(commit))
	if !ok {
		return nil, fmt.Errorf("gitstore: at %q: %w", commit, ErrUnknownCommit)
	}
	return s.snapshot(h)
}

// snapshot builds the snapshot of commit h (zero: the empty repository).
func (s *Store) snapshot(h plumbing.Hash) (*Snapshot, error) {
	if h.IsZero() {
		return &Snapshot{s: s, root: emptyTree}, nil
	}
	c, err := s.commit(h)
	if err != nil {
		return nil, err
	}
	return &Snapshot{s: s, commit: h, root: c.tree, when: c.info.When}, nil
}

// object returns an object from the queue of pending commits or the backend.
func (s *Store) object(h plumbing.Hash) (rawObject, error) {
	s.qmu.Lock()
	o, ok := s.inflight[h]
	s.qmu.Unlock()
	if ok {
		return o, nil
	}
	return s.b.get(h)
}

// tree returns the decoded tree h, from the cache when possible.
func (s *Store) tree(h plumbing.Hash) (*tree, error) {
	if h == emptyTree {
		return &tree{hash: h}, nil
	}
	if t, ok := s.trees.Get(h); ok {
		return t, nil
	}
	o, err := s.object(h)
	if err != nil {
		return nil, fmt.Errorf("gitstore: tree %s: %w", h, err)
	}
	if o.typ != plumbing.TreeObject {
		return nil, fmt.Errorf("gitstore: %s is a %s, not a tree", h, o.typ)
	}
	t := o.tree // a tree this process made, still pending
	if t == nil {
		if t, err = decodeTree(h, o.data); err != nil {
			return nil, asStorage("gitstore", err)
		}
	}
	s.trees.Add(h, t)
	return t, nil
}

// commit returns the decoded commit h; ErrUnknownCommit when absent.
func (s *Store) commit(h plumbing.Hash) (*commitObj, error) {
	if c, ok := s.comms.Get(h); ok {
		return c, nil
	}
	o, err := s.object(h)
	if errors.Is(err, errObjectMissing) {
		return nil, fmt.Errorf("gitstore: commit %s: %w", h, ErrUnknownCommit)
	}
	if err != nil {
		return nil, fmt.Errorf("gitstore: commit %s: %w", h, err)
	}
	if o.typ != plumbing.CommitObject {
		return nil, fmt.Errorf("gitstore: %s is a %s: %w", h, o.typ, ErrUnknownCommit)
	}
	c, err := decodeCommit(h, o.data)
	if err != nil {
		return nil, asStorage("gitstore", err)
	}
	s.comms.Add(h, c)
	return c, nil
}

// blobSize returns the size of blob h.
func (s *Store) blobSize(h plumbing.Hash) (int64, error) {
	if n, ok := s.sizes.Get(h); ok {
		return n, nil
	}
	o, err := s.object(h)
	if err != nil {
		return 0, fmt.Errorf("gitstore: blob %s: %w", h, err)
	}
	n := int64(o.size())
	s.sizes.Add(h, n)
	return n, nil
}

// failHook runs Options.FailWrites.
func (s *Store) failHook() error {
	if s.o.FailWrites != nil {
		if err := s.o.FailWrites(); err != nil {
			return asStorage("gitstore: injected", err)
		}
	}
	return nil
}

package gitstore

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/storage"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// diskBackend is a bare repository. It journals commits, writes packs and
// the branch ref, and reads loose and packed objects itself, without locks;
// go-git is only used, on a private storer, for fetch and push.
type diskBackend struct {
	dir  string
	ref  plumbing.ReferenceName
	log  *slog.Logger
	lock *os.File

	j *journal

	// Journalled state not yet in loose files and the ref file.
	pendMu    sync.Mutex
	pend      map[plumbing.Hash]rawObject
	pendRef   plumbing.Hash
	pendLog   []string
	pendBytes int64
	pendChain int // the longest pending delta chain
	// lastPersist is when the newest commit was journalled (Unix
	// nanoseconds), for the packer to wait for a pause in a burst; idle,
	// when set, tells how long the store has served no request.
	lastPersist atomic.Int64
	idle        atomic.Pointer[func() time.Duration]
	matMu       sync.Mutex // one materializer at a time
	matKick     chan struct{}
	matStop     chan struct{}
	matDone     chan struct{}
	// packEvery is the materializer's period; onPack is told of new packs.
	packEvery time.Duration
	onPack    atomic.Pointer[func()]

	pr *packReader
}

func newStorer(dir string) *filesystem.Storage {
	return filesystem.NewStorage(osfs.New(dir), cache.NewObjectLRU(8*cache.MiByte))
}

// openDisk opens the bare repository in dir, creating it when dir is
// missing or empty, and takes an exclusive lock on it.
func openDisk(dir, branch string, packEvery time.Duration, log *slog.Logger) (*diskBackend, error) {
	ents, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist) || err == nil && len(ents) == 0:
		if err := initRepo(dir, branch); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, fmt.Errorf("gitstore: open %s: %w", dir, err)
	default:
		if _, err := os.Stat(filepath.Join(dir, "objects")); err != nil {
			return nil, fmt.Errorf("gitstore: %s is not a bare git repository: %w", dir, err)
		}
		if _, err := os.Stat(filepath.Join(dir, "HEAD")); err != nil {
			return nil, fmt.Errorf("gitstore: %s is not a bare git repository: %w", dir, err)
		}
	}
	lf, err := os.OpenFile(filepath.Join(dir, "gocaldav.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("gitstore: lock %s: %w", dir, err)
	}
	if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lf.Close()
		return nil, fmt.Errorf("gitstore: %s is in use by another process: %w", dir, err)
	}
	d := &diskBackend{dir: dir, ref: plumbing.NewBranchReferenceName(branch), log: log, lock: lf, pr: newPackReader(dir), packEvery: packEvery,
		pend: map[plumbing.Hash]rawObject{}, matKick: make(chan struct{}, 1), matStop: make(chan struct{}), matDone: make(chan struct{})}
	d.cleanStale()
	if err := d.pr.load(); err != nil {
		lf.Close()
		return nil, asStorage("gitstore: open packs", err)
	}
	if d.j, err = openJournal(d); err != nil {
		lf.Close()
		return nil, asStorage("gitstore: replay journal", err)
	}
	go d.materializeLoop()
	return d, nil
}

// initRepo creates a bare repository and makes it durable.
func initRepo(dir, branch string) error {
	_, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{
		Bare:        true,
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName(branch)},
	})
	if err != nil {
		return fmt.Errorf("gitstore: init %s: %w", dir, err)
	}
	err = filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return syncPath(p)
	})
	if err == nil {
		err = syncPath(filepath.Dir(filepath.Clean(dir)))
	}
	return asStorage("gitstore: init "+dir, err)
}

// cleanStale removes temporary files a crash may have left behind.
func (d *diskBackend) cleanStale() {
	tmps, _ := filepath.Glob(filepath.Join(d.dir, "objects", "??", "tmp_obj_*"))
	locks, _ := filepath.Glob(filepath.Join(d.dir, "refs", "heads", "*.lock"))
	tmpPacks, _ := filepath.Glob(filepath.Join(d.dir, "objects", "pack", "*.tmp"))
	locks = append(locks, tmpPacks...)
	// A crash while packs were written or deleted can leave a pack without
	// its index (unused, remove) or an index without its pack (remove it,
	// else lookups through it fail).
	idxs, _ := filepath.Glob(filepath.Join(d.dir, "objects", "pack", "pack-*.idx"))
	packs, _ := filepath.Glob(filepath.Join(d.dir, "objects", "pack", "pack-*.pack"))
	for _, p := range idxs {
		if _, err := os.Stat(strings.TrimSuffix(p, ".idx") + ".pack"); errors.Is(err, fs.ErrNotExist) {
			locks = append(locks, p)
		}
	}
	for _, p := range packs {
		if _, err := os.Stat(strings.TrimSuffix(p, ".pack") + ".idx"); errors.Is(err, fs.ErrNotExist) {
			locks = append(locks, p)
		}
	}
	for _, p := range append(tmps, locks...) {
		d.log.Info("gitstore: removing stale temporary file", "path", p)
		os.Remove(p)
	}
}

func (d *diskBackend) objPath(h plumbing.Hash) string {
	s := h.String()
	return filepath.Join(d.dir, "objects", s[:2], s[2:])
}

func (d *diskBackend) get(h plumbing.Hash) (rawObject, error) {
	d.pendMu.Lock()
	o, ok := d.pend[h]
	d.pendMu.Unlock()
	if ok {
		return d.whole(o)
	}
	// Packs first: nearly every object is packed, and a miss there costs
	// no system call.
	po, found, err := d.pr.get(h)
	if err != nil {
		return rawObject{}, asStorage("gitstore: read packed", err)
	}
	if found {
		return po, nil
	}
	b, err := os.ReadFile(d.objPath(h))
	if errors.Is(err, fs.ErrNotExist) {
		return rawObject{}, fmt.Errorf("%s: %w", h, errObjectMissing)
	}
	if err != nil {
		return rawObject{}, asStorage("gitstore: read", err)
	}
	o, err = decodeLoose(h, b)
	return o, asStorage("gitstore: read", err)
}

// persist journals objs together with the new branch value; the journal's
// single fsync makes the group durable. The objects are written to a pack
// and the ref file updated afterwards by the materializer, off the request
// path (see journal.go and pack.go); until then reads are served from memory.
func (d *diskBackend) persist(objs []rawObject, old, new plumbing.Hash, reflog []string) error {
	pend := make(map[plumbing.Hash]rawObject, len(objs))
	uniq := objs[:0:0]
	for _, o := range objs {
		if _, dup := pend[o.hash]; !dup {
			pend[o.hash] = o
			uniq = append(uniq, o)
		}
	}
	if err := d.j.commit(journalRecords(uniq, new)); err != nil {
		return err
	}
	d.lastPersist.Store(time.Now().UnixNano())
	d.pendMu.Lock()
	for _, o := range uniq {
		d.holdLocked(o)
	}
	d.pendRef = new
	d.pendLog = append(d.pendLog, reflog...)
	full := d.pendFullLocked()
	d.pendMu.Unlock()
	if full {
		select {
		case d.matKick <- struct{}{}:
		default:
		}
	}
	d.j.maybeRotate(d.materialize)
	return nil
}

// holdLocked adds a journalled object to the pending ones (pendMu held).
// Only the newest version of a tree stays whole: the pending version it
// replaces becomes a delta against it. A chain at maxPendChain asks for a
// pack, but grows on (up to maxDeltaDepth) while the pack is written, so
// that the versions committed meanwhile are held as deltas too.
func (d *diskBackend) holdLocked(o rawObject) {
	if _, dup := d.pend[o.hash]; dup {
		return
	}
	if old, ok := d.pend[o.base]; ok && o.hinted && old.delta == nil && old.chain < maxDeltaDepth {
		if dl := gitDelta(o, old); dl != nil {
			d.pendBytes -= pendCost(old)
			old.data, old.tree, old.delta, old.deltaOf = nil, nil, dl, o.hash
			d.pendBytes += pendCost(old)
			d.pend[o.base] = old
			o.chain = old.chain + 1
			d.pendChain = max(d.pendChain, o.chain)
		}
	}
	d.pend[o.hash] = o
	d.pendBytes += pendCost(o)
}

// pendFullLocked is true when the pending objects should be packed now:
// they hold much memory, are many, or a tree's delta chain is at its
// limit (pendMu held).
func (d *diskBackend) pendFullLocked() bool {
	return d.pendLargeLocked() || d.pendChain >= maxPendChain
}

// pendLargeLocked is true when the pending objects hold much memory or
// are many (pendMu held).
func (d *diskBackend) pendLargeLocked() bool {
	return d.pendBytes > pendLimit || len(d.pend) > 16384
}

// mayWaitLocked is true when pending objects that are due for a pack
// may wait for a pause: only their delta chain is due, it is not yet at
// pendChainHard, and a commit was journalled or a request served (see
// Store.Serving) less than packQuiet ago. A burst of writes then does not share the processor
// with deflating the large trees (pendMu held).
func (d *diskBackend) mayWaitLocked() bool {
	idle := time.Since(time.Unix(0, d.lastPersist.Load()))
	if f := d.idle.Load(); f != nil {
		idle = min(idle, (*f)())
	}
	return !d.pendLargeLocked() && d.pendChain < pendChainHard && idle < packQuiet
}

// pendChainHard is the chain at which pending objects are packed even
// during a burst of commits.
const pendChainHard = maxPendChain + maxPendChain/2

// packQuiet is the pause in commits a pack due for its chain waits for
// (a variable so tests can change it).
var packQuiet = 50 * time.Millisecond

// rechainLocked recounts the delta chains of the pending objects left
// after a pack was written (those committed meanwhile), and pendChain with
// them: a version whose older versions went into the pack starts a new
// chain. Counting on from the written versions would keep the chain at
// its limit under steady writes, so that every newest version stayed
// whole and a pack followed each few commits (pendMu held).
func (d *diskBackend) rechainLocked() {
	depth := make(map[plumbing.Hash]int, len(d.pend))
	var chainOf func(h plumbing.Hash) int
	chainOf = func(h plumbing.Hash) int {
		if c, ok := depth[h]; ok {
			return c
		}
		o := d.pend[h]
		c := 0
		if older, ok := d.pend[o.base]; ok && !o.base.IsZero() && older.deltaOf == h {
			c = chainOf(o.base) + 1
		}
		depth[h] = c
		return c
	}
	d.pendChain = 0
	for h, o := range d.pend {
		o.chain = chainOf(h)
		d.pend[h] = o
		d.pendChain = max(d.pendChain, o.chain)
	}
}

// maxPendChain bounds how many pending versions of a tree are held as
// deltas against their successor: a chain this long starts a pack, and
// reading the oldest applies that many deltas (more while the pack is
// written, up to maxDeltaDepth).
const maxPendChain = 256

// pendCost is what a pending object holds in memory.
func pendCost(o rawObject) int64 { return int64(o.size() + len(o.delta)) }

// whole returns a pending object with its content, applying the deltas
// from its newer versions when it is held as one.
func (d *diskBackend) whole(o rawObject) (rawObject, error) {
	if o.delta == nil {
		return o, nil
	}
	d.pendMu.Lock()
	newer, ok := d.pend[o.deltaOf]
	d.pendMu.Unlock()
	if !ok { // packed meanwhile, with o
		return d.get(o.hash)
	}
	nw, err := d.whole(newer)
	if err != nil {
		return rawObject{}, err
	}
	data, err := applyDelta(nw.content(), o.delta)
	if err != nil {
		return rawObject{}, asStorage("gitstore: pending delta", err)
	}
	o.data, o.delta, o.deltaOf = data, nil, plumbing.ZeroHash
	return o, nil
}

// pendLimit is the content size of journalled objects held in memory
// before they are packed early; each pack stores the newest version of a
// tree in full, so larger packs compress history better.
const pendLimit = 32 << 20

// materializeLoop packs journalled objects once enough accumulated, or a
// second after the last commit.
func (d *diskBackend) materializeLoop() {
	defer close(d.matDone)
	tick := time.NewTicker(d.packEvery)
	defer tick.Stop()
	var retry <-chan time.Time // set while a due pack waits for a pause
	// packIfDue packs what is due, or (re)arms retry when it may wait. A
	// kick sent while a pack was being written may be stale once it is:
	// packing what came meanwhile would make a small pack, so dueness is
	// judged when the packer is free.
	packIfDue := func() error {
		wait, err := d.materializeDue()
		switch {
		case !wait:
			retry = nil
		case retry == nil:
			retry = time.After(packQuiet)
		}
		return err
	}
	for {
		var err error
		select {
		case <-d.matKick:
			err = packIfDue()
		case <-retry:
			retry = nil
			err = packIfDue()
		case <-tick.C:
			err = d.materialize()
		case <-d.matStop:
			return
		}
		if err != nil {
			d.log.Error("gitstore: writing a pack failed (the journal keeps the objects)", "err", err)
		}
	}
}

// materialize writes every pending object into a new pack (synced), then
// points the ref file at the newest journalled commit (not synced: the
// journal covers it until the next checkpoint).
func (d *diskBackend) materialize() error {
	d.matMu.Lock()
	defer d.matMu.Unlock()
	return d.materializeLocked()
}

// materializeDue is materialize if the pending objects are due for a
// pack; wait is true when they are but may wait for a pause in the
// commits (see mayWaitLocked).
func (d *diskBackend) materializeDue() (wait bool, err error) {
	d.matMu.Lock()
	defer d.matMu.Unlock()
	d.pendMu.Lock()
	due := d.pendFullLocked()
	wait = due && d.mayWaitLocked()
	d.pendMu.Unlock()
	if !due || wait {
		return wait, nil
	}
	return false, d.materializeLocked()
}

// materializeLocked is materialize with matMu held.
func (d *diskBackend) materializeLocked() error {
	d.pendMu.Lock()
	objs := make([]rawObject, 0, len(d.pend))
	for _, o := range d.pend {
		objs = append(objs, o)
	}
	ref, logs := d.pendRef, d.pendLog
	d.pendMu.Unlock()
	// An object may be made again (a file set back to an earlier
	// content): a pack never repeats an object another pack holds, so
	// that packs can be merged by copying (git refuses a pack holding
	// one object twice).
	written := objs
	objs = slices.DeleteFunc(slices.Clone(objs), func(o rawObject) bool { return d.pr.has(o.hash) })
	if len(written) == 0 && ref.IsZero() {
		return nil
	}
	if len(objs) > 0 {
		if err := d.writePack(objs); err != nil {
			return err
		}
		if err := d.reload(); err != nil {
			return err
		}
		if f := d.onPack.Load(); f != nil {
			(*f)()
		}
	}
	if !ref.IsZero() {
		if err := d.writeRefFile(ref); err != nil {
			return err
		}
	}
	d.appendReflog(logs)
	d.pendMu.Lock()
	for _, o := range written {
		if cur, ok := d.pend[o.hash]; ok { // maybe made a delta meanwhile
			d.pendBytes -= pendCost(cur)
			delete(d.pend, o.hash)
		}
	}
	d.rechainLocked()
	if d.pendRef == ref {
		d.pendRef = plumbing.ZeroHash
	}
	d.pendLog = d.pendLog[len(logs):]
	d.pendMu.Unlock()
	return nil
}

func (d *diskBackend) refPath() string {
	return filepath.Join(d.dir, filepath.FromSlash(d.ref.String()))
}

// writeRefFile atomically replaces the ref file (not synced).
func (d *diskBackend) writeRefFile(h plumbing.Hash) error {
	p := d.refPath()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(p+".lock", []byte(h.String()+"\n"), 0o644); err != nil {
		return err
	}
	return os.Rename(p+".lock", p)
}

// writeRef durably replaces the branch ref (write, sync, rename, sync dir).
func (d *diskBackend) writeRef(h plumbing.Hash) error {
	if err := d.writeRefFile(h); err != nil {
		return err
	}
	if err := syncPath(d.refPath()); err != nil {
		return err
	}
	return syncPath(filepath.Dir(d.refPath()))
}

// appendReflog appends to the branch's reflog, a convenience and a
// recovery aid; it is not synced.
func (d *diskBackend) appendReflog(lines []string) {
	lp := filepath.Join(d.dir, "logs", filepath.FromSlash(d.ref.String()))
	if err := os.MkdirAll(filepath.Dir(lp), 0o755); err == nil {
		if f, err := os.OpenFile(lp, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
			f.WriteString(strings.Join(lines, ""))
			f.Close()
		}
	}
}

// loadHead reads the branch. If the loose ref is unreadable or names a
// commit that is not complete (a crash on a filesystem without ordered
// writes, or tampering), it falls back to the newest valid reflog entry,
// then to packed-refs.
func (d *diskBackend) loadHead(valid func(plumbing.Hash) bool) (plumbing.Hash, error) {
	p := filepath.Join(d.dir, filepath.FromSlash(d.ref.String()))
	b, err := os.ReadFile(p)
	loose := err == nil
	if loose {
		if h, ok := parseHex(strings.TrimSpace(string(b))); ok && valid(h) {
			return h, nil
		}
		d.log.Warn("gitstore: branch ref is damaged, recovering", "ref", d.ref.String())
	} else if !errors.Is(err, fs.ErrNotExist) {
		return plumbing.ZeroHash, asStorage("gitstore: read ref", err)
	}
	var cands []plumbing.Hash
	if loose {
		lb, _ := os.ReadFile(filepath.Join(d.dir, "logs", filepath.FromSlash(d.ref.String())))
		lines := strings.Split(string(lb), "\n")
		for i := len(lines) - 1; i >= 0; i-- {
			f := strings.Fields(lines[i])
			if len(f) >= 2 {
				if h, ok := parseHex(f[1]); ok {
					cands = append(cands, h)
				}
			}
		}
	}
	pb, _ := os.ReadFile(filepath.Join(d.dir, "packed-refs"))
	for _, line := range strings.Split(string(pb), "\n") {
		if hx, name, ok := strings.Cut(line, " "); ok && name == d.ref.String() {
			if h, ok := parseHex(hx); ok {
				cands = append(cands, h)
			}
		}
	}
	for _, h := range cands {
		if valid(h) {
			if loose {
				d.log.Warn("gitstore: branch ref recovered", "ref", d.ref.String(), "commit", h.String())
				if err := d.writeRef(h); err != nil {
					return plumbing.ZeroHash, asStorage("gitstore: repair ref", err)
				}
			}
			return h, nil
		}
	}
	if loose || len(cands) > 0 {
		return plumbing.ZeroHash, fmt.Errorf("gitstore: branch %s names no complete commit and none could be recovered: %w", d.ref.Short(), ErrStorage)
	}
	return plumbing.ZeroHash, nil
}

func (d *diskBackend) transport(fn func(storage.Storer) error) error {
	if err := d.materialize(); err != nil {
		return asStorage("gitstore: write loose objects", err)
	}
	if err := fn(newStorer(d.dir)); err != nil {
		return err
	}
	return d.syncPacks()
}

// syncPacks makes packs written by go-git (which does not fsync) durable.
func (d *diskBackend) syncPacks() error {
	pd := filepath.Join(d.dir, "objects", "pack")
	ents, err := os.ReadDir(pd)
	if err != nil {
		return nil
	}
	for _, e := range ents {
		if err := syncPath(filepath.Join(pd, e.Name())); err != nil {
			return asStorage("gitstore: sync packs", err)
		}
	}
	return asStorage("gitstore: sync packs", syncPath(pd))
}

func (d *diskBackend) reload() error {
	return d.pr.load()
}

func (d *diskBackend) close() error {
	close(d.matStop)
	<-d.matDone
	err := d.materialize()
	if err == nil {
		// Checkpoint: a cleanly closed repository needs no replay.
		err = d.j.close()
	}
	d.pr.close()
	d.lock.Close()
	return err
}

func parseHex(s string) (plumbing.Hash, bool) {
	var h plumbing.Hash
	if len(s) != 2*len(h) {
		return plumbing.ZeroHash, false
	}
	for i := range h {
		hi, ok1 := lowerHexDigit(s[2*i])
		lo, ok2 := lowerHexDigit(s[2*i+1])
		if !ok1 || !ok2 {
			return plumbing.ZeroHash, false
		}
		h[i] = hi<<4 | lo
	}
	return h, !h.IsZero()
}

// lowerHexDigit is the value of a lower-case hexadecimal digit.
func lowerHexDigit(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// fsyncs counts fsync calls, for benchmarks.
var fsyncs atomic.Int64

// syncPath fsyncs a file or directory.
func syncPath(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	fsyncs.Add(1)
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func writeFileSync(p string, b []byte) error {
	f, err := os.OpenFile(p, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		fsyncs.Add(1)
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// parallel runs fn(0..n-1) on up to 8 goroutines and returns the first error.
func parallel(n int, fn func(i int) error) error {
	if n <= 1 {
		if n == 1 {
			return fn(0)
		}
		return nil
	}
	errs := make([]error, n)
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			errs[i] = fn(i)
			<-sem
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

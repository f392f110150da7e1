package gitstore

import (
	"cmp"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

// maintainer runs Maintain in the background, off the request path,
// when the number of packs grows past Options.MaxPacks.
type maintainer struct {
	s      *Store
	kick   chan struct{}
	packed func() // called by the disk backend after it wrote a pack
}

func newMaintainer(s *Store) *maintainer {
	m := &maintainer{s: s, kick: make(chan struct{}, 1)}
	m.packed = func() {
		if s.o.NoAutoMaintain || s.disk == nil {
			return
		}
		if packs, err := s.disk.packs(); err == nil && len(packs) > s.o.MaxPacks {
			select {
			case m.kick <- struct{}{}:
			default:
			}
		}
	}
	return m
}

func (m *maintainer) run(ctx context.Context) {
	for {
		select {
		case <-m.kick:
		case <-ctx.Done():
			return
		}
		if !m.waitQuiet(ctx) {
			return
		}
		// Each run merges at least two packs; run until few enough are left.
		for {
			if err := m.s.maintain(ctx, false); err != nil {
				if ctx.Err() == nil {
					m.s.log.Error("gitstore: maintenance failed", "err", err)
				}
				break
			}
			packs, err := m.s.disk.packs()
			if err != nil || len(packs) <= m.s.o.MaxPacks || ctx.Err() != nil {
				break
			}
		}
	}
}

// maintainQuiet is how long the maintainer waits after the last commit
// or request (see Store.Serving) before it merges packs, unless they pile
// up (past twice Options.MaxPacks): a merge inflates and compresses, and
// run during a burst of requests it takes the processor from them.
const maintainQuiet = 500 * time.Millisecond

// waitQuiet waits until the store was idle for maintainQuiet, or packs
// pile up; false when ctx ends first.
func (m *maintainer) waitQuiet(ctx context.Context) bool {
	for {
		idle := m.s.idleFor()
		if idle >= maintainQuiet {
			return true
		}
		if packs, err := m.s.disk.packs(); err == nil && len(packs) > 2*m.s.o.MaxPacks {
			return true
		}
		select {
		case <-time.After(maintainQuiet - idle):
		case <-ctx.Done():
			return false
		}
	}
}

// Maintain keeps the repository small and fast: it writes journalled
// objects out, packs loose objects (written by other git tools) with each
// tree and file a delta against its version in the parent commit, and,
// when there are more than Options.MaxPacks packs, merges the smallest
// ones by copying (see packmerge.go: no object is inflated, so a merge
// costs a sequential copy and little memory however large the trees are).
// Nothing is pruned. Readers and writers are not blocked; pushes and
// fetches wait. A memory store has nothing to do.
func (s *Store) Maintain(ctx context.Context) error { return s.maintain(ctx, true) }

// maintain is Maintain; the background maintainer leaves the journalled
// objects to the materializer (writing them out at each of its runs made
// a small pack per run, under steady writes, for the next run to merge).
func (s *Store) maintain(ctx context.Context, writeJournalled bool) error {
	d := s.disk
	if d == nil {
		return nil
	}
	s.bgMu.Lock()
	defer s.bgMu.Unlock()
	start := time.Now()
	if writeJournalled {
		if err := d.materialize(); err != nil {
			return asStorage("gitstore: maintain", err)
		}
	}
	loose, err := d.looseObjects()
	if err != nil {
		return asStorage("gitstore: maintain", err)
	}
	packs, err := d.packs()
	if err != nil {
		return asStorage("gitstore: maintain", err)
	}
	if len(loose) == 0 && len(packs) <= s.o.MaxPacks {
		return nil
	}
	if err := s.failHook(); err != nil {
		return err
	}
	objects := 0
	if len(loose) > 0 {
		if objects, err = s.packLoose(ctx, loose); err != nil {
			return err
		}
	}
	var merged []packInfo
	if len(packs) > s.o.MaxPacks {
		if merged, err = s.mergeSmallestPacks(ctx, packs); err != nil {
			return err
		}
	}
	s.log.Info("gitstore: maintenance done", "loose", len(loose), "loose_objects", objects, "merged_packs", len(merged),
		"took", time.Since(start))
	return nil
}

// packLoose writes the loose objects into one pack (see repack), then
// removes the loose files. It returns how many objects it packed.
func (s *Store) packLoose(ctx context.Context, loose []plumbing.Hash) (int, error) {
	d := s.disk
	n, err := s.repack(ctx, loose)
	if err != nil {
		return 0, asStorage("gitstore: maintain: write pack", err)
	}
	if err := d.reload(); err != nil {
		return 0, asStorage("gitstore: maintain", err)
	}
	// Only now that the new pack is durable and visible are the originals removed.
	for _, h := range loose {
		if err := os.Remove(d.objPath(h)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return 0, asStorage("gitstore: maintain", err)
		}
	}
	return n, nil
}

// rewritePacks writes the objects of packs into one new pack (see repack).
func (s *Store) rewritePacks(ctx context.Context, packs []packInfo) error {
	var all []plumbing.Hash
	for _, p := range packs {
		hs, err := s.disk.packHashes(p.id)
		if err != nil {
			return err
		}
		all = append(all, hs...)
	}
	_, err := s.repack(ctx, all)
	return err
}

// repack reads the objects hs (each once) and writes them as one new pack
// in which each tree and file is a delta against its version in the
// parent commit where that version is among them. It returns how many
// objects the pack holds.
func (s *Store) repack(ctx context.Context, hs []plumbing.Hash) (int, error) {
	objs := make(map[plumbing.Hash]rawObject, len(hs))
	if _, err := s.readObjects(ctx, hs, objs, nil); err != nil {
		return 0, err
	}
	return s.writeRepacked(objs)
}

// readObjects reads the objects hs that are in neither objs nor skip
// into objs, whole, and returns the bytes they hold.
func (s *Store) readObjects(ctx context.Context, hs []plumbing.Hash, objs, skip map[plumbing.Hash]rawObject) (int, error) {
	n := 0
	for _, h := range hs {
		if _, ok := objs[h]; ok {
			continue
		}
		if _, ok := skip[h]; ok {
			continue
		}
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		o, err := s.disk.get(h)
		if err != nil {
			return 0, err
		}
		objs[h] = rawObject{typ: o.typ, data: o.content(), hash: h}
		n += len(objs[h].data)
	}
	return n, nil
}

// writeRepacked writes objs as one pack in which each tree and file is a
// delta against its version in the parent commit, where that is among
// them. It returns how many objects the pack holds.
func (s *Store) writeRepacked(objs map[plumbing.Hash]rawObject) (int, error) {
	s.deltaHints(objs)
	list := make([]rawObject, 0, len(objs))
	for _, o := range objs {
		list = append(list, o)
	}
	return len(list), s.disk.writePack(list)
}

// rewriteSmallPacks rewrites packs, smallest first, into one pack (see
// repack): as many of them as inflate to at most rewriteBytes together,
// and at least two. It returns the packs rewritten.
func (s *Store) rewriteSmallPacks(ctx context.Context, packs []packInfo) ([]packInfo, error) {
	objs := map[plumbing.Hash]rawObject{}
	var done []packInfo
	total := 0
	for _, p := range packs {
		hs, err := s.disk.packHashes(p.id)
		if err != nil {
			return nil, err
		}
		more := map[plumbing.Hash]rawObject{}
		n, err := s.readObjects(ctx, hs, more, objs)
		if err != nil {
			return nil, err
		}
		if len(done) >= 2 && total+n > rewriteBytes {
			break
		}
		maps.Copy(objs, more)
		total += n
		done = append(done, p)
	}
	_, err := s.writeRepacked(objs)
	return done, err
}

// rewriteObjects is the most objects a merge rewrites rather than copies:
// rewriting inflates them all, and that many objects are some 60 commits,
// so some 60 versions of a large directory's tree.
const rewriteObjects = 400

// rewriteBytes bounds what a rewrite of small packs holds inflated at
// once: at 10,000 events each version of the calendar's tree is 1.3 MB,
// and rewriting 400 objects held some 60 of them, over 100 MB.
var rewriteBytes = 16 << 20

// mergeSmallestPacks merges the smallest packs into one: at least two,
// and each further pack only while it is at most twice the size of those
// taken before it together (geometric merging: a big pack is rewritten
// only once the small ones add up to it, so the total copying stays
// proportional to n log n). It returns the packs merged.
func (s *Store) mergeSmallestPacks(ctx context.Context, packs []packInfo) ([]packInfo, error) {
	d := s.disk
	slices.SortFunc(packs, func(a, b packInfo) int { return cmp.Compare(a.size, b.size) })
	// Packs of a few commits each (written at a low commit rate, or for
	// pushes) are rewritten together: each tree becomes a delta against
	// its newer version across them, where copying would keep one whole
	// copy of every large directory per pack.
	var merged []packInfo
	objects := 0
	for _, p := range packs {
		if objects+p.count > rewriteObjects {
			break
		}
		merged = append(merged, p)
		objects += p.count
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var err error
	if len(merged) >= 2 {
		merged, err = s.rewriteSmallPacks(ctx, merged)
	} else {
		merged = merged[:0]
		var size int64
		for _, p := range packs {
			if len(merged) >= 2 && (p.size > 2*size || size+p.size > maxPackSize/2) {
				break
			}
			merged = append(merged, p)
			size += p.size
		}
		if _, err = d.mergePacks(merged); errors.Is(err, errDuplicateObject) {
			// Packs from before objects were kept unique, or written by
			// other git tools: rewrite them object by object, once.
			err = s.rewritePacks(ctx, merged)
		}
	}
	if err != nil {
		return nil, asStorage("gitstore: maintain: merge packs", err)
	}
	if err := d.reload(); err != nil {
		return nil, asStorage("gitstore: maintain", err)
	}
	// Readers still using the old packs keep their open files.
	for _, p := range merged {
		base := filepath.Join(d.dir, "objects", "pack", "pack-"+p.id.String())
		// The index goes first: an index without its pack breaks reads.
		for _, ext := range []string{".idx", ".pack", ".rev", ".keep"} {
			os.Remove(base + ext)
		}
	}
	if err := d.reload(); err != nil {
		return nil, asStorage("gitstore: maintain", err)
	}
	syncPath(filepath.Join(d.dir, "objects", "pack"))
	return merged, nil
}

// deltaHints sets each object's base to its previous version: for every
// commit in objs, the trees and files that differ from its first parent's.
func (s *Store) deltaHints(objs map[plumbing.Hash]rawObject) {
	seen := map[plumbing.Hash]bool{}
	var pair func(newer, older plumbing.Hash)
	pair = func(newer, older plumbing.Hash) {
		if newer == older || seen[newer] {
			return
		}
		seen[newer] = true
		if o, ok := objs[newer]; ok && o.base.IsZero() {
			o.base = older
			objs[newer] = o
		}
		tn, err1 := s.tree(newer)
		to, err2 := s.tree(older)
		if err1 != nil || err2 != nil {
			return
		}
		pairEntries(to, tn, func(f, e *treeEntry) error {
			switch {
			case f == nil || e == nil:
			case e.isDir():
				pair(e.hash, f.hash)
			default:
				if o, ok := objs[e.hash]; ok && o.base.IsZero() {
					o.base = f.hash
					objs[e.hash] = o
				}
			}
			return nil
		})
	}
	// Visit commits parents first, so that each commit's old trees are the
	// ones just decoded for its parent (still in the tree cache).
	commits := map[plumbing.Hash]*commitObj{}
	for _, o := range objs {
		if o.typ == plumbing.CommitObject {
			if c, err := decodeCommit(o.hash, o.data); err == nil && len(c.parents) > 0 {
				commits[o.hash] = c
			}
		}
	}
	children := map[plumbing.Hash][]plumbing.Hash{}
	var todo []plumbing.Hash
	for h, c := range commits {
		if _, inSet := commits[c.parents[0]]; inSet {
			children[c.parents[0]] = append(children[c.parents[0]], h)
		} else {
			todo = append(todo, h)
		}
	}
	for len(todo) > 0 {
		h := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		c := commits[h]
		if p, err := s.commit(c.parents[0]); err == nil {
			pair(c.tree, p.tree)
		}
		todo = append(todo, children[h]...)
	}
}

// looseObjects lists the ids of all loose objects.
func (d *diskBackend) looseObjects() ([]plumbing.Hash, error) {
	od := filepath.Join(d.dir, "objects")
	subs, err := os.ReadDir(od)
	if err != nil {
		return nil, err
	}
	var out []plumbing.Hash
	for _, sd := range subs {
		if len(sd.Name()) != 2 || !sd.IsDir() {
			continue
		}
		if _, err := hex.DecodeString(sd.Name()); err != nil {
			continue
		}
		ents, err := os.ReadDir(filepath.Join(od, sd.Name()))
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			if h, ok := parseHex(sd.Name() + e.Name()); ok {
				out = append(out, h)
			}
		}
	}
	return out, nil
}

// packInfo is a pack id, its file size and its number of objects.
type packInfo struct {
	id    plumbing.Hash
	size  int64
	count int
}

// packs lists the packs.
func (d *diskBackend) packs() ([]packInfo, error) {
	dir := filepath.Join(d.dir, "objects", "pack")
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []packInfo
	for _, e := range ents {
		n, ok := strings.CutPrefix(e.Name(), "pack-")
		if n, ok2 := strings.CutSuffix(n, ".idx"); ok && ok2 {
			if h, ok := parseHex(n); ok {
				fi, err := os.Stat(filepath.Join(dir, "pack-"+n+".pack"))
				if err != nil {
					continue
				}
				n, err := idxCount(filepath.Join(dir, "pack-"+n+".idx"))
				if err != nil {
					continue
				}
				out = append(out, packInfo{h, fi.Size(), n})
			}
		}
	}
	return out, nil
}

// idxCount reads the number of objects from a version-2 pack index (the
// last entry of its fan-out table).
func idxCount(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var b [4]byte
	if _, err := f.ReadAt(b[:], 8+255*4); err != nil {
		return 0, err
	}
	return int(binary.BigEndian.Uint32(b[:])), nil
}

// packHashes lists the ids in pack p in pack order (bases first, which
// keeps go-git's delta cache effective when reading them in this order).
func (d *diskBackend) packHashes(p plumbing.Hash) ([]plumbing.Hash, error) {
	x, err := readPackIndex(filepath.Join(d.dir, "objects", "pack", "pack-"+p.String()+".idx"), false)
	if err != nil {
		return nil, fmt.Errorf("pack %s: %w", p, err)
	}
	return x.byOffset(), nil
}

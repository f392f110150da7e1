package gitstore

import (
	"cmp"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/idxfile"
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
		if err := m.s.Maintain(ctx); err != nil && ctx.Err() == nil {
			m.s.log.Error("gitstore: maintenance failed", "err", err)
		}
	}
}

// mergeBudget bounds the content bytes one maintenance run holds in memory.
const mergeBudget = 64 << 20

// Maintain keeps the repository small and fast: it writes journalled
// objects out, then, when there are loose objects (written by other git
// tools) or more than Options.MaxPacks packs, merges them (smallest packs
// first, up to a memory budget) into one pack in which each tree and file
// is a delta against its version in the parent commit. Nothing is pruned.
// Readers and writers are not blocked; pushes and fetches wait. A memory
// store has nothing to do.
func (s *Store) Maintain(ctx context.Context) error {
	d := s.disk
	if d == nil {
		return nil
	}
	s.bgMu.Lock()
	defer s.bgMu.Unlock()
	start := time.Now()
	if err := d.materialize(); err != nil {
		return asStorage("gitstore: maintain", err)
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
	// Read loose objects, then whole packs, fewest objects first. Merging
	// stops at the memory budget, or at a pack more than twice as big as
	// all those before it together (geometric merging: a big pack is only
	// rewritten once the small ones add up to it, so the total work stays
	// proportional to n log n).
	slices.SortFunc(packs, func(a, b packInfo) int { return cmp.Compare(a.count, b.count) })
	objs := map[plumbing.Hash]rawObject{}
	var raw int64
	read := func(h plumbing.Hash) error {
		if _, ok := objs[h]; ok {
			return nil
		}
		o, err := d.get(h)
		if err != nil {
			return err
		}
		objs[h] = rawObject{typ: o.typ, data: o.data, hash: h}
		raw += int64(len(o.data))
		return nil
	}
	for _, h := range loose {
		if err := read(h); err != nil {
			return asStorage("gitstore: maintain", err)
		}
	}
	var merged []packInfo
	if len(packs) > s.o.MaxPacks {
		selected := 0
		for _, p := range packs {
			if len(merged) >= 2 && (raw > mergeBudget || p.count > 2*selected) {
				break
			}
			selected += p.count
			hs, err := d.packHashes(p.id)
			if err != nil {
				return asStorage("gitstore: maintain", err)
			}
			for _, h := range hs {
				if err := read(h); err != nil {
					return asStorage("gitstore: maintain", err)
				}
			}
			merged = append(merged, p)
			if err := ctx.Err(); err != nil {
				return err
			}
		}
	}
	s.deltaHints(objs)
	list := make([]rawObject, 0, len(objs))
	for _, o := range objs {
		list = append(list, o)
	}
	if err := d.writePack(list); err != nil {
		return asStorage("gitstore: maintain: write pack", err)
	}
	if err := d.reload(); err != nil {
		return asStorage("gitstore: maintain", err)
	}
	// Only now that the new pack is durable and visible are the originals removed.
	for _, h := range loose {
		if err := os.Remove(d.objPath(h)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return asStorage("gitstore: maintain", err)
		}
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
		return asStorage("gitstore: maintain", err)
	}
	syncPath(filepath.Join(d.dir, "objects", "pack"))
	s.log.Info("gitstore: maintenance done", "loose", len(loose), "merged_packs", len(merged),
		"objects", len(list), "bytes", raw, "took", time.Since(start))
	return nil
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
		for _, e := range tn.entries {
			f, ok := to.lookup(e.name)
			switch {
			case !ok || f.hash == e.hash || f.isDir() != e.isDir():
			case e.isDir():
				pair(e.hash, f.hash)
			default:
				if o, ok := objs[e.hash]; ok && o.base.IsZero() {
					o.base = f.hash
					objs[e.hash] = o
				}
			}
		}
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
	f, err := os.Open(filepath.Join(d.dir, "objects", "pack", "pack-"+p.String()+".idx"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	idx := idxfile.NewMemoryIndex()
	if err := idxfile.NewDecoder(f).Decode(idx); err != nil {
		return nil, fmt.Errorf("pack %s: %w", p, err)
	}
	it, err := idx.EntriesByOffset()
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []plumbing.Hash
	for {
		e, err := it.Next()
		if err != nil {
			break
		}
		out = append(out, e.Hash)
	}
	return out, nil
}

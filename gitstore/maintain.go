package gitstore

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/idxfile"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
)

// maintainer counts loose objects written and runs Maintain in the
// background, off the request path, when thresholds are crossed.
type maintainer struct {
	s     *Store
	kick  chan struct{}
	mu    sync.Mutex
	objs  int
	bytes int64
}

func newMaintainer(s *Store) *maintainer {
	return &maintainer{s: s, kick: make(chan struct{}, 1)}
}

// wrote accounts for objects just made durable.
func (m *maintainer) wrote(objs []rawObject) {
	if m.s.disk == nil || m.s.o.MaintainLooseObjects < 0 {
		return
	}
	m.mu.Lock()
	m.objs += len(objs)
	for _, o := range objs {
		m.bytes += int64(len(o.data))
	}
	due := m.objs >= m.s.o.MaintainLooseObjects || m.bytes >= m.s.o.MaintainLooseBytes
	if due {
		m.objs, m.bytes = 0, 0
	}
	m.mu.Unlock()
	if due {
		select {
		case m.kick <- struct{}{}:
		default:
		}
	}
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

// Maintain packs loose objects into a new pack (with deltas) and deletes
// them; when there are more than Options.MaxPacks packs it merges all packs
// into one. Nothing is pruned: every object stays. Readers and writers are
// not blocked; pushes and fetches wait. A memory store has nothing to do.
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
	merge := len(packs) >= s.o.MaxPacks
	if len(loose) == 0 && !merge {
		return nil
	}
	set := map[plumbing.Hash]bool{}
	for _, h := range loose {
		set[h] = true
	}
	if merge {
		for _, p := range packs {
			if err := d.packHashes(p, set); err != nil {
				return asStorage("gitstore: maintain", err)
			}
		}
	}
	hashes := make([]plumbing.Hash, 0, len(set))
	for h := range set {
		hashes = append(hashes, h)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.failHook(); err != nil {
		return err
	}
	st := newStorer(d.dir)
	defer st.Close()
	w, err := st.PackfileWriter()
	if err != nil {
		return asStorage("gitstore: maintain", err)
	}
	newPack, err := packfile.NewEncoder(w, st, false).Encode(hashes, 10)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return asStorage("gitstore: maintain: write pack", err)
	}
	if err := d.syncPacks(); err != nil {
		return err
	}
	if err := d.reload(); err != nil {
		return asStorage("gitstore: maintain", err)
	}
	// Only now that the pack is durable and visible are the originals removed.
	for _, h := range loose {
		if err := os.Remove(d.objPath(h)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return asStorage("gitstore: maintain", err)
		}
	}
	if merge {
		for _, p := range packs {
			if p == newPack {
				continue
			}
			base := filepath.Join(d.dir, "objects", "pack", "pack-"+p.String())
			for _, ext := range []string{".pack", ".idx", ".rev", ".keep"} {
				os.Remove(base + ext)
			}
		}
	}
	syncPath(filepath.Join(d.dir, "objects", "pack"))
	s.log.Info("gitstore: maintenance done", "loose", len(loose), "merged_packs", merge, "objects", len(hashes), "took", time.Since(start))
	return nil
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

// packs lists the pack ids.
func (d *diskBackend) packs() ([]plumbing.Hash, error) {
	ents, err := os.ReadDir(filepath.Join(d.dir, "objects", "pack"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []plumbing.Hash
	for _, e := range ents {
		n, ok := strings.CutPrefix(e.Name(), "pack-")
		if n, ok2 := strings.CutSuffix(n, ".idx"); ok && ok2 {
			if h, ok := parseHex(n); ok {
				out = append(out, h)
			}
		}
	}
	return out, nil
}

// packHashes adds the ids in pack p's index to set.
func (d *diskBackend) packHashes(p plumbing.Hash, set map[plumbing.Hash]bool) error {
	f, err := os.Open(filepath.Join(d.dir, "objects", "pack", "pack-"+p.String()+".idx"))
	if err != nil {
		return err
	}
	defer f.Close()
	idx := idxfile.NewMemoryIndex()
	if err := idxfile.NewDecoder(f).Decode(idx); err != nil {
		return fmt.Errorf("pack %s: %w", p, err)
	}
	it, err := idx.Entries()
	if err != nil {
		return err
	}
	defer it.Close()
	for {
		e, err := it.Next()
		if err != nil {
			break
		}
		set[e.Hash] = true
	}
	return nil
}

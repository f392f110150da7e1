package gitstore

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// Txn is the set of changes a Batch callback builds. Its reads see its own
// pending writes and removals. A Txn is only valid inside its callback and
// must not be used from several goroutines at once.
type Txn struct {
	s    *Store
	base *Snapshot
	root *mdir
	objs map[plumbing.Hash]rawObject // new blobs
	// gen marks the directories this transaction made and may change in
	// place; one it shares with the transaction before it in a group is
	// copied first (see next).
	gen  int
	memo *buildMemo // shared by the transactions of a group
}

// newTxn returns an empty transaction over base, the first of a group.
func newTxn(s *Store, base *Snapshot) *Txn {
	return &Txn{s: s, base: base, root: &mdir{base: base.root, gen: 1}, objs: map[plumbing.Hash]rawObject{}, gen: 1,
		memo: &buildMemo{dirs: map[*mdir]*builtDir{}}}
}

// next returns a transaction that starts where t ended, for the next
// batch of a group: it sees t's changes, shares t's directories and
// copies one before changing it, so that t, no longer changed, can still
// be built.
func (t *Txn) next() *Txn {
	n := &Txn{s: t.s, base: t.base, objs: maps.Clone(t.objs), gen: t.gen + 1, memo: t.memo}
	n.root = t.root.ownedBy(n.gen)
	return n
}

// mdir is a directory with pending changes over its base tree.
type mdir struct {
	base plumbing.Hash // zero for a new directory
	kids map[string]*mnode
	gen  int // the transaction generation that made it
}

// ownedBy returns m if generation gen made it, else a copy gen owns.
func (m *mdir) ownedBy(gen int) *mdir {
	if m.gen == gen {
		return m
	}
	return &mdir{base: m.base, kids: maps.Clone(m.kids), gen: gen}
}

// mnode is a pending change to one name of a directory.
type mnode struct {
	removed bool
	dir     *mdir         // directory (possibly with changes)
	hash    plumbing.Hash // file blob
	size    int64
}

// Base returns the snapshot the transaction started from.
func (t *Txn) Base() *Snapshot { return t.base }

// resolve walks comps through pending changes, then base trees.
func (t *Txn) resolve(comps []string) (node, error) {
	n := node{dir: true, m: t.root, hash: t.root.hashIfClean()}
	for _, c := range comps {
		if !n.dir {
			return node{}, fs.ErrNotExist
		}
		if n.m != nil {
			if k, ok := n.m.kids[c]; ok {
				switch {
				case k.removed:
					return node{}, fs.ErrNotExist
				case k.dir != nil:
					n = node{dir: true, m: k.dir, hash: k.dir.hashIfClean()}
				default:
					n = node{hash: k.hash, size: k.size}
				}
				continue
			}
			if n.m.base.IsZero() {
				return node{}, fs.ErrNotExist
			}
			n.hash = n.m.base
		}
		tr, err := t.s.tree(n.hash)
		if err != nil {
			return node{}, err
		}
		e, ok := tr.lookup(c)
		if !ok {
			return node{}, fs.ErrNotExist
		}
		n = nodeOf(e)
	}
	return n, nil
}

// hashIfClean is the directory's tree id if it has no pending changes.
func (m *mdir) hashIfClean() plumbing.Hash {
	if len(m.kids) == 0 {
		return m.base
	}
	return plumbing.ZeroHash
}

// ChangedNames returns the names directly in directory dir whose entries
// the transaction has written, removed or replaced so far; they may
// differ from what Base holds, all others are Base's. all is true when
// dir itself is new or replaced (or removed): then nothing in it is
// Base's. Callers that keep an index of a Base snapshot correct it with
// these (a transaction of a group starts from the changes of the ones
// before it, which no commit holds yet).
func (t *Txn) ChangedNames(dir string) (names []string, all bool, err error) {
	comps, err := splitPath(dir)
	if err != nil {
		return nil, false, err
	}
	m := t.root
	for i, c := range comps {
		k, ok := m.kids[c]
		switch {
		case !ok:
			// Unchanged, unless an ancestor is new: then dir is not
			// Base's either (nor there at all).
			return nil, i > 0 && m.base.IsZero(), nil
		case k.removed:
			return nil, true, nil
		case k.dir == nil:
			return nil, false, fmt.Errorf("gitstore: changed names in %s: %w", dir, ErrNotDir)
		}
		m = k.dir
	}
	if len(comps) > 0 && m.base.IsZero() {
		return nil, true, nil
	}
	names = slices.Collect(maps.Keys(m.kids))
	slices.Sort(names)
	return names, false, nil
}

// Stat describes path p as the transaction currently sees it.
func (t *Txn) Stat(p string) (Entry, error) {
	comps, err := splitPath(p)
	if err != nil {
		return Entry{}, err
	}
	n, err := t.resolve(comps)
	if err != nil {
		return Entry{}, fmt.Errorf("gitstore: stat %s: %w", p, err)
	}
	return t.s.entry(comps, n, true)
}

// Exists reports whether path p exists in the transaction.
func (t *Txn) Exists(p string) bool {
	_, err := t.Stat(p)
	return err == nil
}

// Read returns the content of file p as the transaction sees it.
func (t *Txn) Read(p string) ([]byte, error) {
	comps, err := splitPath(p)
	if err != nil {
		return nil, err
	}
	n, err := t.resolve(comps)
	if err != nil {
		return nil, fmt.Errorf("gitstore: read %s: %w", p, err)
	}
	if o, ok := t.objs[n.hash]; ok && !n.dir {
		return slices.Clone(o.data), nil
	}
	return t.s.readBlob(p, n)
}

// List returns the entries of directory dir sorted by name, pending
// changes included.
func (t *Txn) List(dir string) ([]Entry, error) {
	comps, err := splitPath(dir)
	if err != nil {
		return nil, err
	}
	n, err := t.resolve(comps)
	if err != nil {
		return nil, fmt.Errorf("gitstore: list %s: %w", dir, err)
	}
	if !n.dir {
		return nil, fmt.Errorf("gitstore: list %s: %w", dir, ErrNotDir)
	}
	names := map[string]node{}
	base := n.hash
	if n.m != nil {
		base = n.m.base
	}
	if !base.IsZero() {
		tr, err := t.s.tree(base)
		if err != nil {
			return nil, err
		}
		for i := range tr.len() {
			e := tr.at(i)
			names[strings.Clone(e.name)] = nodeOf(e)
		}
	}
	if n.m != nil {
		for name, k := range n.m.kids {
			switch {
			case k.removed:
				delete(names, name)
			case k.dir != nil:
				names[name] = node{dir: true, m: k.dir, hash: k.dir.hashIfClean()}
			default:
				names[name] = node{hash: k.hash, size: k.size}
			}
		}
	}
	keys := make([]string, 0, len(names))
	for k := range names {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	prefix := strings.Join(comps, "/")
	out := make([]Entry, 0, len(keys))
	for _, k := range keys {
		e, err := t.s.childEntry(prefix, k, names[k])
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// Write sets the content of file p, creating parent directories. Writing
// over a directory fails with ErrIsDir; a path through a file with ErrNotDir.
func (t *Txn) Write(p string, data []byte) error {
	comps, err := splitPath(p)
	if err != nil {
		return err
	}
	if len(comps) == 0 {
		return fmt.Errorf("gitstore: write %q: %w", p, ErrIsDir)
	}
	if n, err := t.resolve(comps); err == nil && n.dir {
		return fmt.Errorf("gitstore: write %s: %w", p, ErrIsDir)
	}
	parent, err := t.ensureDir(comps[:len(comps)-1])
	if err != nil {
		return fmt.Errorf("gitstore: write %s: %w", p, err)
	}
	o := newObject(plumbing.BlobObject, slices.Clone(data))
	t.objs[o.hash] = o
	parent.setKid(comps[len(comps)-1], &mnode{hash: o.hash, size: int64(len(data))})
	return nil
}

// Remove deletes file or directory p (recursively). Removing a path that
// does not exist is an error wrapping fs.ErrNotExist, so callers can map
// it to 404; the root cannot be removed.
func (t *Txn) Remove(p string) error {
	comps, err := splitPath(p)
	if err != nil {
		return err
	}
	if len(comps) == 0 {
		return fmt.Errorf("gitstore: remove root: %w", ErrInvalidPath)
	}
	if _, err := t.resolve(comps); err != nil {
		return fmt.Errorf("gitstore: remove %s: %w", p, err)
	}
	parent, err := t.ensureDir(comps[:len(comps)-1])
	if err != nil {
		return fmt.Errorf("gitstore: remove %s: %w", p, err)
	}
	parent.setKid(comps[len(comps)-1], &mnode{removed: true})
	return nil
}

func (m *mdir) setKid(name string, k *mnode) {
	if m.kids == nil {
		m.kids = map[string]*mnode{}
	}
	m.kids[name] = k
}

// ensureDir returns the pending directory for comps, creating it (and
// pending wrappers for its ancestors) as needed.
func (t *Txn) ensureDir(comps []string) (*mdir, error) {
	cur := t.root
	for i, c := range comps {
		if k, ok := cur.kids[c]; ok {
			switch {
			case k.removed:
				k = &mnode{dir: &mdir{gen: t.gen}}
				cur.setKid(c, k)
			case k.dir == nil:
				return nil, fmt.Errorf("%s: %w", strings.Join(comps[:i+1], "/"), ErrNotDir)
			case k.dir.gen != t.gen:
				k = &mnode{dir: k.dir.ownedBy(t.gen)}
				cur.setKid(c, k)
			}
			cur = k.dir
			continue
		}
		var base plumbing.Hash
		if !cur.base.IsZero() {
			tr, err := t.s.tree(cur.base)
			if err != nil {
				return nil, err
			}
			if e, ok := tr.lookup(c); ok {
				if !e.isDir() {
					return nil, fmt.Errorf("%s: %w", strings.Join(comps[:i+1], "/"), ErrNotDir)
				}
				base = e.hash
			}
		}
		k := &mnode{dir: &mdir{base: base, gen: t.gen}}
		cur.setKid(c, k)
		cur = k.dir
	}
	return cur, nil
}

// errBuildFailed is what waiters for a directory get when building it
// panicked.
var errBuildFailed = errors.New("gitstore: building a directory failed")

// buildMemo holds the directories built for a group of transactions, so
// that one a later transaction shares (it did not change it) is built
// once. Directories are keyed by identity: a shared one is never changed.
type buildMemo struct {
	mu   sync.Mutex
	dirs map[*mdir]*builtDir
}

// builtDir is a directory's build, done once done is closed.
type builtDir struct {
	done  chan struct{}
	hash  plumbing.Hash
	empty bool
	err   error
	made  []rawObject // the trees made for it and its descendants
}

// buildRoot builds the transaction's trees, adds them to its objects,
// and returns the root tree id; empty is true when nothing is left.
func (t *Txn) buildRoot() (root plumbing.Hash, empty bool, err error) {
	var made []rawObject
	root, empty, err = t.build(t.root, &made)
	for _, o := range made {
		t.objs[o.hash] = o
	}
	return root, empty, err
}

// build writes the trees of m and its changed descendants into made and
// returns m's new tree id; empty is true when nothing is left in it.
// Within a group each directory is built once (see buildMemo).
func (t *Txn) build(m *mdir, made *[]rawObject) (h plumbing.Hash, empty bool, err error) {
	if len(m.kids) == 0 {
		return m.base, m.base.IsZero() || m.base == emptyTree, nil
	}
	t.memo.mu.Lock()
	b, ok := t.memo.dirs[m]
	if !ok {
		b = &builtDir{done: make(chan struct{})}
		t.memo.dirs[m] = b
	}
	t.memo.mu.Unlock()
	if ok {
		<-b.done
	} else {
		func() {
			defer close(b.done) // also if building panics: no waiter hangs
			b.err = errBuildFailed
			b.hash, b.empty, b.err = t.buildDir(m, &b.made)
		}()
	}
	*made = append(*made, b.made...)
	return b.hash, b.empty, b.err
}

// buildDir is build for one directory with changes.
func (t *Txn) buildDir(m *mdir, made *[]rawObject) (h plumbing.Hash, empty bool, err error) {
	old := &tree{}
	if !m.base.IsZero() {
		tr, err := t.s.tree(m.base)
		if err != nil {
			return plumbing.ZeroHash, false, err
		}
		old = tr
	}
	// The new entries of the changed names, in git order.
	var add []treeEntry
	for name, k := range m.kids {
		switch {
		case k.removed:
		case k.dir != nil:
			ch, empty, err := t.build(k.dir, made)
			if err != nil {
				return plumbing.ZeroHash, false, err
			}
			if !empty {
				add = append(add, treeEntry{name: name, mode: filemode.Dir, hash: ch})
			}
		default:
			add = append(add, treeEntry{name: name, mode: filemode.Regular, hash: k.hash})
		}
	}
	// A name written with what it already held is no edit: leaving it
	// out keeps the splice (and the journal and pack deltas that reuse
	// its bounds) as small as the real change.
	same := map[string]bool{}
	add = slices.DeleteFunc(add, func(e treeEntry) bool {
		i, ok := old.find(e.name)
		if ok && old.at(i) == e {
			same[e.name] = true
		}
		return same[e.name]
	})
	slices.SortFunc(add, compareEntries)
	// Splice them into the old encoding: the old entries of the changed
	// names leave, the new ones go where git's order puts them.
	var remove []int
	for name := range m.kids {
		if i, ok := old.find(name); ok && !same[name] {
			remove = append(remove, i)
		}
	}
	slices.Sort(remove)
	at := make([]int, len(add))
	for i, e := range add {
		at[i], _ = old.search(e.name, e.isDir())
	}
	nt, pre, suf := old.splice(remove, add, at)
	if nt.len() == 0 {
		return plumbing.ZeroHash, true, nil
	}
	o := treeObject(nt)
	if o.hash != m.base {
		if m.base != emptyTree {
			o.base, o.baseSize = m.base, old.size()
			o.hinted, o.pre, o.suf = true, pre, suf
		}
		*made = append(*made, o)
		t.s.trees.Add(o.hash, nt)
	}
	return o.hash, false, nil
}

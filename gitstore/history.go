package gitstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// ChangeKind says how a path changed between two commits.
type ChangeKind int

const (
	// Added: the file exists only in the newer commit.
	Added ChangeKind = iota + 1
	// Modified: the file's content differs.
	Modified
	// Removed: the file exists only in the older commit.
	Removed
)

// String returns "added", "modified" or "removed".
func (k ChangeKind) String() string {
	switch k {
	case Added:
		return "added"
	case Modified:
		return "modified"
	case Removed:
		return "removed"
	}
	return fmt.Sprintf("ChangeKind(%d)", int(k))
}

// Change is one file that differs between two commits.
type Change struct {
	// Path is the full repository path of the file.
	Path string
	// Kind says whether it was added, modified or removed.
	Kind ChangeKind
	// Hash is the file's blob id in the newer commit ("" when removed).
	Hash string
}

// Changes lists the files below dir (recursively) that differ between
// fromCommit and toCommit, sorted by path. fromCommit "" means the empty
// repository, so every file is Added; toCommit "" means the current head.
// An unknown commit yields ErrUnknownCommit. A dir missing on both sides
// gives no changes.
func (s *Store) Changes(ctx context.Context, dir, fromCommit, toCommit string) ([]Change, error) {
	comps, err := splitPath(dir)
	if err != nil {
		return nil, err
	}
	from, to := &Snapshot{s: s, root: emptyTree}, s.Head()
	if fromCommit != "" {
		if from, err = s.At(fromCommit); err != nil {
			return nil, err
		}
	}
	if toCommit != "" {
		if to, err = s.At(toCommit); err != nil {
			return nil, err
		}
	}
	a, err := s.dirTree(from.root, comps)
	if err != nil {
		return nil, err
	}
	b, err := s.dirTree(to.root, comps)
	if err != nil {
		return nil, err
	}
	var out []Change
	if err := s.diffTrees(ctx, strings.Join(comps, "/"), a, b, &out); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(x, y Change) int { return strings.Compare(x.Path, y.Path) })
	return out, nil
}

// dirTree returns the tree of dir in root, or zero when it is no directory.
func (s *Store) dirTree(root plumbing.Hash, comps []string) (plumbing.Hash, error) {
	n, err := s.resolve(root, comps)
	if err != nil {
		if isNotExist(err) {
			return plumbing.ZeroHash, nil
		}
		return plumbing.ZeroHash, err
	}
	if !n.dir {
		return plumbing.ZeroHash, nil
	}
	return n.hash, nil
}

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

// diffTrees compares trees a and b (zero = absent) under prefix,
// descending only into subtrees whose ids differ. Both trees are walked
// once, side by side, in git order, so the cost is linear in their size
// and allocates only for the changes. A name that is a file on one side
// and a directory on the other sorts as two entries, which is what the
// comparison needs: the file is added or removed, the directory diffed.
func (s *Store) diffTrees(ctx context.Context, prefix string, a, b plumbing.Hash, out *[]Change) error {
	if a == b {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	ta, err := s.treeOrEmpty(a)
	if err != nil {
		return err
	}
	tb, err := s.treeOrEmpty(b)
	if err != nil {
		return err
	}
	join := func(n string) string { // n shares a tree's memory: copy it
		if prefix == "" {
			return strings.Clone(n)
		}
		return prefix + "/" + n
	}
	// emit records entry e as present only on one side (added when it
	// is in b); directories are diffed against the absent tree.
	emit := func(e treeEntry, added bool) error {
		if e.isDir() {
			if added {
				return s.diffTrees(ctx, join(e.name), plumbing.ZeroHash, e.hash, out)
			}
			return s.diffTrees(ctx, join(e.name), e.hash, plumbing.ZeroHash, out)
		}
		if added {
			*out = append(*out, Change{Path: join(e.name), Kind: Added, Hash: e.hash.String()})
		} else {
			*out = append(*out, Change{Path: join(e.name), Kind: Removed})
		}
		return nil
	}
	return pairEntries(ta, tb, func(x, y *treeEntry) error {
		switch {
		case y == nil:
			return emit(*x, false)
		case x == nil:
			return emit(*y, true)
		case x.isDir():
			return s.diffTrees(ctx, join(x.name), x.hash, y.hash, out)
		}
		*out = append(*out, Change{Path: join(x.name), Kind: Modified, Hash: y.hash.String()})
		return nil
	})
}

// pairEntries walks trees a and b in git order and calls f for each
// entry that differs: x from a and y from b when the same name has
// another id (and kind) on each side, else the one side that has it
// (the other nil). The entries both encodings start and end with are
// skipped at the speed of a memory comparison.
func pairEntries(a, b *tree, f func(x, y *treeEntry) error) error {
	head, tailA, tailB := sharedEnds(a, b)
	ka, kb := &cursor{t: a}, &cursor{t: b}
	endA, endB := a.len()-tailA, b.len()-tailB
	i, j := head, head
	for i < endA || j < endB {
		if i < endA && j < endB && bytes.Equal(ka.entry(i), kb.entry(j)) {
			i, j = i+1, j+1 // the same name, mode and id: the common case, no decoding
			continue
		}
		var c int
		switch {
		case i == endA:
			c = 1
		case j == endB:
			c = -1
		default:
			c = compareEntries(ka.at(i), kb.at(j))
		}
		var err error
		switch {
		case c < 0:
			x := ka.at(i)
			err = f(&x, nil)
			i++
		case c > 0:
			y := kb.at(j)
			err = f(nil, &y)
			j++
		default:
			x, y := ka.at(i), kb.at(j)
			i, j = i+1, j+1
			if x.hash != y.hash {
				err = f(&x, &y)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// sharedEnds returns how many entries a and b share at their start, and
// how many at their end (counted in each, not overlapping the start).
// Equal bytes up to an entry boundary are equal entries. Chunks the two
// versions share are skipped without comparing them.
func sharedEnds(a, b *tree) (head, tailA, tailB int) {
	p := commonPrefixTrees(a, b)
	// The entries wholly inside the common prefix (of a; at the same
	// offsets in b).
	head = max(sort.Search(a.len()+1, func(i int) bool { return a.off(i) > p })-1, 0)
	head = min(head, a.len(), b.len())
	for head > 0 && (a.off(head) > b.size() || a.off(head) != b.off(head)) {
		head--
	}
	q := commonSuffixTrees(a, b, a.off(head), b.off(head))
	// The entries of a that start inside the common suffix...
	k := a.len() - sort.Search(a.len(), func(i int) bool { return i >= head && a.off(i) >= a.size()-q })
	k = min(k, b.len()-head)
	// ...are b's last k entries too once an entry starts at the same
	// distance from the end in both (from there both parse the same
	// bytes); bytes alone could be cut into entries differently.
	for k > 0 && a.size()-a.off(a.len()-k) != b.size()-b.off(b.len()-k) {
		k--
	}
	return head, k, k
}

// sameBytes reports whether x and y are the same memory.
func sameBytes(x, y []byte) bool {
	return len(x) == len(y) && (len(x) == 0 || &x[0] == &y[0])
}

// commonPrefixTrees is the length of the longest common prefix of two
// trees' encodings; a chunk the versions share is skipped without
// comparing it.
func commonPrefixTrees(a, b *tree) int {
	p := 0
	ca, cb := 0, 0
	for ca < len(a.chunks) && cb < len(b.chunks) {
		ra := a.chunks[ca].raw[p-a.start[ca]:]
		rb := b.chunks[cb].raw[p-b.start[cb]:]
		if sameBytes(ra, rb) {
			p += len(ra)
			ca, cb = ca+1, cb+1
			continue
		}
		n := commonPrefix(ra, rb)
		p += n
		if n < min(len(ra), len(rb)) {
			break
		}
		if n == len(ra) {
			ca++
		}
		if n == len(rb) {
			cb++
		}
	}
	return p
}

// commonSuffixTrees is the length of the longest common suffix of two
// trees' encodings after offsets fromA and fromB; shared chunks are
// skipped without comparing them.
func commonSuffixTrees(a, b *tree, fromA, fromB int) int {
	limit := min(a.size()-fromA, b.size()-fromB)
	q := 0
	ca, cb := len(a.chunks)-1, len(b.chunks)-1
	for q < limit {
		endA, endB := a.size()-q, b.size()-q
		for ca >= 0 && a.start[ca] >= endA {
			ca--
		}
		for cb >= 0 && b.start[cb] >= endB {
			cb--
		}
		if ca < 0 || cb < 0 {
			break
		}
		ra := a.chunks[ca].raw[max(fromA-a.start[ca], 0) : endA-a.start[ca]]
		rb := b.chunks[cb].raw[max(fromB-b.start[cb], 0) : endB-b.start[cb]]
		if len(ra) == 0 || len(rb) == 0 {
			break
		}
		if sameBytes(ra, rb) {
			q += len(ra)
			continue
		}
		n := commonSuffix(ra, rb)
		q += n
		if n < min(len(ra), len(rb)) {
			break
		}
	}
	return min(q, limit)
}

// commonPrefix is the length of the longest common prefix of x and y.
func commonPrefix(x, y []byte) int {
	n := min(len(x), len(y))
	p := 0
	for p+4096 <= n && bytes.Equal(x[p:p+4096], y[p:p+4096]) {
		p += 4096
	}
	for p < n && x[p] == y[p] {
		p++
	}
	return p
}

// commonSuffix is the length of the longest common suffix of x and y.
func commonSuffix(x, y []byte) int {
	n := min(len(x), len(y))
	s := 0
	for s+4096 <= n && bytes.Equal(x[len(x)-s-4096:len(x)-s], y[len(y)-s-4096:len(y)-s]) {
		s += 4096
	}
	for s < n && x[len(x)-1-s] == y[len(y)-1-s] {
		s++
	}
	return s
}

// treeOrEmpty returns tree h, or an empty tree for zero.
func (s *Store) treeOrEmpty(h plumbing.Hash) (*tree, error) {
	if h.IsZero() {
		return &tree{}, nil
	}
	return s.tree(h)
}

// History returns the commits that changed path (a file or a directory),
// newest first, following first parents from the head; at most limit
// commits (limit <= 0: no limit). "" is the whole repository.
func (s *Store) History(ctx context.Context, path string, limit int) ([]CommitInfo, error) {
	comps, err := splitPath(path)
	if err != nil {
		return nil, err
	}
	var out []CommitInfo
	h := s.Head().commit
	for !h.IsZero() && (limit <= 0 || len(out) < limit) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c, err := s.commit(h)
		if err != nil {
			return nil, err
		}
		var parentRoot plumbing.Hash = emptyTree
		var next plumbing.Hash
		if len(c.parents) > 0 {
			next = c.parents[0]
			pc, err := s.commit(next)
			if err != nil {
				return nil, err
			}
			parentRoot = pc.tree
		}
		now, err := s.pathID(c.tree, comps)
		if err != nil {
			return nil, err
		}
		before, err := s.pathID(parentRoot, comps)
		if err != nil {
			return nil, err
		}
		if now != before {
			out = append(out, c.info)
		}
		h = next
	}
	return out, nil
}

// pathID is the object id at comps in root, zero when absent.
func (s *Store) pathID(root plumbing.Hash, comps []string) (plumbing.Hash, error) {
	n, err := s.resolve(root, comps)
	if isNotExist(err) {
		return plumbing.ZeroHash, nil
	}
	return n.hash, err
}

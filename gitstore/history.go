package gitstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
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
	i, j := 0, 0
	for i < ta.len() || j < tb.len() {
		if i < ta.len() && j < tb.len() && bytes.Equal(ta.entryBytes(i), tb.entryBytes(j)) {
			i, j = i+1, j+1 // the same name, mode and id: the common case, no decoding
			continue
		}
		var c int
		switch {
		case i == ta.len():
			c = 1
		case j == tb.len():
			c = -1
		default:
			c = compareEntries(ta.at(i), tb.at(j))
		}
		switch {
		case c < 0:
			if err := emit(ta.at(i), false); err != nil {
				return err
			}
			i++
		case c > 0:
			if err := emit(tb.at(j), true); err != nil {
				return err
			}
			j++
		default:
			x, y := ta.at(i), tb.at(j)
			i, j = i+1, j+1
			if x.hash == y.hash {
				continue
			}
			if x.isDir() {
				if err := s.diffTrees(ctx, join(x.name), x.hash, y.hash, out); err != nil {
					return err
				}
				continue
			}
			*out = append(*out, Change{Path: join(x.name), Kind: Modified, Hash: y.hash.String()})
		}
	}
	return nil
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

package gitstore

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// emptyTree is the id of git's empty tree.
var emptyTree = plumbing.NewHash("4b825dc642cb6eb9a060e54bf8d69288fbee4904")

// treeEntry is one entry of a decoded tree.
type treeEntry struct {
	name string
	mode filemode.FileMode
	hash plumbing.Hash
}

func (e treeEntry) isDir() bool { return e.mode == filemode.Dir }

// tree is an immutable decoded tree object, shared by all readers.
type tree struct {
	hash    plumbing.Hash
	entries []treeEntry // git order
	raw     []byte      // encoded form, the splice base of the next version

	sortOnce sync.Once
	byName   []int // entries indexes sorted by plain name, built lazily
}

// byteAt returns the byte at i of name, or '/' just past the end for a
// directory, or -1: git orders directories as if their name ended in '/'.
func byteAt(name string, dir bool, i int) int {
	if i < len(name) {
		return int(name[i])
	}
	if i == len(name) && dir {
		return '/'
	}
	return -1
}

// gitCompare orders two entries the way git requires inside a tree.
func gitCompare(a string, ad bool, b string, bd bool) int {
	n := min(len(a), len(b))
	if c := strings.Compare(a[:n], b[:n]); c != 0 {
		return c
	}
	for i := n; ; i++ {
		ca, cb := byteAt(a, ad, i), byteAt(b, bd, i)
		if ca != cb {
			if ca < cb {
				return -1
			}
			return 1
		}
		if ca == -1 {
			return 0
		}
	}
}

func compareEntries(x, y treeEntry) int { return gitCompare(x.name, x.isDir(), y.name, y.isDir()) }

// search returns the position of (name, dir) in t's entries and whether it is there.
func searchEntries(es []treeEntry, name string, dir bool) (int, bool) {
	return slices.BinarySearchFunc(es, name, func(e treeEntry, n string) int {
		return gitCompare(e.name, e.isDir(), n, dir)
	})
}

// find looks up a name, whether it is a file or a directory.
func findEntry(es []treeEntry, name string) (int, bool) {
	if i, ok := searchEntries(es, name, false); ok {
		return i, true
	}
	return searchEntries(es, name, true)
}

func (t *tree) lookup(name string) (treeEntry, bool) {
	i, ok := findEntry(t.entries, name)
	if !ok {
		return treeEntry{}, false
	}
	return t.entries[i], true
}

// sortedByName returns the entries in plain name order (cached).
func (t *tree) sortedByName() []int {
	t.sortOnce.Do(func() {
		idx := make([]int, len(t.entries))
		for i := range idx {
			idx[i] = i
		}
		slices.SortFunc(idx, func(a, b int) int { return strings.Compare(t.entries[a].name, t.entries[b].name) })
		t.byName = idx
	})
	return t.byName
}

// decodeTree parses a tree object's content. The entries' names are
// substrings of one copy of the content, so a large tree costs two
// allocations rather than one per entry, and walking its names in order
// (to encode the next version, or to diff) reads memory sequentially.
func decodeTree(h plumbing.Hash, data []byte) (*tree, error) {
	t := &tree{hash: h, raw: data}
	text := string(data)
	t.entries = make([]treeEntry, 0, len(data)/40)
	for len(data) > 0 {
		sp := bytes.IndexByte(data, ' ')
		if sp < 0 {
			return nil, fmt.Errorf("tree %s: truncated entry", h)
		}
		m, err := strconv.ParseUint(string(data[:sp]), 8, 32)
		if err != nil {
			return nil, fmt.Errorf("tree %s: bad mode: %w", h, err)
		}
		data = data[sp+1:]
		nul := bytes.IndexByte(data, 0)
		if nul < 0 || len(data) < nul+21 {
			return nil, fmt.Errorf("tree %s: truncated entry", h)
		}
		off := len(text) - len(data)
		e := treeEntry{name: text[off : off+nul], mode: filemode.FileMode(m)}
		copy(e.hash[:], data[nul+1:nul+21])
		data = data[nul+21:]
		t.entries = append(t.entries, e)
	}
	return t, nil
}

// rebaseNames points the names of es, just encoded into data by
// encodeTree, at one shared copy of data, for the reasons decodeTree's
// names are: one allocation, sequential reads.
func rebaseNames(es []treeEntry, data []byte) {
	text := string(data)
	off := 0
	for i := range es {
		off = strings.IndexByte(text[off:], ' ') + off + 1
		n := len(es[i].name)
		es[i].name = text[off : off+n]
		off += n + 1 + len(plumbing.ZeroHash)
	}
}

// encodeTree serialises sorted entries into a tree object.
func encodeTree(es []treeEntry) rawObject {
	n := 0
	for _, e := range es {
		n += len(e.name) + 28
	}
	b := make([]byte, 0, n)
	for _, e := range es {
		switch e.mode {
		case filemode.Regular:
			b = append(b, "100644"...)
		case filemode.Dir:
			b = append(b, "40000"...)
		default:
			b = strconv.AppendUint(b, uint64(e.mode), 8)
		}
		b = append(b, ' ')
		b = append(b, e.name...)
		b = append(b, 0)
		b = append(b, e.hash[:]...)
	}
	return newObject(plumbing.TreeObject, b)
}

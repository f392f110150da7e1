package gitstore

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unsafe"

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

// tree is an immutable decoded tree object, shared by all readers. It
// keeps the encoded form and where each entry starts in it, nothing
// else: a 10,000-entry directory costs its encoding plus 4 bytes an
// entry, holds no pointers for the garbage collector to follow, and its
// next version is made by splicing bytes (see splice), not by
// re-encoding every entry.
//
// raw is never modified once the tree exists; the names at returns are
// strings sharing its memory (unsafe.String), which is sound only
// because of that.
type tree struct {
	hash plumbing.Hash
	raw  []byte   // encoded form; also the splice base of the next version
	offs []uint32 // offs[i] is where entry i starts; offs[len] = len(raw)

	sortOnce sync.Once
	byName   []int32 // entry indexes sorted by plain name, built lazily
}

// len is the number of entries.
func (t *tree) len() int { return max(len(t.offs)-1, 0) }

// at returns entry i. Its name shares the tree's memory.
func (t *tree) at(i int) treeEntry {
	mode, name := t.head(i)
	e := treeEntry{name: name, mode: mode}
	copy(e.hash[:], t.raw[t.offs[i+1]-20:t.offs[i+1]])
	return e
}

// head reads the mode and name of entry i (the name shares the tree's
// memory).
func (t *tree) head(i int) (filemode.FileMode, string) {
	b := t.raw[t.offs[i] : t.offs[i+1]-21]
	sp := bytes.IndexByte(b, ' ')
	var name string
	if n := len(b) - sp - 1; n > 0 {
		name = unsafe.String(&b[sp+1], n)
	}
	return parseMode(b[:sp]), name
}

// off is where entry i starts (len(raw) for i = len; 0 in an empty tree).
func (t *tree) off(i int) int {
	if len(t.offs) == 0 {
		return 0
	}
	return int(t.offs[i])
}

// keyAt returns the name of entry i (sharing the tree's memory) and
// whether it is a directory: what ordering needs, without the mode and id.
func (t *tree) keyAt(i int) (name string, dir bool) {
	mode, name := t.head(i)
	return name, mode == filemode.Dir
}

// entryBytes returns the encoding of entry i.
func (t *tree) entryBytes(i int) []byte { return t.raw[t.offs[i]:t.offs[i+1]] }

// parseMode reads an entry's octal mode, the common ones without a loop.
func parseMode(b []byte) filemode.FileMode {
	switch string(b) { // no allocation: compared in place
	case "100644":
		return filemode.Regular
	case "40000":
		return filemode.Dir
	}
	var m uint32
	for _, c := range b {
		m = m<<3 | uint32(c-'0')
	}
	return filemode.FileMode(m)
}

// search returns the position of (name, dir) among t's entries and
// whether it is there.
func (t *tree) search(name string, dir bool) (int, bool) {
	lo, hi := 0, t.len()
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		mn, md := t.keyAt(m)
		if gitCompare(mn, md, name, dir) < 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < t.len() {
		ln, ld := t.keyAt(lo)
		return lo, ln == name && ld == dir
	}
	return lo, false
}

// find looks up a name, whether it is a file or a directory.
func (t *tree) find(name string) (int, bool) {
	if i, ok := t.search(name, false); ok {
		return i, true
	}
	return t.search(name, true)
}

func (t *tree) lookup(name string) (treeEntry, bool) {
	i, ok := t.find(name)
	if !ok {
		return treeEntry{}, false
	}
	return t.at(i), true
}

// sortedByName returns the entry indexes in plain name order (cached).
func (t *tree) sortedByName() []int32 {
	t.sortOnce.Do(func() {
		idx := make([]int32, t.len())
		for i := range idx {
			idx[i] = int32(i)
		}
		slices.SortFunc(idx, func(a, b int32) int { return strings.Compare(t.at(int(a)).name, t.at(int(b)).name) })
		t.byName = idx
	})
	return t.byName
}

// decodeTree indexes a tree object's content, checking its layout.
func decodeTree(h plumbing.Hash, data []byte) (*tree, error) {
	t := &tree{hash: h, raw: data, offs: make([]uint32, 0, len(data)/40+1)}
	if len(data) > 1<<32-1 {
		return nil, fmt.Errorf("tree %s: too large", h)
	}
	for pos := 0; pos < len(data); {
		rest := data[pos:]
		sp := bytes.IndexByte(rest[:min(len(rest), 8)], ' ')
		if sp <= 0 {
			return nil, fmt.Errorf("tree %s: bad entry mode", h)
		}
		for _, c := range rest[:sp] {
			if c < '0' || c > '7' {
				return nil, fmt.Errorf("tree %s: bad entry mode %q", h, rest[:sp])
			}
		}
		nul := bytes.IndexByte(rest[sp+1:], 0)
		if nul <= 0 || len(rest) < sp+1+nul+21 {
			return nil, fmt.Errorf("tree %s: truncated entry", h)
		}
		t.offs = append(t.offs, uint32(pos))
		pos += sp + 1 + nul + 21
	}
	t.offs = append(t.offs, uint32(len(data)))
	return t, nil
}

// appendEntry appends the encoding of e to b.
func appendEntry(b []byte, e treeEntry) []byte {
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
	return append(b, e.hash[:]...)
}

// splice returns the encoding and entry offsets of t with the entries at
// positions remove (ascending) left out and add (in git order) inserted,
// add[k] before t's entry at[k] (at ascending; t.len() for the end). The
// unchanged runs are copied as bytes, so the cost is a copy of the tree,
// whatever the number of entries.
//
// It also returns the length of the encoding's prefix and suffix that
// the edits left as they were in t, so that the journal and the pack
// writer need not compare the two versions to find them.
func (t *tree) splice(remove []int, add []treeEntry, at []int) (raw []byte, offs []uint32, pre, suf int) {
	n := t.len()
	size := len(t.raw)
	for _, i := range remove {
		size -= int(t.offs[i+1] - t.offs[i])
	}
	for _, e := range add {
		size += len(e.name) + 28
	}
	raw = make([]byte, 0, size)
	offs = make([]uint32, 0, n-len(remove)+len(add)+1)
	run := 0 // first entry of t not yet copied
	copyTo := func(end int) {
		if end <= run {
			return
		}
		shift := uint32(len(raw)) - t.offs[run] // wraps around when negative: the sums below are still right
		from := len(offs)
		offs = append(offs, t.offs[run:end]...)
		for k := from; k < len(offs); k++ {
			offs[k] += shift
		}
		raw = append(raw, t.raw[t.offs[run]:t.offs[end]]...)
		run = end
	}
	// The bytes before the first edit and after the last one are t's.
	first, last := len(t.raw), 0
	for _, i := range remove {
		first, last = min(first, t.off(i)), max(last, t.off(i+1))
	}
	for _, i := range at {
		first, last = min(first, t.off(i)), max(last, t.off(i))
	}
	pre, suf = first, max(len(t.raw)-last, 0)
	if first > last { // no edit
		pre, suf = len(t.raw), 0
	}
	ri, ai := 0, 0
	for i := 0; ; i++ {
		for ai < len(add) && at[ai] == i {
			copyTo(i)
			offs = append(offs, uint32(len(raw)))
			raw = appendEntry(raw, add[ai])
			ai++
		}
		if i == n {
			copyTo(n)
			break
		}
		if ri < len(remove) && remove[ri] == i {
			copyTo(i)
			run = i + 1
			ri++
		}
	}
	return raw, append(offs, uint32(len(raw))), pre, suf
}

// encodeTree serialises sorted entries into a tree object.
func encodeTree(es []treeEntry) rawObject {
	n := 0
	for _, e := range es {
		n += len(e.name) + 28
	}
	b := make([]byte, 0, n)
	for _, e := range es {
		b = appendEntry(b, e)
	}
	return newObject(plumbing.TreeObject, b)
}

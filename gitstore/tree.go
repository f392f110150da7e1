package gitstore

import (
	"bytes"
	"fmt"
	"hash/maphash"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
// keeps the encoded form, cut into chunks of whole entries, and where
// each entry starts, nothing else: a 10,000-entry directory costs its
// encoding plus 4 bytes an entry and holds few pointers for the garbage
// collector to follow. Its next version is made by splicing bytes into
// the one chunk an edit touches (see splice) and sharing the others, so
// a commit into a large directory copies a few kilobytes, not the
// directory's megabyte.
//
// The chunks are never modified once the tree exists; the names at
// returns are strings sharing their memory (unsafe.String), which is
// sound only because of that.
type tree struct {
	hash   plumbing.Hash
	chunks []treeChunk
	first  []int // first[c] is the index of chunk c's first entry; first[len(chunks)] = len
	start  []int // start[c] is where chunk c starts in the encoding; start[len(chunks)] = size
	own    int   // bytes of chunks this version does not share with the one it was spliced from

	sortOnce sync.Once
	byName   []int32 // entry indexes sorted by plain name, built lazily

	// A version that is searched often gets an index of its names (see
	// nameIndex).
	finds     atomic.Int32
	namesOnce sync.Once
	names     atomic.Pointer[nameIndex]
}

// nameIndex maps the hash of each entry name of a tree to the entry.
type nameIndex struct {
	seed maphash.Seed
	pos  map[uint64]int32 // nil when two names collide: search instead
}

const (
	// indexAfter is how many snapshot reads look names up in a tree
	// version by binary search before it indexes them (in the
	// background): reading members (a calendar-multiget looks up a
	// hundred in one version of a calendar, a GET load many more) then
	// costs a map probe instead of some 15 probes into chunks scattered
	// in memory, while the versions only written through (each commit
	// makes one, which its batch searches) never pay for an index.
	indexAfter = 64
	// indexMin is the number of entries below which a search is cheap
	// enough.
	indexMin = 512
)

// treeChunk is a run of whole entries of a tree's encoding.
type treeChunk struct {
	raw  []byte
	offs []uint32 // offs[j] is where entry j starts in raw; offs[len] = len(raw)
}

// chunkSize is the size a tree's chunks are cut to: a splice copies one
// (a variable so tests can cut trees into many small chunks).
var chunkSize = 16 << 10

// newTree indexes chunks (each non-empty) as a tree.
func newTree(h plumbing.Hash, chunks []treeChunk) *tree {
	t := &tree{hash: h, chunks: chunks, first: make([]int, len(chunks)+1), start: make([]int, len(chunks)+1)}
	for c, ch := range chunks {
		t.first[c+1] = t.first[c] + len(ch.offs) - 1
		t.start[c+1] = t.start[c] + len(ch.raw)
	}
	return t
}

// cost is the memory a version holds of its own, for caches: the chunks
// it does not share with the version it was made from, and its indexes.
func (t *tree) cost() int { return t.own + 64*len(t.chunks) + 64 }

// len is the number of entries.
func (t *tree) len() int {
	if len(t.first) == 0 {
		return 0
	}
	return t.first[len(t.first)-1]
}

// size is the length of the encoding.
func (t *tree) size() int {
	if len(t.start) == 0 {
		return 0
	}
	return t.start[len(t.start)-1]
}

// locate returns the chunk holding entry i (i < len) and its place there.
func (t *tree) locate(i int) (c, j int) {
	c = sort.Search(len(t.chunks), func(c int) bool { return t.first[c+1] > i })
	return c, i - t.first[c]
}

// at returns entry i. Its name shares the tree's memory.
func (t *tree) at(i int) treeEntry { return decodeEntry(t.entryBytes(i)) }

// decodeEntry reads an encoded entry (the name shares its memory).
func decodeEntry(b []byte) treeEntry {
	mode, name := entryHead(b)
	e := treeEntry{name: name, mode: mode}
	copy(e.hash[:], b[len(b)-20:])
	return e
}

// entryHead reads the mode and name of an encoded entry (the name shares
// its memory).
func entryHead(b []byte) (filemode.FileMode, string) {
	b = b[:len(b)-21]
	sp := modeEnd(b)
	var name string
	if n := len(b) - sp - 1; n > 0 {
		name = unsafe.String(&b[sp+1], n)
	}
	return parseMode(b[:sp]), name
}

// modeEnd is the index of the space after an entry's mode. Modes are five
// or six digits; looking there first is cheaper than a search, which a
// lookup in a 10,000-entry tree does some 25 times.
func modeEnd(b []byte) int {
	switch {
	case len(b) > 5 && b[5] == ' ': // a digit in a six-digit mode
		return 5
	case len(b) > 6 && b[6] == ' ':
		return 6
	}
	return bytes.IndexByte(b, ' ')
}

// off is where entry i starts in the encoding (size for i = len).
func (t *tree) off(i int) int {
	if i >= t.len() {
		return t.size()
	}
	c, j := t.locate(i)
	return t.start[c] + int(t.chunks[c].offs[j])
}

// keyAt returns the name of entry i (sharing the tree's memory) and
// whether it is a directory: what ordering needs, without the mode and id.
func (t *tree) keyAt(i int) (name string, dir bool) {
	mode, name := entryHead(t.entryBytes(i))
	return name, mode == filemode.Dir
}

// entryBytes returns the encoding of entry i.
func (t *tree) entryBytes(i int) []byte {
	c, j := t.locate(i)
	ch := &t.chunks[c]
	return ch.raw[ch.offs[j]:ch.offs[j+1]]
}

// writeTo writes the encoding to w (a hash, a compressor).
func (t *tree) writeTo(w io.Writer) error {
	for _, ch := range t.chunks {
		if _, err := w.Write(ch.raw); err != nil {
			return err
		}
	}
	return nil
}

// bytes returns the encoding in one slice (the chunk itself when there is
// one; a copy otherwise).
func (t *tree) bytes() []byte {
	if len(t.chunks) == 1 {
		return t.chunks[0].raw
	}
	out := make([]byte, 0, t.size())
	for _, ch := range t.chunks {
		out = append(out, ch.raw...)
	}
	return out
}

// slice returns bytes a to b of the encoding (sharing a chunk's memory
// when they lie in one).
func (t *tree) slice(a, b int) []byte {
	if a >= b {
		return nil
	}
	c := sort.Search(len(t.chunks), func(c int) bool { return t.start[c+1] > a })
	if b <= t.start[c+1] {
		return t.chunks[c].raw[a-t.start[c] : b-t.start[c]]
	}
	out := make([]byte, 0, b-a)
	for ; a < b; c++ {
		end := min(b, t.start[c+1])
		out = append(out, t.chunks[c].raw[a-t.start[c]:end-t.start[c]]...)
		a = end
	}
	return out
}

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
	before := func(ch *treeChunk, j int) bool { // entry j of ch sorts before (name, dir)
		mode, n := entryHead(ch.raw[ch.offs[j]:ch.offs[j+1]])
		return gitCompare(n, mode == filemode.Dir, name, dir) < 0
	}
	// The first chunk whose last entry does not sort before it, then the
	// place within that chunk.
	c := sort.Search(len(t.chunks), func(c int) bool {
		ch := &t.chunks[c]
		return !before(ch, len(ch.offs)-2)
	})
	if c == len(t.chunks) {
		return t.len(), false
	}
	ch := &t.chunks[c]
	j := sort.Search(len(ch.offs)-1, func(j int) bool { return !before(ch, j) })
	mode, n := entryHead(ch.raw[ch.offs[j]:ch.offs[j+1]])
	return t.first[c] + j, n == name && (mode == filemode.Dir) == dir
}

// cursor reads a tree's entries in order, finding each one's chunk from
// the last one's instead of searching.
type cursor struct {
	t *tree
	c int // chunk of the entry read last
}

// entry returns the encoding of entry i.
func (k *cursor) entry(i int) []byte {
	t := k.t
	if k.c >= len(t.chunks) || i < t.first[k.c] || i >= t.first[k.c+1] {
		if k.c+1 < len(t.chunks) && i >= t.first[k.c+1] && i < t.first[k.c+2] {
			k.c++
		} else {
			k.c, _ = t.locate(i)
		}
	}
	ch := &t.chunks[k.c]
	j := i - t.first[k.c]
	return ch.raw[ch.offs[j]:ch.offs[j+1]]
}

// at returns entry i (its name sharing the tree's memory).
func (k *cursor) at(i int) treeEntry { return decodeEntry(k.entry(i)) }

// find looks up a name, whether it is a file or a directory.
func (t *tree) find(name string) (int, bool) {
	if ix := t.names.Load(); ix != nil && ix.pos != nil {
		i, ok := ix.pos[maphash.String(ix.seed, name)]
		if !ok {
			return 0, false
		}
		if _, n := entryHead(t.entryBytes(int(i))); n == name {
			return int(i), true
		}
		return 0, false // another name's hash: every name is indexed
	}
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

// lookupRead is lookup for a read of a snapshot: it counts towards
// indexing t's names (see indexAfter).
func (t *tree) lookupRead(name string) (treeEntry, bool) {
	if t.len() >= indexMin && t.names.Load() == nil && t.finds.Add(1) == indexAfter {
		go t.namesOnce.Do(func() {
			t.names.Store(t.buildNameIndex())
			indexed.add(t)
		})
	}
	return t.lookup(name)
}

// maxIndexed is how many tree versions keep a name index at once (one
// of a 20,000-entry tree takes about 650 KB; the tree cache holds many
// versions of a directory written often, and reads go to the newest).
const maxIndexed = 2

// indexed holds the tree versions with a name index, newest last; adding
// one beyond maxIndexed drops the oldest one's index.
var indexed indexedTrees

type indexedTrees struct {
	mu    sync.Mutex
	trees []*tree
}

func (x *indexedTrees) add(t *tree) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.trees = append(x.trees, t)
	if len(x.trees) > maxIndexed {
		x.trees[0].names.Store(&nameIndex{}) // searched again, not indexed again
		x.trees = slices.Delete(x.trees, 0, 1)
	}
}

// buildNameIndex hashes every entry name of t.
func (t *tree) buildNameIndex() *nameIndex {
	ix := &nameIndex{seed: maphash.MakeSeed(), pos: make(map[uint64]int32, t.len())}
	k := cursor{t: t}
	for i := range t.len() {
		_, n := entryHead(k.entry(i))
		h := maphash.String(ix.seed, n)
		if _, dup := ix.pos[h]; dup {
			return &nameIndex{} // never seen with 64-bit hashes; searching stays right
		}
		ix.pos[h] = int32(i)
	}
	return ix
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

// decodeTree indexes a tree object's content, checking its layout. The
// chunks share data's memory.
func decodeTree(h plumbing.Hash, data []byte) (*tree, error) {
	if len(data) > 1<<32-1 {
		return nil, fmt.Errorf("tree %s: too large", h)
	}
	offs := make([]uint32, 0, len(data)/40+1)
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
		offs = append(offs, uint32(pos))
		pos += sp + 1 + nul + 21
	}
	offs = append(offs, uint32(len(data)))
	t := newTree(h, chunked(data, offs))
	t.own = len(data) + 4*len(offs)
	return t, nil
}

// chunked cuts an encoding with entry offsets offs into chunks of equal
// size, at least chunkSize bytes each unless the whole is smaller (so a
// chunk that grows past twice that splits in two, not into a full one
// and a sliver), sharing its memory.
func chunked(raw []byte, offs []uint32) []treeChunk {
	k := max(1, len(raw)/chunkSize)
	target := (len(raw) + k - 1) / k
	var out []treeChunk
	for i := 0; i+1 < len(offs); {
		j := i + 1
		for j+1 < len(offs) && int(offs[j]-offs[i]) < target {
			j++
		}
		lo, hi := offs[i], offs[j]
		rel := make([]uint32, j-i+1)
		for k := range rel {
			rel[k] = offs[i+k] - lo
		}
		out = append(out, treeChunk{raw: raw[lo:hi:hi], offs: rel})
		i = j
	}
	return out
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

// splice returns t with the entries at positions remove (ascending)
// left out and add (in git order) inserted, add[k] before t's entry at[k]
// (at ascending; t.len() for the end). Only the chunks holding an edit
// are copied (as bytes, whatever the number of entries); the new tree
// shares all others with t, also those between two edits far apart (a
// group's later transactions splice many edits into one base version).
// Its hash is left for the caller to set.
//
// It also returns the length of the encoding's prefix and suffix that
// the edits left as they were in t, so that the journal and the pack
// writer need not compare the two versions to find them.
func (t *tree) splice(remove []int, add []treeEntry, at []int) (nt *tree, pre, suf int) {
	n := t.len()
	if len(remove) == 0 && len(add) == 0 {
		return newTree(plumbing.ZeroHash, t.chunks), t.size(), 0
	}
	if n == 0 {
		raw, offs, p, s := spliceFlat(nil, []uint32{0}, nil, add, at)
		nt = newTree(plumbing.ZeroHash, chunked(raw, offs))
		nt.own = len(raw) + 4*len(offs)
		return nt, p, s
	}
	runs := t.editRuns(remove, at)
	chunks := make([]treeChunk, 0, len(t.chunks)+len(runs))
	own, next := 0, 0 // next: t's first chunk not yet taken
	for k, r := range runs {
		chunks = append(chunks, t.chunks[next:r.c0]...)
		next = r.c1 + 1
		// The edits within the run: removals of its entries, insertions
		// before them (and at the end, for the last chunk).
		lo, hi := t.first[r.c0], t.first[r.c1+1]
		if next == len(t.chunks) {
			hi++
		}
		nr := sort.SearchInts(remove, hi)
		na := sort.SearchInts(at, hi)
		raw, offs := t.span(r.c0, r.c1)
		nraw, noffs, p, s := spliceFlat(raw, offs, relativeTo(remove[:nr], lo), add[:na], relativeTo(at[:na], lo))
		remove, add, at = remove[nr:], add[na:], at[na:]
		chunks = append(chunks, chunked(nraw, noffs)...)
		own += len(nraw) + 4*len(noffs)
		if k == 0 {
			pre = t.start[r.c0] + p
		}
		if k == len(runs)-1 {
			suf = t.size() - t.start[r.c1+1] + s
		}
	}
	chunks = append(chunks, t.chunks[next:]...)
	nt = newTree(plumbing.ZeroHash, chunks)
	nt.own = own
	return nt, pre, suf
}

// chunkRun is a run of consecutive chunks, c0 to c1, that a splice
// rewrites as one.
type chunkRun struct{ c0, c1 int }

// editRuns returns the runs of chunks a splice of t rewrites, ascending
// and apart: each chunk holding a removed entry or the entry an
// insertion goes before (the last chunk for one at the end). A chunk
// left small (by removals) takes in a neighbour, so that chunks do not
// crumble into slivers (t is not empty).
func (t *tree) editRuns(remove, at []int) []chunkRun {
	n := t.len()
	var touched []int
	for _, i := range remove {
		c, _ := t.locate(i)
		touched = append(touched, c)
	}
	for _, i := range at {
		c, _ := t.locate(min(i, n-1))
		touched = append(touched, c)
	}
	slices.Sort(touched)
	var runs []chunkRun
	for _, c := range slices.Compact(touched) {
		r := chunkRun{c, c}
		if t.start[c+1]-t.start[c] < chunkSize/2 {
			if c+1 < len(t.chunks) {
				r.c1++
			} else if c > 0 {
				r.c0--
			}
		}
		if last := len(runs) - 1; last >= 0 && r.c0 <= runs[last].c1 {
			runs[last].c1 = max(runs[last].c1, r.c1)
			continue
		}
		runs = append(runs, r)
	}
	return runs
}

// span returns the encoding of chunks c0 to c1 and its entry offsets
// (sharing the chunk's memory when c0 == c1).
func (t *tree) span(c0, c1 int) (raw []byte, offs []uint32) {
	if c0 == c1 {
		return t.chunks[c0].raw, t.chunks[c0].offs
	}
	raw = t.slice(t.start[c0], t.start[c1+1])
	offs = make([]uint32, 0, t.first[c1+1]-t.first[c0]+1)
	for c := c0; c <= c1; c++ {
		shift := uint32(t.start[c] - t.start[c0])
		ch := t.chunks[c]
		for _, o := range ch.offs[:len(ch.offs)-1] {
			offs = append(offs, o+shift)
		}
	}
	return raw, append(offs, uint32(len(raw)))
}

// relativeTo returns the positions is counted from base.
func relativeTo(is []int, base int) []int {
	out := make([]int, len(is))
	for k, i := range is {
		out[k] = i - base
	}
	return out
}

// spliceFlat is splice on one encoding traw with entry offsets toffs: it
// returns the new encoding and offsets, and the lengths of the prefix and
// suffix of traw the edits left as they were. The unchanged runs are
// copied as bytes, whatever the number of entries.
func spliceFlat(traw []byte, toffs []uint32, remove []int, add []treeEntry, at []int) (raw []byte, offs []uint32, pre, suf int) {
	t := &flatTree{raw: traw, offs: toffs}
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

// flatTree is an encoding and its entry offsets, as spliceFlat reads it.
type flatTree struct {
	raw  []byte
	offs []uint32
}

func (t *flatTree) len() int { return max(len(t.offs)-1, 0) }

func (t *flatTree) off(i int) int {
	if len(t.offs) == 0 {
		return 0
	}
	return int(t.offs[i])
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

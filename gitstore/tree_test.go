package gitstore

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"math/rand"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// randomEntry is a file or directory entry with a name from a small
// alphabet, so that names collide, prefix each other ("a" and "a.b") and
// appear as both a file and a directory across edits.
func randomEntry(r *rand.Rand) treeEntry {
	const alphabet = "ab.-"
	n := 1 + r.Intn(4)
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.Intn(len(alphabet))]
	}
	e := treeEntry{name: string(b), mode: filemode.Regular}
	switch r.Intn(5) {
	case 0:
		e.mode = filemode.Dir
	case 1:
		e.mode = filemode.Executable
	}
	r.Read(e.hash[:])
	return e
}

// TestTreeSplice checks splice against encoding the expected entries from
// scratch: random trees, random removals and insertions (by name, as a
// commit changes them), both sides in git order.
func TestTreeSplice(t *testing.T) {
	defer func(cs int) { chunkSize = cs }(chunkSize)
	for _, cs := range []int{16 << 10, 120, 1} { // one chunk, a few entries each, one entry each
		chunkSize = cs
		treeSpliceRounds(t, cs)
	}
}

// treeSpliceRounds makes random trees and splices each several times in
// a row (each version from the one before, sharing its chunks).
func treeSpliceRounds(t *testing.T, cs int) {
	r := rand.New(rand.NewSource(7))
	for round := range 700 {
		// A valid tree: unique names, git order.
		byName := map[string]treeEntry{}
		for range r.Intn(30) {
			e := randomEntry(r)
			byName[e.name] = e
		}
		var es []treeEntry
		for _, e := range byName {
			es = append(es, e)
		}
		slices.SortFunc(es, compareEntries)
		o := encodeTree(es)
		old, err := decodeTree(o.hash, o.data)
		if err != nil {
			t.Fatal(err)
		}
		if old.len() != len(es) {
			t.Fatalf("chunks %d round %d: decoded %d entries, want %d", cs, round, old.len(), len(es))
		}
		for version := range 3 {
			for i, e := range es {
				if got := old.at(i); got != e {
					t.Fatalf("chunks %d round %d.%d: entry %d = %+v, want %+v", cs, round, version, i, got, e)
				}
				if j, ok := old.find(e.name); !ok || j != i {
					t.Fatalf("chunks %d round %d.%d: find(%q) = %d %v, want %d", cs, round, version, e.name, j, ok, i)
				}
			}
			// Change some names: remove, replace (maybe changing kind) or add.
			changed := map[string]*treeEntry{}
			for range r.Intn(6) {
				e := randomEntry(r)
				if r.Intn(3) == 0 {
					changed[e.name] = nil
				} else {
					changed[e.name] = &e
				}
			}
			var add []treeEntry
			var remove []int
			want := map[string]treeEntry{}
			for _, e := range es {
				want[e.name] = e
			}
			for n, e := range changed {
				if i, ok := old.find(n); ok {
					remove = append(remove, i)
				}
				delete(want, n)
				if e != nil {
					add = append(add, *e)
					want[n] = *e
				}
			}
			slices.Sort(remove)
			slices.SortFunc(add, compareEntries)
			at := make([]int, len(add))
			for i, e := range add {
				at[i], _ = old.search(e.name, e.isDir())
			}
			nt, pre, suf := old.splice(remove, add, at)
			raw, oldRaw := nt.bytes(), old.bytes()
			if pre+suf > min(len(raw), len(oldRaw)) || !bytes.Equal(raw[:pre], oldRaw[:pre]) ||
				!bytes.Equal(raw[len(raw)-suf:], oldRaw[len(oldRaw)-suf:]) {
				t.Fatalf("chunks %d round %d.%d: prefix %d and suffix %d are not shared", cs, round, version, pre, suf)
			}
			es = es[:0:0]
			for _, e := range want {
				es = append(es, e)
			}
			slices.SortFunc(es, compareEntries)
			if exp := encodeTree(es); !bytes.Equal(raw, exp.data) {
				t.Fatalf("chunks %d round %d.%d: splice differs from encoding\nchanged %v\ngot  %q\nwant %q", cs, round, version, changed, raw, exp.data)
			}
			for i := range nt.len() + 1 {
				if want := encodeTree(es[:i]); nt.off(i) != len(want.data) {
					t.Fatalf("chunks %d round %d.%d: entry %d starts at %d, want %d", cs, round, version, i, nt.off(i), len(want.data))
				}
			}
			old = nt
		}
	}
}

// TestTreeChunksStayBalanced: a tree edited one entry at a time at random
// places (new events with random UIDs, then most of them deleted) keeps
// chunks of about chunkSize bytes, not a growing number of slivers.
func TestTreeChunksStayBalanced(t *testing.T) {
	r := rand.New(rand.NewSource(4791))
	tr := &tree{}
	var names []string
	check := func(when string) {
		t.Helper()
		for _, c := range tr.chunks {
			if len(c.raw) >= 2*chunkSize+100 {
				t.Fatalf("%s: a chunk of %d bytes", when, len(c.raw))
			}
		}
		if limit := 2*tr.size()/chunkSize + 2; len(tr.chunks) > limit {
			t.Fatalf("%s: %d chunks for %d bytes, want at most %d", when, len(tr.chunks), tr.size(), limit)
		}
	}
	for range 10000 {
		e := treeEntry{name: fmt.Sprintf("%08x-uid.ics", r.Uint32()), mode: filemode.Regular}
		at, ok := tr.search(e.name, false)
		if ok {
			continue
		}
		tr, _, _ = tr.splice(nil, []treeEntry{e}, []int{at})
		names = append(names, e.name)
	}
	check("after 10,000 insertions")
	r.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	for _, n := range names[:9000] {
		i, ok := tr.find(n)
		if !ok {
			t.Fatalf("%s is missing", n)
		}
		tr, _, _ = tr.splice([]int{i}, nil, nil)
	}
	check("after 9,000 removals")
	if tr.len() != len(names)-9000 {
		t.Fatalf("%d entries, want %d", tr.len(), len(names)-9000)
	}
}

// TestDecodeTreeRejectsDamage: a damaged tree is an error, not a panic.
func TestDecodeTreeRejectsDamage(t *testing.T) {
	good := encodeTree([]treeEntry{{name: "a.ics", mode: filemode.Regular}, {name: "d", mode: filemode.Dir}}).data
	for i, data := range [][]byte{
		good[:len(good)-1],                               // truncated hash
		good[:5],                                         // mode only
		append([]byte("1x0644"), good[6:]...),            // mode not octal
		[]byte(" a\x00" + string(make([]byte, 20))),      // empty mode
		[]byte("100644 \x00" + string(make([]byte, 20))), // empty name
	} {
		if _, err := decodeTree(plumbing.ZeroHash, data); err == nil {
			t.Errorf("case %d (%q): no error", i, data)
		}
	}
	if tr, err := decodeTree(plumbing.ZeroHash, good); err != nil || tr.len() != 2 {
		t.Fatalf("good tree: %v", err)
	}
}

// TestSpliceIntoEmptyTree: the zero tree (how the empty tree is
// represented) takes insertions like a decoded one.
func TestSpliceIntoEmptyTree(t *testing.T) {
	add := []treeEntry{{name: "a", mode: filemode.Regular}, {name: "b", mode: filemode.Dir}}
	nt, pre, suf := (&tree{}).splice(nil, add, []int{0, 0})
	if want := encodeTree(add).data; !bytes.Equal(nt.bytes(), want) || nt.len() != 2 || pre != 0 || suf != 0 {
		t.Fatalf("raw %q len %d pre %d suf %d; want %q", nt.bytes(), nt.len(), pre, suf, want)
	}
}

// TestSpliceCopiesOnlyEditedChunks: edits far apart in a large tree (a
// group's later transactions splice the edits of all before them into
// one base version) copy the chunks holding them, not those between, so
// a version of a 10,000-event calendar owns a few chunks, not a copy.
func TestSpliceCopiesOnlyEditedChunks(t *testing.T) {
	var es []treeEntry
	for i := range 10000 {
		es = append(es, treeEntry{name: fmt.Sprintf("%05d.ics", i), mode: filemode.Regular})
	}
	o := encodeTree(es)
	old, err := decodeTree(o.hash, o.data)
	if err != nil {
		t.Fatal(err)
	}
	// Replace the first entry, remove one in the middle, add one at the end.
	first := es[0]
	first.hash[0] = 1
	mid := len(es) / 2
	last := treeEntry{name: "99999.ics", mode: filemode.Regular}
	nt, pre, suf := old.splice([]int{0, mid}, []treeEntry{first, last}, []int{0, len(es)})
	want := append(append(append([]treeEntry{first}, es[1:mid]...), es[mid+1:]...), last)
	if exp := encodeTree(want); !bytes.Equal(nt.bytes(), exp.data) {
		t.Fatal("splice differs from the encoding from scratch")
	}
	if pre != 0 || suf != 0 {
		t.Errorf("prefix %d, suffix %d: want 0 and 0 (edits at both ends)", pre, suf)
	}
	shared := 0
	oldChunks := map[*byte]bool{}
	for _, c := range old.chunks {
		oldChunks[&c.raw[0]] = true
	}
	for _, c := range nt.chunks {
		if oldChunks[&c.raw[0]] {
			shared++
		}
	}
	if copied := len(nt.chunks) - shared; copied > 3 {
		t.Errorf("%d of %d chunks copied for edits in three places", copied, len(nt.chunks))
	}
	if limit := 3 * 2 * chunkSize; nt.own > limit {
		t.Errorf("the new version owns %d bytes, want at most %d (the tree is %d)", nt.own, limit, nt.size())
	}
}

// FuzzDecodeTree: a tree object read from a repository (which another
// git tool, or a damaged disk, may have written) is accepted or refused,
// never a panic; an accepted one reads back entry by entry into the same
// bytes, and splicing an entry into it gives the encoding from scratch.
func FuzzDecodeTree(f *testing.F) {
	f.Add(encodeTree([]treeEntry{{name: "a.ics", mode: filemode.Regular}, {name: "d", mode: filemode.Dir}}).data)
	f.Add(encodeTree([]treeEntry{{name: "x", mode: filemode.Executable}, {name: "y", mode: filemode.Symlink}}).data)
	f.Add([]byte("100644 \x00"))
	f.Add([]byte("40000 d\x00short"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := decodeTree(plumbing.ZeroHash, data)
		if err != nil {
			return
		}
		var back []byte
		var es []treeEntry
		for i := range tr.len() {
			e := tr.at(i)
			back = append(back, tr.entryBytes(i)...)
			es = append(es, treeEntry{name: strings.Clone(e.name), mode: e.mode, hash: e.hash})
		}
		if !bytes.Equal(back, data) {
			t.Fatalf("entries do not cover the tree: %q", data)
		}
		if !slices.IsSortedFunc(es, compareEntries) {
			return // not in git order: lookups are undefined, as in git
		}
		if !bytes.Equal(encodeTree(es).data, data) {
			return // not canonical (a mode like "040000"): splices keep such entries as they are
		}
		add := treeEntry{name: "zz-new", mode: filemode.Regular}
		if _, ok := tr.find(add.name); ok {
			return
		}
		at, _ := tr.search(add.name, false)
		nt, pre, suf := tr.splice(nil, []treeEntry{add}, []int{at})
		raw := nt.bytes()
		want := slices.Insert(slices.Clone(es), at, add)
		if exp := encodeTree(want).data; !bytes.Equal(raw, exp) || pre+suf != len(data) {
			t.Fatalf("splice into %q: %q, want %q (pre %d suf %d)", data, raw, exp, pre, suf)
		}
	})
}

// TestChangesAgainstListings: Changes (the ordered walk with its
// shared-ends skip) equals the difference of two full listings, on
// random directories and random edits: files added, removed, modified,
// files turned into directories and back, edits at both ends.
func TestChangesAgainstListings(t *testing.T) {
	r := rand.New(rand.NewSource(6578))
	s, err := OpenMemory(Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	name := func() string { return fmt.Sprintf("c/%c%d", 'a'+r.Intn(6), r.Intn(40)) }
	for round := range 150 {
		from := s.Head().Commit()
		_, err := s.Batch(ctx, who("edit"), func(tx *Txn) error {
			for range 1 + r.Intn(8) {
				p := name()
				switch r.Intn(5) {
				case 0:
					tx.Remove(p)
				case 1:
					tx.Remove(p)
					if err := tx.Write(p+"/inner", []byte(fmt.Sprint(r.Int()))); err != nil {
						return err
					}
				default:
					tx.Remove(p)
					if err := tx.Write(p, []byte(fmt.Sprint(r.Intn(3)))); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		to := s.Head().Commit()
		got, err := s.Changes(ctx, "c", from, to)
		if err != nil {
			t.Fatal(err)
		}
		before, after := filesUnder(t, s, from, "c"), filesUnder(t, s, to, "c")
		var want []Change
		for p, h := range after {
			switch old, ok := before[p]; {
			case !ok:
				want = append(want, Change{Path: p, Kind: Added, Hash: h})
			case old != h:
				want = append(want, Change{Path: p, Kind: Modified, Hash: h})
			}
		}
		for p := range before {
			if _, ok := after[p]; !ok {
				want = append(want, Change{Path: p, Kind: Removed})
			}
		}
		slices.SortFunc(want, func(x, y Change) int { return strings.Compare(x.Path, y.Path) })
		if !slices.Equal(got, want) {
			t.Fatalf("round %d: Changes\n%v\nwant\n%v", round, got, want)
		}
	}
}

// filesUnder maps every file below dir in commit id (none for "") to its blob id.
func filesUnder(t *testing.T, s *Store, id, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	if id == "" {
		return out
	}
	sn, err := s.At(id)
	if err != nil {
		t.Fatal(err)
	}
	var walk func(d string)
	walk = func(d string) {
		es, err := sn.List(d)
		if err != nil {
			return // gone
		}
		for _, e := range es {
			if e.Dir {
				walk(e.Path)
			} else {
				out[e.Path] = e.Hash
			}
		}
	}
	walk(dir)
	return out
}

// TestNameIndexAgreesWithSearch: once snapshot reads have looked names
// up in a large tree often enough for it to index them, lookups find
// exactly what a search finds, files and directories, present or not.
func TestNameIndexAgreesWithSearch(t *testing.T) {
	defer func(cs int) { chunkSize = cs }(chunkSize)
	chunkSize = 1 << 10 // many chunks
	r := rand.New(rand.NewSource(7))
	byName := map[string]treeEntry{}
	for len(byName) < 2*indexMin {
		e := treeEntry{name: fmt.Sprintf("m%05d.ics", r.Intn(100000)), mode: filemode.Regular}
		if r.Intn(10) == 0 {
			e.name, e.mode = strings.TrimSuffix(e.name, ".ics"), filemode.Dir
		}
		r.Read(e.hash[:])
		byName[e.name] = e
	}
	es := slices.Collect(maps.Values(byName))
	slices.SortFunc(es, compareEntries)
	tr := indexedTree(t, es)
	if tr.names.Load().pos == nil {
		t.Fatal("the index is unusable")
	}
	probes := []string{"", "m", "zz", "m00000.ics/x"}
	for _, e := range es {
		probes = append(probes, e.name, e.name+"x", strings.TrimSuffix(e.name, ".ics"))
	}
	for _, name := range probes {
		got, ok := tr.lookup(name)
		want, wantOK := byName[name]
		if ok != wantOK || ok && got != want {
			t.Fatalf("lookup %q: %v %v, want %v %v", name, got, ok, want, wantOK)
		}
	}
}

// TestNameIndexesAreBounded: at most maxIndexed tree versions keep a name
// index; an older one is searched again.
func TestNameIndexesAreBounded(t *testing.T) {
	var es []treeEntry
	for i := range indexMin {
		es = append(es, treeEntry{name: fmt.Sprintf("m%05d.ics", i), mode: filemode.Regular})
	}
	var trees []*tree
	for v := range maxIndexed + 2 {
		es[0].hash[0] = byte(v) // another version
		trees = append(trees, indexedTree(t, es))
	}
	usable := 0
	for _, tr := range trees {
		if ix := tr.names.Load(); ix.pos != nil {
			usable++
		}
		if e, ok := tr.lookup(es[7].name); !ok || e.name != es[7].name {
			t.Fatalf("lookup %s: %v %v", es[7].name, e, ok)
		}
	}
	if usable != maxIndexed {
		t.Errorf("%d of %d trees keep an index, want %d", usable, len(trees), maxIndexed)
	}
}

// indexedTree encodes es as a tree and reads names in it until it has
// indexed them.
func indexedTree(t *testing.T, es []treeEntry) *tree {
	t.Helper()
	o := encodeTree(es)
	tr, err := decodeTree(o.hash, o.data)
	if err != nil {
		t.Fatal(err)
	}
	for range indexAfter {
		tr.lookupRead(es[0].name)
	}
	for deadline := time.Now().Add(5 * time.Second); tr.names.Load() == nil; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the tree was not indexed")
		}
	}
	return tr
}

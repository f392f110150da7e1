package gitstore

import (
	"bytes"
	"compress/zlib"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/idxfile"
)

// randomEntries returns n entries with random ids, sorted by id, at
// offsets from start on, step bytes apart.
func randomEntries(n int, start, step int64) []idxEntry {
	es := make([]idxEntry, n)
	for i := range es {
		for j := range es[i].hash {
			es[i].hash[j] = byte(rand.IntN(256))
		}
		es[i].offset = start + int64(i)*step
		es[i].crc = rand.Uint32()
	}
	slices.SortFunc(es, func(a, b idxEntry) int { return bytes.Compare(a.hash[:], b.hash[:]) })
	return es
}

// The index finds every id at its offset, small and large (encodeIndex
// writes the table of 64-bit offsets), as go-git's decoder reads the same
// file, and finds no id the pack lacks.
func TestPackIndexFind(t *testing.T) {
	es := randomEntries(3000, 1<<31-1500*1000, 1000) // half of them past 2 GiB
	data := encodeIndex(es, plumbing.ZeroHash)
	x, err := parsePackIndex(data, true)
	if err != nil {
		t.Fatal(err)
	}
	ref := idxfile.NewMemoryIndex()
	if err := idxfile.NewDecoder(bytes.NewReader(data)).Decode(ref); err != nil {
		t.Fatal(err)
	}
	if x.count() != len(es) || len(x.large) != 1500 {
		t.Fatalf("%d objects, %d large offsets; want %d, 1500", x.count(), len(x.large), len(es))
	}
	for _, e := range es {
		off, ok := x.find(e.hash)
		want, err := ref.FindOffset(e.hash)
		if !ok || err != nil || off != e.offset || off != want {
			t.Fatalf("%s: found %v at %d; written at %d, go-git reads %d (%v)", e.hash, ok, off, e.offset, want, err)
		}
	}
	if got := x.entries(); !slices.Equal(got, es) {
		t.Error("entries differ from those written")
	}
	for range 3000 {
		var h plumbing.Hash
		for j := range h {
			h[j] = byte(rand.IntN(256))
		}
		if _, ok := x.find(h); ok {
			t.Fatalf("found %s, which the pack lacks", h)
		}
	}
	// Ids that share their first eight bytes with a held one.
	for _, e := range es[:100] {
		h := e.hash
		h[19] ^= 1
		if _, ok := x.find(h); ok && !slices.ContainsFunc(es, func(o idxEntry) bool { return o.hash == h }) {
			t.Fatalf("found %s, which differs from %s in its last byte", h, e.hash)
		}
	}
	if _, ok := (&packIndex{}).find(es[0].hash); ok {
		t.Error("an empty index finds an id")
	}
}

// The index of a pack git itself wrote (by git gc) lists what git
// verify-pack lists, at the same offsets.
func TestPackIndexReadsGitsOwnIndex(t *testing.T) {
	needGit(t)
	dir := t.TempDir()
	gitCmd(t, dir, "init", "-q")
	for i := range 50 {
		name := filepath.Join(dir, "f"+strconv.Itoa(i%7))
		if err := os.WriteFile(name, []byte(strings.Repeat("line "+strconv.Itoa(i)+"\n", 20+i)), 0o644); err != nil {
			t.Fatal(err)
		}
		gitCmd(t, dir, "add", "-A")
		gitCmd(t, dir, "-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", "c"+strconv.Itoa(i))
	}
	gitCmd(t, dir, "gc", "-q", "--aggressive")
	idxs, _ := filepath.Glob(filepath.Join(dir, ".git", "objects", "pack", "*.idx"))
	if len(idxs) != 1 {
		t.Fatalf("git gc left %d indexes", len(idxs))
	}
	x, err := readPackIndex(idxs[0], false)
	if err != nil {
		t.Fatal(err)
	}
	listed := 0
	for _, line := range strings.Split(gitCmd(t, dir, "verify-pack", "-v", idxs[0]), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 || len(f[0]) != 40 {
			continue
		}
		h, _ := parseHex(f[0])
		want, _ := strconv.ParseInt(f[4], 10, 64)
		if off, ok := x.find(h); !ok || off != want {
			t.Errorf("%s: found %v at %d, git lists it at %d", f[0], ok, off, want)
		}
		listed++
	}
	if listed == 0 || listed != x.count() {
		t.Errorf("git lists %d objects, the index %d", listed, x.count())
	}
}

// Damaged or foreign index files are refused with errBadIndex, never
// read past their end.
func TestPackIndexRejectsMalformed(t *testing.T) {
	good := encodeIndex(randomEntries(40, 12, 100), plumbing.ZeroHash)
	resum := func(b []byte) []byte {
		b = slices.Clone(b)
		sum := sha1.Sum(b[:len(b)-20])
		copy(b[len(b)-20:], sum[:])
		return b
	}
	cases := map[string][]byte{
		"empty":       nil,
		"version 1":   append([]byte{0xff, 't', 'O', 'c', 0, 0, 0, 1}, good[8:]...),
		"bad sum":     append(slices.Clone(good[:len(good)-1]), good[len(good)-1]^1),
		"truncated":   resum(append(slices.Clone(good[:len(good)-100]), good[len(good)-20:]...)),
		"count large": resum(func() []byte { b := slices.Clone(good); binary.BigEndian.PutUint32(b[8+255*4:], 1<<30); return b }()),
		"fan-out down": resum(func() []byte {
			b := slices.Clone(good)
			binary.BigEndian.PutUint32(b[8+10*4:], 1<<20)
			return b
		}()),
		"ids unsorted": resum(func() []byte {
			b := slices.Clone(good)
			first := slices.Clone(b[idxHeader : idxHeader+20])
			copy(b[idxHeader:], b[idxHeader+20:idxHeader+40])
			copy(b[idxHeader+20:], first)
			return b
		}()),
		"large offset missing": resum(func() []byte {
			b := slices.Clone(good)
			binary.BigEndian.PutUint32(b[idxHeader+40*24:], largeOffset|3)
			return b
		}()),
	}
	for name, data := range cases {
		if _, err := parsePackIndex(data, true); !errors.Is(err, errBadIndex) {
			t.Errorf("%s: error %v, want errBadIndex", name, err)
		}
	}
}

// FuzzPackIndex: any bytes parse to an index or an error, never a panic
// or a read past the end, and a parsed index finds each of its ids at
// the offset it lists.
func FuzzPackIndex(f *testing.F) {
	f.Add(encodeIndex(randomEntries(3, 12, 100), plumbing.ZeroHash))
	f.Add(encodeIndex(randomEntries(2, 1<<31-50, 100), plumbing.ZeroHash))
	f.Add(encodeIndex(nil, plumbing.ZeroHash))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 60 { // keep the checksum valid for mutated bodies
			sum := sha1.Sum(data[:len(data)-20])
			data = append(data[:len(data)-20:len(data)-20], sum[:]...)
		}
		x, err := parsePackIndex(data, true)
		if err != nil {
			return
		}
		for i, e := range x.entries() {
			off, ok := x.find(e.hash)
			if !ok {
				t.Fatalf("id %d (%s) not found", i, e.hash)
			}
			if off != e.offset && (i == 0 || x.id(i-1) != e.hash) && (i+1 == x.count() || x.id(i+1) != e.hash) {
				t.Fatalf("id %d at %d, listed at %d", i, off, e.offset)
			}
		}
	})
}

// FuzzCopyStored: copyStored never panics, and what it copies is what
// zlib reads from the same stream.
func FuzzCopyStored(f *testing.F) {
	var b bytes.Buffer
	writeStored(&b, []byte("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"))
	f.Add(b.Bytes(), 32)
	f.Add([]byte{0x78, 0x01, 0x01, 0x00, 0x00, 0xff, 0xff, 0, 0, 0, 1}, 0)
	f.Fuzz(func(t *testing.T, stream []byte, size int) {
		if size < 0 || size > 1<<16 {
			return
		}
		dst := make([]byte, size)
		if !copyStored(stream, dst) {
			return
		}
		zr, err := zlib.NewReader(bytes.NewReader(stream))
		if err != nil {
			t.Fatalf("copied %d bytes from a stream zlib refuses: %v", size, err)
		}
		want := make([]byte, size)
		if _, err := io.ReadFull(zr, want); err != nil || !bytes.Equal(dst, want) {
			t.Fatalf("copied %q, zlib reads %q (%v)", dst, want, err)
		}
	})
}

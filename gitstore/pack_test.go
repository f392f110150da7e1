package gitstore

import (
	"bytes"
	"compress/zlib"
	"io"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

func TestGitDeltaRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	rnd := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		return b
	}
	base := rnd(0x10000 + 300) // copies of exactly 64 KiB and more
	cases := map[string][]byte{
		"insert middle":  append(append(bytes.Clone(base[:0x10000]), rnd(40)...), base[0x10000:]...),
		"append":         append(bytes.Clone(base), rnd(1000)...),
		"prepend":        append(rnd(10), base...),
		"replace middle": append(append(bytes.Clone(base[:500]), rnd(300)...), base[800:]...),
		"delete middle":  append(bytes.Clone(base[:1000]), base[1200:]...),
		"identical":      bytes.Clone(base),
		"truncate":       bytes.Clone(base[:0x10000]),
	}
	for name, target := range cases {
		d := gitDelta(rawObject{data: base}, rawObject{data: target})
		if d == nil {
			t.Errorf("%s: no delta", name)
			continue
		}
		if len(d) > len(target)/2 {
			t.Errorf("%s: delta of %d bytes for %d", name, len(d), len(target))
		}
		got, err := applyDelta(base, d)
		if err != nil || !bytes.Equal(got, target) {
			t.Errorf("%s: round trip failed: %v", name, err)
		}
	}
	// With the shared ends known from how the object was made (as a tree
	// splice knows them), the delta is the same without comparing.
	insert := cases["insert middle"]
	hinted := rawObject{data: insert, hinted: true, pre: 0x10000, suf: len(base) - 0x10000}
	if d := gitDelta(hinted, rawObject{data: base}); d == nil {
		t.Error("hinted: no delta")
	} else if got, err := applyDelta(insert, d); err != nil || !bytes.Equal(got, base) {
		t.Errorf("hinted: round trip failed: %v", err)
	}
	if gitDelta(rawObject{data: base}, rawObject{data: rnd(len(base))}) != nil {
		t.Error("delta between unrelated data")
	}
	for _, bad := range [][]byte{nil, {5}, {byte(len(base)), 1, 0x80 | 0x10, 0xff}} {
		if _, err := applyDelta(base, bad); err == nil {
			t.Errorf("corrupt delta %v accepted", bad)
		}
	}
}

// TestWriteStoredInflates: the stored zlib streams packs hold small files
// in read back as the data, also across the 64 KB limit of a stored
// block and for no data at all.
func TestWriteStoredInflates(t *testing.T) {
	for _, n := range []int{0, 1, 4096, 0xffff, 0x10000, 200_000} {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(rand.IntN(256))
		}
		var buf bytes.Buffer
		if err := writeStored(&buf, data); err != nil {
			t.Fatal(err)
		}
		zr, err := zlib.NewReader(&buf)
		if err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		got, err := io.ReadAll(zr)
		if err != nil { // a wrong Adler-32 shows here
			t.Fatalf("%d bytes: %v", n, err)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("%d bytes: read back %d different bytes", n, len(got))
		}
	}
}

// copyStored reads what writeStored and a zlib writer at
// NoCompression write, and refuses, without a wrong answer, compressed,
// truncated and damaged streams and streams of another length; the
// inflate path reads all of them that are valid.
func TestCopyStored(t *testing.T) {
	for _, n := range []int{0, 1, 1300, 0xffff, 0x10000, 200_000} {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(rand.IntN(4)) // compressible
		}
		var stored, level0, deflated bytes.Buffer
		if err := writeStored(&stored, data); err != nil {
			t.Fatal(err)
		}
		for _, z := range []struct {
			buf   *bytes.Buffer
			level int
		}{{&level0, zlib.NoCompression}, {&deflated, zlib.BestSpeed}} {
			zw, _ := zlib.NewWriterLevel(z.buf, z.level)
			zw.Write(data)
			zw.Close()
		}
		// want: 1 copied, 0 refused, -1 either (a compressor may store
		// what does not compress).
		check := func(name string, stream []byte, size int, want int) {
			t.Helper()
			dst := make([]byte, size)
			if got := copyStored(stream, dst); want >= 0 && got != (want == 1) {
				t.Errorf("%d bytes, %s: copyStored %v, want %v", n, name, got, want)
			} else if got && !bytes.Equal(dst, data) {
				t.Errorf("%d bytes, %s: copied different bytes", n, name)
			}
			if size == n && len(stream) > 0 && name != "damaged" && name != "truncated" {
				dst := make([]byte, size)
				if err := inflateFrom(stream, dst); err != nil || !bytes.Equal(dst, data) {
					t.Errorf("%d bytes, %s: inflateFrom: %v", n, name, err)
				}
			}
		}
		check("writeStored", stored.Bytes(), n, 1)
		check("NoCompression", level0.Bytes(), n, 1)
		check("compressed", deflated.Bytes(), n, -1)
		if n > 1000 {
			check("compressed", deflated.Bytes(), n, 0)
		}
		check("longer than asked", stored.Bytes(), n+1, 0)
		if n > 0 {
			check("shorter than asked", stored.Bytes(), n-1, 0)
			check("truncated", stored.Bytes()[:stored.Len()-5-n/2], n, 0)
			damaged := bytes.Clone(stored.Bytes())
			damaged[5] ^= 0xff // NLEN
			check("damaged", damaged, n, 0)
		}
	}
}

// TestIDFilter: a pack's id filter passes every id the pack holds, and
// few it does not (it is sized for about 2%).
func TestIDFilter(t *testing.T) {
	var entries []idxEntry
	held := map[plumbing.Hash]bool{}
	randomID := func() plumbing.Hash {
		var h plumbing.Hash
		for i := range h {
			h[i] = byte(rand.IntN(256))
		}
		return h
	}
	for i := range 5000 {
		h := randomID()
		held[h] = true
		entries = append(entries, idxEntry{hash: h, offset: int64(12 + i)})
	}
	slices.SortFunc(entries, func(a, b idxEntry) int { return bytes.Compare(a.hash[:], b.hash[:]) })
	idx, err := parsePackIndex(encodeIndex(entries, plumbing.ZeroHash), false)
	if err != nil {
		t.Fatal(err)
	}
	f := newIDFilter(idx)
	for h := range held {
		if !f.mayHold(h) {
			t.Fatalf("%s is in the pack but not in its filter", h)
		}
	}
	passed := 0
	for range 20000 {
		if h := randomID(); !held[h] && f.mayHold(h) {
			passed++
		}
	}
	if passed > 20000/20 {
		t.Errorf("%d of 20,000 absent ids pass the filter, want at most 5%%", passed)
	}
}

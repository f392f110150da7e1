package gitstore

import (
	"crypto/sha1"
	"encoding/binary"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

// A blob enters the blob cache on its second read, not its first, and
// is then read from the cache: the bytes returned are the cached ones.
func TestBlobCacheAdmitsOnSecondRead(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(testing.TB, Options) *Store) {
		s := open(t, Options{})
		put(t, s, "cal/a.ics", "AAA", "cal/b.ics", "BBB")
		id := plumbing.NewHash(blobID("AAA"))
		read := func() []byte {
			t.Helper()
			b, err := s.Head().ReadFile("cal/a.ics", id.String())
			if err != nil || string(b) != "AAA" {
				t.Fatalf("read %q, %v", b, err)
			}
			return b
		}
		read()
		if _, ok := s.blobs.Get(id); ok {
			t.Fatal("cached on its first read")
		}
		second := read()
		cached, ok := s.blobs.Get(id)
		if !ok {
			t.Fatal("not cached on its second read")
		}
		if third := read(); &third[0] != &cached[0] || &second[0] != &cached[0] {
			t.Error("later reads are not served from the cache")
		}
	})
}

// The set of blobs read forgets them all once a quarter of its bits is
// set, so that it does not come to admit every blob.
func TestRereadsClearsWhenAQuarterFull(t *testing.T) {
	var r rereads
	ids := make([]plumbing.Hash, 0, rereadBits/4)
	for i := 0; len(ids) < rereadBits/4-1; i++ {
		h := plumbing.Hash(sha1.Sum(binary.LittleEndian.AppendUint64(nil, uint64(i))))
		if !r.mark(h) {
			ids = append(ids, h)
		}
	}
	for _, h := range ids[:10] {
		if !r.mark(h) {
			t.Fatalf("%s not remembered", h)
		}
	}
	var extra plumbing.Hash
	for i := 1 << 40; ; i++ {
		extra = plumbing.Hash(sha1.Sum(binary.LittleEndian.AppendUint64(nil, uint64(i))))
		if !r.mark(extra) { // the bit that fills the quarter
			break
		}
	}
	remembered := 0
	for _, h := range ids {
		if r.mark(h) {
			remembered++
		}
	}
	// Marking ids again after the clearing refills the set: some share
	// a bit with an id marked earlier in this loop.
	if remembered > len(ids)/4 {
		t.Errorf("%d of %d ids still remembered after the clearing", remembered, len(ids))
	}
}

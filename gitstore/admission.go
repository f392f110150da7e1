package gitstore

import (
	"encoding/binary"
	"sync/atomic"

	"github.com/go-git/go-git/v5/plumbing"
)

// rereads admits a blob to the blob cache on its second read: it marks
// every blob read in a bit set, and a blob whose bit is already set has
// probably been read before. Reads of many different blobs once each (a
// calendar-multiget of random members, an export) then cost one atomic
// operation each instead of a cache lookup that misses and an insertion
// that evicts blobs read often. A blob whose bit is clear cannot be in
// the cache unless the set was cleared since it was admitted; its next
// read is then one from the pack.
//
// The set is cleared once a quarter of its bits has been set, so that at
// most a quarter of the blobs read once pass for blobs read twice.
type rereads struct {
	bits [rereadBits / 64]atomic.Uint64
	set  atomic.Int64 // bits set since the last clearing
}

// rereadBits is the size of the set: 16 KiB, for the last 32,768
// different blobs read.
const rereadBits = 1 << 17

// mark records a read of blob h and reports whether its bit was set
// already.
func (r *rereads) mark(h plumbing.Hash) bool {
	bit := binary.LittleEndian.Uint32(h[:4]) % rereadBits
	mask := uint64(1) << (bit % 64)
	if r.bits[bit/64].Or(mask)&mask != 0 {
		return true
	}
	if r.set.Add(1) >= rereadBits/4 {
		r.set.Store(0)
		for i := range r.bits {
			r.bits[i].Store(0)
		}
	}
	return false
}

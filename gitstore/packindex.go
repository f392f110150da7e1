package gitstore

import (
	"bytes"
	"cmp"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/go-git/go-git/v5/plumbing"
)

// packIndex is a version-2 pack index (git's .idx) held in memory for
// lookups: the pack's object ids, sorted, and the offset of each one's
// entry in the pack. It keeps 24 bytes an object and nothing per lookup
// (go-git's MemoryIndex also keeps the CRCs, and remembers every offset
// it was asked for in a map that only grows).
type packIndex struct {
	fanout  [256]uint32 // fanout[b]: how many ids start with a byte ≤ b
	ids     []byte      // the ids, 20 bytes each, in ascending order
	offsets []uint32    // entry offsets; with the top bit set, an index into large
	large   []uint64    // offsets of 2 GiB and beyond
	crcs    []uint32    // CRC-32 of each entry; only when read for a merge
}

// idxMagic starts a version-2 index, followed by the version number.
var idxMagic = []byte{0xff, 't', 'O', 'c', 0, 0, 0, 2}

// idxHeader is the magic, the version and the fan-out table.
const idxHeader = 8 + 256*4

// largeOffset marks an offsets entry that indexes large.
const largeOffset = 1 << 31

// readPackIndex reads the index file at path; withCRC keeps the entries'
// CRC-32s (a merge copies them into the new index).
func readPackIndex(path string, withCRC bool) (*packIndex, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	x, err := parsePackIndex(data, withCRC)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return x, nil
}

// errBadIndex is the error of an index file that is not a well-formed
// version-2 index.
var errBadIndex = errors.New("malformed pack index")

// parsePackIndex decodes a version-2 index; the result shares no memory
// with data.
func parsePackIndex(data []byte, withCRC bool) (*packIndex, error) {
	const trailer = 2 * len(plumbing.ZeroHash)
	if len(data) < idxHeader+trailer || !bytes.Equal(data[:8], idxMagic) {
		return nil, fmt.Errorf("%w: not a version-2 index", errBadIndex)
	}
	body := data[:len(data)-len(plumbing.ZeroHash)]
	if sum := sha1.Sum(body); !bytes.Equal(sum[:], data[len(body):]) {
		return nil, fmt.Errorf("%w: checksum mismatch", errBadIndex)
	}
	x := &packIndex{}
	var prev uint32
	for i := range x.fanout {
		x.fanout[i] = binary.BigEndian.Uint32(data[8+4*i:])
		if x.fanout[i] < prev {
			return nil, fmt.Errorf("%w: fan-out table decreases", errBadIndex)
		}
		prev = x.fanout[i]
	}
	count := int(x.fanout[255])
	rest := data[idxHeader : len(data)-trailer]
	if count > len(rest)/(20+4+4) {
		return nil, fmt.Errorf("%w: %d objects do not fit in %d bytes", errBadIndex, count, len(rest))
	}
	ids, rest := rest[:count*20], rest[count*20:]
	crcs, rest := rest[:count*4], rest[count*4:]
	offs, rest := rest[:count*4], rest[count*4:]
	x.ids = slices.Clone(ids)
	for i := 1; i < count; i++ {
		if bytes.Compare(x.ids[(i-1)*20:i*20], x.ids[i*20:(i+1)*20]) > 0 {
			return nil, fmt.Errorf("%w: ids out of order", errBadIndex)
		}
	}
	x.offsets = make([]uint32, count)
	nLarge := 0
	for i := range x.offsets {
		x.offsets[i] = binary.BigEndian.Uint32(offs[4*i:])
		if x.offsets[i]&largeOffset != 0 {
			nLarge = max(nLarge, int(x.offsets[i]&^largeOffset)+1)
		}
	}
	if len(rest) != 8*nLarge {
		return nil, fmt.Errorf("%w: %d bytes of large offsets for %d", errBadIndex, len(rest), nLarge)
	}
	if nLarge > 0 {
		x.large = make([]uint64, nLarge)
		for i := range x.large {
			x.large[i] = binary.BigEndian.Uint64(rest[8*i:])
		}
	}
	if withCRC {
		x.crcs = make([]uint32, count)
		for i := range x.crcs {
			x.crcs[i] = binary.BigEndian.Uint32(crcs[4*i:])
		}
	}
	return x, nil
}

// count is the number of objects the index lists.
func (x *packIndex) count() int { return len(x.offsets) }

// id returns the i-th id in ascending order.
func (x *packIndex) id(i int) plumbing.Hash {
	return plumbing.Hash(x.ids[i*20 : (i+1)*20])
}

// offset returns the entry offset of the i-th id.
func (x *packIndex) offset(i int) int64 {
	o := x.offsets[i]
	if o&largeOffset != 0 {
		return int64(x.large[o&^largeOffset])
	}
	return int64(o)
}

// find returns the entry offset of h, if the pack holds it. It searches
// only the ids that share h's first byte, comparing their first eight
// bytes as one number before the rest.
func (x *packIndex) find(h plumbing.Hash) (int64, bool) {
	lo := 0
	if h[0] > 0 {
		lo = int(x.fanout[h[0]-1])
	}
	hi := int(x.fanout[h[0]])
	key := binary.BigEndian.Uint64(h[:8])
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		id := x.ids[mid*20 : mid*20+20]
		c := cmp.Compare(key, binary.BigEndian.Uint64(id))
		if c == 0 {
			c = bytes.Compare(h[8:], id[8:])
		}
		switch {
		case c == 0:
			return x.offset(mid), true
		case c < 0:
			hi = mid
		default:
			lo = mid + 1
		}
	}
	return 0, false
}

// entries lists the objects in id order, with their CRC-32s when the
// index was read with them.
func (x *packIndex) entries() []idxEntry {
	out := make([]idxEntry, x.count())
	for i := range out {
		out[i] = idxEntry{hash: x.id(i), offset: x.offset(i)}
		if x.crcs != nil {
			out[i].crc = x.crcs[i]
		}
	}
	return out
}

// byOffset lists the ids in the order of their entries in the pack.
func (x *packIndex) byOffset() []plumbing.Hash {
	es := x.entries()
	slices.SortFunc(es, func(a, b idxEntry) int { return cmp.Compare(a.offset, b.offset) })
	out := make([]plumbing.Hash, len(es))
	for i, e := range es {
		out[i] = e.hash
	}
	return out
}

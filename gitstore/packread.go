package gitstore

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/gocaldav/gocaldav/internal/gencache"
)

// Packed objects are read here, not through go-git: reads need no lock
// (os.File.ReadAt and the decoded index are safe for concurrent use) and
// skip go-git's collision-detecting re-hash of every object it inflates.

// packFile is one open pack and its index.
type packFile struct {
	id     plumbing.Hash
	f      *os.File
	size   int64
	idx    *packIndex
	filter idFilter // the ids idx holds
}

// packSet is an immutable list of packs; reload swaps in a new one.
type packSet struct {
	packs []*packFile
}

// baseKey names a decoded pack entry in the delta base cache.
type baseKey struct {
	pack plumbing.Hash
	off  int64
}

// packReader reads objects from the packs of a repository.
type packReader struct {
	dir  string
	mu   sync.Mutex // guards set swaps
	set  *packSet
	base *gencache.Cache[baseKey, rawObject]
}

func newPackReader(dir string) *packReader {
	r := &packReader{dir: dir, base: gencache.New[baseKey](2<<20, func(o rawObject) int { return len(o.data) + 64 })}
	r.set = &packSet{}
	return r
}

// load opens the packs currently in objects/pack, reusing open ones.
func (r *packReader) load() error {
	names, err := filepath.Glob(filepath.Join(r.dir, "objects", "pack", "pack-*.idx"))
	if err != nil {
		return err
	}
	r.mu.Lock()
	old := map[plumbing.Hash]*packFile{}
	for _, p := range r.set.packs {
		old[p.id] = p
	}
	r.mu.Unlock()
	next := &packSet{}
	for _, n := range names {
		id, ok := parseHex(strings.TrimSuffix(strings.TrimPrefix(filepath.Base(n), "pack-"), ".idx"))
		if !ok {
			continue
		}
		if p, ok := old[id]; ok {
			next.packs = append(next.packs, p)
			continue
		}
		p, err := openPackFile(strings.TrimSuffix(n, ".idx"), id)
		if errors.Is(err, os.ErrNotExist) {
			continue // deleted meanwhile
		}
		if err != nil {
			return err
		}
		next.packs = append(next.packs, p)
	}
	r.mu.Lock()
	r.set = next
	r.mu.Unlock()
	// Packs no longer listed are not closed here: a reader may still use
	// them; their files are closed when collected.
	return nil
}

func openPackFile(base string, id plumbing.Hash) (*packFile, error) {
	idx, err := readPackIndex(base+".idx", false)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(base + ".pack")
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &packFile{id: id, f: f, size: fi.Size(), idx: idx, filter: newIDFilter(idx)}, nil
}

// idFilter is a Bloom filter of the object ids a pack holds, so that a
// lookup skips the index of a pack that lacks the id (with dozens of
// packs before they are merged, most of the packs a lookup tries) for
// a few bit tests instead of a binary search. Ids are SHA-1 hashes,
// evenly spread, so three words of an id serve as its three bit
// positions. At ten bits an id, about 2% of the packs lacking one still
// pass.
type idFilter []uint64

// newIDFilter returns the filter of the ids idx holds.
func newIDFilter(idx *packIndex) idFilter {
	words := 1
	for words*64 < idx.count()*10 {
		words *= 2
	}
	f := make(idFilter, words)
	for i := range idx.count() {
		for _, b := range f.bits(idx.ids[i*20:]) {
			f[b/64] |= 1 << (b % 64)
		}
	}
	return f
}

// bits returns the filter's bit positions for the id that id starts with.
func (f idFilter) bits(id []byte) [3]uint32 {
	mask := uint32(len(f)*64 - 1)
	return [3]uint32{
		binary.LittleEndian.Uint32(id[4:]) & mask,
		binary.LittleEndian.Uint32(id[8:]) & mask,
		binary.LittleEndian.Uint32(id[12:]) & mask,
	}
}

// mayHold reports whether h may be among the ids; false is certain.
func (f idFilter) mayHold(h plumbing.Hash) bool {
	for _, b := range f.bits(h[:]) {
		if f[b/64]&(1<<(b%64)) == 0 {
			return false
		}
	}
	return true
}

// current returns the packs now visible.
func (r *packReader) current() *packSet {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.set
}

// find returns the pack of set holding h and the offset of its entry.
func (set *packSet) find(h plumbing.Hash) (p *packFile, off int64, ok bool) {
	for _, p := range set.packs {
		if !p.filter.mayHold(h) {
			continue
		}
		if off, ok := p.idx.find(h); ok {
			return p, off, true
		}
	}
	return nil, 0, false
}

// has reports whether any pack holds h.
func (r *packReader) has(h plumbing.Hash) bool {
	_, _, ok := r.current().find(h)
	return ok
}

// get finds h in any pack.
func (r *packReader) get(h plumbing.Hash) (rawObject, bool, error) {
	set := r.current()
	if p, off, ok := set.find(h); ok {
		o, err := r.readAt(set, p, off, 0)
		if err != nil {
			return rawObject{}, true, fmt.Errorf("pack %s: object %s: %w", p.id, h, err)
		}
		o.hash = h
		return o, true, nil
	}
	return rawObject{}, false, nil
}

// readAt decodes the entry at off, resolving deltas.
func (r *packReader) readAt(set *packSet, p *packFile, off int64, depth int) (rawObject, error) {
	if depth > 10000 {
		return rawObject{}, errors.New("delta chain too deep")
	}
	// One read takes the entry's header and, for a small object (most
	// are), all of its compressed data.
	buf := entryBufs.Get().(*[entryRead]byte)
	defer entryBufs.Put(buf)
	n, err := p.f.ReadAt(buf[:], off)
	if err != nil && !(errors.Is(err, io.EOF) && n > 0) {
		return rawObject{}, err
	}
	b := buf[:n]
	if len(b) == 0 {
		return rawObject{}, errors.New("truncated entry")
	}
	typ := plumbing.ObjectType(b[0] >> 4 & 7)
	size := uint64(b[0] & 0x0f)
	i, shift := 1, uint(4)
	for b[i-1]&0x80 != 0 {
		if i >= len(b) {
			return rawObject{}, errors.New("bad entry header")
		}
		size |= uint64(b[i]&0x7f) << shift
		shift += 7
		i++
	}
	var base rawObject
	switch typ {
	case plumbing.OFSDeltaObject:
		if i >= len(b) {
			return rawObject{}, errors.New("bad offset")
		}
		rel := uint64(b[i] & 0x7f)
		for b[i]&0x80 != 0 {
			i++
			if i >= len(b) {
				return rawObject{}, errors.New("bad offset")
			}
			rel = (rel+1)<<7 | uint64(b[i]&0x7f)
		}
		i++
		bo := off - int64(rel)
		if bo < 12 || bo >= off {
			return rawObject{}, errors.New("bad delta base offset")
		}
		if base, err = r.cachedAt(set, p, bo, depth); err != nil {
			return rawObject{}, err
		}
	case plumbing.REFDeltaObject:
		if i+20 > len(b) {
			return rawObject{}, errors.New("bad ref delta")
		}
		var bh plumbing.Hash
		copy(bh[:], b[i:i+20])
		i += 20
		var found bool
		base, found, err = r.get(bh)
		if err == nil && !found {
			err = fmt.Errorf("delta base %s: %w", bh, errObjectMissing)
		}
		if err != nil {
			return rawObject{}, err
		}
	case plumbing.CommitObject, plumbing.TreeObject, plumbing.BlobObject, plumbing.TagObject:
	default:
		return rawObject{}, fmt.Errorf("bad object type %d", typ)
	}
	data := make([]byte, size)
	// Deflate grows data by at most a few bytes a block; zlib adds 6.
	if rest := b[i:]; uint64(len(rest)) >= size+64 || off+int64(n) == p.size {
		if err := inflateFrom(rest, data); err != nil {
			return rawObject{}, err
		}
	} else if err := inflateAt(p, off+int64(i), data); err != nil {
		return rawObject{}, err
	}
	if typ == plumbing.OFSDeltaObject || typ == plumbing.REFDeltaObject {
		out, err := applyDelta(base.data, data)
		if err != nil {
			return rawObject{}, err
		}
		return rawObject{typ: base.typ, data: out}, nil
	}
	return rawObject{typ: typ, data: data}, nil
}

// entryRead is how much of a pack readAt reads at an entry's offset.
const entryRead = 4 << 10

var entryBufs = sync.Pool{New: func() any { return new([entryRead]byte) }}

// inflateFrom decompresses len(dst) bytes of the zlib stream at the
// start of b.
func inflateFrom(b []byte, dst []byte) error {
	if copyStored(b, dst) {
		return nil
	}
	in, _ := memInflaters.Get().(*memInflater)
	if in == nil {
		in = &memInflater{}
	}
	defer memInflaters.Put(in)
	in.r.Reset(b)
	return inflateInto(&in.zr, &in.r, dst)
}

// copyStored fills dst from the zlib stream at the start of b when the
// stream holds its len(dst) bytes in stored (uncompressed) deflate
// blocks, each starting on a byte boundary, as writeStored writes small
// files: then decompressing is copying, without a decompressor's state
// to reset. It reports false, having changed nothing that matters, for
// any other stream, which the caller then inflates; like that path, it
// reads no further than the data and so does not check the trailing
// Adler-32.
func copyStored(b, dst []byte) bool {
	if len(b) < 2 || b[0]&0x0f != 8 || b[1]&0x20 != 0 || (uint(b[0])<<8|uint(b[1]))%31 != 0 {
		return false // not deflate, or with a preset dictionary
	}
	b = b[2:]
	for n := 0; ; {
		// A block header on a byte boundary: BFINAL, BTYPE 00, padding,
		// then LEN and its complement.
		if len(b) < 5 || b[0]&^1 != 0 {
			return false
		}
		final := b[0] == 1
		size := int(b[1]) | int(b[2])<<8
		if size != int(^b[3])|int(^b[4])<<8 || size > len(b)-5 || size > len(dst)-n {
			return false
		}
		n += copy(dst[n:], b[5:5+size])
		b = b[5+size:]
		if final {
			return n == len(dst)
		}
	}
}

// inflateInto decompresses len(dst) bytes of the zlib stream src with the
// reader *zr, made the first time and reset after.
func inflateInto(zr *io.ReadCloser, src io.Reader, dst []byte) error {
	if *zr == nil {
		r, err := zlib.NewReader(src)
		if err != nil {
			return err
		}
		*zr = r
	} else if err := (*zr).(zlib.Resetter).Reset(src, nil); err != nil {
		return err
	}
	_, err := io.ReadFull(*zr, dst)
	return err
}

// memInflater is a reusable zlib reader over bytes in memory.
type memInflater struct {
	r  bytes.Reader
	zr io.ReadCloser
}

var memInflaters sync.Pool // of *memInflater

var inflaters sync.Pool // of *inflater

// inflater is a reusable zlib reader over a buffered section of a pack.
type inflater struct {
	br *bufio.Reader
	zr io.ReadCloser
}

// inflateAt decompresses len(dst) bytes of the zlib stream at off.
func inflateAt(p *packFile, off int64, dst []byte) error {
	sec := io.NewSectionReader(p.f, off, p.size-off)
	in, _ := inflaters.Get().(*inflater)
	if in == nil {
		in = &inflater{br: bufio.NewReaderSize(sec, 16<<10)}
	} else {
		in.br.Reset(sec)
	}
	defer inflaters.Put(in)
	return inflateInto(&in.zr, in.br, dst)
}

// cachedAt is readAt through the delta base cache.
func (r *packReader) cachedAt(set *packSet, p *packFile, off int64, depth int) (rawObject, error) {
	k := baseKey{p.id, off}
	if o, ok := r.base.Get(k); ok {
		return o, nil
	}
	o, err := r.readAt(set, p, off, depth+1)
	if err == nil {
		r.base.Add(k, o)
	}
	return o, err
}

// applyDelta applies a git delta to base.
func applyDelta(base, delta []byte) ([]byte, error) {
	srcSize, n := binary.Uvarint(delta)
	if n <= 0 || srcSize != uint64(len(base)) {
		return nil, errors.New("delta: source size mismatch")
	}
	delta = delta[n:]
	dstSize, n := binary.Uvarint(delta)
	if n <= 0 {
		return nil, errors.New("delta: bad target size")
	}
	delta = delta[n:]
	out := make([]byte, 0, dstSize)
	for len(delta) > 0 {
		op := delta[0]
		delta = delta[1:]
		if op&0x80 == 0 {
			if op == 0 || int(op) > len(delta) {
				return nil, errors.New("delta: bad insert")
			}
			out = append(out, delta[:op]...)
			delta = delta[op:]
			continue
		}
		var off, size uint64
		for i := range 7 {
			if op&(1<<i) == 0 {
				continue
			}
			if len(delta) == 0 {
				return nil, errors.New("delta: truncated copy")
			}
			if i < 4 {
				off |= uint64(delta[0]) << (8 * i)
			} else {
				size |= uint64(delta[0]) << (8 * (i - 4))
			}
			delta = delta[1:]
		}
		if size == 0 {
			size = 0x10000
		}
		if off+size > uint64(len(base)) {
			return nil, errors.New("delta: copy out of range")
		}
		out = append(out, base[off:off+size]...)
	}
	if uint64(len(out)) != dstSize {
		return nil, errors.New("delta: target size mismatch")
	}
	return out, nil
}

// close closes every open pack.
func (r *packReader) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.set.packs {
		p.f.Close()
	}
	r.set = &packSet{}
}

package gitstore

import (
	"bytes"
	"compress/zlib"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
)

// Journalled objects are written to disk as packs (never as loose files):
// every rewritten tree is stored as a git delta against its newer version
// (the newest one in full, as git does), so a pack of N one-file commits
// into a 10,000-entry directory holds one 430 KB tree and N-1 deltas of
// a few dozen bytes.

// maxDeltaDepth bounds delta chains so that reading an old tree stays
// cheap. It is the bound of pending chains too (see holdLocked), so that
// a pack of pending versions keeps each one's delta: starting a new chain
// in a pack needs a version's content, which a pending delta must first
// rebuild from the newest one.
const maxDeltaDepth = 2 * maxPendChain

// packEntry is one object as laid out in a pack.
type packEntry struct {
	o      rawObject
	delta  []byte // git delta against base, or nil for a full object
	base   int    // index of the base entry when delta != nil
	offset int64
	crc    uint32
}

// orderForPack orders objects so that each tree comes after its newer
// version and is a delta against it.
//
// Pending objects held as a delta against their newer version (see
// diskBackend.persist) keep that delta; whole gives the content of any
// other that lacks it.
func orderForPack(objs []rawObject, whole func(rawObject) (rawObject, error)) ([]packEntry, error) {
	byHash := make(map[plumbing.Hash]int, len(objs))
	for i, o := range objs {
		byHash[o.hash] = i
	}
	// succ[i] = the object whose splice base is objs[i] (its newer version).
	succ := map[int]int{}
	for i, o := range objs {
		if b, ok := byHash[o.base]; ok && !o.base.IsZero() && b != i {
			if _, taken := succ[b]; !taken {
				succ[b] = i
			}
		}
	}
	out := make([]packEntry, 0, len(objs))
	placed := make([]int, len(objs)) // position in out + 1
	for i := range objs {
		if _, hasNewer := succ[i]; hasNewer || placed[i] != 0 {
			continue
		}
		// objs[i] is the newest of its chain: walk to older versions.
		depth := 0
		cur := i
		for {
			e := packEntry{o: objs[cur], base: -1}
			if newer, ok := succ[cur]; ok && depth < maxDeltaDepth {
				switch {
				case e.o.delta != nil:
					if e.o.deltaOf == objs[newer].hash {
						e.delta, e.base = e.o.delta, placed[newer]-1
					}
				case objs[newer].delta == nil:
					if d := gitDelta(objs[newer], e.o); d != nil {
						e.delta, e.base = d, placed[newer]-1
					}
				}
			}
			if e.delta == nil && e.o.delta != nil {
				var err error
				if e.o, err = whole(e.o); err != nil {
					return nil, err
				}
			}
			if e.delta == nil {
				depth = 0
			} else {
				depth++
			}
			out = append(out, e)
			placed[cur] = len(out)
			prev, ok := byHash[objs[cur].base]
			if !ok || objs[cur].base.IsZero() || placed[prev] != 0 || succ[prev] != cur {
				break
			}
			cur = prev
		}
	}
	// Objects left over (a cycle cannot happen with content hashes, but be safe).
	for i := range objs {
		if placed[i] == 0 {
			o, err := whole(objs[i])
			if err != nil {
				return nil, err
			}
			out = append(out, packEntry{o: o, base: -1})
			placed[i] = len(out)
		}
	}
	return out, nil
}

// gitDelta encodes target, the base source was made from, as a git
// delta of source when they share a large prefix and suffix; nil when
// that would not pay.
func gitDelta(src, target rawObject) []byte {
	sourceLen, targetLen := src.size(), target.size()
	pre, suf, ok := src.spliceWith(target) // the shared ends are the same seen from either side
	if !ok || targetLen-pre-suf >= targetLen/2 {
		return nil
	}
	d := binary.AppendUvarint(nil, uint64(sourceLen))
	d = binary.AppendUvarint(d, uint64(targetLen))
	d = appendCopy(d, 0, pre)
	for mid := target.bytesAt(pre, targetLen-suf); len(mid) > 0; {
		n := min(len(mid), 127)
		d = append(d, byte(n))
		d = append(d, mid[:n]...)
		mid = mid[n:]
	}
	return appendCopy(d, sourceLen-suf, suf)
}

// appendCopy appends git delta copy instructions for source[off:off+n].
func appendCopy(d []byte, off, n int) []byte {
	for n > 0 {
		size := min(n, 0xffffff)
		op := byte(0x80)
		var args []byte
		for i := range 4 {
			if b := byte(off >> (8 * i)); b != 0 {
				op |= 1 << i
				args = append(args, b)
			}
		}
		for i := range 3 {
			if b := byte(size >> (8 * i)); b != 0 {
				op |= 1 << (4 + i)
				args = append(args, b)
			}
		}
		d = append(append(d, op), args...)
		off += size
		n -= size
	}
	return d
}

// maxStoredBlob is the size up to which a file is stored in packs
// without compression (in zlib's stored blocks). Calendar objects are
// about 1 KB, and reading one from a pack otherwise costs inflating it:
// some 14 µs, most of it building the block's Huffman tables, which is
// most of the cost of a calendar-multiget of objects not read before.
// Stored, they take about 300 bytes more each on disk.
const maxStoredBlob = 4 << 10

var storedPool = sync.Pool{New: func() any {
	w, _ := zlib.NewWriterLevel(io.Discard, zlib.NoCompression)
	return w
}}

// encodePack builds a pack and its version-2 index.
func encodePack(entries []packEntry) (pack, idx []byte, id plumbing.Hash, err error) {
	var buf bytes.Buffer
	buf.WriteString("PACK")
	binary.Write(&buf, binary.BigEndian, uint32(2))
	binary.Write(&buf, binary.BigEndian, uint32(len(entries)))
	zc := zlibPool.Get().(*zlib.Writer)
	defer zlibPool.Put(zc)
	zs := storedPool.Get().(*zlib.Writer)
	defer storedPool.Put(zs)
	for i := range entries {
		e := &entries[i]
		e.offset = int64(buf.Len())
		typ, data, whole := e.o.typ, e.o.data, e.o.tree
		if e.delta != nil {
			typ, data, whole = plumbing.OFSDeltaObject, e.delta, nil
		}
		// type and size header
		size := uint64(len(data))
		if whole != nil {
			size = uint64(whole.size())
		}
		b := byte(typ)<<4 | byte(size&0x0f)
		size >>= 4
		for size != 0 {
			buf.WriteByte(b | 0x80)
			b = byte(size & 0x7f)
			size >>= 7
		}
		buf.WriteByte(b)
		if e.delta != nil {
			rel := uint64(e.offset - entries[e.base].offset)
			var ofs [10]byte
			p := len(ofs) - 1
			ofs[p] = byte(rel & 0x7f)
			for rel >>= 7; rel != 0; rel >>= 7 {
				rel--
				p--
				ofs[p] = 0x80 | byte(rel&0x7f)
			}
			buf.Write(ofs[p:])
		}
		zw := zc
		if typ == plumbing.BlobObject && len(data) <= maxStoredBlob {
			zw = zs
		}
		zw.Reset(&buf)
		if whole != nil {
			err = whole.writeTo(zw) // a tree held in chunks
		} else {
			_, err = zw.Write(data)
		}
		if err != nil {
			return nil, nil, id, err
		}
		if err := zw.Close(); err != nil {
			return nil, nil, id, err
		}
		e.crc = crc32.ChecksumIEEE(buf.Bytes()[e.offset:])
	}
	if buf.Len() >= 1<<31 {
		return nil, nil, id, fmt.Errorf("pack too large (%d bytes)", buf.Len())
	}
	sum := sha1.Sum(buf.Bytes())
	buf.Write(sum[:])
	copy(id[:], sum[:])

	ix := make([]idxEntry, len(entries))
	for i, e := range entries {
		ix[i] = idxEntry{hash: e.o.hash, crc: e.crc, offset: e.offset}
	}
	return buf.Bytes(), encodeIndex(ix, id), id, nil
}

// writePack durably writes objs as a new pack (pack, then index).
func (d *diskBackend) writePack(objs []rawObject) error {
	entries, err := orderForPack(objs, d.whole)
	if err != nil {
		return err
	}
	pack, idx, id, err := encodePack(entries)
	if err != nil {
		return err
	}
	dir := filepath.Join(d.dir, "objects", "pack")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	base := filepath.Join(dir, "pack-"+id.String())
	for _, f := range []struct {
		ext  string
		data []byte
	}{{".pack", pack}, {".idx", idx}} {
		if err := writeFileSync(base+f.ext+".tmp", f.data); err != nil {
			return err
		}
		if err := os.Rename(base+f.ext+".tmp", base+f.ext); err != nil {
			return err
		}
	}
	return syncPath(dir)
}

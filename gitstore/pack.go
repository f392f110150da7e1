package gitstore

import (
	"bufio"
	"compress/zlib"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"hash"
	"hash/adler32"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"

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

// packWriter writes a pack's bytes, keeping their count, the SHA-1 of
// them all (the pack's trailer and id) and the CRC-32 of those since
// crc was last reset (an entry's, for the index).
type packWriter struct {
	w   io.Writer
	n   int64
	sum hash.Hash
	crc uint32
}

func (p *packWriter) Write(b []byte) (int, error) {
	p.sum.Write(b)
	p.crc = crc32.Update(p.crc, crc32.IEEETable, b)
	n, err := p.w.Write(b)
	p.n += int64(n)
	return n, err
}

// writeStored writes data to w as a zlib stream of stored (uncompressed)
// deflate blocks: what a zlib writer at NoCompression writes, without
// the compressor's state (over half a megabyte) that such a writer holds.
func writeStored(w io.Writer, data []byte) error {
	sum := adler32.Checksum(data)
	if _, err := w.Write([]byte{0x78, 0x01}); err != nil { // deflate, 32 KB window, no dictionary
		return err
	}
	for {
		n := min(len(data), 0xffff)
		final := byte(0)
		if n == len(data) {
			final = 1
		}
		head := [5]byte{final, byte(n), byte(n >> 8), ^byte(n), ^byte(n >> 8)}
		if _, err := w.Write(head[:]); err != nil {
			return err
		}
		if _, err := w.Write(data[:n]); err != nil {
			return err
		}
		if data = data[n:]; final == 1 {
			break
		}
	}
	_, err := w.Write(binary.BigEndian.AppendUint32(nil, sum))
	return err
}

// encodePack writes the entries of a pack to pw (after its header) and
// returns their index entries. The pack is written as it is made, so that
// one holding a large tree in full takes no buffer of its size.
func encodePack(pw *packWriter, entries []packEntry) ([]idxEntry, error) {
	zc := zlibPool.Get().(*zlib.Writer)
	defer zlibPool.Put(zc)
	for i := range entries {
		e := &entries[i]
		e.offset, pw.crc = pw.n, 0
		typ, data, whole := e.o.typ, e.o.data, e.o.tree
		if e.delta != nil {
			typ, data, whole = plumbing.OFSDeltaObject, e.delta, nil
		}
		// type and size header
		size := uint64(len(data))
		if whole != nil {
			size = uint64(whole.size())
		}
		head := make([]byte, 0, 24)
		b := byte(typ)<<4 | byte(size&0x0f)
		size >>= 4
		for size != 0 {
			head = append(head, b|0x80)
			b = byte(size & 0x7f)
			size >>= 7
		}
		head = append(head, b)
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
			head = append(head, ofs[p:]...)
		}
		if _, err := pw.Write(head); err != nil {
			return nil, err
		}
		var err error
		switch {
		case typ == plumbing.BlobObject && len(data) <= maxStoredBlob:
			err = writeStored(pw, data)
		case whole != nil:
			zc.Reset(pw)
			if err = whole.writeTo(zc); err == nil { // a tree held in chunks
				err = zc.Close()
			}
		default:
			zc.Reset(pw)
			if _, err = zc.Write(data); err == nil {
				err = zc.Close()
			}
		}
		if err != nil {
			return nil, err
		}
		e.crc = pw.crc
	}
	ix := make([]idxEntry, len(entries))
	for i, e := range entries {
		ix[i] = idxEntry{hash: e.o.hash, crc: e.crc, offset: e.offset}
	}
	return ix, nil
}

// writePack durably writes objs as a new pack.
func (d *diskBackend) writePack(objs []rawObject) error {
	entries, err := orderForPack(objs, d.whole)
	if err != nil {
		return err
	}
	_, err = writePackFile(filepath.Join(d.dir, "objects", "pack"), len(entries), func(pw *packWriter) ([]idxEntry, error) {
		return encodePack(pw, entries)
	})
	return err
}

// maxPackSize bounds a pack, written or merged: offsets in a version-2
// index above 2 GiB need the large-offset table, which encodeIndex does
// not write.
const maxPackSize = 1<<31 - 1

// writePackFile durably writes a pack of count objects into dir and
// returns its id: the header, the entries that body writes (returning
// their index entries), the trailer, then its index. The pack is
// written under a temporary name until its id, the hash of its bytes,
// is known; a crash leaves at most that file, which cleanStale removes.
func writePackFile(dir string, count int, body func(pw *packWriter) ([]idxEntry, error)) (plumbing.Hash, error) {
	var id plumbing.Hash
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return id, err
	}
	f, err := os.CreateTemp(dir, "new-*.pack.tmp")
	if err != nil {
		return id, err
	}
	defer func() {
		f.Close()
		os.Remove(f.Name()) // once renamed, a no-op
	}()
	bw := bufio.NewWriterSize(f, 64<<10)
	pw := &packWriter{w: bw, sum: sha1.New()}
	var head [12]byte
	copy(head[:], "PACK")
	binary.BigEndian.PutUint32(head[4:], 2)
	binary.BigEndian.PutUint32(head[8:], uint32(count))
	if _, err := pw.Write(head[:]); err != nil {
		return id, err
	}
	entries, err := body(pw)
	if err != nil {
		return id, err
	}
	if pw.n > maxPackSize {
		return id, fmt.Errorf("pack too large (%d bytes)", pw.n)
	}
	pw.sum.Sum(id[:0])
	if _, err := bw.Write(id[:]); err != nil {
		return id, err
	}
	if err := bw.Flush(); err != nil {
		return id, err
	}
	fsyncs.Add(1)
	if err := f.Sync(); err != nil {
		return id, err
	}
	base := filepath.Join(dir, "pack-"+id.String())
	if err := os.Rename(f.Name(), base+".pack"); err != nil {
		return id, err
	}
	if err := writeFileSync(base+".idx.tmp", encodeIndex(entries, id)); err != nil {
		return id, err
	}
	if err := os.Rename(base+".idx.tmp", base+".idx"); err != nil {
		return id, err
	}
	return id, syncPath(dir)
}

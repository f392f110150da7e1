package gitstore

import (
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/go-git/go-git/v5/plumbing"
)

// Packs are merged by copying their entries byte for byte, without
// inflating or re-encoding a single object. An OFS_DELTA entry names its
// base by the distance back to it inside the same pack; each source
// pack's entries are copied as one contiguous run, so every entry and its
// base move by the same amount and the distances stay valid. REF_DELTA
// entries name their base by id and need nothing. The cost is one
// sequential copy of the packs, in constant memory apart from the index.

// errDuplicateObject: two of the packs to merge hold the same object, so
// copying them would make a pack git refuses; they are rewritten instead.
var errDuplicateObject = errors.New("object in more than one pack")

// idxEntry is one object of a pack as its index lists it.
type idxEntry struct {
	hash   plumbing.Hash
	crc    uint32
	offset int64
}

// encodeIndex builds the version-2 index of a pack whose trailing
// checksum is packSum. Duplicate ids are kept (git's own index writer
// does the same): lookups find either copy.
func encodeIndex(entries []idxEntry, packSum plumbing.Hash) []byte {
	sorted := slices.Clone(entries)
	slices.SortFunc(sorted, func(a, b idxEntry) int { return bytes.Compare(a.hash[:], b.hash[:]) })
	ix := make([]byte, 0, idxHeader+len(sorted)*(20+4+4)+2*len(packSum))
	ix = append(ix, idxMagic...)
	var fan [256]uint32
	for _, e := range sorted {
		fan[e.hash[0]]++
	}
	var total uint32
	for _, n := range fan {
		total += n
		ix = binary.BigEndian.AppendUint32(ix, total)
	}
	for _, e := range sorted {
		ix = append(ix, e.hash[:]...)
	}
	for _, e := range sorted {
		ix = binary.BigEndian.AppendUint32(ix, e.crc)
	}
	// Offsets of 2 GiB and beyond (only git itself writes such packs)
	// go in a table of 64-bit offsets that the 32-bit entry indexes.
	var large []uint64
	for _, e := range sorted {
		o := uint32(e.offset)
		if e.offset >= largeOffset {
			o = largeOffset | uint32(len(large))
			large = append(large, uint64(e.offset))
		}
		ix = binary.BigEndian.AppendUint32(ix, o)
	}
	for _, o := range large {
		ix = binary.BigEndian.AppendUint64(ix, o)
	}
	ix = append(ix, packSum[:]...)
	isum := sha1.Sum(ix)
	return append(ix, isum[:]...)
}

// packEntries reads the index of pack id.
func (d *diskBackend) packEntries(id plumbing.Hash) ([]idxEntry, error) {
	x, err := readPackIndex(filepath.Join(d.dir, "objects", "pack", "pack-"+id.String()+".idx"), true)
	if err != nil {
		return nil, fmt.Errorf("pack %s: %w", id, err)
	}
	return x.entries(), nil
}

// mergePacks durably writes one pack holding every entry of packs (which
// must all be version-2 packs) and returns its id. The originals are left
// in place for the caller to remove once the new pack is visible.
func (d *diskBackend) mergePacks(packs []packInfo) (plumbing.Hash, error) {
	dir := filepath.Join(d.dir, "objects", "pack")
	total := 0
	for _, p := range packs {
		total += p.count
	}
	lists := make([][]idxEntry, len(packs))
	seen := make(map[plumbing.Hash]struct{}, total)
	for i, p := range packs {
		es, err := d.packEntries(p.id)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		if len(es) != p.count {
			return plumbing.ZeroHash, fmt.Errorf("pack %s: index lists %d objects, expected %d", p.id, len(es), p.count)
		}
		for _, e := range es {
			if _, dup := seen[e.hash]; dup {
				return plumbing.ZeroHash, fmt.Errorf("object %s: %w", e.hash, errDuplicateObject)
			}
			seen[e.hash] = struct{}{}
		}
		lists[i] = es
	}
	seen = nil
	return writePackFile(dir, total, func(pw *packWriter) ([]idxEntry, error) {
		entries := make([]idxEntry, 0, total)
		for i, p := range packs {
			at := pw.n // where this pack's entries start
			if _, err := copyPackBody(pw, filepath.Join(dir, "pack-"+p.id.String()+".pack")); err != nil {
				return nil, fmt.Errorf("pack %s: %w", p.id, err)
			}
			for _, e := range lists[i] {
				e.offset += at - 12
				entries = append(entries, e)
			}
			if pw.n > maxPackSize {
				return nil, fmt.Errorf("merged pack would exceed %d bytes", int64(maxPackSize))
			}
		}
		return entries, nil
	})
}

// copyPackBody copies the entries of the pack at path (everything between
// its 12-byte header and 20-byte trailer) to w, after checking the header.
// It returns the number of bytes copied.
func copyPackBody(w io.Writer, path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	var head [12]byte
	if _, err := io.ReadFull(f, head[:]); err != nil {
		return 0, err
	}
	if string(head[:4]) != "PACK" || binary.BigEndian.Uint32(head[4:]) != 2 {
		return 0, fmt.Errorf("not a version-2 pack")
	}
	n := fi.Size() - 12 - 20
	if n < 0 {
		return 0, fmt.Errorf("truncated pack")
	}
	if _, err := io.CopyN(w, f, n); err != nil {
		return 0, err
	}
	return n, nil
}

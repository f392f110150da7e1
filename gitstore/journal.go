package gitstore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

// The journal makes a commit durable with a single fsync. Each commit
// group appends its objects and finally the new branch value to
// gocaldav-journal and syncs that one file. The objects then live in
// memory until the materializer writes them into a pack (synced) and
// points the ref file at the newest commit (not synced). A checkpoint, run
// in the background once the journal is large, rotates it, waits for the
// pack, syncs the ref file, and deletes the old journal; a clean Close
// empties it. On open, the journals are replayed: their objects are packed
// and the ref is set to the last journalled value. A torn record at the
// tail (a crash while appending) is dropped: its commit was never
// acknowledged.
//
// Record: kind (1 byte) | payload length (uint32 BE) | payload | CRC-32C of
// kind, length and payload (uint32 BE). Kinds and payloads:
//
//	'O' object: id (20) | type (1) | content
//	'D' object as a splice of an earlier one (a rewritten tree differs from
//	    its previous version in one place): id (20) | base id (20) |
//	    type (1) | prefix length (uint32) | suffix length (uint32) | middle
//	'R' branch: commit id (20)
//
// Splices keep the journal small: a one-file commit into a directory of
// 10,000 entries journals ~1 KB instead of the 430 KB tree.

const (
	journalName    = "gocaldav-journal"
	journalOldName = "gocaldav-journal.old"
)

// journalCheckpoint is the journal size past which it is rotated and
// checkpointed (a variable so tests can exercise rotation).
var journalCheckpoint int64 = 32 << 20

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// journal is the append-only commit log of a disk backend.
type journal struct {
	d    *diskBackend
	f    *os.File
	size int64

	ckpt sync.WaitGroup // a running checkpoint
	busy bool           // a checkpoint owns journal.old
	mu   sync.Mutex     // guards busy
}

func appendRecord(b []byte, kind byte, parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	start := len(b)
	b = append(b, kind)
	b = binary.BigEndian.AppendUint32(b, uint32(n))
	for _, p := range parts {
		b = append(b, p...)
	}
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b[start:], crcTable))
}

// journalRecords encodes a commit group: its objects, then the branch.
func journalRecords(objs []rawObject, ref plumbing.Hash) []byte {
	var rec []byte
	for _, o := range objs {
		if pre, suf, ok := o.journalSplice(); ok {
			var hdr [49]byte
			copy(hdr[:20], o.hash[:])
			copy(hdr[20:40], o.base[:])
			hdr[40] = byte(o.typ)
			binary.BigEndian.PutUint32(hdr[41:45], uint32(pre))
			binary.BigEndian.PutUint32(hdr[45:49], uint32(suf))
			rec = appendRecord(rec, 'D', hdr[:], o.bytesAt(pre, o.size()-suf))
			continue
		}
		rec = appendRecord(rec, 'O', o.hash[:], []byte{byte(o.typ)}, o.content())
	}
	return appendRecord(rec, 'R', ref[:])
}

// splice finds the common prefix and suffix of base and data; ok when the
// rest of data is small enough to be worth a splice record.
func splice(base, data []byte) (pre, suf int, ok bool) {
	if len(base) == 0 {
		return 0, 0, false
	}
	pre = commonPrefix(base, data)
	suf = commonSuffix(base[pre:], data[pre:])
	return pre, suf, len(data)-pre-suf < len(data)/2
}

// replay decodes the complete records of b into the pending objects
// (resolving splices against objects pending or packed) and the pending
// branch, as persist holds them: each tree's older versions as deltas
// against its newest. Whenever enough is pending, it is packed, so a long
// journal is replayed in bounded memory. replay returns the length of the
// complete records; a torn or corrupt tail ends it.
func (d *diskBackend) replay(b []byte) (good int, err error) {
	for {
		rest := b[good:]
		if len(rest) < 9 {
			return good, nil
		}
		n := int(binary.BigEndian.Uint32(rest[1:5]))
		if n > len(rest)-9 {
			return good, nil
		}
		rec := rest[:5+n]
		if crc32.Checksum(rec, crcTable) != binary.BigEndian.Uint32(rest[5+n:]) || n < 20 {
			return good, nil
		}
		var h plumbing.Hash
		copy(h[:], rec[5:25])
		p := rec[25:]
		var o rawObject
		switch rec[0] {
		case 'O':
			if len(p) < 1 {
				return good, nil
			}
			o = newObject(plumbing.ObjectType(p[0]), bytes.Clone(p[1:]))
		case 'D':
			if len(p) < 29 {
				return good, nil
			}
			var bh plumbing.Hash
			copy(bh[:], p[:20])
			base, err := d.get(bh)
			if err != nil {
				return good, fmt.Errorf("journal object %s: base %s: %w", h, bh, err)
			}
			pre, suf := int(binary.BigEndian.Uint32(p[21:25])), int(binary.BigEndian.Uint32(p[25:29]))
			bd := base.content()
			if pre+suf > len(bd) {
				return good, fmt.Errorf("journal object %s: bad splice", h)
			}
			data := make([]byte, 0, pre+len(p)-29+suf)
			data = append(append(append(data, bd[:pre]...), p[29:]...), bd[len(bd)-suf:]...)
			o = newObject(plumbing.ObjectType(p[20]), data)
			o.base, o.baseSize, o.hinted, o.pre, o.suf = bh, len(bd), true, pre, suf
		case 'R':
			d.pendMu.Lock()
			d.pendRef = h
			d.pendMu.Unlock()
			good += 9 + n
			continue
		default:
			return good, nil
		}
		if o.hash != h {
			return good, fmt.Errorf("journal object %s hashes to %s", h, o.hash)
		}
		d.pendMu.Lock()
		d.holdLocked(o)
		full := d.pendFullLocked()
		d.pendMu.Unlock()
		if full {
			if err := d.materialize(); err != nil {
				return good, err
			}
		}
		good += 9 + n
	}
}

// openJournal replays leftover journals, writes and syncs what they
// describe, and starts an empty journal.
func openJournal(d *diskBackend) (*journal, error) {
	j := &journal{d: d}
	for _, name := range []string{journalOldName, journalName} {
		b, err := os.ReadFile(filepath.Join(d.dir, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		good, err := d.replay(b)
		if err != nil {
			return nil, err
		}
		if good < len(b) {
			d.log.Warn("gitstore: dropping torn journal tail", "file", name, "bytes", len(b)-good)
		}
	}
	if len(d.pend) > 0 || !d.pendRef.IsZero() {
		if err := d.materialize(); err != nil {
			return nil, err
		}
		if err := syncAll([]string{d.refPath()}); err != nil {
			return nil, err
		}
	}
	os.Remove(filepath.Join(d.dir, journalOldName))
	f, err := os.OpenFile(filepath.Join(d.dir, journalName), os.O_CREATE|os.O_TRUNC|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, err
	}
	if err := syncPath(d.dir); err != nil {
		f.Close()
		return nil, err
	}
	j.f = f
	return j, nil
}

// syncAll fsyncs files and then their directories.
func syncAll(paths []string) error {
	dirs := map[string]bool{}
	for _, p := range paths {
		dirs[filepath.Dir(p)] = true
	}
	err := parallel(len(paths), func(i int) error {
		if err := syncPath(paths[i]); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err // a loose object may have been packed and removed since
		}
		return nil
	})
	if err != nil {
		return err
	}
	dl := make([]string, 0, len(dirs))
	for d := range dirs {
		dl = append(dl, d)
	}
	return parallel(len(dl), func(i int) error { return syncPath(dl[i]) })
}

// commit appends a commit group's records and syncs the journal. On error
// the journal is cut back so the group is not replayed.
func (j *journal) commit(rec []byte) error {
	_, err := j.f.WriteAt(rec, j.size)
	if err == nil {
		fsyncs.Add(1)
		err = j.f.Sync()
	}
	if err != nil {
		j.f.Truncate(j.size)
		return err
	}
	j.size += int64(len(rec))
	return nil
}

// maybeRotate starts a background checkpoint once the journal is large:
// the journal becomes journal.old, and after the files it covers are
// synced, journal.old is deleted. Called by the commit leader.
func (j *journal) maybeRotate(materialize func() error) {
	if j.size < journalCheckpoint {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.busy {
		return
	}
	dir := j.d.dir
	if err := os.Rename(filepath.Join(dir, journalName), filepath.Join(dir, journalOldName)); err != nil {
		j.d.log.Error("gitstore: journal rotation failed", "err", err)
		return
	}
	f, err := os.OpenFile(filepath.Join(dir, journalName), os.O_CREATE|os.O_TRUNC|os.O_RDWR, 0o644)
	if err == nil {
		err = syncPath(dir)
	}
	if err != nil {
		// Keep appending to the old file under its new name: still replayed.
		j.d.log.Error("gitstore: journal rotation failed", "err", err)
		if f != nil {
			f.Close()
		}
		return
	}
	old := j.f
	j.f, j.size, j.busy = f, 0, true
	j.ckpt.Add(1)
	go func() {
		defer j.ckpt.Done()
		old.Close()
		// Retry until it works: journal.old must not be replaced before.
		for wait := 100 * time.Millisecond; ; wait = min(2*wait, 30*time.Second) {
			err := materialize()
			if err == nil {
				err = syncAll([]string{j.d.refPath()})
			}
			if err == nil {
				err = os.Remove(filepath.Join(dir, journalOldName))
			}
			if err == nil {
				err = syncPath(dir)
			}
			if err == nil {
				break
			}
			j.d.log.Error("gitstore: journal checkpoint failed; retrying (it is replayed on open)", "err", err)
			select {
			case <-time.After(wait):
			case <-j.d.matStop:
				return // busy stays set: close keeps journal.old for replay
			}
		}
		j.mu.Lock()
		j.busy = false
		j.mu.Unlock()
	}()
}

// close checkpoints the journal so that a cleanly closed repository needs
// no replay (and is complete for the git command line).
func (j *journal) close() error {
	j.ckpt.Wait()
	j.mu.Lock()
	busy := j.busy
	j.mu.Unlock()
	err := syncAll([]string{j.d.refPath()})
	if err == nil && !busy {
		if err = j.f.Truncate(0); err == nil {
			err = j.f.Sync()
		}
	}
	if cerr := j.f.Close(); err == nil {
		err = cerr
	}
	return err
}

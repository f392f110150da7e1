package gitstore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
)

// The journal makes a commit durable with a single fsync. Each commit
// group appends its objects (in loose format) and finally the new branch
// value to gocaldav-journal and syncs that one file; the loose object
// files and the ref file are then written without fsync. A checkpoint,
// run in the background once the journal is large, syncs those files and
// empties the journal. On open, journal records are replayed: damaged or
// missing loose objects are rewritten and the ref is set to the last
// journalled value, then everything is synced. A torn record at the tail
// (a crash while appending) is dropped: its commit was never acknowledged.
//
// Record: kind (1 byte: 'O' object, 'R' ref) | payload length (uint32 BE) |
// payload | CRC-32C of kind, length and payload (uint32 BE).
// 'O' payload: object id (20 bytes) | loose file bytes. 'R': commit id.

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
	// paths written since the last rotation: synced by the checkpoint.
	paths map[string]bool

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

// parseJournal returns the complete records of b and the length they span.
func parseJournal(b []byte) (objs map[plumbing.Hash][]byte, ref plumbing.Hash, good int) {
	objs = map[plumbing.Hash][]byte{}
	for {
		rest := b[good:]
		if len(rest) < 9 {
			return
		}
		n := int(binary.BigEndian.Uint32(rest[1:5]))
		if n > len(rest)-9 {
			return
		}
		rec := rest[:5+n]
		if crc32.Checksum(rec, crcTable) != binary.BigEndian.Uint32(rest[5+n:]) || n < 20 {
			return
		}
		var h plumbing.Hash
		copy(h[:], rec[5:25])
		switch rec[0] {
		case 'O':
			objs[h] = rec[25:]
		case 'R':
			ref = h
		default:
			return
		}
		good += 9 + n
	}
}

// openJournal replays leftover journals, syncs what they describe, and
// starts an empty journal.
func openJournal(d *diskBackend) (*journal, error) {
	j := &journal{d: d, paths: map[string]bool{}}
	var ref plumbing.Hash
	objs := map[plumbing.Hash][]byte{}
	for _, name := range []string{journalOldName, journalName} {
		b, err := os.ReadFile(filepath.Join(d.dir, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		o, r, good := parseJournal(b)
		if good < len(b) {
			d.log.Warn("gitstore: dropping torn journal tail", "file", name, "bytes", len(b)-good)
		}
		for h, data := range o {
			objs[h] = data
		}
		if !r.IsZero() {
			ref = r
		}
	}
	var paths []string
	for h, data := range objs {
		p := d.objPath(h)
		if cur, err := os.ReadFile(p); err != nil || !bytes.Equal(cur, data) {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return nil, err
			}
			if err := writeFileSync(p+".replay", data); err != nil {
				return nil, err
			}
			if err := os.Rename(p+".replay", p); err != nil {
				return nil, err
			}
		}
		paths = append(paths, p)
	}
	if !ref.IsZero() {
		if err := d.writeRefFile(ref); err != nil {
			return nil, err
		}
		paths = append(paths, d.refPath())
	}
	if err := syncAll(paths); err != nil {
		return nil, err
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
func (j *journal) commit(rec []byte, paths []string) error {
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
	for _, p := range paths {
		j.paths[p] = true
	}
	return nil
}

// undo removes the last group after a failure that followed commit.
func (j *journal) undo(n int) {
	j.size -= int64(n)
	j.f.Truncate(j.size)
	j.f.Sync()
}

// maybeRotate starts a background checkpoint once the journal is large:
// the journal becomes journal.old, and after the files it covers are
// synced, journal.old is deleted. Called by the commit leader.
func (j *journal) maybeRotate() {
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
	paths := make([]string, 0, len(j.paths)+1)
	for p := range j.paths {
		paths = append(paths, p)
	}
	paths = append(paths, j.d.refPath())
	j.paths = map[string]bool{}
	j.ckpt.Add(1)
	go func() {
		defer j.ckpt.Done()
		old.Close()
		err := syncAll(paths)
		if err == nil {
			err = os.Remove(filepath.Join(dir, journalOldName))
		}
		if err == nil {
			err = syncPath(dir)
		}
		if err != nil {
			j.d.log.Error("gitstore: journal checkpoint failed; it will be replayed on next open", "err", err)
		}
		j.mu.Lock()
		j.busy = err != nil
		j.mu.Unlock()
	}()
}

// close checkpoints the journal so that a cleanly closed repository needs
// no replay (and is complete for the git command line).
func (j *journal) close() error {
	j.ckpt.Wait()
	paths := []string{j.d.refPath()}
	for p := range j.paths {
		paths = append(paths, p)
	}
	err := syncAll(paths)
	if err == nil && !j.busy {
		if err = j.f.Truncate(0); err == nil {
			err = j.f.Sync()
		}
	}
	if cerr := j.f.Close(); err == nil {
		err = cerr
	}
	return err
}

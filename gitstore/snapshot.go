package gitstore

import (
	"encoding/hex"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// Entry describes a file or directory of a snapshot.
type Entry struct {
	// Name is the last path element ("" for the root).
	Name string
	// Path is the full repository path ("" for the root).
	Path string
	// Dir is true for directories.
	Dir bool
	// Hash is the hex blob id of a file (usable as its ETag) or the tree
	// id of a directory (changes whenever anything below it changes). In a
	// Txn, a directory with pending changes has an empty Hash.
	Hash string
	// Size is a file's length in bytes; 0 for directories; -1 when not
	// looked up (ListUnsized).
	Size int64
}

// Snapshot is an immutable view of one commit, safe for concurrent use.
type Snapshot struct {
	s      *Store
	commit plumbing.Hash
	root   plumbing.Hash
	when   time.Time
}

// Commit returns the commit's hex id, or "" for an empty repository.
func (sn *Snapshot) Commit() string {
	if sn.commit.IsZero() {
		return ""
	}
	return sn.commit.String()
}

// Time returns the commit's author time (zero for an empty repository).
func (sn *Snapshot) Time() time.Time { return sn.when }

// Tree returns the hex id of the root tree.
func (sn *Snapshot) Tree() string { return sn.root.String() }

// Stat describes path p; the error wraps fs.ErrNotExist when it is absent.
func (sn *Snapshot) Stat(p string) (Entry, error) { return sn.stat(p, true) }

// stat is Stat, with a file's Size left at -1 unless sized.
func (sn *Snapshot) stat(p string, sized bool) (Entry, error) {
	comps, err := splitPath(p)
	if err != nil {
		return Entry{}, err
	}
	n, err := sn.s.resolve(sn.root, comps)
	if err != nil {
		return Entry{}, fmt.Errorf("gitstore: stat %s: %w", p, err)
	}
	return sn.s.entry(comps, n, sized)
}

// entry turns a resolved node into an Entry, with a file's Size left at
// -1 unless sized.
func (s *Store) entry(comps []string, n node, sized bool) (Entry, error) {
	prefix, name := "", ""
	if len(comps) > 0 {
		prefix, name = strings.Join(comps[:len(comps)-1], "/"), comps[len(comps)-1]
	}
	if sized {
		return s.childEntry(prefix, name, n)
	}
	return s.unsizedEntry(prefix, name, n)
}

// StatIn describes entry name of directory dir whose tree id (the Hash
// of its Entry in this snapshot) is already known: one lookup, where
// Stat looks up every component of the path again. A file's Size is
// left at -1 (Stat gives it). The error wraps fs.ErrNotExist when name
// is absent.
func (sn *Snapshot) StatIn(dir, dirID, name string) (Entry, error) {
	h, ok := parseHex(dirID)
	if !ok || !validName(name) {
		return sn.stat(strings.Trim(dir, "/")+"/"+name, false)
	}
	t, err := sn.s.tree(h)
	if err != nil {
		return Entry{}, fmt.Errorf("gitstore: stat %s/%s: %w", dir, name, err)
	}
	e, ok := t.lookupRead(name)
	if !ok {
		return Entry{}, fmt.Errorf("gitstore: stat %s/%s: %w", dir, name, fs.ErrNotExist)
	}
	return sn.s.unsizedEntry(strings.Trim(dir, "/"), name, nodeOf(e))
}

// unsizedEntry is childEntry with a file's Size left at -1.
func (s *Store) unsizedEntry(prefix, name string, n node) (Entry, error) {
	if !n.dir {
		n.size = 0 // not looked up: reported as -1 below
	}
	e, err := s.childEntry(prefix, name, n)
	if !e.Dir {
		e.Size = -1
	}
	return e, err
}

// Exists reports whether path p exists.
func (sn *Snapshot) Exists(p string) bool {
	_, err := sn.Stat(p)
	return err == nil
}

// Read returns the content of file p.
func (sn *Snapshot) Read(p string) ([]byte, error) {
	comps, err := splitPath(p)
	if err != nil {
		return nil, err
	}
	n, err := sn.s.resolve(sn.root, comps)
	if err != nil {
		return nil, fmt.Errorf("gitstore: read %s: %w", p, err)
	}
	return sn.s.readBlob(p, n)
}

// ReadFile returns the content of file p whose blob id (the Hash of its
// Entry in this snapshot) is already known, without looking p up again.
// Unlike Read's, the bytes may be shared (with the blob cache, and with
// other callers): the caller must not modify them. Reports that send
// thousands of objects read them this way without a copy each.
func (sn *Snapshot) ReadFile(p, id string) ([]byte, error) {
	h, ok := parseHex(id)
	if !ok {
		return sn.Read(p)
	}
	return sn.s.blob(p, node{hash: h, size: -1})
}

// List returns the entries of directory dir sorted by name.
func (sn *Snapshot) List(dir string) ([]Entry, error) { return sn.list(dir, true) }

// ListUnsized is List with the Size of files left at -1: finding a
// file's size costs a lookup, which a listing of 10,000 entries whose
// sizes nobody asked for can skip. Stat gives one file's size.
func (sn *Snapshot) ListUnsized(dir string) ([]Entry, error) { return sn.list(dir, false) }

func (sn *Snapshot) list(dir string, sized bool) ([]Entry, error) {
	comps, err := splitPath(dir)
	if err != nil {
		return nil, err
	}
	n, err := sn.s.resolve(sn.root, comps)
	if err != nil {
		return nil, fmt.Errorf("gitstore: list %s: %w", dir, err)
	}
	if !n.dir {
		return nil, fmt.Errorf("gitstore: list %s: %w", dir, ErrNotDir)
	}
	t, err := sn.s.tree(n.hash)
	if err != nil {
		return nil, err
	}
	prefix := strings.Join(comps, "/")
	out := make([]Entry, 0, t.len())
	for _, i := range t.sortedByName() {
		e := t.at(int(i))
		entry := sn.s.childEntry
		if !sized {
			entry = sn.s.unsizedEntry
		}
		en, err := entry(prefix, e.name, nodeOf(e))
		if err != nil {
			return nil, err
		}
		out = append(out, en)
	}
	return out, nil
}

// node is a resolved path: a file or a directory and its object id.
type node struct {
	dir  bool
	hash plumbing.Hash // zero for a directory with pending changes (Txn)
	size int64         // -1 when unknown
	m    *mdir         // pending changes (Txn only)
}

// splitPath validates a repository path and splits it; "" and "/" are the root.
func splitPath(p string) ([]string, error) {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil, nil
	}
	comps := strings.Split(p, "/")
	for _, c := range comps {
		if !validName(c) {
			return nil, fmt.Errorf("%w: %q", ErrInvalidPath, p)
		}
	}
	return comps, nil
}

// validName reports whether c may name an entry of a directory.
func validName(c string) bool {
	return c != "" && c != "." && c != ".." && !strings.EqualFold(c, ".git") && strings.IndexByte(c, 0) < 0 && strings.IndexByte(c, '/') < 0
}

// resolve walks comps from the root tree.
func (s *Store) resolve(root plumbing.Hash, comps []string) (node, error) {
	n := node{dir: true, hash: root}
	for _, c := range comps {
		if !n.dir {
			return node{}, fs.ErrNotExist
		}
		t, err := s.tree(n.hash)
		if err != nil {
			return node{}, err
		}
		e, ok := t.lookupRead(c)
		if !ok {
			return node{}, fs.ErrNotExist
		}
		n = nodeOf(e)
	}
	return n, nil
}

func nodeOf(e treeEntry) node {
	return node{dir: e.mode == filemode.Dir, hash: e.hash, size: -1}
}

// childEntry describes name in directory prefix ("" for the root).
func (s *Store) childEntry(prefix, name string, n node) (Entry, error) {
	// One allocation holds the path (its end the name) and the id: the
	// strings may outlive the tree name points into, and a listing of a
	// 10,000-entry directory makes many of them.
	var b strings.Builder
	b.Grow(len(prefix) + 1 + len(name) + 2*len(n.hash))
	if prefix != "" {
		b.WriteString(prefix)
		b.WriteByte('/')
	}
	b.WriteString(name)
	pathLen := b.Len()
	if !n.hash.IsZero() {
		var hx [2 * len(n.hash)]byte
		hex.Encode(hx[:], n.hash[:])
		b.Write(hx[:])
	}
	all := b.String()
	e := Entry{Path: all[:pathLen], Name: all[pathLen-len(name) : pathLen], Hash: all[pathLen:], Dir: n.dir}
	if !n.dir {
		e.Size = n.size
		if e.Size < 0 {
			size, err := s.blobSize(n.hash)
			if err != nil {
				return Entry{}, err
			}
			e.Size = size
		}
	}
	return e, nil
}

// readBlob returns a copy of the content of the file node n.
func (s *Store) readBlob(p string, n node) ([]byte, error) {
	b, err := s.blob(p, n)
	return slices.Clone(b), err
}

// blob is readBlob without the copy: the bytes may be the blob cache's.
func (s *Store) blob(p string, n node) ([]byte, error) {
	if n.dir {
		return nil, fmt.Errorf("gitstore: read %s: %w", p, ErrIsDir)
	}
	reread := s.rereads.mark(n.hash)
	if reread {
		if b, ok := s.blobs.Get(n.hash); ok {
			return b, nil
		}
	}
	o, err := s.object(n.hash)
	if err != nil {
		return nil, fmt.Errorf("gitstore: read %s: %w", p, err)
	}
	if reread && o.typ == plumbing.BlobObject && len(o.data) <= maxCachedBlob {
		s.blobs.Add(n.hash, o.data)
	}
	return o.data, nil
}

// maxCachedBlob is the largest file whose content the blob cache keeps:
// calendar objects and property files are a few kilobytes, and reading
// one from a pack costs an index search and an inflate.
const maxCachedBlob = 16 << 10

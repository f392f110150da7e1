package gitstore

import (
	"bytes"
	"compress/zlib"
	"crypto/sha1"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
)

// errObjectMissing is returned by a backend when an object is absent.
var errObjectMissing = errors.New("object not found")

// rawObject is an encoded git object: its type, content and id.
type rawObject struct {
	typ  plumbing.ObjectType
	data []byte
	hash plumbing.Hash
	// tree, for a tree a commit made, holds the content instead of data
	// (in chunks it shares with the tree's other versions).
	tree *tree
	// base optionally names a similar object (the previous version of a
	// tree), baseSize its length, so the journal can store a splice.
	base     plumbing.Hash
	baseSize int
	// hinted: pre and suf are the lengths of a prefix and a suffix the
	// content shares with its base, known from how it was made (see
	// tree.splice).
	hinted   bool
	pre, suf int
	// A pending object may be held as delta, a git delta against the
	// object deltaOf (its newer version), with data nil; chain counts
	// the older versions held so behind it. See diskBackend.persist.
	delta   []byte
	deltaOf plumbing.Hash
	chain   int
}

// size is the length of o's content.
func (o rawObject) size() int {
	if o.tree != nil {
		return o.tree.size()
	}
	return len(o.data)
}

// content returns o's content in one slice (for a tree held in chunks, a
// copy).
func (o rawObject) content() []byte {
	if o.tree != nil {
		return o.tree.bytes()
	}
	return o.data
}

// bytesAt returns bytes a to b of o's content.
func (o rawObject) bytesAt(a, b int) []byte {
	if o.tree != nil {
		return o.tree.slice(a, b)
	}
	return o.data[a:b]
}

// journalSplice returns the prefix and suffix o shares with its base by
// its hint, ok when o has one and the rest is small enough for the
// journal to record a splice.
func (o rawObject) journalSplice() (pre, suf int, ok bool) {
	size := o.size()
	if !o.hinted || o.baseSize == 0 || o.pre+o.suf > min(o.baseSize, size) {
		return 0, 0, false
	}
	return o.pre, o.suf, size-o.pre-o.suf < size/2
}

// spliceWith returns the prefix and suffix o shares with base, ok when the rest of o is small enough for a splice
// to pay: from the hint when o has one, else by comparing.
func (o rawObject) spliceWith(base rawObject) (pre, suf int, ok bool) {
	bs, size := base.size(), o.size()
	if o.hinted && bs > 0 && o.pre+o.suf <= min(bs, size) {
		return o.pre, o.suf, size-o.pre-o.suf < size/2
	}
	return splice(base.content(), o.content())
}

// newObject computes the id of content data of type typ.
func newObject(typ plumbing.ObjectType, data []byte) rawObject {
	h := sha1.New()
	var hdr [32]byte
	h.Write(objectHeader(hdr[:0], typ, len(data)))
	h.Write(data)
	var id plumbing.Hash
	h.Sum(id[:0])
	return rawObject{typ: typ, data: data, hash: id}
}

// treeObject computes the id of tree t (held in chunks) and sets it.
func treeObject(t *tree) rawObject {
	h := sha1.New()
	var hdr [32]byte
	h.Write(objectHeader(hdr[:0], plumbing.TreeObject, t.size()))
	t.writeTo(h)
	var id plumbing.Hash
	h.Sum(id[:0])
	t.hash = id
	return rawObject{typ: plumbing.TreeObject, tree: t, hash: id}
}

// objectHeader appends git's "<type> <size>\x00" header to b.
func objectHeader(b []byte, typ plumbing.ObjectType, size int) []byte {
	b = append(b, typ.String()...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(size), 10)
	return append(b, 0)
}

var zlibPool = sync.Pool{New: func() any {
	w, _ := zlib.NewWriterLevel(io.Discard, zlib.BestSpeed)
	return w
}}

// decodeLoose parses a loose object file's bytes and checks its id.
func decodeLoose(want plumbing.Hash, b []byte) (rawObject, error) {
	zr, err := zlib.NewReader(bytes.NewReader(b))
	if err != nil {
		return rawObject{}, fmt.Errorf("object %s: %w", want, err)
	}
	defer zr.Close()
	all, err := io.ReadAll(zr)
	if err != nil {
		return rawObject{}, fmt.Errorf("object %s: %w", want, err)
	}
	sp := bytes.IndexByte(all, ' ')
	nul := bytes.IndexByte(all, 0)
	if sp < 0 || nul < sp {
		return rawObject{}, fmt.Errorf("object %s: bad header", want)
	}
	typ, err := plumbing.ParseObjectType(string(all[:sp]))
	if err != nil {
		return rawObject{}, fmt.Errorf("object %s: %w", want, err)
	}
	size, err := strconv.Atoi(string(all[sp+1 : nul]))
	if err != nil || size != len(all)-nul-1 {
		return rawObject{}, fmt.Errorf("object %s: bad size", want)
	}
	o := newObject(typ, all[nul+1:])
	if o.hash != want {
		return rawObject{}, fmt.Errorf("object %s: content hashes to %s", want, o.hash)
	}
	return o, nil
}

// readEncoded copies a go-git object into a rawObject.
func readEncoded(o plumbing.EncodedObject) (rawObject, error) {
	r, err := o.Reader()
	if err != nil {
		return rawObject{}, err
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		return rawObject{}, err
	}
	return rawObject{typ: o.Type(), data: data, hash: o.Hash()}, nil
}

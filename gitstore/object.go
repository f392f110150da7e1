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
	// base and baseData optionally name a similar object (the previous
	// version of a tree) so the journal can store a splice.
	base     plumbing.Hash
	baseData []byte
	// hinted: pre and suf are the lengths of a prefix and a suffix data
	// shares with its base, known from how it was made (see tree.splice).
	hinted   bool
	pre, suf int
	// A pending object may be held as delta, a git delta against the
	// object deltaOf (its newer version), with data nil; chain counts
	// the older versions held so behind it. See diskBackend.persist.
	delta   []byte
	deltaOf plumbing.Hash
	chain   int
}

// spliceWith returns the prefix and suffix o shares with base (the
// content of o.base), ok when the rest of o is small enough for a splice
// to pay: from the hint when o has one, else by comparing.
func (o rawObject) spliceWith(base []byte) (pre, suf int, ok bool) {
	if o.hinted && len(base) > 0 && o.pre+o.suf <= min(len(base), len(o.data)) {
		return o.pre, o.suf, len(o.data)-o.pre-o.suf < len(o.data)/2
	}
	return splice(base, o.data)
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

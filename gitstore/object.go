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

// genCache is a small two-generation cache: lookups hit the current or the
// previous generation; when the current one exceeds its budget it becomes
// the previous one. It is cheap, bounded, and keeps hot entries.
type genCache[K comparable, V any] struct {
	mu       sync.Mutex
	cur, old map[K]V
	used     int
	budget   int
	cost     func(V) int
}

func newGenCache[K comparable, V any](budget int, cost func(V) int) *genCache[K, V] {
	return &genCache[K, V]{cur: map[K]V{}, budget: budget, cost: cost}
}

func (c *genCache[K, V]) get(h K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.cur[h]; ok {
		return v, true
	}
	v, ok := c.old[h]
	if ok {
		c.addLocked(h, v)
	}
	return v, ok
}

func (c *genCache[K, V]) add(h K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.addLocked(h, v)
}

func (c *genCache[K, V]) addLocked(h K, v V) {
	if _, ok := c.cur[h]; ok {
		return
	}
	c.cur[h] = v
	c.used += c.cost(v)
	if c.used > c.budget {
		c.old, c.cur, c.used = c.cur, map[K]V{}, 0
	}
}

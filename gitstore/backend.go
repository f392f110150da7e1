package gitstore

import (
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/storage"
	"github.com/go-git/go-git/v5/storage/memory"
)

// backend is where objects and the branch ref live. Implementations are
// safe for concurrent use; get never waits for persist.
type backend interface {
	// get returns an object or an error wrapping errObjectMissing.
	get(h plumbing.Hash) (rawObject, error)
	// persist durably stores objs, then atomically moves the branch from
	// old to new; reflog lines are informational.
	persist(objs []rawObject, old, new plumbing.Hash, reflog []string) error
	// loadHead returns the branch's commit (zero when unborn); valid
	// reports whether a commit is complete, for crash recovery.
	loadHead(valid func(plumbing.Hash) bool) (plumbing.Hash, error)
	// transport runs fn with a go-git storer for fetch and push.
	transport(fn func(storage.Storer) error) error
	// reload makes packs written by transport or maintenance visible.
	reload() error
	close() error
}

// memBackend keeps everything in go-git's memory storage, which is not
// thread-safe: mu guards it, and a push or fetch holds mu throughout. Reads
// are served from objs (under its own lock) so that they do not wait for a
// push; only objects that arrived by fetch are looked up in the storage.
type memBackend struct {
	mu  sync.Mutex
	st  *memory.Storage
	ref plumbing.ReferenceName

	omu  sync.RWMutex
	objs map[plumbing.Hash]rawObject
}

func newMemBackend(branch string) *memBackend {
	st := memory.NewStorage()
	ref := plumbing.NewBranchReferenceName(branch)
	_ = st.SetReference(plumbing.NewSymbolicReference(plumbing.HEAD, ref))
	return &memBackend{st: st, ref: ref, objs: map[plumbing.Hash]rawObject{}}
}

func (m *memBackend) get(h plumbing.Hash) (rawObject, error) {
	m.omu.RLock()
	o, ok := m.objs[h]
	m.omu.RUnlock()
	if ok {
		return o, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	eo, err := m.st.EncodedObject(plumbing.AnyObject, h)
	if err != nil {
		return rawObject{}, errObjectMissing
	}
	return readEncoded(eo)
}

func (m *memBackend) persist(objs []rawObject, _, new plumbing.Hash, _ []string) error {
	m.omu.Lock()
	for _, o := range objs {
		o.base, o.baseSize = plumbing.ZeroHash, 0
		if o.tree != nil {
			o.data, o.tree = o.tree.bytes(), nil
		}
		m.objs[o.hash] = o
	}
	m.omu.Unlock()
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, o := range objs {
		eo := m.st.NewEncodedObject()
		eo.SetType(o.typ)
		data := o.content()
		eo.SetSize(int64(len(data)))
		w, err := eo.Writer()
		if err != nil {
			return err
		}
		if _, err := w.Write(data); err != nil {
			return err
		}
		if err := w.Close(); err != nil {
			return err
		}
		if _, err := m.st.SetEncodedObject(eo); err != nil {
			return err
		}
	}
	return m.st.SetReference(plumbing.NewHashReference(m.ref, new))
}

func (m *memBackend) loadHead(func(plumbing.Hash) bool) (plumbing.Hash, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, err := m.st.Reference(m.ref)
	if err != nil {
		return plumbing.ZeroHash, nil
	}
	return r.Hash(), nil
}

func (m *memBackend) transport(fn func(storage.Storer) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return fn(m.st)
}

func (m *memBackend) reload() error { return nil }
func (m *memBackend) close() error  { return nil }

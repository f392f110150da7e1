package caldav

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/gocaldav/gocaldav/dav"
	"github.com/gocaldav/gocaldav/gitstore"
)

// uidIndex maps the UIDs of one calendar's members to member names, as
// of one commit. It follows later commits by applying the changes between
// them, so a PUT into a calendar of 10,000 events costs work in
// proportion to what changed since the last PUT, not to the calendar.
type uidIndex struct {
	commit string
	byName map[string]string // member name → UID
	byUID  map[string]string // UID → member name
	// others holds, for a UID more than one member has (a robur
	// repository may hold such), the members besides byUID's.
	others map[string][]string
}

// uidIndexes holds the index of each calendar, by repository path.
type uidIndexes struct {
	mu sync.Mutex
	m  map[string]*uidIndex
}

// maxIndexes bounds how many calendars keep an index.
const maxIndexes = 1000

// uidOwner returns the member of cal (other than name) whose UID is uid,
// or "". cal must have been read from a snapshot or a batch.
//
// The index is of cal's commit; a batch may have changed members since
// (those of the batches built before it in its group): they are read
// from cal's batch instead.
func (h *handler) uidOwner(ctx context.Context, cal *dav.Node, name, uid string) (string, error) {
	commit := cal.Commit()
	pending, all, err := cal.PendingNames()
	if err != nil {
		return "", err
	}
	if commit == "" || all {
		return h.uidOwnerByListing(ctx, cal, name, uid)
	}
	if owner, err := h.indexedOwner(ctx, cal, commit, name, uid, pending); owner != "" || err != nil {
		return owner, err
	}
	for _, member := range pending {
		if member == name || strings.HasSuffix(member, ".prop") {
			continue
		}
		k, err := cal.Child(member)
		if err != nil || k == nil || k.Collection {
			continue // removed, or not an object
		}
		if u, err := h.uid(k); err == nil && u == uid {
			return member, nil
		}
	}
	return "", nil
}

// indexedOwner is the member (not name, nor one of pending) that cal's
// index at commit gives uid to, or "".
func (h *handler) indexedOwner(ctx context.Context, cal *dav.Node, commit, name, uid string, pending []string) (string, error) {
	h.uidIdx.mu.Lock()
	defer h.uidIdx.mu.Unlock()
	idx, err := h.indexAt(ctx, cal, commit)
	if err != nil {
		return "", err
	}
	owner, ok := idx.byUID[uid]
	if !ok {
		return "", nil
	}
	for _, m := range append([]string{owner}, idx.others[uid]...) {
		if m != name && !slices.Contains(pending, m) {
			return m, nil
		}
	}
	return "", nil
}

// indexAt returns cal's index brought to commit. The caller holds the lock.
func (h *handler) indexAt(ctx context.Context, cal *dav.Node, commit string) (*uidIndex, error) {
	if h.uidIdx.m == nil {
		h.uidIdx.m = map[string]*uidIndex{}
	}
	idx := h.uidIdx.m[cal.Path()]
	if idx != nil && idx.commit == commit {
		return idx, nil
	}
	if idx != nil {
		if err := h.advance(ctx, idx, cal, commit); err == nil {
			return idx, nil
		}
		// The old commit is not an ancestor we can diff from, or the
		// walk stopped half way: rebuild.
		delete(h.uidIdx.m, cal.Path())
	}
	// From the calendar as commit holds it: cal may have been read from
	// a batch, whose members can differ from its base commit's.
	snap, err := h.s.Store.At(commit)
	if err != nil {
		return nil, fmt.Errorf("caldav: UID index of %s: %w", cal.Href(), err)
	}
	at, err := h.s.Lookup(snap, cal.Segs)
	if err != nil {
		return nil, err
	}
	if at == nil {
		return nil, fmt.Errorf("caldav: UID index of %s: no such calendar at %s", cal.Href(), commit)
	}
	idx, err = h.buildIndex(ctx, at, commit)
	if err != nil {
		return nil, err
	}
	if len(h.uidIdx.m) >= maxIndexes {
		clear(h.uidIdx.m)
	}
	h.uidIdx.m[cal.Path()] = idx
	return idx, nil
}

// buildIndex reads every member's UID (parsed objects are cached by blob
// id, so this parses only members never seen).
func (h *handler) buildIndex(ctx context.Context, cal *dav.Node, commit string) (*uidIndex, error) {
	kids, err := cal.Children()
	if err != nil {
		return nil, fmt.Errorf("caldav: listing %s: %w", cal.Href(), err)
	}
	idx := &uidIndex{commit: commit, byName: make(map[string]string, len(kids)), byUID: make(map[string]string, len(kids))}
	for _, k := range kids {
		if k.Collection {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		u, err := h.uid(k)
		if err != nil {
			continue // unreadable members hold no UID
		}
		idx.set(k.Name(), u)
	}
	return idx, nil
}

// advance applies the changes to cal's members between idx.commit and
// commit.
func (h *handler) advance(ctx context.Context, idx *uidIndex, cal *dav.Node, commit string) error {
	changes, err := h.s.Store.Changes(ctx, cal.Path(), idx.commit, commit)
	if err != nil {
		return err
	}
	var calAt *dav.Node // cal at commit, looked up on first use
	looked := false
	for _, ch := range changes {
		rel := strings.TrimPrefix(ch.Path, cal.Path()+"/")
		if strings.Contains(rel, "/") || strings.HasSuffix(rel, ".prop") {
			continue
		}
		idx.remove(rel)
		if ch.Kind == gitstore.Removed {
			continue
		}
		if !looked {
			looked = true
			snap, err := h.s.Store.At(commit)
			if err != nil {
				return err
			}
			if calAt, err = h.s.Lookup(snap, cal.Segs); err != nil {
				return err
			}
		}
		if calAt == nil || !calAt.Collection {
			continue // the calendar is gone at commit, and its members with it
		}
		// Through the calendar: the member's size, which a lookup from
		// the root reads the blob for, is not needed.
		k, err := calAt.Child(rel)
		if err != nil || k == nil {
			continue
		}
		if u, err := h.uid(k); err == nil {
			idx.set(rel, u)
		}
	}
	idx.commit = commit
	return nil
}

// set records that member name has uid. The index keeps its own copy of
// name: the one given may share the memory of a whole listing entry or
// change path, which the index would otherwise keep for every member.
func (idx *uidIndex) set(name, uid string) {
	idx.remove(name)
	name = strings.Clone(name)
	idx.byName[name] = uid
	if _, taken := idx.byUID[uid]; !taken {
		idx.byUID[uid] = name
		return
	}
	if idx.others == nil {
		idx.others = map[string][]string{}
	}
	idx.others[uid] = append(idx.others[uid], name)
}

// remove forgets member name. It costs the same in a calendar of 10,000
// members as in one of ten: an index moved back and forth between the
// commits of concurrent requests removes members at every step.
func (idx *uidIndex) remove(name string) {
	uid, ok := idx.byName[name]
	if !ok {
		return
	}
	delete(idx.byName, name)
	others := idx.others[uid]
	if idx.byUID[uid] == name {
		if len(others) == 0 {
			delete(idx.byUID, uid)
			return
		}
		idx.byUID[uid], others = others[0], others[1:]
	} else if i := slices.Index(others, name); i >= 0 {
		others = slices.Delete(others, i, i+1)
	}
	if len(others) == 0 {
		delete(idx.others, uid)
	} else {
		idx.others[uid] = others
	}
}

// uidOwnerByListing scans the members (for nodes read outside a commit).
func (h *handler) uidOwnerByListing(ctx context.Context, cal *dav.Node, name, uid string) (string, error) {
	idx, err := h.buildIndex(ctx, cal, "")
	if err != nil {
		return "", err
	}
	for member, u := range idx.byName {
		if u == uid && member != name {
			return member, nil
		}
	}
	return "", nil
}

package dav

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/beevik/etree"

	"github.com/gocaldav/gocaldav/dav/propfile"
	"github.com/gocaldav/gocaldav/gitstore"
)

// Sync tokens (RFC 6578) name commits: "data:,<commit id>". A collection's
// DAV:sync-token is the newest commit that changed it, so it changes
// exactly when a member (or the collection's own properties) changes;
// CS:getctag is the collection's git tree id, likewise.

// Property names of collection synchronisation.
var (
	PropSyncToken = DAVName("sync-token")
	PropGetCTag   = Name{Space: NSCalServe, Local: "getctag"}
	ReportSync    = DAVName("sync-collection")
)

// syncTokenPrefix starts every sync token.
const syncTokenPrefix = "data:,"

var commitID = regexp.MustCompile(`^[0-9a-f]{40}$`)

// syncToken renders a commit as a sync token.
func syncToken(commit string) string { return syncTokenPrefix + commit }

// parseSyncToken returns the commit a token names; ok is false for a
// token this server did not make.
func parseSyncToken(tok string) (string, bool) {
	c, found := strings.CutPrefix(strings.TrimSpace(tok), syncTokenPrefix)
	return c, found && commitID.MatchString(c)
}

// syncState remembers, per collection tree id, the newest commit that
// changed the collection, so the DAV:sync-token property costs one walk
// of the history per change of the collection, not one per request.
type syncState struct {
	mu      sync.Mutex
	byTree  map[string]string // tree id → commit that produced it
	maxSize int
}

// registerSync adds sync-collection and the token properties.
func registerSync(r *Registry) {
	r.AddProperty(Property{Name: PropSyncToken, Protected: true, Hidden: true, Get: getSyncToken})
	r.AddProperty(Property{Name: PropGetCTag, Protected: true, Hidden: true, Get: getCTag})
	r.AddReport(Report{Name: ReportSync, Applies: func(n *Node) bool { return n.Collection }, Run: runSyncCollection})
}

// getCTag is the collection's tree id, which changes with any member.
func getCTag(_ context.Context, _ *Call, n *Node) (propfile.Property, error) {
	if !n.Collection {
		return propfile.Property{}, ErrPropNotFound
	}
	return textValue(PropGetCTag, n.ETag()), nil
}

// getSyncToken is the token of the newest commit that changed n.
func getSyncToken(ctx context.Context, c *Call, n *Node) (propfile.Property, error) {
	if !n.Collection {
		return propfile.Property{}, ErrPropNotFound
	}
	commit, err := c.Server.lastChange(ctx, c, n)
	if err != nil {
		return propfile.Property{}, err
	}
	return textValue(PropSyncToken, syncToken(commit)), nil
}

// lastChange finds the newest commit at or before the call's snapshot in
// which n's tree took its current value.
func (s *Server) lastChange(ctx context.Context, c *Call, n *Node) (string, error) {
	st := s.sync()
	st.mu.Lock()
	commit, ok := st.byTree[n.Path()+"\x00"+n.Hash]
	st.mu.Unlock()
	if ok {
		return commit, nil
	}
	commit = c.Snapshot.Commit()
	if hist, err := s.Store.History(ctx, n.Path(), 1); err == nil && len(hist) == 1 {
		// History starts at the head; the snapshot may be older, but then
		// the collection's tree differs from the head's only if it changed
		// since, and the snapshot's own commit is a valid baseline.
		if head := s.Store.Head(); head.Commit() == c.Snapshot.Commit() {
			commit = hist[0].ID
		} else if e, err := head.Stat(n.Path()); err == nil && e.Hash == n.Hash {
			commit = hist[0].ID
		}
	}
	st.mu.Lock()
	if len(st.byTree) >= st.maxSize {
		clear(st.byTree)
	}
	st.byTree[n.Path()+"\x00"+n.Hash] = commit
	st.mu.Unlock()
	return commit, nil
}

// sync returns the server's sync state, made on first use.
func (s *Server) sync() *syncState {
	s.syncOnce.Do(func() { s.syncSt = &syncState{byTree: map[string]string{}, maxSize: 100_000} })
	return s.syncSt
}

// syncRequest is a parsed DAV:sync-collection body.
type syncRequest struct {
	token    string // "" for an initial sync
	infinite bool
	limit    int // 0: none
	props    PropRequest
}

// parseSyncRequest reads a sync-collection body (RFC 6578 §6.1).
func parseSyncRequest(root *etree.Element) (syncRequest, error) {
	var req syncRequest
	tok := child(root, DAVName("sync-token"))
	if tok == nil {
		return req, Errorf(http.StatusBadRequest, "DAV:sync-collection needs a DAV:sync-token element")
	}
	req.token = textOf(tok)
	if lvl := child(root, DAVName("sync-level")); lvl != nil {
		switch textOf(lvl) {
		case "1":
		case "infinite", "infinity":
			req.infinite = true
		default:
			return req, Errorf(http.StatusBadRequest, "DAV:sync-level must be 1 or infinite")
		}
	}
	if lim := child(root, DAVName("limit")); lim != nil {
		nr := child(lim, DAVName("nresults"))
		n, err := strconv.Atoi(textOf(nr))
		if nr == nil || err != nil || n < 1 {
			return req, Errorf(http.StatusBadRequest, "DAV:limit needs a positive DAV:nresults")
		}
		req.limit = n
	}
	props, found := ParsePropRequest(root, nil)
	if !found {
		return req, Errorf(http.StatusBadRequest, "DAV:sync-collection needs DAV:prop")
	}
	req.props = props
	return req, nil
}

// runSyncCollection answers the sync-collection report (RFC 6578 §3):
// the members changed since the token (removed ones as 404 responses), or
// every member for an empty token; a limit truncates at a commit boundary
// with 507 DAV:number-of-matches-within-limits and a token to continue.
func runSyncCollection(ctx context.Context, c *Call, n *Node, body *etree.Element) (int, Body, error) {
	req, err := parseSyncRequest(body)
	if err != nil {
		return 0, nil, err
	}
	s := c.Server
	head := c.Snapshot.Commit()
	from := ""
	if req.token != "" {
		var ok bool
		if from, ok = parseSyncToken(req.token); !ok {
			return 0, nil, Precondition(http.StatusForbidden, DAVName("valid-sync-token"), "this server did not issue that sync token")
		}
	}
	to, truncated, err := s.syncEnd(ctx, c, n, from, head, req.limit)
	if err != nil {
		return 0, nil, err
	}
	snap, err := s.Store.At(to)
	if err != nil {
		return 0, nil, err
	}
	atHead := to == c.Snapshot.Commit() && n.Collection
	// An initial sync at level 1 answers for every member: the
	// collection's listing (kept by tree id) is what a diff from nothing
	// would find, in the same order.
	var initial []*Node
	var members [][]string
	var listed []member // the listing, to find changed direct members without a lookup each
	if from == "" && !req.infinite && atHead {
		if initial, err = n.Children(); err != nil {
			return 0, nil, err
		}
	} else {
		changes, err := s.Store.Changes(ctx, n.Path(), from, to)
		if errors.Is(err, gitstore.ErrUnknownCommit) {
			return 0, nil, Precondition(http.StatusForbidden, DAVName("valid-sync-token"), "the sync token is unknown to this server")
		}
		if err != nil {
			return 0, nil, err
		}
		members = collectMembers(n.Segs, changes, req.infinite)
		if atHead {
			if listed, err = membersOf(c.Snapshot, n); err != nil {
				return 0, nil, err
			}
		}
	}
	ms := NewMultistatus()
	view := &Call{Server: s, HTTP: c.HTTP, User: c.User, Snapshot: snap, SnapshotTime: snap.Time()}
	for i := range max(len(initial), len(members)) {
		Pace(i)
		var node *Node
		if initial != nil {
			node = initial[i]
		} else if node, err = syncMember(snap, n, listed, members[i], s.logger()); err != nil {
			return 0, nil, err
		}
		if node == nil {
			if from != "" { // an initial sync leaves removed members out
				ms.Add(hrefOf(members[i], false)).Status(http.StatusNotFound)
			}
			continue
		}
		if ok, err := s.AllowedNode(ctx, view, node, string(propfile.PrivRead)); err != nil || !ok {
			if err != nil {
				return 0, nil, err
			}
			continue
		}
		if _, err := s.PropResponse(ctx, view, ms, node, req.props); err != nil {
			return 0, nil, err
		}
	}
	if truncated {
		resp := ms.Add(n.Href())
		resp.Status(http.StatusInsufficientStorage)
		resp.Error(DAVName("number-of-matches-within-limits"))
	}
	ms.AddTrailer(PropSyncToken, syncToken(to))
	return http.StatusMultiStatus, ms, nil
}

// syncMember returns the node at segs in snap (nil when it is gone):
// from listed, the listing of collection n in snap, when segs names a
// file directly in n; else by a lookup.
func syncMember(snap *gitstore.Snapshot, n *Node, listed []member, segs []string, log *slog.Logger) (*Node, error) {
	if listed == nil || len(segs) != len(n.Segs)+1 {
		return lookup(snap, segs, log)
	}
	name := segs[len(segs)-1]
	i := sort.Search(len(listed), func(i int) bool { return listed[i].name >= name })
	switch {
	case i == len(listed) || listed[i].name != name:
		return nil, nil
	case listed[i].dir:
		return lookup(snap, segs, log)
	}
	return n.Member(name, listed[i].hash, listed[i].propHash), nil
}

// syncEnd picks the commit the answer runs to: the snapshot's head, or,
// with a limit the changes would exceed, the newest commit up to which
// they fit (whole commits; at least one, so a client always progresses).
func (s *Server) syncEnd(ctx context.Context, c *Call, n *Node, from, head string, limit int) (string, bool, error) {
	if limit == 0 || from == "" {
		return head, false, nil
	}
	all, err := s.Store.Changes(ctx, n.Path(), from, head)
	if errors.Is(err, gitstore.ErrUnknownCommit) {
		return "", false, Precondition(http.StatusForbidden, DAVName("valid-sync-token"), "the sync token is unknown to this server")
	}
	if err != nil {
		return "", false, err
	}
	if len(collectMembers(n.Segs, all, false)) <= limit {
		return head, false, nil
	}
	hist, err := s.Store.History(ctx, n.Path(), 0)
	if err != nil {
		return "", false, err
	}
	// The commits after from that changed the collection, oldest first.
	var newer []string
	for _, h := range hist {
		if h.ID == from {
			break
		}
		newer = append(newer, h.ID)
	}
	end := ""
	for i := len(newer) - 1; i >= 0; i-- {
		ch, err := s.Store.Changes(ctx, n.Path(), from, newer[i])
		if err != nil {
			return "", false, err
		}
		if end != "" && len(collectMembers(n.Segs, ch, false)) > limit {
			break
		}
		end = newer[i]
	}
	if end == "" {
		return head, false, nil
	}
	return end, end != head, nil
}

// collectMembers turns file changes below the collection into the
// members they change, sorted: objects whose content or .prop changed
// and, at sync-level 1, member collections with anything changed below
// them; at sync-level infinite, every object below. Whether a member was
// removed is decided by looking it up in the new state.
func collectMembers(dir []string, changes []gitstore.Change, infinite bool) [][]string {
	prefix := repoPath(dir) + "/"
	seen := make(map[string]bool, len(changes)/2+1)
	var rels []string // member paths relative to dir
	for _, ch := range changes {
		rel := strings.TrimPrefix(ch.Path, prefix)
		slash := strings.IndexByte(rel, '/')
		var member string
		switch {
		case rel[strings.LastIndexByte(rel, '/')+1:] == propSuffix && (slash < 0 || infinite):
			continue // a collection's own properties: not a member change
		case slash < 0 || infinite:
			member = strings.TrimSuffix(rel, propSuffix)
		default:
			member = rel[:slash]
		}
		if !seen[member] {
			seen[member] = true
			rels = append(rels, member)
		}
	}
	sort.Strings(rels) // the order of the full paths: they share the prefix
	out := make([][]string, len(rels))
	for i, r := range rels {
		segs := append(make([]string, 0, len(dir)+1+strings.Count(r, "/")), dir...)
		out[i] = append(segs, strings.Split(r, "/")...)
	}
	return out
}

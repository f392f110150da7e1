package dav

import (
	"context"
	"net/http"
	"strings"

	"github.com/beevik/etree"

	"github.com/gocaldav/gocaldav/dav/propfile"
)

// This file holds the principal reports of RFC 3744 §9.4 and §9.5
// (principal-property-search, principal-search-property-set), the
// registration of every RFC 3744 / RFC 3253 report dav answers, and the
// helpers those reports share.

// Limits of the principal reports.
const (
	// maxMatches is the most responses a principal report (or the
	// resources one expand-property report expands) may have before it
	// fails with 403 DAV:number-of-matches-within-limits.
	maxMatches = 1000
	// maxWalk is the most resources a report walks below its target.
	maxWalk = 20_000
	// maxWalkDepth is the deepest a report descends below its target.
	maxWalkDepth = 16
)

// registerPrincipalReports adds expand-property (RFC 3253 §3.8),
// principal-match, principal-property-search and
// principal-search-property-set (RFC 3744 §9.3-9.5), the searchable
// principal properties, and the principal e-mail property.
func registerPrincipalReports(r *Registry) {
	r.AddReport(Report{Name: DAVName("expand-property"), Run: expandProperty})
	r.AddReport(Report{Name: DAVName("principal-match"), Applies: func(n *Node) bool { return n.Collection }, Run: principalMatch})
	r.AddReport(Report{Name: DAVName("principal-property-search"), Applies: inPrincipalTree, Run: principalPropertySearch})
	r.AddReport(Report{Name: DAVName("principal-search-property-set"), Applies: inPrincipalTree, Run: principalSearchPropertySet})
	r.AddSearchableProperty(SearchableProperty{Name: PropDisplayName, Description: "Display name"})
	r.AddSearchableProperty(SearchableProperty{Name: PropEmail, Description: "E-mail address"})
	registerEmail(r)
}

// inPrincipalTree is true on /principals/ and below, and on "/" (whose
// DAV:principal-collection-set a search may apply to).
func inPrincipalTree(n *Node) bool {
	return len(n.Segs) == 0 || n.Segs[0] == PrincipalsDir
}

// errTooManyMatches is the postcondition failure of a report matching
// more than maxMatches resources (RFC 3744 §9.4).
func errTooManyMatches() *Error {
	return Precondition(http.StatusForbidden, DAVName("number-of-matches-within-limits"),
		"the report matches more resources than the server answers at once")
}

// requireDepthZero refuses a Depth other than 0 (absent means 0, RFC 3253
// §3.6) with 400, as RFC 3744 §9.3-9.5 require.
func requireDepthZero(c *Call) error {
	if d := strings.TrimSpace(c.HTTP.Header.Get("Depth")); d != "" && d != "0" {
		return Errorf(http.StatusBadRequest, "this report is only defined for Depth: 0")
	}
	return nil
}

// isPrincipal reports whether n is a principal collection.
func isPrincipal(n *Node) bool { return n.Collection && n.HasType(DAVName("principal")) }

// walkMembers calls fn for every member of collection n at any depth,
// parents before children, in name order, bounded by maxWalkDepth and
// maxWalk (then 403 DAV:number-of-matches-within-limits). fn returns
// false to skip a collection's members.
func walkMembers(ctx context.Context, c *Call, n *Node, fn func(*Node) (bool, error)) error {
	visited := 0
	var walk func(n *Node, depth int) error
	walk = func(n *Node, depth int) error {
		if depth > maxWalkDepth {
			return nil
		}
		kids, err := children(c.Snapshot, n)
		if err != nil {
			return err
		}
		for _, k := range kids {
			if err := ctx.Err(); err != nil {
				return err
			}
			if visited++; visited > maxWalk {
				return errTooManyMatches()
			}
			descend, err := fn(k)
			if err != nil {
				return err
			}
			if descend && k.Collection {
				if err := walk(k, depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk(n, 1)
}

// matchSet collects the responses of a principal report: the readable
// matches, each answered with the requested properties (or a 200 status
// when none are asked for), at most maxMatches.
type matchSet struct {
	c     *Call
	ms    *Multistatus
	pr    PropRequest
	props bool
	seen  map[string]bool
}

// newMatchSet starts the responses for the property request in body.
func newMatchSet(c *Call, body *etree.Element) *matchSet {
	pr, found := ParsePropRequest(body, nil)
	return &matchSet{c: c, ms: NewMultistatus(), pr: pr, props: found && (pr.req.all || pr.req.nameOnly || len(pr.req.names) > 0),
		seen: map[string]bool{}}
}

// add answers n unless the user may not read it or it was added before.
func (m *matchSet) add(ctx context.Context, n *Node) error {
	if m.seen[n.Href()] {
		return nil
	}
	ok, err := m.c.allowed(ctx, n, propfile.PrivRead)
	if err != nil || !ok {
		return err
	}
	if len(m.seen) >= maxMatches {
		return errTooManyMatches()
	}
	m.seen[n.Href()] = true
	if !m.props {
		m.ms.Add(n.Href()).Status(http.StatusOK)
		return nil
	}
	_, err = m.c.Server.propResponse(ctx, m.c, m.ms, n, m.pr.req)
	return err
}

// propertySearch is one DAV:property-search: the properties that must
// all contain match.
type propertySearch struct {
	props []Name
	match string
	kind  string // contains, starts-with, equals, or ends-with
}

// parsePropertySearches reads the DAV:property-search elements and the
// test attribute (allof, the RFC's meaning, or anyof).
func parsePropertySearches(root *etree.Element) (searches []propertySearch, anyOf bool, err error) {
	switch t := root.SelectAttrValue("test", "allof"); t {
	case "allof":
	case "anyof":
		anyOf = true
	default:
		return nil, false, Errorf(http.StatusBadRequest, "test=%q: allof or anyof expected", t)
	}
	for _, ps := range root.ChildElements() {
		if !is(ps, DAVName("property-search")) {
			continue
		}
		prop, match := child(ps, DAVName("prop")), child(ps, DAVName("match"))
		if prop == nil || match == nil || len(prop.ChildElements()) == 0 {
			return nil, false, Errorf(http.StatusBadRequest, "DAV:property-search needs a DAV:prop naming properties and a DAV:match")
		}
		s := propertySearch{props: propNames(prop), match: match.Text(), kind: match.SelectAttrValue("match-type", "contains")}
		switch s.kind {
		case "contains", "starts-with", "equals", "ends-with":
		default:
			return nil, false, Errorf(http.StatusBadRequest, "match-type=%q is not supported", s.kind)
		}
		searches = append(searches, s)
	}
	if len(searches) == 0 {
		return nil, false, Errorf(http.StatusBadRequest, "principal-property-search needs a DAV:property-search")
	}
	return searches, anyOf, nil
}

// foldCase maps s to a caseless form for matching (RFC 3744 §9.4 prefers
// caseless substring matches).
func foldCase(s string) string { return strings.ToLower(strings.ToUpper(s)) }

// matches reports whether one of the text runs of v satisfies s (RFC
// 3744 §9.4.1: each contiguous run of character data is matched alone).
func (s propertySearch) matches(v []propfile.Node) bool {
	want := foldCase(strings.TrimSpace(s.match))
	found := false
	var visit func(nodes []propfile.Node)
	visit = func(nodes []propfile.Node) {
		var run strings.Builder
		check := func() {
			got := foldCase(strings.TrimSpace(run.String()))
			run.Reset()
			switch s.kind {
			case "equals":
				found = found || got == want
			case "starts-with":
				found = found || strings.HasPrefix(got, want)
			case "ends-with":
				found = found || strings.HasSuffix(got, want)
			default:
				found = found || strings.Contains(got, want)
			}
		}
		for _, n := range nodes {
			if n.IsText {
				run.WriteString(n.Text)
				continue
			}
			if run.Len() > 0 {
				check()
			}
			visit(n.Children)
		}
		if run.Len() > 0 {
			check()
		}
	}
	visit(v)
	return found
}

// principalSearch evaluates searches on principals with the server's
// searchable properties.
type principalSearch struct {
	searches   []propertySearch
	anyOf      bool
	searchable map[Name]bool
}

// matches reports whether principal n satisfies the search. A property
// that is not searchable, missing or unreadable does not match.
func (ps *principalSearch) matches(ctx context.Context, c *Call, n *Node) (bool, error) {
	reg := c.Server.registry()
	for _, s := range ps.searches {
		ok := true
		for _, name := range s.props {
			if !ps.searchable[name] {
				ok = false
				break
			}
			v, err := reg.get(ctx, c, n, name)
			if err != nil {
				if statusOf(err) == http.StatusInternalServerError {
					return false, err
				}
				ok = false
				break
			}
			if !s.matches(v.Value) {
				ok = false
				break
			}
		}
		if ok && ps.anyOf {
			return true, nil
		}
		if !ok && !ps.anyOf {
			return false, nil
		}
	}
	return !ps.anyOf, nil
}

// principalPropertySearch answers DAV:principal-property-search (RFC 3744
// §9.4): the readable principals below the request URI (or below each
// collection of its DAV:principal-collection-set with
// DAV:apply-to-principal-collection-set) whose properties match, with
// the properties the body's DAV:prop asks for.
func principalPropertySearch(ctx context.Context, c *Call, n *Node, root *etree.Element) (int, Body, error) {
	if err := requireDepthZero(c); err != nil {
		return 0, nil, err
	}
	searches, anyOf, err := parsePropertySearches(root)
	if err != nil {
		return 0, nil, err
	}
	ps := &principalSearch{searches: searches, anyOf: anyOf, searchable: map[Name]bool{}}
	for _, p := range c.Server.registry().searchable {
		ps.searchable[p.Name] = true
	}
	scopes := []*Node{n}
	if child(root, DAVName("apply-to-principal-collection-set")) != nil {
		if scopes, err = principalCollections(ctx, c, n); err != nil {
			return 0, nil, err
		}
	}
	set := newMatchSet(c, root)
	for _, scope := range scopes {
		err := walkMembers(ctx, c, scope, func(k *Node) (bool, error) {
			if !isPrincipal(k) {
				return k.Collection, nil
			}
			ok, err := ps.matches(ctx, c, k)
			if err != nil || !ok {
				return true, err
			}
			return true, set.add(ctx, k)
		})
		if err != nil {
			return 0, nil, err
		}
	}
	return http.StatusMultiStatus, set.ms, nil
}

// principalCollections resolves n's DAV:principal-collection-set to the
// existing collections it names.
func principalCollections(ctx context.Context, c *Call, n *Node) ([]*Node, error) {
	v, err := c.Server.registry().get(ctx, c, n, PropPrincipalCollectionSet)
	if err != nil {
		return nil, err
	}
	var out []*Node
	for _, h := range propfile.Hrefs(v.Value) {
		segs, err := hrefSegments(h)
		if err != nil {
			continue
		}
		pc, err := lookup(c.Snapshot, segs, c.Server.logger())
		if err != nil {
			return nil, err
		}
		if pc != nil && pc.Collection {
			out = append(out, pc)
		}
	}
	return out, nil
}

// principalSearchPropertySet answers DAV:principal-search-property-set
// (RFC 3744 §9.5): the searchable properties with English descriptions.
func principalSearchPropertySet(_ context.Context, c *Call, _ *Node, root *etree.Element) (int, Body, error) {
	if err := requireDepthZero(c); err != nil {
		return 0, nil, err
	}
	if len(root.ChildElements()) > 0 {
		return 0, nil, Errorf(http.StatusBadRequest, "DAV:principal-search-property-set must be empty")
	}
	doc := newDocument()
	top := doc.CreateElement("D:principal-search-property-set")
	declareRootNamespaces(top)
	w := newNSWriter(top)
	for _, p := range c.Server.registry().searchable {
		sp := top.CreateElement("D:principal-search-property")
		w.element(sp.CreateElement("D:prop"), p.Name)
		desc := sp.CreateElement("D:description")
		desc.CreateAttr("xml:lang", "en")
		desc.SetText(p.Description)
	}
	return http.StatusOK, BytesBody(writeDocument(doc)), nil
}

package dav

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/gocaldav/gocaldav/dav/propfile"
	"github.com/gocaldav/gocaldav/internal/gencache"
)

// Privilege is a DAV privilege (RFC 3744 §3), by local name in DAV: (or
// CALDAV:read-free-busy; Privilege.Name gives the element).
type Privilege = propfile.Privilege

// aggregates lists what each aggregate privilege contains, as robur
// aggregates them (privileges.ml): all contains everything; write contains
// write-content, write-properties, write-acl, bind and unbind; read-acl
// contains read-current-user-privilege-set. Read contains
// CALDAV:read-free-busy (RFC 4791 §6.1.1), which robur lacks.
var aggregates = map[Privilege][]Privilege{
	propfile.PrivAll: {propfile.PrivRead, propfile.PrivWrite, propfile.PrivWriteContent, propfile.PrivWriteProperties,
		propfile.PrivUnlock, propfile.PrivReadACL, propfile.PrivReadCurrentUserPrivilegeSet, propfile.PrivWriteACL,
		propfile.PrivBind, propfile.PrivUnbind},
	propfile.PrivRead: {propfile.PrivReadFreeBusy},
	propfile.PrivWrite: {propfile.PrivWriteContent, propfile.PrivWriteProperties, propfile.PrivWriteACL,
		propfile.PrivBind, propfile.PrivUnbind},
	propfile.PrivReadACL: {propfile.PrivReadCurrentUserPrivilegeSet},
}

// AllPrivileges lists the privileges the server supports, in the order
// current-user-privilege-set lists them.
var AllPrivileges = []Privilege{
	propfile.PrivRead, propfile.PrivReadFreeBusy, propfile.PrivWrite, propfile.PrivWriteContent, propfile.PrivWriteProperties,
	propfile.PrivBind, propfile.PrivUnbind, propfile.PrivReadACL, propfile.PrivReadCurrentUserPrivilegeSet,
	propfile.PrivWriteACL, propfile.PrivUnlock, propfile.PrivAll,
}

// implies reports whether holding granted gives needed.
func implies(granted, needed Privilege) bool {
	if granted == needed {
		return true
	}
	for _, p := range aggregates[granted] {
		if implies(p, needed) {
			return true
		}
	}
	return false
}

// ACLAccess decides privileges from the DAV:acl properties in the store,
// with robur's model and the RFC 3744 parts robur lacks: ACEs are read in
// order and the first that matches the principal and covers the privilege
// decides (so deny ACEs work); an inherited entry evaluates the named
// resource's ACL at that point; principals all (every authenticated user,
// as robur deploys it), authenticated, unauthenticated, self and property
// are all evaluated; root passes every check. A missing resource has the
// privileges of its nearest existing ancestor.
type ACLAccess struct {
	once  sync.Once
	cache *gencache.Cache[string, []propfile.ACE] // blob id of a .prop → its ACL
}

// aclCacheEntries bounds the parsed ACLs kept: every calendar object has
// its own property file, so a 10,000-event calendar brings as many.
const aclCacheEntries = 40_000

// acls returns the ACL cache, made on first use (the zero ACLAccess is
// ready to use).
func (a *ACLAccess) acls() *gencache.Cache[string, []propfile.ACE] {
	a.once.Do(func() { a.cache = gencache.New[string, []propfile.ACE](aclCacheEntries/2, nil) })
	return a.cache
}

// rootACL is the ACL of "/" when it has none stored: every authenticated
// principal may read it, to discover its principal and calendar home.
var rootACL = []propfile.ACE{{Principal: propfile.Principal{Kind: propfile.PrincipalAll}, Kind: propfile.Grant,
	Privileges: []propfile.Privilege{propfile.PrivRead}}}

// maxInherit bounds chains of inherited entries.
const maxInherit = 8

// Allowed implements Access.
func (a *ACLAccess) Allowed(ctx context.Context, rd Reader, who *Principal, segs []string, priv string) (bool, error) {
	if who != nil && who.Root {
		return true, nil
	}
	for {
		n, err := lookup(rd, segs, nil)
		if err != nil {
			return false, err
		}
		if n != nil {
			d, err := a.decide(rd, n, who, Privilege(priv), 0)
			return d == granted, err
		}
		if len(segs) == 0 {
			return false, nil
		}
		segs = parentSegs(segs)
	}
}

// decision is the outcome of reading one ACL.
type decision int

const (
	undecided decision = iota
	granted
	denied
)

// acl reads n's ACL through the cache, keyed by the property file's blob
// id (immutable), so unchanged ACLs are parsed once. The id comes from
// the listing that made n when it has it, else from a lookup.
func (a *ACLAccess) acl(rd Reader, n *Node) ([]propfile.ACE, error) {
	hash := n.propHash
	if hash == "" {
		e, err := rd.Stat(n.PropPath())
		if err != nil {
			if len(n.Segs) == 0 {
				return rootACL, nil
			}
			return nil, nil // no property file: no ACL
		}
		hash = e.Hash
	}
	if aces, ok := a.acls().Get(hash); ok {
		return aces, nil
	}
	data, err := rd.Read(n.PropPath())
	if err != nil {
		return nil, fmt.Errorf("dav: reading ACL of /%s: %w", n.Path(), err)
	}
	props, err := propfile.Parse(data)
	if err != nil {
		return nil, nil // unreadable properties grant nothing
	}
	var aces []propfile.ACE
	if v, ok := props.Get(PropACL); ok {
		aces, _ = propfile.DecodeACL(v.Value) // unreadable entries grant nothing, as in robur
	}
	a.acls().Put(hash, aces)
	return aces, nil
}

// AllowedNode is Allowed for a node already read (a member of a listing):
// no path lookup, and the decisions of the resources its ACL inherits
// from are kept in memo (for one reader and principal, i.e. one request),
// so the members of a large collection cost one ACL each.
func (a *ACLAccess) AllowedNode(_ context.Context, rd Reader, who *Principal, n *Node, priv string, memo *ACLMemo) (bool, error) {
	if who != nil && who.Root {
		return true, nil
	}
	d, err := a.decideWith(rd, n, who, Privilege(priv), 0, memo)
	return d == granted, err
}

// ACLMemo remembers, for one request, the access decisions on the
// resources ACLs inherit from. The zero value is ready to use.
type ACLMemo struct {
	m map[memoKey]decision
}

type memoKey struct {
	href string
	priv Privilege
}

// decide reads n's ACL for who and priv.
func (a *ACLAccess) decide(rd Reader, n *Node, who *Principal, priv Privilege, depth int) (decision, error) {
	return a.decideWith(rd, n, who, priv, depth, nil)
}

// decideWith is decide, taking the decisions on inherited-from resources
// from memo when it has them (and keeping them there).
func (a *ACLAccess) decideWith(rd Reader, n *Node, who *Principal, priv Privilege, depth int, memo *ACLMemo) (decision, error) {
	aces, err := a.acl(rd, n)
	if err != nil {
		return undecided, err
	}
	for _, ace := range aces {
		// Robur marks inheritance with the principal all; it means "for
		// everyone", anonymous included: the inherited ACL decides who.
		inheritAll := ace.Kind == propfile.Inherited && ace.Principal.Kind == propfile.PrincipalAll
		if !inheritAll && !principalMatches(ace.Principal, who, n) {
			continue
		}
		switch ace.Kind {
		case propfile.Inherited:
			if depth >= maxInherit {
				continue
			}
			key := memoKey{ace.InheritedFrom, priv}
			d, known := memo.get(key)
			if !known {
				segs, err := hrefSegments(ace.InheritedFrom)
				if err != nil {
					continue
				}
				parent, err := lookup(rd, segs, nil)
				if err != nil || parent == nil {
					continue
				}
				if d, err = a.decideWith(rd, parent, who, priv, depth+1, memo); err != nil {
					return d, err
				}
				memo.put(key, d)
			}
			if d != undecided {
				return d, nil
			}
		case propfile.Grant, propfile.Deny:
			for _, p := range ace.Privileges {
				if implies(p, priv) {
					if ace.Kind == propfile.Deny {
						return denied, nil
					}
					return granted, nil
				}
			}
		}
	}
	return undecided, nil
}

// principalMatches reports whether an ACE's principal covers who on n.
func principalMatches(p propfile.Principal, who *Principal, n *Node) bool {
	switch p.Kind {
	case propfile.PrincipalAll, propfile.PrincipalAuthenticated:
		return who != nil
	case propfile.PrincipalUnauthenticated:
		return who == nil
	case propfile.PrincipalHref:
		return who != nil && who.is(p.Href)
	case propfile.PrincipalSelf:
		return who != nil && len(n.Segs) == 2 && n.Segs[0] == PrincipalsDir && who.is(hrefOf(n.Segs, true))
	case propfile.PrincipalProperty:
		if who == nil {
			return false
		}
		v, ok := n.Props().Get(p.Property)
		if !ok {
			return false
		}
		for _, h := range propfile.Hrefs(v.Value) {
			if who.is(h) {
				return true
			}
		}
	}
	return false
}

// is reports whether href names the principal or one of its groups. Hrefs
// are compared by path with a trailing slash, so "/principals/a",
// "/principals/a/" and "http://host/principals/a/" are the same (robur
// compares them literally).
func (p *Principal) is(href string) bool {
	h := normalPrincipalHref(href)
	if h == normalPrincipalHref(p.Href) {
		return true
	}
	for _, g := range p.Groups {
		if h == normalPrincipalHref(g) {
			return true
		}
	}
	return false
}

// normalPrincipalHref reduces an href to its path with one trailing slash.
func normalPrincipalHref(href string) string {
	if u, err := url.Parse(strings.TrimSpace(href)); err == nil {
		href = u.Path
	}
	return strings.TrimSuffix(href, "/") + "/"
}

// privilegesOf lists the privileges who holds on the node at segs.
func privilegesOf(ctx context.Context, acc Access, rd Reader, who *Principal, segs []string) ([]Privilege, error) {
	var out []Privilege
	for _, p := range AllPrivileges {
		ok, err := acc.Allowed(ctx, rd, who, segs, string(p))
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, p)
		}
	}
	return out, nil
}

// parseACEs reads ACEs from a request (the value of a PROPPATCH of DAV:acl
// or the body of the ACL method) in RFC 3744 form: one principal, and a
// grant or deny holding one or more DAV:privilege elements. Inherited
// and protected entries are skipped (the server keeps its own). Errors
// name the RFC 3744 §8.1.1 precondition violated.
func parseACEs(nodes []propfile.Node) ([]propfile.ACE, *Error) {
	var out []propfile.ACE
	for _, n := range nodes {
		if n.IsText {
			continue
		}
		if n.Name != DAVName("ace") {
			return nil, Precondition(http.StatusBadRequest, DAVName("no-ace-conflict"), "DAV:acl may only contain DAV:ace elements")
		}
		ace, skip, err := parseRequestACE(n)
		if err != nil {
			return nil, err
		}
		if !skip {
			out = append(out, ace)
		}
	}
	return out, nil
}

// parseRequestACE reads one DAV:ace of a request.
func parseRequestACE(n propfile.Node) (propfile.ACE, bool, *Error) {
	var ace propfile.ACE
	var havePrincipal, haveVerb bool
	for _, c := range n.Children {
		if c.IsText {
			continue
		}
		switch c.Name {
		case DAVName("inherited"), DAVName("protected"):
			return ace, true, nil
		case DAVName("invert"):
			return ace, false, Precondition(http.StatusForbidden, DAVName("no-invert"), "DAV:invert is not supported")
		case DAVName("principal"):
			p, err := parseRequestPrincipal(c)
			if err != nil {
				return ace, false, err
			}
			ace.Principal, havePrincipal = p, true
		case DAVName("grant"), DAVName("deny"):
			ace.Kind = propfile.Grant
			if c.Name.Local == "deny" {
				ace.Kind = propfile.Deny
			}
			for _, pe := range c.Children {
				if pe.IsText || pe.Name != DAVName("privilege") {
					continue
				}
				for _, pr := range pe.Children {
					if pr.IsText {
						continue
					}
					p, known := propfile.PrivilegeOf(pr.Name)
					if !known || !isPrivilege(p) {
						return ace, false, Precondition(http.StatusForbidden, DAVName("not-supported-privilege"),
							"unsupported privilege "+clark(pr.Name))
					}
					ace.Privileges = append(ace.Privileges, p)
				}
			}
			haveVerb = len(ace.Privileges) > 0
		}
	}
	if !havePrincipal || !haveVerb {
		return ace, false, Errorf(http.StatusBadRequest, "a DAV:ace needs a DAV:principal and a DAV:grant or DAV:deny with privileges")
	}
	return ace, false, nil
}

// isPrivilege reports whether p is a supported privilege.
func isPrivilege(p Privilege) bool {
	for _, q := range AllPrivileges {
		if p == q {
			return true
		}
	}
	return false
}

// parseRequestPrincipal reads a DAV:principal of a request.
func parseRequestPrincipal(n propfile.Node) (propfile.Principal, *Error) {
	for _, c := range n.Children {
		if c.IsText {
			continue
		}
		switch c.Name {
		case DAVName("href"):
			return propfile.Principal{Kind: propfile.PrincipalHref, Href: textContent(c)}, nil
		case DAVName("all"):
			return propfile.Principal{Kind: propfile.PrincipalAll}, nil
		case DAVName("authenticated"):
			return propfile.Principal{Kind: propfile.PrincipalAuthenticated}, nil
		case DAVName("unauthenticated"):
			return propfile.Principal{Kind: propfile.PrincipalUnauthenticated}, nil
		case DAVName("self"):
			return propfile.Principal{Kind: propfile.PrincipalSelf}, nil
		case DAVName("property"):
			for _, p := range c.Children {
				if !p.IsText {
					return propfile.Principal{Kind: propfile.PrincipalProperty, Property: p.Name}, nil
				}
			}
		}
	}
	return propfile.Principal{}, Precondition(http.StatusForbidden, DAVName("recognized-principal"), "unrecognised DAV:principal")
}

// textContent joins the text children of n.
func textContent(n propfile.Node) string {
	var b strings.Builder
	for _, c := range n.Children {
		if c.IsText {
			b.WriteString(c.Text)
		}
	}
	return strings.TrimSpace(b.String())
}

// checkPrincipalsExist refuses ACEs naming hrefs that are not existing
// principals of this server.
func checkPrincipalsExist(rd Reader, aces []propfile.ACE) *Error {
	for _, a := range aces {
		if a.Principal.Kind != propfile.PrincipalHref {
			continue
		}
		segs, err := hrefSegments(a.Principal.Href)
		if err != nil || len(segs) != 2 || segs[0] != PrincipalsDir {
			return Precondition(http.StatusForbidden, DAVName("recognized-principal"), "not a principal: "+a.Principal.Href)
		}
		if n, err := lookup(rd, segs, nil); err != nil || n == nil || !n.Collection {
			return Precondition(http.StatusForbidden, DAVName("recognized-principal"), "no such principal: "+a.Principal.Href)
		}
	}
	return nil
}

// get returns a remembered decision (none from a nil memo).
func (m *ACLMemo) get(k memoKey) (decision, bool) {
	if m == nil {
		return undecided, false
	}
	d, ok := m.m[k]
	return d, ok
}

// put remembers a decision (a nil memo forgets it).
func (m *ACLMemo) put(k memoKey, d decision) {
	if m == nil {
		return
	}
	if m.m == nil {
		m.m = map[memoKey]decision{}
	}
	m.m[k] = d
}

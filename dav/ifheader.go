package dav

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/gocaldav/gocaldav/dav/propfile"
	"github.com/gocaldav/gocaldav/webmachine"
)

// The WebDAV If header (RFC 4918 §10.4) on a server without locks.
//
// The header is a disjunction of lists, each a conjunction of conditions
// on one resource: the request URI for untagged lists, the resource named
// by the preceding <Resource-Tag> for tagged ones. A condition is an
// entity tag in brackets or a state token (a lock token) in angle
// brackets, possibly negated by "Not". This server holds no locks
// (DAV class 1), so:
//
//   - a state token never matches: <token> is false, Not <token> is true
//     (the RFC's own "(Not <DAV:no-lock>)" idiom therefore holds);
//   - an entity tag matches when it equals the resource's current ETag
//     by the strong comparison (RFC 4918 §10.4.4 allows either
//     comparison; If-Match uses the strong one, and every ETag this
//     server sends is strong, so a weak tag never matches);
//   - a Resource-Tag naming nothing here — a missing member, a path
//     outside the DAV trees, a URL of another host, or a resource the
//     user may not read — is an unmapped URL: it "exists but does not
//     have the specified state" (§10.4.4), so its conditions are false
//     and their negations true. RFC 4918 does not ignore such lists (RFC
//     2518 evaluated only the lists of resources the method touched).
//
// The request goes on when any list holds and answers 412 otherwise
// (§10.4.1); a header that does not follow the grammar of §10.4.2, or a
// state token that is not an absolute URI, answers 400.

// ifList is one List of an If header with the resource it applies to.
type ifList struct {
	// resource is the Resource-Tag's reference; "" for an untagged list.
	resource string
	conds    []ifCondition
}

// ifCondition is one Condition: an entity tag or a state token, maybe
// negated.
type ifCondition struct {
	not bool
	// etag is the entity tag as written, quotes and any W/ included;
	// empty for a state token.
	etag string
	// token is the state token's URI (without the angle brackets).
	token string
}

// Bounds of a parsed If header. The header is already bounded by the
// server's header size; these keep evaluation (a lookup and an access
// check per resource) small.
const (
	maxIfConditions = 1000
	maxIfResources  = 64
)

// parseIf parses the value of an If header. Errors are 400 *Errors.
func parseIf(v string) ([]ifList, error) {
	p := ifParser{s: v}
	lists, err := p.parse()
	if err != nil {
		return nil, Errorf(http.StatusBadRequest, "malformed If header: %v", err)
	}
	return lists, nil
}

// ifParser reads an If header from left to right.
type ifParser struct {
	s   string
	pos int
}

func (p *ifParser) skipSpace() {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t') {
		p.pos++
	}
}

// peek returns the next byte after white space, or 0 at the end.
func (p *ifParser) peek() byte {
	p.skipSpace()
	if p.pos == len(p.s) {
		return 0
	}
	return p.s[p.pos]
}

// until returns the text up to the next close byte and moves past it.
// The text must not contain white space (the grammar allows none inside
// brackets).
func (p *ifParser) until(close byte, what string) (string, error) {
	end := strings.IndexByte(p.s[p.pos:], close)
	if end < 0 {
		return "", fmt.Errorf("unterminated %s", what)
	}
	text := p.s[p.pos : p.pos+end]
	if text == "" || strings.ContainsAny(text, " \t") {
		return "", fmt.Errorf("malformed %s %q", what, text)
	}
	p.pos += end + 1
	return text, nil
}

// parse reads 1*No-tag-list or 1*Tagged-list: the two kinds do not mix.
func (p *ifParser) parse() ([]ifList, error) {
	tagged := p.peek() == '<'
	var lists []ifList
	resource, conds := "", 0
	for p.peek() != 0 {
		if p.s[p.pos] == '<' {
			if !tagged {
				return nil, fmt.Errorf("resource tag after an untagged list at byte %d", p.pos)
			}
			p.pos++
			ref, err := p.until('>', "resource tag")
			if err != nil {
				return nil, err
			}
			if !isSimpleRef(ref) {
				return nil, fmt.Errorf("resource tag %q is not an absolute URI or path", ref)
			}
			resource = ref
			if p.peek() != '(' {
				return nil, fmt.Errorf("resource tag %q without a list", ref)
			}
			continue
		}
		l, err := p.list()
		if err != nil {
			return nil, err
		}
		l.resource = resource
		if conds += len(l.conds); conds > maxIfConditions {
			return nil, fmt.Errorf("more than %d conditions", maxIfConditions)
		}
		lists = append(lists, l)
	}
	if len(lists) == 0 {
		return nil, fmt.Errorf("no list")
	}
	return lists, nil
}

// list reads "(" 1*Condition ")".
func (p *ifParser) list() (ifList, error) {
	var l ifList
	if p.peek() != '(' {
		return l, fmt.Errorf("expected ( at byte %d", p.pos)
	}
	p.pos++
	for {
		switch p.peek() {
		case ')':
			p.pos++
			if len(l.conds) == 0 {
				return l, fmt.Errorf("empty list")
			}
			return l, nil
		case 0:
			return l, fmt.Errorf("unterminated list")
		}
		c, err := p.condition()
		if err != nil {
			return l, err
		}
		l.conds = append(l.conds, c)
	}
}

// condition reads ["Not"] (State-token | "[" entity-tag "]").
func (p *ifParser) condition() (ifCondition, error) {
	var c ifCondition
	if len(p.s)-p.pos >= 3 && strings.EqualFold(p.s[p.pos:p.pos+3], "not") {
		c.not = true
		p.pos += 3
		p.skipSpace()
	}
	if p.pos == len(p.s) {
		return c, fmt.Errorf("condition expected at the end")
	}
	switch p.s[p.pos] {
	case '<':
		p.pos++
		tok, err := p.until('>', "state token")
		if err != nil {
			return c, err
		}
		if u, err := url.Parse(tok); err != nil || u.Scheme == "" {
			return c, fmt.Errorf("state token %q is not an absolute URI", tok)
		}
		c.token = tok
	case '[':
		p.pos++
		tag, err := p.entityTag()
		if err != nil {
			return c, err
		}
		c.etag = tag
	default:
		return c, fmt.Errorf("unexpected %q at byte %d", p.s[p.pos], p.pos)
	}
	return c, nil
}

// entityTag reads an entity-tag and the "]" closing it: [W/] DQUOTE
// *etagc DQUOTE (RFC 9110 §8.8.3), with no white space around it. Spaces
// inside the quotes are taken, as RFC 4918's own examples use them.
func (p *ifParser) entityTag() (string, error) {
	start := p.pos
	if strings.HasPrefix(p.s[p.pos:], "W/") {
		p.pos += 2
	}
	if p.pos == len(p.s) || p.s[p.pos] != '"' {
		return "", fmt.Errorf("malformed entity tag at byte %d", start)
	}
	end := strings.IndexByte(p.s[p.pos+1:], '"')
	if end < 0 {
		return "", fmt.Errorf("unterminated entity tag at byte %d", start)
	}
	p.pos += end + 2
	tag := p.s[start:p.pos]
	for i := 0; i < len(tag); i++ {
		if c := tag[i]; c < 0x20 || c == 0x7f {
			return "", fmt.Errorf("control character in entity tag %q", tag)
		}
	}
	if p.pos == len(p.s) || p.s[p.pos] != ']' {
		return "", fmt.Errorf("entity tag %q not closed by ]", tag)
	}
	p.pos++
	return tag, nil
}

// isSimpleRef reports whether s is a Simple-ref (RFC 4918 §8.3): an
// absolute URI, or an absolute path with an optional query.
func isSimpleRef(s string) bool {
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	return u.Scheme != "" || (strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//") && u.Fragment == "")
}

// Precondition evaluates the If header, when the request has one,
// against the request's snapshot: 412 when no list holds, 400 when it is
// malformed. It makes resource a webmachine.Preconditioner.
func (r *resource) Precondition(ctx context.Context, _ *webmachine.Request, _ bool) (bool, error) {
	values := r.c.HTTP.Header.Values("If")
	if len(values) == 0 {
		return true, nil
	}
	lists, err := parseIf(strings.Join(values, " "))
	if err != nil {
		return false, halt(err)
	}
	target, err := r.target()
	if err != nil {
		return false, halt(err)
	}
	ok, err := r.evalIf(ctx, r.c.Snapshot, target, lists)
	if err != nil {
		return false, halt(err)
	}
	return ok, nil
}

// recheckIf evaluates the If header again inside a write batch, against
// the batch's state (target is the request's target there, nil when
// absent): a write that raced ahead since the snapshot makes it fail
// with 412 as it would have failed before.
func (r *resource) recheckIf(ctx context.Context, tx Reader, target *Node) error {
	values := r.c.HTTP.Header.Values("If")
	if len(values) == 0 {
		return nil
	}
	lists, err := parseIf(strings.Join(values, " "))
	if err != nil {
		return err
	}
	ok, err := r.evalIf(ctx, tx, target, lists)
	if err != nil {
		return err
	}
	if !ok {
		return Errorf(http.StatusPreconditionFailed, "the If header no longer holds")
	}
	return nil
}

// evalIf reports whether any list holds, with the resources as rd has
// them (target is the request's target there, nil when absent).
func (r *resource) evalIf(ctx context.Context, rd Reader, target *Node, lists []ifList) (bool, error) {
	etags := map[string]string{} // resource tag → current ETag, "" when unmapped
	for _, l := range lists {
		etag, seen := etags[l.resource]
		if !seen {
			if len(etags) == maxIfResources {
				return false, Errorf(http.StatusBadRequest, "the If header names more than %d resources", maxIfResources)
			}
			var err error
			if etag, err = r.ifETag(ctx, rd, target, l.resource); err != nil {
				return false, err
			}
			etags[l.resource] = etag
		}
		if l.holds(etag) {
			return true, nil
		}
	}
	return false, nil
}

// holds reports whether every condition of l holds for a resource whose
// current ETag is etag ("" for an unmapped URL). State tokens never
// match: this server grants no locks.
func (l ifList) holds(etag string) bool {
	for _, c := range l.conds {
		match := c.token == "" && etag != "" && c.etag == etag
		if match == c.not {
			return false
		}
	}
	return true
}

// ifETag returns the current strong ETag of the resource a list applies
// to: the request's target for "", else the Resource-Tag's resource. It
// returns "" for a URL that maps to nothing the user may read here.
func (r *resource) ifETag(ctx context.Context, rd Reader, target *Node, ref string) (string, error) {
	if ref == "" {
		if target == nil {
			return "", nil
		}
		return webmachine.StrongETag(target.Hash).String(), nil
	}
	segs, ok := r.ifResource(ref)
	if !ok {
		return "", nil
	}
	n, err := lookup(rd, segs, r.s.logger())
	if err != nil || n == nil {
		return "", err
	}
	readable, err := r.s.access().Allowed(ctx, rd, r.c.User, segs, string(propfile.PrivRead))
	if err != nil {
		return "", fmt.Errorf("dav: access check for the If header: %w", err)
	}
	if !readable {
		return "", nil
	}
	return webmachine.StrongETag(n.Hash).String(), nil
}

// ifResource resolves a Resource-Tag to the segments of a resource in
// the DAV trees of this server; ok is false for other hosts and paths.
func (r *resource) ifResource(ref string) (segs []string, ok bool) {
	u, err := url.Parse(ref)
	if err != nil {
		return nil, false
	}
	if u.Scheme != "" && (u.Scheme != "http" && u.Scheme != "https" || !strings.EqualFold(u.Host, r.c.HTTP.Host)) {
		return nil, false
	}
	segs, err = splitHref(u.Path)
	if err != nil {
		return nil, false
	}
	if len(segs) > 0 && segs[0] != CalendarsDir && segs[0] != PrincipalsDir {
		return nil, false
	}
	return segs, true
}

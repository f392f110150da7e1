package dav

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/gocaldav/gocaldav/dav/propfile"
	"github.com/gocaldav/gocaldav/gitstore"
	"github.com/gocaldav/gocaldav/webmachine"
)

// resource is the webmachine resource serving one DAV request.
type resource struct {
	webmachine.Base
	s       *Server
	c       *Call
	segs    []string
	pathErr error

	node   *Node
	looked bool

	// The REPORT body, read once (the privilege check needs to know the
	// report before Report runs).
	reportRoot *etree.Element
	reportErr  error
	reportRead bool
}

// target returns the requested node (nil when missing), looked up once in
// the request's snapshot.
func (r *resource) target() (*Node, error) {
	if r.looked {
		return r.node, nil
	}
	n, err := lookup(r.c.Snapshot, r.segs, r.s.logger())
	if err != nil {
		return nil, err
	}
	r.node, r.looked = n, true
	return n, nil
}

// KnownMethods adds the registered collection makers to the defaults.
func (r *resource) KnownMethods(ctx context.Context, rq *webmachine.Request) ([]string, error) {
	known, _ := r.Base.KnownMethods(ctx, rq)
	for m := range r.s.registry().makers {
		known = append(known[:len(known):len(known)], m)
	}
	return known, nil
}

// AllowedMethods lists the DAV methods.
func (r *resource) AllowedMethods(context.Context, *webmachine.Request) ([]string, error) {
	return r.s.allowedMethods(), nil
}

// MalformedRequest refuses paths that cannot name a resource.
func (r *resource) MalformedRequest(context.Context, *webmachine.Request) (bool, error) {
	if r.pathErr != nil {
		return true, halt(r.pathErr)
	}
	return false, nil
}

// IsAuthorized asks the Authenticator who sent the request.
func (r *resource) IsAuthorized(ctx context.Context, rq *webmachine.Request) (string, error) {
	if r.s.Auth == nil {
		return basicChallenge(), nil
	}
	who, challenge, err := r.s.Auth.Authenticate(ctx, rq.HTTP)
	if err != nil {
		return "", fmt.Errorf("dav: authenticating: %w", err)
	}
	if who == nil {
		if rq.HTTP.Header.Get("Authorization") == "" {
			// Anonymous access where an ACL grants DAV:unauthenticated.
			if ok, err := r.permitted(ctx); err != nil || ok {
				return "", err
			}
		}
		return challenge, nil
	}
	r.c.User, rq.Auth = who, who
	// Authentication may have written (trust on first use, a password
	// hash upgrade): read the state after it.
	if head := r.s.Store.Head(); head.Commit() != r.c.Snapshot.Commit() && !r.looked {
		r.c.Snapshot, r.c.SnapshotTime = head, head.Time()
	}
	return "", nil
}

// check is one privilege a request needs on one resource.
type check struct {
	segs []string
	priv Privilege
}

// requiredPrivileges are the privileges a method needs (RFC 3744
// Appendix B, robur's Privileges.required): read on the target for reading
// methods; write-content on an existing target or bind on the parent for
// PUT; bind on the parent to create a collection; write-properties for
// PROPPATCH; write-acl for ACL. DELETE and MOVE need unbind on the parent
// and, for a collection, write on the collection itself, so nobody removes
// a calendar they may not write (robur lets any user delete any calendar,
// S1). COPY and MOVE check the destination themselves.
func (r *resource) requiredPrivileges(n *Node) []check {
	parent := parentSegs(r.segs)
	switch m := r.c.HTTP.Method; m {
	case http.MethodPut:
		if n != nil {
			return []check{{r.segs, propfile.PrivWriteContent}}
		}
		return []check{{parent, propfile.PrivBind}}
	case http.MethodDelete, webmachine.MethodMove:
		if n != nil && n.Collection {
			return []check{{parent, propfile.PrivUnbind}, {r.segs, propfile.PrivWrite}}
		}
		return []check{{parent, propfile.PrivUnbind}}
	case webmachine.MethodProppatch:
		return []check{{r.segs, propfile.PrivWriteProperties}}
	case webmachine.MethodACL:
		return []check{{r.segs, propfile.PrivWriteACL}}
	case webmachine.MethodReport:
		return []check{{r.segs, r.reportPrivilege()}}
	case webmachine.MethodMkcol:
		return []check{{parent, propfile.PrivBind}}
	default:
		if _, ok := r.s.registry().makers[m]; ok {
			return []check{{parent, propfile.PrivBind}}
		}
		return []check{{r.segs, propfile.PrivRead}}
	}
}

// Forbidden checks the privileges the method needs. A missing resource
// has the privileges of its nearest existing ancestor, so a user who may
// read a collection gets 404 for a missing member and one who may not
// gets 403 (robur answers 403 to both, S2).
//
// The 403 carries the DAV:need-privileges precondition naming the
// resource and privilege that were missing (RFC 3744 §7.1.1).
func (r *resource) Forbidden(ctx context.Context, _ *webmachine.Request) (bool, error) {
	missing, err := r.missingPrivilege(ctx)
	if err != nil || missing == nil {
		return false, err
	}
	if r.c.HTTP.Method == webmachine.MethodReport {
		if rep := r.report(); rep != nil && rep.Conceal {
			return false, halt(errNotFound)
		}
	}
	return true, halt(needPrivileges(r.checkedHref(missing.segs), missing.priv))
}

// checkedHref is the href of a resource a privilege check named: the
// target (a collection when it is one or its path ends in a slash) or one
// of its ancestors.
func (r *resource) checkedHref(segs []string) string {
	if len(segs) < len(r.segs) {
		return hrefOf(segs, true)
	}
	n, _ := r.target()
	return hrefOf(segs, (n != nil && n.Collection) || strings.HasSuffix(r.c.HTTP.URL.Path, "/"))
}

// permitted reports whether the request's user (nil: anonymous) holds
// every privilege the method needs.
func (r *resource) permitted(ctx context.Context) (bool, error) {
	missing, err := r.missingPrivilege(ctx)
	return err == nil && missing == nil, err
}

// missingPrivilege returns the first privilege the method needs that the
// request's user does not hold, nil when it holds them all.
func (r *resource) missingPrivilege(ctx context.Context) (*check, error) {
	n, err := r.target()
	if err != nil {
		return nil, err
	}
	for _, c := range r.requiredPrivileges(n) {
		ok, err := r.s.access().Allowed(ctx, r.c.Snapshot, r.c.User, c.segs, string(c.priv))
		if err != nil {
			return nil, fmt.Errorf("dav: access check: %w", err)
		}
		if !ok {
			return &c, nil
		}
	}
	return nil, nil
}

// needPrivileges is the 403 answer to a request lacking priv on the
// resource at href: <D:error><D:need-privileges><D:resource> with its
// href and privilege (RFC 3744 §7.1.1).
func needPrivileges(href string, priv Privilege) *Error {
	res := etree.NewElement("D:resource")
	res.CreateElement("D:href").SetText(href)
	prefix := "D:"
	if priv.Name().Space == NSCalDAV {
		prefix = "C:"
	}
	res.CreateElement("D:privilege").CreateElement(prefix + string(priv))
	return &Error{Status: http.StatusForbidden, Cond: DAVName("need-privileges"),
		Msg: "the " + string(priv) + " privilege is needed on " + href, Extra: []*etree.Element{res}}
}

// ValidEntityLength refuses bodies over the limit before reading them.
func (r *resource) ValidEntityLength(context.Context, *webmachine.Request) (bool, error) {
	return r.c.HTTP.ContentLength <= r.s.Limits.orDefault().MaxBody, nil
}

// Options adds the DAV header (RFC 4918 §10.1).
func (r *resource) Options(context.Context, *webmachine.Request) (http.Header, error) {
	classes := r.s.DAVClasses
	if classes == "" {
		classes = "1, 3, extended-mkcol"
	}
	return http.Header{"Dav": {classes}}, nil
}

// ContentTypesProvided gives GET and HEAD the stored representation of an
// object, and the hook's (or an HTML listing) for a collection. Other
// methods negotiate nothing.
func (r *resource) ContentTypesProvided(ctx context.Context, _ *webmachine.Request) ([]webmachine.Provider, error) {
	m := r.c.HTTP.Method
	if m != http.MethodGet && m != http.MethodHead {
		return nil, nil
	}
	n, err := r.target()
	if err != nil || n == nil {
		return nil, err
	}
	if !n.Collection {
		ct := "application/octet-stream"
		if v, ok := n.Text(PropContentType); ok && v != "" {
			ct = v
		}
		base, _, _ := strings.Cut(ct, ";")
		return []webmachine.Provider{{MediaType: strings.TrimSpace(base), Write: func(_ context.Context, rq *webmachine.Request) error {
			b, err := n.Content()
			if err != nil {
				return err
			}
			rq.Header.Set("Content-Type", ct)
			rq.SetBody(b)
			return nil
		}}}, nil
	}
	var providers []webmachine.Provider
	if r.s.Hooks.CollectionProviders != nil {
		providers = r.s.Hooks.CollectionProviders(ctx, r.c, n)
	}
	return append(providers, webmachine.Provider{MediaType: "text/html", Write: r.listing}), nil
}

// listing writes a collection's members as an HTML page.
func (r *resource) listing(_ context.Context, rq *webmachine.Request) error {
	n, _ := r.target()
	kids, err := children(r.c.Snapshot, n)
	if err != nil {
		return err
	}
	var b strings.Builder
	title := html.EscapeString(n.Href())
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%s</title></head><body><h1>%s</h1><ul>\n", title, title)
	for _, k := range kids {
		name := k.Name()
		if k.Collection {
			name += "/"
		}
		fmt.Fprintf(&b, "<li><a href=\"%s\">%s</a></li>\n", html.EscapeString(k.Href()), html.EscapeString(name))
	}
	b.WriteString("</ul></body></html>\n")
	rq.Header.Set("Content-Type", "text/html; charset=utf-8")
	rq.SetBody([]byte(b.String()))
	return nil
}

// ResourceExists looks the target up in the snapshot.
func (r *resource) ResourceExists(context.Context, *webmachine.Request) (bool, error) {
	n, err := r.target()
	return n != nil, err
}

// ETag is the git object id: blob id for objects, tree id for collections.
func (r *resource) ETag(context.Context, *webmachine.Request) (webmachine.ETag, error) {
	n, err := r.target()
	if err != nil || n == nil {
		return webmachine.ETag{}, err
	}
	return webmachine.StrongETag(n.Hash), nil
}

// LastModified is the stored getlastmodified, or the commit time.
func (r *resource) LastModified(context.Context, *webmachine.Request) (time.Time, error) {
	n, err := r.target()
	if err != nil || n == nil {
		return time.Time{}, err
	}
	if t := n.LastModified(); !t.IsZero() {
		return t, nil
	}
	return r.c.SnapshotTime, nil
}

// IsConflict refuses a PUT whose parent is missing or not a collection
// (409, RFC 4918 §9.7.1) and a PUT onto a collection (405).
func (r *resource) IsConflict(context.Context, *webmachine.Request) (bool, error) {
	if r.c.HTTP.Method != http.MethodPut {
		return false, nil
	}
	if err := r.checkPutTarget(r.c.Snapshot); err != nil {
		return false, halt(err)
	}
	return false, nil
}

// checkPutTarget checks, in rd, that a PUT can write the target.
func (r *resource) checkPutTarget(rd Reader) error {
	if len(r.segs) < 2 {
		return Errorf(http.StatusMethodNotAllowed, "cannot PUT here")
	}
	parent, err := lookup(rd, parentSegs(r.segs), r.s.logger())
	if err != nil {
		return err
	}
	if parent == nil {
		return Errorf(http.StatusConflict, "the parent collection does not exist")
	}
	if !parent.Collection {
		return errNotCollection
	}
	n, err := lookup(rd, r.segs, r.s.logger())
	if err != nil {
		return err
	}
	if n != nil && n.Collection {
		return Errorf(http.StatusMethodNotAllowed, "cannot PUT onto a collection")
	}
	return nil
}

// ContentTypesAccepted takes any body for PUT; the hook validates it.
func (r *resource) ContentTypesAccepted(context.Context, *webmachine.Request) ([]webmachine.Acceptor, error) {
	return []webmachine.Acceptor{{MediaType: "*/*", Accept: r.put}}, nil
}

// blobID is the git blob id of data: the ETag it will have once stored.
func blobID(data []byte) string {
	h := sha1.New()
	h.Write([]byte("blob " + strconv.Itoa(len(data)) + "\x00"))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

// put stores the request body as the target object with its properties,
// in one commit.
func (r *resource) put(ctx context.Context, rq *webmachine.Request) error {
	body, err := readBody(r.c.HTTP, r.s.Limits.orDefault())
	if err != nil {
		return halt(err)
	}
	ct := r.c.HTTP.Header.Get("Content-Type")
	if ct == "" {
		ct = "application/octet-stream"
	}
	now := r.s.now()
	// Work done against the request's snapshot, outside the store's
	// write lock, so that it does not hold up every other writer: a
	// first check by the hook, which may remember its costly part (its
	// outcome is decided by the check inside the batch), and the
	// object's property file, used inside if nothing it depends on
	// changed meanwhile.
	var prepared *preparedProps
	log := r.s.logger()
	if parent, _ := lookup(r.c.Snapshot, parentSegs(r.segs), log); parent != nil {
		existing, _ := lookup(r.c.Snapshot, r.segs, log)
		storeCT := ct
		var err error
		if r.s.Hooks.CheckPut != nil {
			var normal string
			if normal, err = r.s.Hooks.CheckPut(ctx, r.c, parent, existing, r.segs[len(r.segs)-1], body, ct); normal != "" {
				storeCT = normal
			}
		}
		if err == nil { // a refused body is refused again inside: nothing to store
			prepared = prepareProps(r.c.Snapshot, r.segs, existing, storeCT, len(body), now)
		}
	}
	err = r.s.update(ctx, r.c, func(tx *gitstore.Txn) error {
		if err := r.checkPutTarget(tx); err != nil {
			return err
		}
		log := r.s.logger()
		parent, _ := lookup(tx, parentSegs(r.segs), log)
		existing, err := lookup(tx, r.segs, log)
		if err != nil {
			return err
		}
		if err := recheckPreconditions(r.c.HTTP, existing); err != nil {
			return err
		}
		if err := r.recheckIf(ctx, tx, existing); err != nil {
			return err
		}
		storeCT := ct
		if r.s.Hooks.CheckPut != nil {
			normal, err := r.s.Hooks.CheckPut(ctx, r.c, parent, existing, r.segs[len(r.segs)-1], body, ct)
			if err != nil {
				return err
			}
			if normal != "" {
				storeCT = normal
			}
		}
		return storeObject(tx, log, r.segs, existing, body, storeCT, now, prepared)
	})
	if err != nil {
		return halt(err)
	}
	rq.Header.Set("ETag", webmachine.StrongETag(blobID(body)).String())
	return nil
}

// StoreObject writes body as the object at segs inside tx, with its
// property file (new as robur creates it, or updated keeping
// creationdate), and touches the parent's getlastmodified. The parent must
// exist; callers check permissions and content.
func StoreObject(tx *gitstore.Txn, segs []string, body []byte, contentType string, now time.Time) error {
	existing, err := lookup(tx, segs, nil)
	if err != nil {
		return err
	}
	return storeObject(tx, nil, segs, existing, body, contentType, now, nil)
}

// storeObject is StoreObject with the existing node already looked up,
// and the property file prepared before the batch when there is one.
func storeObject(tx *gitstore.Txn, log *slog.Logger, segs []string, existing *Node, body []byte, ct string, now time.Time, prepared *preparedProps) error {
	if err := tx.Write(repoPath(segs), body); err != nil {
		return fmt.Errorf("dav: writing /%s: %w", repoPath(segs), err)
	}
	if prepared != nil && prepared.ct == ct && prepared.length == len(body) && prepared.from == propFileID(tx, segs) {
		if err := tx.Write(propPathOf(segs, false), prepared.data); err != nil {
			return fmt.Errorf("dav: writing properties of /%s: %w", repoPath(segs), err)
		}
	} else if err := writeProps(tx, segs, false, objectProps(existing, segs, ct, len(body), now)); err != nil {
		return err
	}
	return touchParent(tx, log, segs, now)
}

// objectProps returns the properties of an object stored with content
// type ct and length bytes: the existing object's, updated, or new ones
// as robur makes them.
func objectProps(existing *Node, segs []string, ct string, length int, now time.Time) *propfile.Props {
	if existing != nil && !existing.Collection {
		props := existing.Props().Clone()
		props.Set(propfile.TextProperty(PropLastModified, propfile.FormatTimestamp(now)))
		props.Set(propfile.TextProperty(PropContentType, ct))
		props.Set(propfile.TextProperty(PropContentLength, strconv.Itoa(length)))
		return props
	}
	acl := []propfile.ACE{{Principal: propfile.Principal{Kind: propfile.PrincipalAll}, Kind: propfile.Inherited,
		InheritedFrom: hrefOf(parentSegs(segs), true)}}
	return newProps(now, "/"+repoPath(segs), ct, int64(length), acl, nil)
}

// preparedProps is an object's property file encoded before the batch
// that stores the object: encoding it is most of what a PUT does under
// the store's write lock otherwise. It holds while the object's property
// file is still the one it was made from (from: its blob id, "" for a
// new object) and the content type and length are those stored.
type preparedProps struct {
	from   string
	ct     string
	length int
	data   []byte
}

// prepareProps encodes the property file of the object at segs as read
// from rd, where it is existing (nil when new).
func prepareProps(rd Reader, segs []string, existing *Node, ct string, length int, now time.Time) *preparedProps {
	if existing != nil && existing.Collection {
		return nil
	}
	p := objectProps(existing, segs, ct, length, now)
	p.Delete(PropETag)
	return &preparedProps{from: propFileID(rd, segs), ct: ct, length: length, data: p.Marshal()}
}

// propFileID is the blob id of the property file of the object at segs
// ("" when it has none).
func propFileID(rd Reader, segs []string) string {
	e, err := rd.Stat(propPathOf(segs, false))
	if err != nil || e.Dir {
		return ""
	}
	return e.Hash
}

// current looks the target up inside a batch: it must still exist and
// still pass If-Match, If-None-Match and If (another write may have won
// the race since the request's snapshot).
func (r *resource) current(ctx context.Context, tx *gitstore.Txn) (*Node, error) {
	n, err := lookup(tx, r.segs, r.s.logger())
	if err != nil {
		return nil, err
	}
	if n == nil {
		return nil, errNotFound
	}
	if err := recheckPreconditions(r.c.HTTP, n); err != nil {
		return nil, err
	}
	if err := r.recheckIf(ctx, tx, n); err != nil {
		return nil, err
	}
	return n, nil
}

// recheckPreconditions repeats If-Match and If-None-Match against the
// state inside a batch, so a write that raced ahead of this one since the
// snapshot cannot be overwritten unnoticed.
func recheckPreconditions(r *http.Request, existing *Node) error {
	failed := Errorf(http.StatusPreconditionFailed, "the resource changed")
	if v := r.Header.Get("If-Match"); v != "" {
		if existing == nil {
			return failed
		}
		if strings.TrimSpace(v) != "*" && !strings.Contains(v, existing.ETag()) {
			return failed
		}
	}
	if v := r.Header.Get("If-None-Match"); v != "" && existing != nil {
		if strings.TrimSpace(v) == "*" || strings.Contains(v, existing.Hash) {
			return failed
		}
	}
	return nil
}

// DeleteResource removes the target (recursively for a collection) in one
// commit.
func (r *resource) DeleteResource(ctx context.Context, _ *webmachine.Request) (bool, error) {
	if len(r.segs) < 2 {
		return false, halt(Errorf(http.StatusForbidden, "the top-level collections cannot be deleted"))
	}
	now := r.s.now()
	err := r.s.update(ctx, r.c, func(tx *gitstore.Txn) error {
		n, err := r.current(ctx, tx)
		if err != nil {
			return err
		}
		if err := removeNode(tx, n); err != nil {
			return err
		}
		return touchParent(tx, r.s.logger(), r.segs, now)
	})
	if err != nil {
		return false, halt(err)
	}
	return true, nil
}

// removeNode deletes a node and its property file.
func removeNode(tx *gitstore.Txn, n *Node) error {
	if err := tx.Remove(n.Path()); err != nil {
		return fmt.Errorf("dav: removing /%s: %w", n.Path(), err)
	}
	if !n.Collection {
		if err := tx.Remove(n.PropPath()); err != nil && tx.Exists(n.PropPath()) {
			return fmt.Errorf("dav: removing %s: %w", n.PropPath(), err)
		}
	}
	return nil
}

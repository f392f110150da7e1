package dav

import (
	"context"
	"net/http"

	"github.com/gocaldav/gocaldav/dav/propfile"
	"github.com/gocaldav/gocaldav/gitstore"
	"github.com/gocaldav/gocaldav/webmachine"
)

// CreateCollection answers MKCOL (RFC 4918 §9.3), extended MKCOL
// (RFC 5689) and the registered collection makers such as MKCALENDAR on a
// missing resource, in one commit.
func (r *resource) CreateCollection(ctx context.Context, rq *webmachine.Request) (int, error) {
	method := r.c.HTTP.Method
	maker := r.s.registry().makers[method]
	rootName := DAVName("mkcol")
	var types []Name
	if maker != nil {
		rootName, types = maker.Root, maker.Types
	}
	limits := r.s.Limits.orDefault()
	body, err := readBody(r.c.HTTP, limits)
	if err != nil {
		return 0, halt(err)
	}
	root, err := parseXML(body, limits)
	if err != nil {
		return 0, halt(Errorf(http.StatusUnsupportedMediaType, "%s body is not XML this server understands", method))
	}
	if root != nil && !is(root, rootName) {
		return 0, halt(Errorf(http.StatusUnsupportedMediaType, "%s body must be a %s element", method, clark(rootName)))
	}
	var updates []propUpdate
	if root != nil {
		for _, set := range root.ChildElements() {
			if !is(set, DAVName("set")) {
				continue
			}
			if prop := child(set, DAVName("prop")); prop != nil {
				for _, p := range prop.ChildElements() {
					updates = append(updates, propUpdate{prop: propertyOf(p)})
				}
			}
		}
	}
	if len(r.segs) < 2 {
		return 0, halt(Errorf(http.StatusForbidden, "collections are created inside /calendars/ or /principals/"))
	}
	now := r.s.now()
	var statuses []updateResult
	err = r.s.update(ctx, r.c, func(tx *gitstore.Txn) error {
		log := r.s.logger()
		parent, err := lookup(tx, parentSegs(r.segs), log)
		if err != nil {
			return err
		}
		if parent == nil {
			return Errorf(http.StatusConflict, "the parent collection does not exist")
		}
		if !parent.Collection {
			return errNotCollection
		}
		if existing, err := lookup(tx, r.segs, log); err != nil || existing != nil {
			if err != nil {
				return err
			}
			return Precondition(http.StatusForbidden, DAVName("resource-must-be-null"), "the resource exists")
		}
		if maker != nil && maker.Check != nil {
			if err := maker.Check(ctx, r.c, parent); err != nil {
				return err
			}
		}
		typeNodes := []propfile.Node{elem(DAVName("collection"))}
		for _, t := range types {
			typeNodes = append(typeNodes, elem(t))
		}
		var acl []propfile.ACE
		if r.c.User != nil {
			acl = []propfile.ACE{{Principal: propfile.Principal{Kind: propfile.PrincipalHref, Href: r.c.User.Href},
				Kind: propfile.Grant, Privileges: []propfile.Privilege{propfile.PrivAll}}}
		}
		props := newProps(now, hrefOf(r.segs, true), "text/directory", 0, acl, typeNodes)
		if maker != nil && maker.Defaults != nil {
			for _, p := range maker.Defaults() {
				props.Set(p)
			}
		}
		node := &Node{Segs: r.segs, Collection: true, rd: tx, log: log, props: props}
		var ok bool
		statuses, ok, err = r.s.applyUpdates(ctx, r.c, node, props, updates, true)
		if err != nil {
			return err
		}
		if !ok {
			return errMkcolProps
		}
		if err := r.checkTypes(ctx, parent, props); err != nil {
			return err
		}
		if err := writeProps(tx, r.segs, true, props); err != nil {
			return err
		}
		return touchParent(tx, log, r.segs, now)
	})
	if err == errMkcolProps {
		// RFC 5689 §3.2 and RFC 4791 §5.3.1.2: the propstats go in a
		// DAV:mkcol-response (C:mkcalendar-response) element.
		root := DAVName("mkcol-response")
		if maker != nil {
			root = Name{Space: maker.Root.Space, Local: maker.Root.Local + "-response"}
		}
		body := PropstatDocument(root, func(resp *Response) { writeUpdateResults(resp, updates, statuses) })
		setXMLBody(rq, body)
		return http.StatusForbidden, nil
	}
	if err != nil {
		return 0, halt(err)
	}
	rq.Header.Set("Location", hrefOf(r.segs, true))
	return http.StatusCreated, nil
}

// errMkcolProps aborts a creation whose properties could not all be set.
var errMkcolProps = Errorf(http.StatusForbidden, "properties could not be set")

// checkTypes passes the new collection's resource types to the hook.
func (r *resource) checkTypes(ctx context.Context, parent *Node, props *propfile.Props) error {
	if r.s.Hooks.CheckMkcol == nil {
		return nil
	}
	var types []Name
	if rt, ok := props.Get(PropResourceType); ok {
		for _, v := range rt.Value {
			if !v.IsText {
				types = append(types, v.Name)
			}
		}
	}
	return r.s.Hooks.CheckMkcol(ctx, r.c, parent, types)
}

// RefuseCreate answers MKCALENDAR (or MKCOL) on an existing resource with
// DAV:resource-must-be-null (RFC 4791 §5.3.1.1).
func (r *resource) RefuseCreate(context.Context, *webmachine.Request) error {
	return halt(Precondition(http.StatusForbidden, DAVName("resource-must-be-null"), "the resource exists"))
}

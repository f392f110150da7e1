package dav

import (
	"context"
	"errors"
	"net/http"

	"github.com/beevik/etree"

	"github.com/gocaldav/gocaldav/dav/propfile"
	"github.com/gocaldav/gocaldav/gitstore"
	"github.com/gocaldav/gocaldav/webmachine"
)

// propUpdate is one set or remove of a PROPPATCH, in document order.
type propUpdate struct {
	remove bool
	prop   propfile.Property
}

// parsePropertyUpdate reads a DAV:propertyupdate body (RFC 4918 §14.19).
func parsePropertyUpdate(root *etree.Element) ([]propUpdate, error) {
	if root == nil || !is(root, DAVName("propertyupdate")) {
		return nil, Errorf(http.StatusBadRequest, "PROPPATCH body must be a DAV:propertyupdate element")
	}
	var out []propUpdate
	for _, op := range root.ChildElements() {
		remove := is(op, DAVName("remove"))
		if !remove && !is(op, DAVName("set")) {
			continue
		}
		prop := child(op, DAVName("prop"))
		if prop == nil {
			return nil, Errorf(http.StatusBadRequest, "DAV:%s without DAV:prop", op.Tag)
		}
		for _, p := range prop.ChildElements() {
			out = append(out, propUpdate{remove: remove, prop: propertyOf(p)})
		}
	}
	if len(out) == 0 {
		return nil, Errorf(http.StatusBadRequest, "DAV:propertyupdate changes nothing")
	}
	return out, nil
}

// propertyOf converts a property element from a request body into the
// stored form: its attributes (namespace declarations included, as robur
// keeps them) and its children.
func propertyOf(e *etree.Element) propfile.Property {
	n := propfile.FromElement(e)
	return propfile.Property{Name: n.Name, Attrs: n.Attrs, Value: n.Children}
}

// updateResult is the outcome of one property update: its status and,
// for a failure an RFC names, the condition element.
type updateResult struct {
	Status int
	Cond   Name
}

// applyUpdates applies updates to props atomically: on any failure props
// is left as it was. It returns each property's result: 200, 403
// DAV:cannot-modify-protected-property for a protected property, the
// Check's status and condition, or 424 for the rest once one failed.
func (s *Server) applyUpdates(ctx context.Context, c *Call, n *Node, props *propfile.Props, updates []propUpdate, creating bool) ([]updateResult, bool, error) {
	reg := s.registry()
	statuses := make([]updateResult, len(updates))
	work := props.Clone()
	failed := false
	for i, u := range updates {
		def := reg.props[u.prop.Name]
		switch {
		case def != nil && def.Protected && !(creating && (u.prop.Name == PropResourceType || def.SetOnCreate)):
			statuses[i], failed = updateResult{http.StatusForbidden, DAVName("cannot-modify-protected-property")}, true
		case !u.remove && def != nil && def.Check != nil:
			if err := def.Check(ctx, c, n, u.prop); err != nil {
				var de *Error
				if !errors.As(err, &de) || de.Status == http.StatusBadRequest {
					return nil, false, err // internal, or a malformed request as a whole
				}
				statuses[i], failed = updateResult{de.Status, de.Cond}, true
				continue
			}
			fallthrough
		default:
			statuses[i] = updateResult{Status: http.StatusOK}
			switch {
			case u.remove:
				work.Delete(u.prop.Name)
			case def != nil && def.Normalize != nil:
				work.Set(def.Normalize(u.prop))
			default:
				work.Set(u.prop)
			}
		}
	}
	if failed {
		for i, st := range statuses {
			if st.Status == http.StatusOK {
				statuses[i] = updateResult{Status: http.StatusFailedDependency}
			}
		}
		return statuses, false, nil
	}
	*props = *work
	return statuses, true, nil
}

// writeUpdateResults lists each updated property under its status, with
// the condition element of a failure in that propstat's DAV:error.
func writeUpdateResults(resp *Response, updates []propUpdate, results []updateResult) {
	for i, u := range updates {
		resp.Name(results[i].Status, u.prop.Name)
		if results[i].Cond.Local != "" {
			resp.PropstatError(results[i].Status, results[i].Cond)
		}
	}
}

// PropPatch answers PROPPATCH (RFC 4918 §9.2): all updates or none, in one
// commit.
func (r *resource) PropPatch(ctx context.Context, rq *webmachine.Request) (int, error) {
	root, err := r.readXML()
	if err != nil {
		return 0, halt(err)
	}
	updates, err := parsePropertyUpdate(root)
	if err != nil {
		return 0, halt(err)
	}
	var statuses []updateResult
	err = r.s.update(ctx, r.c, func(tx *gitstore.Txn) error {
		n, err := r.current(ctx, tx)
		if err != nil {
			return err
		}
		props := n.Props().Clone()
		var ok bool
		statuses, ok, err = r.s.applyUpdates(ctx, r.c, n, props, updates, false)
		if err != nil || !ok {
			return err
		}
		return writeProps(tx, n.Segs, n.Collection, props)
	})
	if err != nil {
		return 0, halt(err)
	}
	n, _ := r.target()
	ms := NewMultistatus()
	writeUpdateResults(ms.Add(n.Href()), updates, statuses)
	rq.Header.Set("Content-Type", xmlContentType)
	setBody(rq, ms)
	return http.StatusMultiStatus, nil
}

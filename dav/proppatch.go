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

// applyUpdates applies updates to props atomically: on any failure props
// is left as it was. It returns each property's status: 200, 403 for a
// protected property, the Check's status, or 424 for the rest once one
// failed.
func (s *Server) applyUpdates(ctx context.Context, c *Call, n *Node, props *propfile.Props, updates []propUpdate, creating bool) ([]int, bool, error) {
	reg := s.registry()
	statuses := make([]int, len(updates))
	work := props.Clone()
	failed := false
	for i, u := range updates {
		def := reg.props[u.prop.Name]
		switch {
		case def != nil && def.Protected && !(creating && (u.prop.Name == PropResourceType || def.SetOnCreate)):
			statuses[i], failed = http.StatusForbidden, true
		case !u.remove && def != nil && def.Check != nil:
			if err := def.Check(ctx, c, n, u.prop); err != nil {
				var de *Error
				if !errors.As(err, &de) || de.Status == http.StatusBadRequest {
					return nil, false, err // internal, or a malformed request as a whole
				}
				statuses[i], failed = de.Status, true
				continue
			}
			fallthrough
		default:
			statuses[i] = http.StatusOK
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
			if st == http.StatusOK {
				statuses[i] = http.StatusFailedDependency
			}
		}
		return statuses, false, nil
	}
	*props = *work
	return statuses, true, nil
}

// PropPatch answers PROPPATCH (RFC 4918 §9.2): all updates or none, in one
// commit.
func (r *resource) PropPatch(ctx context.Context, rq *webmachine.Request) (int, error) {
	body, err := readBody(r.c.HTTP, r.s.Limits.orDefault())
	if err != nil {
		return 0, halt(err)
	}
	root, err := parseXML(body, r.s.Limits.orDefault())
	if err != nil {
		return 0, halt(err)
	}
	updates, err := parsePropertyUpdate(root)
	if err != nil {
		return 0, halt(err)
	}
	var statuses []int
	err = r.s.update(ctx, r.c, func(tx *gitstore.Txn) error {
		n, err := lookup(tx, r.segs, r.s.logger())
		if err != nil {
			return err
		}
		if n == nil {
			return errNotFound
		}
		if err := recheckPreconditions(r.c.HTTP, n); err != nil {
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
	resp := ms.Add(n.Href())
	for i, u := range updates {
		resp.Name(statuses[i], u.prop.Name)
	}
	setXMLBody(rq, ms.Bytes())
	return http.StatusMultiStatus, nil
}

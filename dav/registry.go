package dav

import (
	"context"
	"errors"
	"net/http"
	"sort"

	"github.com/beevik/etree"

	"github.com/gocaldav/gocaldav/dav/propfile"
)

// Property errors a getter returns to place a property in a 404 or 403
// propstat instead of giving a value.
var (
	ErrPropNotFound  = errors.New("dav: property not defined on this resource")
	ErrPropForbidden = errors.New("dav: property not readable")
)

// Property describes a property the server knows (live or with rules);
// any other property is dead and stored as sent.
type Property struct {
	Name Name
	// Protected properties cannot be set or removed by PROPPATCH (403).
	Protected bool
	// SetOnCreate lets a request that creates a collection (MKCOL,
	// MKCALENDAR) set a Protected property, such as
	// CALDAV:supported-calendar-component-set (RFC 4791 §5.2.3).
	SetOnCreate bool
	// Hidden properties are left out of allprop (RFC 4918 §9.1 lets a
	// server omit expensive or sensitive ones); they are still returned
	// when asked for by name.
	Hidden bool
	// Get computes the value on n. Nil means the stored value is used.
	Get func(ctx context.Context, c *Call, n *Node) (propfile.Property, error)
	// Check validates a PROPPATCH set of the property before it is
	// stored (an *Error refuses it). Nil accepts any value.
	Check func(ctx context.Context, c *Call, n *Node, p propfile.Property) error
	// Normalize, when set, rewrites a checked value into the form stored
	// (for example an RFC 3744 ACL into robur's).
	Normalize func(p propfile.Property) propfile.Property
}

// Report answers one REPORT type, named by the root element of its body.
type Report struct {
	Name Name
	// Applies reports whether the report can run on n; it decides the
	// supported-report-set.
	Applies func(n *Node) bool
	// Run answers the report; it returns the status and the body.
	Run func(ctx context.Context, c *Call, n *Node, body *etree.Element) (status int, out Body, err error)
	// Privilege is what the user needs on the request URI to run the
	// report; empty means DAV:read.
	Privilege Privilege
	// Conceal answers 404 rather than 403 to a user without Privilege,
	// so the resource's existence is not revealed (RFC 4791 §7.10).
	Conceal bool
	// ContentType is the media type of Run's body; empty means XML.
	ContentType string
}

// Registry holds the properties and reports a server knows. The dav
// package registers the RFC 4918 ones; others (caldav) add theirs.
type Registry struct {
	props      map[Name]*Property
	reports    map[Name]*Report
	makers     map[string]*CollectionMaker
	searchable []SearchableProperty
}

// NewRegistry returns a registry with the WebDAV core properties.
func NewRegistry() *Registry {
	r := &Registry{props: map[Name]*Property{}, reports: map[Name]*Report{}, makers: map[string]*CollectionMaker{}}
	registerCore(r)
	return r
}

// AddProperty registers or replaces a property.
func (r *Registry) AddProperty(p Property) { r.props[p.Name] = &p }

// Property returns the registered property, or nil.
func (r *Registry) Property(n Name) *Property { return r.props[n] }

// AddReport registers or replaces a report.
func (r *Registry) AddReport(rep Report) { r.reports[rep.Name] = &rep }

// SearchableProperty is a principal property DAV:principal-property-search
// can search (RFC 3744 §9.5).
type SearchableProperty struct {
	Name Name
	// Description tells people what the property holds (in English).
	Description string
}

// AddSearchableProperty makes a principal property searchable by
// DAV:principal-property-search; it is listed by
// DAV:principal-search-property-set in the order added.
func (r *Registry) AddSearchableProperty(p SearchableProperty) {
	for i, q := range r.searchable {
		if q.Name == p.Name {
			r.searchable[i] = p
			return
		}
	}
	r.searchable = append(r.searchable, p)
}

// AddCollectionMaker registers a method that creates a kind of collection
// (MKCALENDAR).
func (r *Registry) AddCollectionMaker(m CollectionMaker) { r.makers[m.Method] = &m }

// reportsFor lists the reports that apply to n, sorted by name.
func (r *Registry) reportsFor(n *Node) []Name {
	var out []Name
	for name, rep := range r.reports {
		if rep.Applies == nil || rep.Applies(n) {
			out = append(out, name)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Space != out[j].Space {
			return out[i].Space < out[j].Space
		}
		return out[i].Local < out[j].Local
	})
	return out
}

// liveNames lists the registered properties computed on every resource
// (with a getter), sorted, for allprop and propname.
func (r *Registry) liveNames() []Name {
	var out []Name
	for name, p := range r.props {
		if p.Get != nil {
			out = append(out, name)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Space != out[j].Space {
			return out[i].Space < out[j].Space
		}
		return out[i].Local < out[j].Local
	})
	return out
}

// get reads one property of n: computed, stored or missing.
func (r *Registry) get(ctx context.Context, c *Call, n *Node, name Name) (propfile.Property, error) {
	if p := r.props[name]; p != nil && p.Get != nil {
		return p.Get(ctx, c, n)
	}
	if v, ok := n.Props().Get(name); ok {
		return v, nil
	}
	return propfile.Property{}, ErrPropNotFound
}

// CollectionMaker is a method that creates a special collection, such as
// MKCALENDAR (RFC 4791 §5.3.1).
type CollectionMaker struct {
	// Method is the HTTP method.
	Method string
	// Root is the name of the request body's root element.
	Root Name
	// Types are the resourcetype elements added to DAV:collection.
	Types []Name
	// Check refuses creation under parent (an *Error), e.g. a calendar
	// inside a calendar.
	Check func(ctx context.Context, c *Call, parent *Node) error
	// Defaults are properties every new collection of this kind gets
	// unless the request sets them.
	Defaults func() []propfile.Property
}

// statusOf maps a getter error to its propstat status.
func statusOf(err error) int {
	switch {
	case errors.Is(err, ErrPropNotFound):
		return http.StatusNotFound
	case errors.Is(err, ErrPropForbidden):
		return http.StatusForbidden
	}
	return http.StatusInternalServerError
}

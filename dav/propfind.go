package dav

import (
	"context"
	"io"
	"net/http"
	"strings"

	"github.com/beevik/etree"

	"github.com/gocaldav/gocaldav/webmachine"
)

// propRequest is what a PROPFIND (or a REPORT's DAV:prop) asks for.
type propRequest struct {
	// names are the properties asked for by name (prop, or allprop's include).
	names []Name
	// all is true for allprop, nameOnly for propname.
	all, nameOnly bool
}

// parsePropfind reads a PROPFIND body (RFC 4918 §14.20). An empty body is
// allprop.
func parsePropfind(root *etree.Element) (propRequest, error) {
	if root == nil {
		return propRequest{all: true}, nil
	}
	if !is(root, DAVName("propfind")) {
		return propRequest{}, Errorf(http.StatusBadRequest, "PROPFIND body must be a DAV:propfind element, not %s", clark(nameOf(root)))
	}
	req, found := propRequestOf(root)
	if !found {
		return propRequest{}, Errorf(http.StatusBadRequest, "DAV:propfind needs prop, allprop or propname")
	}
	return req, nil
}

// propRequestOf reads the prop, allprop, propname and include children of
// a PROPFIND or REPORT body; found is false when there is none.
func propRequestOf(root *etree.Element) (req propRequest, found bool) {
	for _, c := range root.ChildElements() {
		switch {
		case is(c, DAVName("prop")):
			req.names, found = propNames(c), true
		case is(c, DAVName("allprop")):
			req.all, found = true, true
		case is(c, DAVName("propname")):
			req.nameOnly, found = true, true
		case is(c, DAVName("include")):
			req.names = append(req.names, propNames(c)...)
		}
	}
	return req, found
}

// propNames lists the names of e's child elements.
func propNames(e *etree.Element) []Name {
	kids := e.ChildElements()
	out := make([]Name, 0, len(kids))
	for _, c := range kids {
		out = append(out, nameOf(c))
	}
	return out
}

// parseDepth reads the Depth header: "0", "1" or "infinity". A missing
// header is absent (def is used).
func parseDepth(r *http.Request, def string) (string, error) {
	v := strings.ToLower(strings.TrimSpace(r.Header.Get("Depth")))
	if v == "" {
		return def, nil
	}
	switch v {
	case "0", "1", "infinity":
		return v, nil
	}
	return "", Errorf(http.StatusBadRequest, "Depth must be 0, 1 or infinity")
}

// PropFind answers PROPFIND with Depth 0 or 1 (RFC 4918 §9.1); infinity
// is refused with 403 DAV:propfind-finite-depth. A request without Depth
// is served as Depth 1 rather than refused.
func (r *resource) PropFind(ctx context.Context, rq *webmachine.Request) (int, error) {
	depth, err := parseDepth(r.c.HTTP, "1")
	if err != nil {
		return 0, halt(err)
	}
	if depth == "infinity" {
		return 0, halt(Precondition(http.StatusForbidden, DAVName("propfind-finite-depth"), "Depth: infinity is not supported"))
	}
	root, err := r.readXML()
	if err != nil {
		return 0, halt(err)
	}
	req, err := parsePropfind(root)
	if err != nil {
		return 0, halt(err)
	}
	n, err := r.target()
	if err != nil {
		return 0, err
	}
	nodes := []*Node{n}
	if depth == "1" && n.Collection {
		kids, err := children(r.c.Snapshot, n)
		if err != nil {
			return 0, err
		}
		for _, k := range kids {
			ok, err := r.s.AllowedNode(ctx, r.c, k, "read")
			if err != nil {
				return 0, err
			}
			if ok {
				nodes = append(nodes, k)
			}
		}
	}
	rq.Header.Set("Content-Type", xmlContentType)
	if len(nodes) > streamAbove {
		// The answer is sent as it is encoded: the client reads the
		// first responses while the last are made. A failure half-way
		// can then no longer change the status: the connection is
		// broken off (see webmachine.Request.SetStream).
		rq.SetStream(func(w io.Writer) error {
			ms := NewMultistatus()
			ms.StreamTo(w)
			if err := r.propResponses(ctx, ms, nodes, req); err != nil {
				return err
			}
			return ms.Close()
		})
		return http.StatusMultiStatus, nil
	}
	ms := NewMultistatus()
	if err := r.propResponses(ctx, ms, nodes, req); err != nil {
		return 0, err
	}
	setBody(rq, ms)
	return http.StatusMultiStatus, nil
}

// streamAbove is the number of resources past which a PROPFIND answer is
// streamed rather than sent with its length.
var streamAbove = 256

// propResponses adds the responses for nodes to ms.
func (r *resource) propResponses(ctx context.Context, ms *Multistatus, nodes []*Node, req propRequest) error {
	for i, node := range nodes {
		Pace(i)
		if _, err := r.s.propResponse(ctx, r.c, ms, node, req); err != nil {
			return err
		}
	}
	return nil
}

// setXMLBody sets an XML response body.
func setXMLBody(rq *webmachine.Request, b []byte) {
	rq.Header.Set("Content-Type", xmlContentType)
	rq.SetBody(b)
}

// setBody makes body the response, sent as it is held (a multistatus in
// pieces) with its length known.
func setBody(rq *webmachine.Request, body Body) {
	rq.SetSizedStream(body.Size(), func(w io.Writer) error {
		_, err := body.WriteTo(w)
		return err
	})
}

// propResponse adds n's response for req to ms and returns it.
func (s *Server) propResponse(ctx context.Context, c *Call, ms *Multistatus, n *Node, req propRequest) (*Response, error) {
	resp := ms.Add(n.Href())
	reg := s.registry()
	if req.nameOnly {
		for _, name := range s.allNames(n, true) {
			resp.Name(http.StatusOK, name)
		}
		return resp, nil
	}
	names := req.names
	if req.all {
		names = appendMissing(s.allNames(n, false), req.names)
	}
	for _, name := range names {
		p, err := reg.get(ctx, c, n, name)
		if err != nil {
			st := statusOf(err)
			if st == http.StatusInternalServerError {
				return nil, err
			}
			if !req.all || containsName(req.names, name) {
				resp.Name(st, name)
			}
			continue
		}
		p.Name = name
		resp.Prop(http.StatusOK, p)
	}
	return resp, nil
}

// allNames lists n's properties for allprop (hidden ones left out) or
// propname (all of them, secrets excepted).
func (s *Server) allNames(n *Node, withHidden bool) []Name {
	reg := s.registry()
	var out []Name
	seen := map[Name]bool{}
	add := func(name Name) {
		if seen[name] {
			return
		}
		seen[name] = true
		p := reg.props[name]
		if p != nil && p.Hidden && (!withHidden || name == PropPassword || name == PropSalt) {
			return
		}
		out = append(out, name)
	}
	for _, name := range reg.liveNames() {
		add(name)
	}
	for _, name := range n.Props().Names() {
		add(name)
	}
	return out
}

func containsName(list []Name, n Name) bool {
	for _, v := range list {
		if v == n {
			return true
		}
	}
	return false
}

// appendMissing appends the names of extra not already in list.
func appendMissing(list, extra []Name) []Name {
	for _, n := range extra {
		if !containsName(list, n) {
			list = append(list, n)
		}
	}
	return list
}

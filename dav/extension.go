package dav

import (
	"context"
	"github.com/gocaldav/gocaldav/gitstore"
	"runtime"

	"github.com/beevik/etree"
)

// This file exports what an application on top of dav (caldav) needs to
// answer its own reports and validate content: node lookup in a snapshot
// or batch, and PROPFIND-style property responses.

// Lookup finds the node at segs in rd (a snapshot, or a batch in
// progress); nil when it does not exist.
func (s *Server) Lookup(rd Reader, segs []string) (*Node, error) {
	return lookup(rd, segs, s.logger())
}

// Children lists the members of collection n, read from where n was
// found; property files are left out.
func (n *Node) Children() ([]*Node, error) { return children(n.rd, n) }

// Parent returns n's parent collection, read from where n was found; nil
// for the root or when it is missing.
func (n *Node) Parent() (*Node, error) {
	if len(n.Segs) == 0 {
		return nil, nil
	}
	return lookup(n.rd, parentSegs(n.Segs), n.log)
}

// HrefSegments parses an href from a request body (absolute URL or
// absolute path) into decoded path segments; a malformed one is an *Error.
func HrefSegments(href string) ([]string, error) { return hrefSegments(href) }

// Allowed reports whether the call's user holds privilege priv on the
// resource at segs, as the server's Access decides.
func (s *Server) Allowed(ctx context.Context, c *Call, segs []string, priv string) (bool, error) {
	return s.access().Allowed(ctx, c.Snapshot, c.User, segs, priv)
}

// AllowedNode is Allowed for a node read from c.Snapshot, such as a
// member of a listing: with the access control lists it costs no path
// lookup, and the decisions on the collections ACLs inherit from are
// kept for the rest of the request.
func (s *Server) AllowedNode(ctx context.Context, c *Call, n *Node, priv string) (bool, error) {
	if na, ok := s.access().(nodeAccess); ok {
		return na.AllowedNode(ctx, c.Snapshot, c.User, n, priv, &c.acl)
	}
	return s.access().Allowed(ctx, c.Snapshot, c.User, n.Segs, priv)
}

// PropRequest is what a PROPFIND-style body asks for: DAV:prop names,
// DAV:allprop (with DAV:include) or DAV:propname.
type PropRequest struct{ req propRequest }

// ParsePropRequest reads the DAV:prop, DAV:allprop, DAV:include and
// DAV:propname children of a REPORT body (RFC 4791 §7.8 models its
// reports on PROPFIND). Names for which skip returns true are left out so
// the report can answer them itself (CALDAV:calendar-data). found is false
// when the body asks for no properties.
func ParsePropRequest(root *etree.Element, skip func(Name) bool) (pr PropRequest, found bool) {
	req, found := propRequestOf(root)
	if skip != nil {
		kept := req.names[:0:0]
		for _, n := range req.names {
			if !skip(n) {
				kept = append(kept, n)
			}
		}
		req.names = kept
	}
	return PropRequest{req: req}, found
}

// NameOnly reports whether the request is DAV:propname.
func (pr PropRequest) NameOnly() bool { return pr.req.nameOnly }

// PropResponse adds n's response for pr to ms, exactly as PROPFIND would
// answer it, and returns it so the caller can add more.
func (s *Server) PropResponse(ctx context.Context, c *Call, ms *Multistatus, n *Node, pr PropRequest) (*Response, error) {
	return s.propResponse(ctx, c, ms, n, pr.req)
}

// Commit is the commit the node was read from: its snapshot's, or for a
// batch in progress the batch's base ("" when unknown).
func (n *Node) Commit() string {
	switch r := n.rd.(type) {
	case *gitstore.Snapshot:
		return r.Commit()
	case *gitstore.Txn:
		return r.Base().Commit()
	}
	return ""
}

// PendingNames returns the names of the collection's members that the
// batch the node was read from has changed so far, for a caller that
// keeps an index of the batch's base commit (see Commit); all is true
// when the collection itself is new or replaced in the batch. A node read
// from a snapshot has none.
func (n *Node) PendingNames() (names []string, all bool, err error) {
	tx, ok := n.rd.(*gitstore.Txn)
	if !ok {
		return nil, false, nil
	}
	return tx.ChangedNames(n.Path())
}

// HrefOf is the escaped href of the resource at segs ("/a/b", or "/a/b/"
// for a collection).
func HrefOf(segs []string, collection bool) string { return hrefOf(segs, collection) }

// Pace is called at each step of a loop over a collection's members (i
// counts the steps). Every 128th call yields the processor, so that a
// report over 10,000 members does not make a small request that arrives
// meanwhile wait for the scheduler to preempt it (Go preempts a running
// goroutine only every 10 ms, and each wait can repeat).
func Pace(i int) {
	if i%128 == 127 {
		runtime.Gosched()
	}
}

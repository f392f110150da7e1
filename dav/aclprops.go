package dav

import (
	"context"
	"net/http"

	"github.com/gocaldav/gocaldav/dav/propfile"
	"github.com/gocaldav/gocaldav/gitstore"
	"github.com/gocaldav/gocaldav/webmachine"
)

// Property names of RFC 3744 access control and principals.
var (
	PropOwner                  = DAVName("owner")
	PropSupportedPrivilegeSet  = DAVName("supported-privilege-set")
	PropACLRestrictions        = DAVName("acl-restrictions")
	PropInheritedACLSet        = DAVName("inherited-acl-set")
	PropPrincipalCollectionSet = DAVName("principal-collection-set")
	PropPrincipalURL           = DAVName("principal-URL")
	PropGroupMembership        = DAVName("group-membership")
	PropGroupMemberSet         = DAVName("group-member-set")
	PropAlternateURISet        = DAVName("alternate-URI-set")
)

// registerACLProps adds the RFC 3744 §5 properties. Robur leaves them out
// of allprop; so do we.
func registerACLProps(r *Registry) {
	r.AddProperty(Property{Name: PropACL, Hidden: true, Get: getACL, Check: checkACLProp, Normalize: normalizeACL})
	r.AddProperty(Property{Name: PropCurrentUserPrivileges, Protected: true, Hidden: true, Get: getCurrentUserPrivileges})
	r.AddProperty(Property{Name: PropSupportedPrivilegeSet, Protected: true, Hidden: true, Get: getSupportedPrivileges})
	r.AddProperty(Property{Name: PropOwner, Protected: true, Hidden: true, Get: getOwner})
	r.AddProperty(Property{Name: PropACLRestrictions, Protected: true, Hidden: true, Get: func(context.Context, *Call, *Node) (propfile.Property, error) {
		return value(PropACLRestrictions, elem(DAVName("no-invert"))), nil
	}})
	r.AddProperty(Property{Name: PropInheritedACLSet, Protected: true, Hidden: true, Get: getInheritedACLSet})
	r.AddProperty(Property{Name: PropPrincipalCollectionSet, Protected: true, Hidden: true, Get: func(context.Context, *Call, *Node) (propfile.Property, error) {
		return value(PropPrincipalCollectionSet, hrefNode("/"+PrincipalsDir+"/")), nil
	}})
}

// registerPrincipalProps adds the principal properties (RFC 3744 §4).
// Membership changes only through the administration API (root), so
// group-membership and group-member-set are protected (robur lets group
// members rewrite group-member-set, S5).
func registerPrincipalProps(r *Registry) {
	r.AddProperty(Property{Name: PropPrincipalURL, Protected: true, Get: getPrincipalURL})
	r.AddProperty(Property{Name: PropGroupMembership, Protected: true, Hidden: true})
	r.AddProperty(Property{Name: PropGroupMemberSet, Protected: true, Hidden: true})
	r.AddProperty(Property{Name: PropAlternateURISet, Protected: true, Hidden: true})
}

// allowed asks the server's Access whether the call's user holds priv on n.
func (c *Call) allowed(ctx context.Context, n *Node, priv Privilege) (bool, error) {
	return c.Server.access().Allowed(ctx, c.Snapshot, c.User, n.Segs, string(priv))
}

// getACL serves the stored ACL to principals holding read-acl.
func getACL(ctx context.Context, c *Call, n *Node) (propfile.Property, error) {
	ok, err := c.allowed(ctx, n, propfile.PrivReadACL)
	if err != nil {
		return propfile.Property{}, err
	}
	if !ok {
		return propfile.Property{}, ErrPropForbidden
	}
	v, found := n.Props().Get(PropACL)
	if !found {
		return value(PropACL), nil
	}
	return v, nil
}

// checkACLProp guards a PROPPATCH of DAV:acl (robur's way of setting ACLs):
// write-acl is required (robur checks only write-properties), and every
// href must be an existing principal, else the request is malformed.
func checkACLProp(ctx context.Context, c *Call, n *Node, p propfile.Property) error {
	ok, err := c.allowed(ctx, n, propfile.PrivWriteACL)
	if err != nil {
		return err
	}
	if !ok {
		return Errorf(http.StatusForbidden, "changing the ACL needs the write-acl privilege")
	}
	aces, perr := parseACEs(p.Value)
	if perr != nil {
		return Errorf(http.StatusBadRequest, "%s", perr.Msg)
	}
	if perr := checkPrincipalsExist(c.Snapshot, aces); perr != nil {
		return Errorf(http.StatusBadRequest, "%s", perr.Msg)
	}
	return nil
}

// normalizeACL stores a checked ACL in robur's form (one DAV:privilege
// element per grant or deny), which robur and DecodeACL read.
func normalizeACL(p propfile.Property) propfile.Property {
	aces, err := parseACEs(p.Value)
	if err != nil {
		return p
	}
	return propfile.Property{Name: PropACL, Value: propfile.EncodeACL(aces)}
}

// getCurrentUserPrivileges lists the user's privileges (RFC 3744 §5.4),
// readable with read-current-user-privilege-set (which read-acl holds).
func getCurrentUserPrivileges(ctx context.Context, c *Call, n *Node) (propfile.Property, error) {
	ok, err := c.allowed(ctx, n, propfile.PrivReadCurrentUserPrivilegeSet)
	if err != nil {
		return propfile.Property{}, err
	}
	if !ok {
		return propfile.Property{}, ErrPropForbidden
	}
	privs, err := privilegesOf(ctx, c.Server.access(), c.Snapshot, c.User, n.Segs)
	if err != nil {
		return propfile.Property{}, err
	}
	out := value(PropCurrentUserPrivileges)
	for _, p := range privs {
		out.Value = append(out.Value, elem(DAVName("privilege"), elem(p.Name())))
	}
	return out, nil
}

// getSupportedPrivileges describes the privilege tree (RFC 3744 §5.3).
func getSupportedPrivileges(context.Context, *Call, *Node) (propfile.Property, error) {
	var node func(p Privilege, abstract bool) propfile.Node
	node = func(p Privilege, abstract bool) propfile.Node {
		sp := elem(DAVName("supported-privilege"), elem(DAVName("privilege"), elem(p.Name())))
		if abstract {
			sp.Children = append(sp.Children, elem(DAVName("abstract")))
		}
		sp.Children = append(sp.Children, elem(DAVName("description"), propfile.TextNode(string(p))))
		for _, sub := range aggregates[p] {
			if p == propfile.PrivAll && (sub != propfile.PrivRead && sub != propfile.PrivWrite && sub != propfile.PrivReadACL && sub != propfile.PrivUnlock) {
				continue // listed under write or read-acl
			}
			sp.Children = append(sp.Children, node(sub, false))
		}
		return sp
	}
	return value(PropSupportedPrivilegeSet, node(propfile.PrivAll, false)), nil
}

// getOwner is the principal granted DAV:all by the first such ACE.
func getOwner(_ context.Context, _ *Call, n *Node) (propfile.Property, error) {
	if v, ok := n.Props().Get(PropOwner); ok {
		return v, nil
	}
	v, ok := n.Props().Get(PropACL)
	if ok {
		aces, _ := propfile.DecodeACL(v.Value)
		for _, a := range aces {
			if a.Kind == propfile.Grant && a.Principal.Kind == propfile.PrincipalHref && containsPriv(a.Privileges, propfile.PrivAll) {
				return value(PropOwner, hrefNode(a.Principal.Href)), nil
			}
		}
	}
	return propfile.Property{}, ErrPropNotFound
}

func containsPriv(list []Privilege, p Privilege) bool {
	for _, q := range list {
		if q == p {
			return true
		}
	}
	return false
}

// getInheritedACLSet lists the resources whose ACLs this one inherits.
func getInheritedACLSet(_ context.Context, _ *Call, n *Node) (propfile.Property, error) {
	out := value(PropInheritedACLSet)
	if v, ok := n.Props().Get(PropACL); ok {
		aces, _ := propfile.DecodeACL(v.Value)
		for _, a := range aces {
			if a.Kind == propfile.Inherited {
				out.Value = append(out.Value, hrefNode(a.InheritedFrom))
			}
		}
	}
	return out, nil
}

// getPrincipalURL is the stored principal-URL, or for a principal
// collection its own href.
func getPrincipalURL(_ context.Context, _ *Call, n *Node) (propfile.Property, error) {
	if v, ok := n.Props().Get(PropPrincipalURL); ok {
		return v, nil
	}
	if len(n.Segs) == 2 && n.Segs[0] == PrincipalsDir && n.Collection {
		return value(PropPrincipalURL, hrefNode(n.Href())), nil
	}
	return propfile.Property{}, ErrPropNotFound
}

// SetACL answers the ACL method (RFC 3744 §8.1): the body's ACEs replace
// the resource's own ones; inherited entries stay. Every principal must
// exist (403 DAV:recognized-principal). One commit.
func (r *resource) SetACL(ctx context.Context, rq *webmachine.Request) (int, error) {
	root, err := r.readXML()
	if err != nil {
		return 0, halt(err)
	}
	if root == nil || !is(root, DAVName("acl")) {
		return 0, halt(Errorf(http.StatusBadRequest, "the ACL method needs a DAV:acl body"))
	}
	aces, perr := parseACEs(propfile.FromElement(root).Children)
	if perr != nil {
		return 0, halt(perr)
	}
	err = r.s.update(ctx, r.c, func(tx *gitstore.Txn) error {
		n, err := r.current(ctx, tx)
		if err != nil {
			return err
		}
		if perr := checkPrincipalsExist(tx, aces); perr != nil {
			return perr
		}
		props := n.Props().Clone()
		all := append([]propfile.ACE(nil), aces...)
		if v, ok := props.Get(PropACL); ok {
			old, _ := propfile.DecodeACL(v.Value)
			for _, a := range old {
				if a.Kind == propfile.Inherited {
					all = append(all, a)
				}
			}
		}
		props.Set(propfile.Property{Name: PropACL, Value: propfile.EncodeACL(all)})
		return writeProps(tx, n.Segs, n.Collection, props)
	})
	if err != nil {
		return 0, halt(err)
	}
	return http.StatusOK, nil
}

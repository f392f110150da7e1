package dav

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/gocaldav/gocaldav/dav/propfile"
	"github.com/gocaldav/gocaldav/gitstore"
)

// Top-level collections of robur's layout.
const (
	PrincipalsDir = "principals"
	CalendarsDir  = "calendars"
)

// RootACL is robur's ACL of /principals/ (webdav_config.ml admin_acl):
// root may do everything, every principal may read.
func RootACL(admin string) []propfile.ACE {
	return []propfile.ACE{
		{Principal: propfile.Principal{Kind: propfile.PrincipalHref, Href: PrincipalHref(admin)}, Kind: propfile.Grant,
			Privileges: []propfile.Privilege{propfile.PrivAll}},
		{Principal: propfile.Principal{Kind: propfile.PrincipalAll}, Kind: propfile.Grant,
			Privileges: []propfile.Privilege{propfile.PrivRead}},
	}
}

// CalendarsACL is robur's ACL of /calendars/ (calendars_acl): root may do
// everything, every principal may read and create and remove members.
func CalendarsACL(admin string) []propfile.ACE {
	return []propfile.ACE{
		{Principal: propfile.Principal{Kind: propfile.PrincipalHref, Href: PrincipalHref(admin)}, Kind: propfile.Grant,
			Privileges: []propfile.Privilege{propfile.PrivAll}},
		{Principal: propfile.Principal{Kind: propfile.PrincipalAll}, Kind: propfile.Grant,
			Privileges: []propfile.Privilege{propfile.PrivRead, propfile.PrivBind, propfile.PrivUnbind}},
	}
}

// Initialized reports whether the store holds robur's top-level
// collections.
func Initialized(snap *gitstore.Snapshot) bool {
	return snap.Exists(PrincipalsDir+"/"+propSuffix) && snap.Exists(CalendarsDir+"/"+propSuffix)
}

// CreateTopLevel writes /principals/ and /calendars/ with robur's ACLs into
// tx, unless they exist.
func CreateTopLevel(tx *gitstore.Txn, admin string, now time.Time) error {
	for _, d := range []struct {
		name string
		acl  []propfile.ACE
	}{{PrincipalsDir, RootACL(admin)}, {CalendarsDir, CalendarsACL(admin)}} {
		if tx.Exists(d.name + "/" + propSuffix) {
			continue
		}
		props := NewCollectionProps(now, d.name, d.acl, nil)
		if err := writeProps(tx, []string{d.name}, true, props); err != nil {
			return fmt.Errorf("dav: initialising /%s/: %w", d.name, err)
		}
	}
	return nil
}

// NewCollectionProps returns robur's properties of a new collection
// (Properties.create_dir): the given display name and ACL, content type
// text/directory, resource type collection plus types.
func NewCollectionProps(now time.Time, displayName string, acl []propfile.ACE, types []propfile.Node) *propfile.Props {
	return newProps(now, displayName, "text/directory", 0, acl, append([]propfile.Node{elem(DAVName("collection"))}, types...))
}

// WriteCollection stores a collection's property file, creating it.
func WriteCollection(tx *gitstore.Txn, segs []string, props *propfile.Props) error {
	return writeProps(tx, segs, true, props)
}

// Initialize creates the top-level collections when the store is empty,
// in one commit.
func (s *Server) Initialize(ctx context.Context, admin string) error {
	if Initialized(s.Store.Head()) {
		return nil
	}
	_, err := s.Store.Batch(ctx, gitstore.Commit{AuthorName: "caldav (initialisation)", AuthorEmail: "caldav@localhost",
		Message: "initialise the repository"}, func(tx *gitstore.Txn) error {
		return CreateTopLevel(tx, admin, s.now())
	})
	if err != nil {
		return fmt.Errorf("dav: initialising the store: %w", err)
	}
	return nil
}

// CreatePrincipal writes the principal collection /principals/NAME/ into
// tx (robur's make_principal without the calendar): resource type
// principal, principal-URL, an ACL granting the principal everything plus
// the ACL of /principals/, and extra properties. It refuses (409) when the
// principal exists.
func CreatePrincipal(tx *gitstore.Txn, name string, now time.Time, extra ...propfile.Property) error {
	segs := []string{PrincipalsDir, name}
	if tx.Exists(repoPath(segs)) {
		return Errorf(http.StatusConflict, "principal %s exists", name)
	}
	href := PrincipalHref(name)
	acl := []propfile.ACE{{Principal: propfile.Principal{Kind: propfile.PrincipalHref, Href: href}, Kind: propfile.Grant,
		Privileges: []propfile.Privilege{propfile.PrivAll}}}
	if parent, err := tx.Read(propPathOf([]string{PrincipalsDir}, true)); err == nil {
		if pp, err := propfile.Parse(parent); err == nil {
			if v, ok := pp.Get(PropACL); ok {
				if inherited, err := propfile.DecodeACL(v.Value); err == nil {
					acl = append(acl, inherited...)
				}
			}
		}
	}
	props := NewCollectionProps(now, name, acl, []propfile.Node{elem(DAVName("principal"))})
	props.Set(propfile.Property{Name: DAVName("principal-URL"), Value: []propfile.Node{hrefNode(href)}})
	for _, p := range extra {
		props.Set(p)
	}
	return writeProps(tx, segs, true, props)
}

// ACE is an access control entry as robur stores it.
type ACE = propfile.ACE

// OwnerACE grants the principal name every privilege.
func OwnerACE(name string) ACE {
	return ACE{Principal: propfile.Principal{Kind: propfile.PrincipalHref, Href: PrincipalHref(name)}, Kind: propfile.Grant,
		Privileges: []propfile.Privilege{propfile.PrivAll}}
}

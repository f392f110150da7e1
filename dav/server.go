package dav

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gocaldav/gocaldav/dav/propfile"
	"github.com/gocaldav/gocaldav/gitstore"
	"github.com/gocaldav/gocaldav/webmachine"
)

// Server serves WebDAV over a gitstore repository laid out as robur lays
// it out. Set the fields, then call Routes or Handler.
type Server struct {
	// Store holds the data; every change is one commit.
	Store *gitstore.Store
	// Registry holds the known properties and reports; nil means the
	// WebDAV core only.
	Registry *Registry
	// Auth authenticates requests; nil refuses everyone.
	Auth Authenticator
	// Access decides privileges; nil means AllowAll.
	Access Access
	// Hooks let an application (caldav) validate and represent content.
	Hooks Hooks
	// Limits bound request sizes; zero fields take DefaultLimits.
	Limits Limits
	// Logger receives errors; nil means slog.Default().
	Logger *slog.Logger
	// DAVClasses is the DAV header of OPTIONS answers.
	DAVClasses string
	// CommitEmail is the e-mail address of commit authors.
	CommitEmail string
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	syncOnce sync.Once
	syncSt   *syncState

	reportOnce  sync.Once
	reportSlots chan struct{}
}

// Hooks are the points where an application on top of dav (caldav)
// changes how content is checked and shown. Nil hooks do nothing.
type Hooks struct {
	// CheckPut validates a PUT body for the member name of parent before
	// anything is stored; existing is the member being replaced or nil.
	// An *Error refuses the request. It may return a normalised content
	// type to store (empty keeps the request's).
	CheckPut func(ctx context.Context, c *Call, parent, existing *Node, name string, body []byte, contentType string) (string, error)
	// CollectionProviders gives the representations of a collection for
	// GET (for example the whole calendar as text/calendar). Nil or empty
	// falls back to an HTML listing.
	CollectionProviders func(ctx context.Context, c *Call, n *Node) []webmachine.Provider
	// CheckMkcol validates the resource types of a collection about to be
	// created by MKCOL, extended MKCOL or a CollectionMaker.
	CheckMkcol func(ctx context.Context, c *Call, parent *Node, types []Name) error
}

// Call is one request as the dav package serves it.
type Call struct {
	// Server is the server answering.
	Server *Server
	// HTTP is the request.
	HTTP *http.Request
	// User is the authenticated principal (nil when anonymous).
	User *Principal
	// Snapshot is the state the request reads.
	Snapshot *gitstore.Snapshot
	// SnapshotTime is the time of the snapshot's commit.
	SnapshotTime time.Time

	acl ACLMemo // access decisions on inherited-from resources, for Snapshot
}

// Methods lists the methods every DAV resource allows.
var Methods = []string{
	http.MethodOptions, http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete,
	webmachine.MethodPropfind, webmachine.MethodProppatch, webmachine.MethodMkcol,
	webmachine.MethodCopy, webmachine.MethodMove, webmachine.MethodReport, webmachine.MethodACL,
}

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

func (s *Server) registry() *Registry {
	if s.Registry == nil {
		s.Registry = NewRegistry()
	}
	return s.Registry
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Server) access() Access {
	if s.Access != nil {
		return s.Access
	}
	return AllowAll{}
}

// Routes adds the DAV trees, /principals and /calendars, to rt, and the
// root "/" (clients discover current-user-principal there).
func (s *Server) Routes(rt *webmachine.Router) {
	s.registry()
	rt.Handle("/", s.newResource)
	rt.Handle("/principals/*", s.newResource)
	rt.Handle("/calendars/*", s.newResource)
}

// Handler returns a handler serving only the DAV trees.
func (s *Server) Handler(o webmachine.Options) http.Handler {
	rt := &webmachine.Router{Options: o}
	s.Routes(rt)
	return rt
}

// newResource makes the webmachine resource for one request.
func (s *Server) newResource(r *http.Request, _ map[string]string) webmachine.Resource {
	snap := s.Store.Head()
	c := &Call{Server: s, HTTP: r, Snapshot: snap, SnapshotTime: snap.Time()}
	res := &resource{s: s, c: c}
	res.segs, res.pathErr = splitHref(r.URL.Path)
	return res
}

// allowedMethods lists the methods of Methods plus the registered
// collection makers.
func (s *Server) allowedMethods() []string {
	out := append([]string(nil), Methods...)
	for m := range s.registry().makers {
		out = append(out, m)
	}
	return out
}

// update runs fn in one gitstore batch, committed with the request's
// user, method and path. An *Error returned by fn aborts the batch.
func (s *Server) update(ctx context.Context, c *Call, fn func(tx *gitstore.Txn) error) error {
	user := "anonymous"
	if c.User != nil {
		user = c.User.Name
	}
	commit := CommitFor(c.HTTP, user, s.CommitEmail)
	_, err := s.Store.Batch(ctx, commit, fn)
	if err == nil {
		return nil
	}
	var de *Error
	if errors.As(err, &de) {
		return de
	}
	if se := StorageError(err); se != nil {
		s.logger().ErrorContext(ctx, "dav: storage failure", "method", c.HTTP.Method, "path", c.HTTP.URL.Path,
			"status", se.Status, "err", err)
		return se
	}
	return fmt.Errorf("dav: committing %s %s: %w", c.HTTP.Method, c.HTTP.URL.Path, err)
}

// CommitFor describes the commit of a request made by user: author
// "USER (via caldav)", the request line as message, and Remote-User and
// User-Agent trailers. An empty email means caldav@localhost.
func CommitFor(r *http.Request, user, email string) gitstore.Commit {
	if email == "" {
		email = "caldav@localhost"
	}
	return gitstore.Commit{
		AuthorName:  user + " (via caldav)",
		AuthorEmail: email,
		Message:     r.Method + " " + r.URL.Path,
		Trailers: []gitstore.Trailer{
			{Key: "Remote-User", Value: user},
			{Key: "User-Agent", Value: r.UserAgent()},
		},
	}
}

// writeProps stores n's properties, without getetag (computed, never
// stored, as in robur).
func writeProps(tx *gitstore.Txn, segs []string, collection bool, p *propfile.Props) error {
	p.Delete(PropETag)
	if err := tx.Write(propPathOf(segs, collection), p.Marshal()); err != nil {
		return fmt.Errorf("dav: writing properties of /%s: %w", repoPath(segs), err)
	}
	return nil
}

// newProps returns the properties robur gives a new resource
// (properties.ml create): version, ACL, dates, display name, language,
// content type and length, resource type.
func newProps(now time.Time, displayName, contentType string, length int64, acl []propfile.ACE, types []propfile.Node) *propfile.Props {
	ts := propfile.FormatTimestamp(now)
	if displayName == "" {
		displayName = "hinz und kunz" // robur's name for the nameless
	}
	return propfile.NewProps(
		propfile.TextProperty(PropPropVersion, "2"),
		propfile.Property{Name: PropACL, Value: propfile.EncodeACL(acl)},
		propfile.TextProperty(PropCreationDate, ts),
		propfile.TextProperty(PropDisplayName, displayName),
		propfile.TextProperty(PropContentLanguage, "en"),
		propfile.TextProperty(PropContentType, contentType),
		propfile.TextProperty(PropContentLength, fmt.Sprint(length)),
		propfile.TextProperty(PropLastModified, ts),
		propfile.Property{Name: PropResourceType, Value: types},
	)
}

// touchParent sets the parent collection's getlastmodified, as robur does
// for every write below it, in the same batch.
func touchParent(tx *gitstore.Txn, log *slog.Logger, segs []string, now time.Time) error {
	parent := parentSegs(segs)
	pn, err := lookup(tx, parent, log)
	if err != nil || pn == nil || !pn.Collection {
		return err
	}
	stamp := propfile.FormatTimestamp(now)
	if old, ok := pn.Text(PropLastModified); ok && old == stamp {
		return nil // already this second's: nothing to rewrite
	}
	props := pn.Props().Clone()
	props.Set(propfile.TextProperty(PropLastModified, stamp))
	return writeProps(tx, parent, true, props)
}

package webmachine

import (
	"context"
	"net/http"
	"net/url"
	"path"
	"strings"
)

// WebDAV methods the graph routes to the extension interfaces below.
const (
	MethodPropfind   = "PROPFIND"   // RFC 4918 §9.1
	MethodProppatch  = "PROPPATCH"  // RFC 4918 §9.2
	MethodMkcol      = "MKCOL"      // RFC 4918 §9.3, RFC 5689
	MethodMkcalendar = "MKCALENDAR" // RFC 4791 §5.3.1
	MethodReport     = "REPORT"     // RFC 3253 §3.6
	MethodCopy       = "COPY"       // RFC 4918 §9.8
	MethodMove       = "MOVE"       // RFC 4918 §9.9
	MethodACL        = "ACL"        // RFC 3744 §8.1
)

// The WebDAV extension points. A resource implements those it supports; the
// graph calls them at its DAV nodes and answers with the status they
// return (the body is whatever they set on the Request). A method that is
// allowed but whose interface is missing answers 501.

// PropFinder answers PROPFIND on an existing resource (node g7b, before the
// conditional-request nodes, as in robur's graph). A missing resource
// answers 404 through the normal missing branch.
type PropFinder interface {
	PropFind(ctx context.Context, r *Request) (status int, err error)
}

// Reporter answers REPORT on an existing resource (node g7b).
type Reporter interface {
	Report(ctx context.Context, r *Request) (status int, err error)
}

// PropPatcher answers PROPPATCH (node o16b). Unlike robur's graph, a
// PROPPATCH first passes the same If-Match, If-Unmodified-Since and
// If-None-Match checks (g8…k13) as a PUT.
type PropPatcher interface {
	PropPatch(ctx context.Context, r *Request) (status int, err error)
}

// ACLSetter answers the ACL method of RFC 3744 §8.1 (node o16b, after the
// conditional-request checks).
type ACLSetter interface {
	SetACL(ctx context.Context, r *Request) (status int, err error)
}

// CollectionCreator answers MKCOL and MKCALENDAR on a missing resource
// (node h7b): 201 Created, or 403, 405, 409, 415 or 507 (RFC 4918 §9.3.1).
type CollectionCreator interface {
	CreateCollection(ctx context.Context, r *Request) (status int, err error)
}

// CreateRefuser supplies the body of the 403 that MKCALENDAR on an existing
// resource answers (RFC 4791 §5.3.1.1: DAV:resource-must-be-null). MKCOL on
// an existing resource answers 405 (RFC 4918 §9.3.1) without asking.
type CreateRefuser interface {
	RefuseCreate(ctx context.Context, r *Request) error
}

// Destination is the parsed target of a COPY or MOVE (RFC 4918 §10.3,
// §10.6), checked by the graph before the resource is asked.
type Destination struct {
	// URL is the Destination header as given, resolved against the request.
	URL *url.URL
	// Path is the destination path, decoded and cleaned (never with "..").
	Path string
	// Overwrite is the Overwrite header (true when absent).
	Overwrite bool
}

// Copier answers COPY (node o16b): 201 when the destination was created,
// 204 when it was replaced, 412 when it exists and Overwrite is F, 409 when
// its parent is missing (RFC 4918 §9.8.5).
type Copier interface {
	Copy(ctx context.Context, r *Request, dst Destination) (status int, err error)
}

// Mover answers MOVE (node o16b), with the statuses of [Copier].
type Mover interface {
	Move(ctx context.Context, r *Request, dst Destination) (status int, err error)
}

// parseDestination checks the Destination and Overwrite headers of a COPY
// or MOVE. It answers 400 for a missing or malformed header, 502 for a
// destination on another server and 403 for a destination equal to the
// source (RFC 4918 §9.8.5).
func parseDestination(r *http.Request) (Destination, error) {
	var d Destination
	raw := r.Header.Get("Destination")
	if raw == "" {
		return d, HaltWith(http.StatusBadRequest, "text/plain; charset=utf-8", []byte("Destination header missing\n"))
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme == "" && !strings.HasPrefix(u.Path, "/")) {
		return d, HaltWith(http.StatusBadRequest, "text/plain; charset=utf-8", []byte("Destination header malformed\n"))
	}
	if u.Host != "" && !strings.EqualFold(u.Host, r.Host) {
		return d, HaltWith(http.StatusBadGateway, "text/plain; charset=utf-8", []byte("Destination is on another server\n"))
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == ".." || seg == "." {
			return d, HaltWith(http.StatusBadRequest, "text/plain; charset=utf-8", []byte("Destination path has dot segments\n"))
		}
	}
	d.URL = u
	d.Path = path.Clean(u.Path)
	if strings.HasSuffix(u.Path, "/") && d.Path != "/" {
		d.Path += "/"
	}
	switch strings.ToUpper(strings.TrimSpace(r.Header.Get("Overwrite"))) {
	case "", "T":
		d.Overwrite = true
	case "F":
	default:
		return d, HaltWith(http.StatusBadRequest, "text/plain; charset=utf-8", []byte("Overwrite header must be T or F\n"))
	}
	if strings.TrimSuffix(d.Path, "/") == strings.TrimSuffix(path.Clean(r.URL.Path), "/") {
		return d, HaltWith(http.StatusForbidden, "text/plain; charset=utf-8", []byte("source and destination are the same\n"))
	}
	return d, nil
}

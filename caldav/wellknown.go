package caldav

import (
	"context"
	"net/http"

	"github.com/gocaldav/gocaldav/dav"
	"github.com/gocaldav/gocaldav/webmachine"
)

// WellKnownPath is where RFC 6764 §5 puts the CalDAV service entry point.
const WellKnownPath = "/.well-known/caldav"

// WellKnown is the webmachine factory for /.well-known/caldav (RFC 6764
// §5): GET, HEAD and PROPFIND answer 301 with an absolute Location of
// /calendars on the request's own scheme and host, as robur does. It needs
// no authentication. Route it with
//
//	rt.Handle(caldav.WellKnownPath, caldav.WellKnown)
func WellKnown(r *http.Request, _ map[string]string) webmachine.Resource {
	return &wellKnown{target: requestBase(r) + "/" + dav.CalendarsDir}
}

// requestBase is scheme://host of the request: https when it came over
// TLS or through a proxy that says so (X-Forwarded-Proto), and the host
// the server was configured with (X-Forwarded-Host) or the request's.
// The server binary sets both headers itself and drops a client's.
func requestBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	host := r.Host
	if h := r.Header.Get("X-Forwarded-Host"); h != "" {
		host = h
	}
	return scheme + "://" + host
}

// wellKnown is the resource answering the redirect: it does not exist
// but existed, and has moved permanently (nodes k7, k5).
type wellKnown struct {
	webmachine.Base
	target string
}

// AllowedMethods are those RFC 6764 clients use.
func (w *wellKnown) AllowedMethods(context.Context, *webmachine.Request) ([]string, error) {
	return []string{http.MethodGet, http.MethodHead, http.MethodOptions, webmachine.MethodPropfind}, nil
}

// ContentTypesProvided is empty: a redirect has nothing to negotiate.
func (w *wellKnown) ContentTypesProvided(context.Context, *webmachine.Request) ([]webmachine.Provider, error) {
	return nil, nil
}

// ResourceExists is false: the entry point lives elsewhere.
func (w *wellKnown) ResourceExists(context.Context, *webmachine.Request) (bool, error) {
	return false, nil
}

// PreviouslyExisted leads the graph to the moved checks.
func (w *wellKnown) PreviouslyExisted(context.Context, *webmachine.Request) (bool, error) {
	return true, nil
}

// MovedPermanently gives the calendar home.
func (w *wellKnown) MovedPermanently(context.Context, *webmachine.Request) (string, error) {
	return w.target, nil
}

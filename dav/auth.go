package dav

import (
	"context"
	"crypto/subtle"
	"net/http"
)

// Principal is an authenticated user as the access checks see it.
type Principal struct {
	// Name is the user name ("root", "alice").
	Name string
	// Href is the principal URL, "/principals/NAME/".
	Href string
	// Groups are the hrefs of the groups the user belongs to.
	Groups []string
	// Root marks the superuser, whom every check lets through.
	Root bool
}

// Authenticator decides who sent a request.
type Authenticator interface {
	// Authenticate returns the principal the request authenticates as,
	// or nil and the WWW-Authenticate challenge to answer 401 with. An
	// error is an internal failure.
	Authenticate(ctx context.Context, r *http.Request) (*Principal, string, error)
}

// Realm is the HTTP Basic realm robur uses.
const Realm = "calendar"

// StaticAuth authenticates exactly one user with a fixed password: the
// development default until principals are stored in the repository.
type StaticAuth struct {
	User, Password string
}

// Authenticate checks HTTP Basic credentials in constant time.
func (a StaticAuth) Authenticate(_ context.Context, r *http.Request) (*Principal, string, error) {
	user, pass, ok := r.BasicAuth()
	if !ok || subtle.ConstantTimeCompare([]byte(user), []byte(a.User)) != 1 ||
		subtle.ConstantTimeCompare([]byte(pass), []byte(a.Password)) != 1 {
		return nil, basicChallenge(), nil
	}
	return &Principal{Name: a.User, Href: PrincipalHref(a.User), Root: a.User == "root"}, "", nil
}

// basicChallenge is the WWW-Authenticate value for the calendar realm.
func basicChallenge() string { return `Basic realm="` + Realm + `"` }

// PrincipalHref returns the principal URL of a user or group name.
func PrincipalHref(name string) string { return "/principals/" + name + "/" }

// Access decides whether a principal may act on a resource.
type Access interface {
	// Allowed reports whether who holds privilege priv on the node at
	// segs (which may be missing; then its parent's rights apply to
	// creation). rd reads the current state.
	Allowed(ctx context.Context, rd Reader, who *Principal, segs []string, priv string) (bool, error)
}

// nodeAccess is an Access that can check a node already read without
// looking its path up again (ACLAccess; see Server.AllowedNode).
type nodeAccess interface {
	AllowedNode(ctx context.Context, rd Reader, who *Principal, n *Node, priv string, memo *ACLMemo) (bool, error)
}

// AllowAll lets every authenticated principal do everything: the
// development default until access control lists are enforced.
type AllowAll struct{}

// Allowed always answers true for an authenticated principal.
func (AllowAll) Allowed(_ context.Context, _ Reader, who *Principal, _ []string, _ string) (bool, error) {
	return who != nil, nil
}

// Package davtest is test support for the DAV and CalDAV packages and
// their tests; production code does not import it.
//
// It sends requests as a user to an http.Handler and checks their
// status (Client), builds the in-memory store a test server runs on
// (MemoryStore), parses 207 Multi-Status bodies (ParseMultistatus) and
// DAV:error bodies (ErrorCondition), and renders XML canonically so that
// documents compare by meaning rather than by spelling (Canonical,
// CanonicalXML, CanonicalDocument).
//
// davtest does not import package dav or anything that imports it (it
// works on http.Handler, httptest, etree and testing.TB, and imports
// only gitstore and dav/password of this module), so that dav's own
// in-package tests can use it without an import cycle. Package stack builds the
// whole server (accounts, ACLs, DAV trees) for tests outside dav and
// dav/account.
package davtest

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gocaldav/gocaldav/dav/password"
	"github.com/gocaldav/gocaldav/gitstore"
)

// Response is a recorded answer, its body read.
type Response struct {
	Status int         // the status code
	Header http.Header // the response header
	Body   string      // the body
}

// Client sends requests to Handler with HTTP Basic credentials from
// Passwords and fails T when a status is not the one wanted.
type Client struct {
	// T is the test that fails; a subtest may set its own.
	T testing.TB
	// Handler serves the requests.
	Handler http.Handler
	// Passwords maps a user name to its password.
	Passwords map[string]string
	// User is the user Do and Must send as.
	User string
}

// As sends a request as user with the password Passwords gives ("" for
// anonymous, without credentials). Extra headers come as name, value
// pairs.
func (c *Client) As(user, method, target, body string, headers ...string) Response {
	c.T.Helper()
	return c.AsWith(user, c.Passwords[user], method, target, body, headers...)
}

// AsWith sends a request with the given Basic credentials, none when
// user is "".
func (c *Client) AsWith(user, password, method, target, body string, headers ...string) Response {
	c.T.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	c.Handler.ServeHTTP(rec, req)
	return Response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.String()}
}

// Want sends a request as user and fails the test unless the answer has
// status status.
func (c *Client) Want(status int, user, method, target, body string, headers ...string) Response {
	c.T.Helper()
	r := c.As(user, method, target, body, headers...)
	if r.Status != status {
		c.T.Fatalf("%s %s %s: %d, want %d\n%s", user, method, target, r.Status, status, r.Body)
	}
	return r
}

// Do sends a request as c.User, as As does.
func (c *Client) Do(method, target, body string, headers ...string) Response {
	c.T.Helper()
	return c.As(c.User, method, target, body, headers...)
}

// Must sends a request as c.User and fails the test unless the answer
// has status status.
func (c *Client) Must(status int, method, target, body string, headers ...string) Response {
	c.T.Helper()
	return c.Want(status, c.User, method, target, body, headers...)
}

// MemoryStore opens an in-memory store that is closed when the test
// ends.
func MemoryStore(t testing.TB) *gitstore.Store {
	t.Helper()
	store, err := gitstore.OpenMemory(gitstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

// Logger is a logger that discards everything.
func Logger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// Hasher is a password hasher cheap enough for tests: argon2id at its
// lowest cost.
func Hasher() *password.Hasher {
	return password.NewHasher(password.Params{Time: 1, Memory: 1024, Threads: 1, KeyLen: 32, SaltLen: 16}, 2)
}

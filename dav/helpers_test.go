package dav

import (
	"context"
	"testing"
	"time"

	"github.com/gocaldav/gocaldav/dav/davtest"
	"github.com/gocaldav/gocaldav/gitstore"
	"github.com/gocaldav/gocaldav/webmachine"
)

// testEnv is a dav server over an in-memory store, as the binary wires
// it, and a client sending as root.
type testEnv struct {
	*davtest.Client
	store *gitstore.Store
	srv   *Server
}

var testNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// newTestEnv starts a server whose user root has password "secret", with
// /calendars/ and /principals/ initialised.
func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	store := davtest.MemoryStore(t)
	log := davtest.Logger()
	srv := &Server{Store: store, Logger: log, Auth: StaticAuth{User: "root", Password: "secret"},
		Now: func() time.Time { return testNow }}
	if err := srv.Initialize(context.Background(), "root"); err != nil {
		t.Fatal(err)
	}
	c := &davtest.Client{T: t, Handler: srv.Handler(webmachine.Options{Logger: log}),
		Passwords: map[string]string{"root": "secret"}, User: "root"}
	return &testEnv{Client: c, store: store, srv: srv}
}

// commits counts the commits on the store's branch.
func (e *testEnv) commits() int {
	e.T.Helper()
	h, err := e.store.History(context.Background(), "", 0)
	if err != nil {
		e.T.Fatal(err)
	}
	return len(h)
}

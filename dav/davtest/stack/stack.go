// Package stack is test support: it builds the server as cmd/caldav
// wires it (accounts, ACL enforcement, the administration API and the
// DAV trees) over an in-memory store, for tests outside packages dav and
// dav/account, which it imports.
package stack

import (
	"context"
	"maps"
	"testing"
	"time"

	"github.com/gocaldav/gocaldav/dav"
	"github.com/gocaldav/gocaldav/dav/account"
	"github.com/gocaldav/gocaldav/dav/davtest"
	"github.com/gocaldav/gocaldav/gitstore"
	"github.com/gocaldav/gocaldav/webmachine"
)

// Passwords are the passwords of root and of the users Options.Users may
// name.
var Passwords = map[string]string{"root": "rootpw", "alice": "alicepw", "bob": "bobpw", "carol": "carolpw"}

// Options shape the server.
type Options struct {
	// Register adds to the server (CalDAV, say) before its routes are
	// made.
	Register func(*dav.Server)
	// Now is the server's clock; nil means the server's default.
	Now func() time.Time
	// Users are created by root through the administration API, with
	// their passwords from Passwords.
	Users []string
	// Dir, when set, holds the store on disk (as the binary does: fsync,
	// packs, maintenance) instead of in memory.
	Dir string
}

// Stack is a running server and a client for it whose Passwords are a
// copy of Passwords.
type Stack struct {
	*davtest.Client
	Store   *gitstore.Store
	Manager *account.Manager
	Server  *dav.Server
}

// New builds the server with root's password Passwords["root"].
func New(t testing.TB, o Options) *Stack {
	t.Helper()
	store := openStore(t, o.Dir)
	log := davtest.Logger()
	m := account.New(store, account.Options{Logger: log, Hasher: davtest.Hasher()})
	if _, err := m.Bootstrap(context.Background(), Passwords["root"]); err != nil {
		t.Fatal(err)
	}
	srv := &dav.Server{Store: store, Logger: log, Auth: m.Authenticator(false), Access: &dav.ACLAccess{}}
	if o.Register != nil {
		o.Register(srv)
	}
	if o.Now != nil {
		srv.Now = o.Now
	}
	rt := &webmachine.Router{Options: webmachine.Options{Logger: log}}
	m.Routes(rt)
	srv.Routes(rt)
	s := &Stack{Client: &davtest.Client{T: t, Handler: rt, Passwords: maps.Clone(Passwords), User: "root"},
		Store: store, Manager: m, Server: srv}
	for _, u := range o.Users {
		s.Want(201, "root", "PUT", "/users/"+u+"?password="+s.Passwords[u], "")
	}
	return s
}

// openStore opens the store in dir, or in memory when dir is "".
func openStore(t testing.TB, dir string) *gitstore.Store {
	if dir == "" {
		return davtest.MemoryStore(t)
	}
	store, err := gitstore.Open(context.Background(), dir, gitstore.Options{Logger: davtest.Logger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

package account

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gocaldav/gocaldav/dav"
	"github.com/gocaldav/gocaldav/dav/davtest"
	"github.com/gocaldav/gocaldav/dav/password"
	"github.com/gocaldav/gocaldav/dav/propfile"
	"github.com/gocaldav/gocaldav/gitstore"
	"github.com/gocaldav/gocaldav/webmachine"
)

// env is the server as cmd/caldav wires it: accounts, ACL enforcement,
// the administration API and the DAV trees, over an in-memory store; its
// client uses passwords.
type env struct {
	*davtest.Client
	store *gitstore.Store
	m     *Manager
}

func newEnv(t *testing.T, tofu bool) *env {
	t.Helper()
	store := davtest.MemoryStore(t)
	log := davtest.Logger()
	m := New(store, Options{Logger: log, Hasher: davtest.Hasher()})
	if _, err := m.Bootstrap(context.Background(), "rootpw"); err != nil {
		t.Fatal(err)
	}
	srv := &dav.Server{Store: store, Logger: log, Auth: m.Authenticator(tofu), Access: &dav.ACLAccess{}}
	rt := &webmachine.Router{Options: webmachine.Options{Logger: log}}
	m.Routes(rt)
	srv.Routes(rt)
	return &env{Client: &davtest.Client{T: t, Handler: rt, Passwords: passwords, User: "root"}, store: store, m: m}
}

// passwords of the users tests create.
var passwords = map[string]string{"root": "rootpw", "alice": "alicepw", "bob": "bobpw", "carol": "carolpw"}

// users creates the named users as root.
func (e *env) users(names ...string) {
	e.T.Helper()
	for _, n := range names {
		e.Want(201, "root", "PUT", "/users/"+n+"?password="+passwords[n], "")
	}
}

func TestAdminUsers(t *testing.T) {
	e := newEnv(t, false)
	rec := e.Want(201, "root", "PUT", "/users/alice?password=alicepw", "")
	if rec.Header.Get("Location") != "/principals/alice/" {
		t.Errorf("Location %q", rec.Header.Get("Location"))
	}
	for _, p := range []string{"principals/alice", "calendars/alice"} {
		if !e.store.Head().Exists(p + "/.prop") {
			t.Errorf("%s not created", p)
		}
	}
	e.Want(207, "alice", "PROPFIND", "/calendars/alice/", "", "Depth", "0")
	e.Want(400, "root", "PUT", "/users/bob", "")                      // a new user needs a password
	e.Want(409, "root", "PUT", "/users/alice", "")                    // existing user, no password
	e.Want(400, "root", "PUT", "/users/al-ice?password=x", "")        // bad name
	e.Want(403, "alice", "PUT", "/users/bob?password=x", "")          // only root creates
	e.Want(200, "alice", "PUT", "/users/alice?password=alicepw2", "") // own password
	passwords["alice"] = "alicepw2"
	defer func() { passwords["alice"] = "alicepw" }()
	e.Want(207, "alice", "PROPFIND", "/calendars/alice/", "", "Depth", "0")
	// The password may come in a form body instead of the query string.
	e.Want(201, "root", "PUT", "/users/bob", "password=bobpw", "Content-Type", "application/x-www-form-urlencoded")
	e.Want(207, "bob", "PROPFIND", "/calendars/bob/", "", "Depth", "0")
	e.Want(403, "bob", "PUT", "/users/alice?password=x", "") // not someone else's
	e.Want(403, "bob", "DELETE", "/users/alice", "")
	e.Want(401, "", "PUT", "/users/carol?password=x", "")
	e.Want(501, "root", "POST", "/users/carol", "")
	e.Want(204, "root", "DELETE", "/users/bob", "")
	e.Want(409, "root", "DELETE", "/users/bob", "")
	e.Want(401, "bob", "PROPFIND", "/calendars/", "", "Depth", "0")
	if e.store.Head().Exists("calendars/bob") || e.store.Head().Exists("principals/bob") {
		t.Errorf("DELETE /users/bob left data")
	}
	// The admin commit names the request, never the password.
	h, _ := e.store.History(context.Background(), "", 0)
	for _, c := range h {
		if strings.Contains(c.Message, "alicepw") || strings.Contains(c.Message, "password=") {
			t.Errorf("a commit message holds a password: %q", c.Message)
		}
	}
}

func TestAdminGroups(t *testing.T) {
	e := newEnv(t, false)
	e.users("alice", "bob")
	rec := e.Want(201, "root", "PUT", "/groups/team?members=alice", "")
	if rec.Header.Get("Location") != "/principals/team/" {
		t.Errorf("Location %q", rec.Header.Get("Location"))
	}
	// The group's calendar is shared with its members (robur S12).
	e.Want(207, "alice", "PROPFIND", "/calendars/team/", "", "Depth", "0")
	e.Want(403, "bob", "PROPFIND", "/calendars/team/", "", "Depth", "0")
	e.Want(409, "root", "PUT", "/groups/team?members=nobody", "")
	e.Want(409, "root", "PUT", "/groups/alice?members=bob", "") // a user, not a group
	e.Want(201, "root", "PUT", "/groups/other", "")
	e.Want(409, "root", "PUT", "/groups/team?members=other", "") // a group is no member
	e.Want(200, "root", "PUT", "/groups/team?members=bob", "")   // replaces
	e.Want(403, "alice", "PROPFIND", "/calendars/team/", "", "Depth", "0")
	e.Want(207, "bob", "PROPFIND", "/calendars/team/", "", "Depth", "0")
	e.Want(204, "root", "PUT", "/groups/team/users/alice", "")
	e.Want(204, "root", "PUT", "/groups/team/users/alice", "") // idempotent
	e.Want(207, "alice", "PROPFIND", "/calendars/team/", "", "Depth", "0")
	e.Want(409, "root", "PUT", "/groups/nogroup/users/alice", "")
	e.Want(409, "root", "PUT", "/groups/team/users/nobody", "")
	e.Want(204, "root", "DELETE", "/groups/team/users/alice", "")
	e.Want(403, "alice", "PROPFIND", "/calendars/team/", "", "Depth", "0")
	memberships := func(user string) []string {
		p, _ := principal(e.store.Head(), user)
		return hrefNames(p, dav.PropGroupMembership)
	}
	if got := memberships("bob"); len(got) != 1 || got[0] != "team" {
		t.Errorf("bob's group-membership %v", got)
	}
	e.Want(204, "root", "DELETE", "/groups/team", "")
	e.Want(409, "root", "DELETE", "/groups/team", "")
	if got := memberships("bob"); len(got) != 0 {
		t.Errorf("deleting the group left bob's membership %v", got)
	}
}

// TestDeleteUserCleansUp: deleting a user removes their calendar, their
// group memberships and the ACEs that name them.
func TestDeleteUserCleansUp(t *testing.T) {
	e := newEnv(t, false)
	e.users("alice", "bob")
	e.Want(201, "root", "PUT", "/groups/team?members=alice,bob", "")
	e.Want(207, "bob", "PROPPATCH", "/calendars/bob/", aclBody(aceXML("/principals/bob/", "all"), aceXML("/principals/alice/", "read")))
	e.Want(204, "root", "DELETE", "/users/alice", "")
	gp, _ := principal(e.store.Head(), "team")
	if got := hrefNames(gp, dav.PropGroupMemberSet); len(got) != 1 || got[0] != "bob" {
		t.Errorf("team's members after deleting alice: %v", got)
	}
	data, _ := e.store.Head().Read("calendars/bob/.prop")
	if strings.Contains(string(data), "/principals/alice/") {
		t.Errorf("bob's calendar ACL still names alice")
	}
}

func TestTrustOnFirstUse(t *testing.T) {
	e := newEnv(t, true)
	e.Want(207, "carol", "PROPFIND", "/calendars/carol/", "", "Depth", "0")
	if !e.store.Head().Exists("principals/carol/.prop") || !e.store.Head().Exists("calendars/carol/.prop") {
		t.Fatal("TOFU did not create the user and calendar")
	}
	e.Want(207, "carol", "PROPFIND", "/calendars/carol/", "", "Depth", "0") // the password stuck
	if r := e.AsWith("carol", "other", "PROPFIND", "/calendars/", ""); r.Status != 401 {
		t.Errorf("wrong password after TOFU: %d", r.Status)
	}
	if r := e.AsWith("bad-name", "x", "PROPFIND", "/calendars/", ""); r.Status != 401 {
		t.Errorf("TOFU with an invalid name: %d", r.Status)
	}
	// The administration API never trusts on first use.
	e.Want(401, "bob", "PUT", "/users/bob?password=bobpw", "")
	if e.store.Head().Exists("principals/bob") {
		t.Errorf("the admin API created a user on first use")
	}
	// Without --tofu an unknown user is refused.
	off := newEnv(t, false)
	off.Want(401, "carol", "PROPFIND", "/calendars/", "", "Depth", "0")
	if off.store.Head().Exists("principals/carol") {
		t.Errorf("a user was created without TOFU")
	}
}

// TestRoburHashUpgrade: a user whose password robur hashed logs in, and
// the hash is replaced by argon2id in one commit of its own.
func TestRoburHashUpgrade(t *testing.T) {
	e := newEnv(t, false)
	e.users("alice")
	_, err := e.store.Batch(context.Background(), gitstore.Commit{AuthorName: "robur", AuthorEmail: "r@x", Message: "robur"},
		func(tx *gitstore.Txn) error {
			p, _ := principal(tx, "alice")
			for _, prop := range LegacyUserProps("alicepw", "c2FsdHNhbHRzYWx0c2Fs") {
				p.Set(prop)
			}
			return writePrincipal(tx, "alice", p)
		})
	if err != nil {
		t.Fatal(err)
	}
	before := commitCount(t, e.store)
	e.Want(207, "alice", "PROPFIND", "/calendars/alice/", "", "Depth", "0")
	if commitCount(t, e.store) != before+1 {
		t.Fatalf("the upgrade made %d commits, want 1", commitCount(t, e.store)-before)
	}
	h, _ := e.store.History(context.Background(), "", 1)
	if !strings.Contains(h[0].Message, "argon2id") {
		t.Errorf("upgrade commit message %q", h[0].Message)
	}
	p, _ := principal(e.store.Head(), "alice")
	if stored, _ := textOf(p, propPassword); !password.IsArgon2(stored) {
		t.Errorf("stored hash not upgraded: %q", stored)
	}
	if _, ok := p.Get(propSalt); ok {
		t.Errorf("robur's salt kept after the upgrade")
	}
	e.Want(207, "alice", "PROPFIND", "/calendars/alice/", "", "Depth", "0")
	if commitCount(t, e.store) != before+1 {
		t.Errorf("a second login committed again")
	}
	e.Want(401, "", "PROPFIND", "/calendars/alice/", "", "Depth", "0")
}

func TestPasswordWithColons(t *testing.T) {
	e := newEnv(t, false)
	passwords["dave"] = "a:b::c:"
	defer delete(passwords, "dave")
	e.Want(201, "root", "PUT", "/users/dave?password=a%3Ab%3A%3Ac%3A", "")
	e.Want(207, "dave", "PROPFIND", "/calendars/dave/", "", "Depth", "0")
}

func TestBootstrap(t *testing.T) {
	e := newEnv(t, false)
	before := commitCount(t, e.store)
	ok, err := e.m.Bootstrap(context.Background(), "rootpw")
	if err != nil || !ok {
		t.Fatalf("second bootstrap: %v %v", ok, err)
	}
	ok, err = e.m.Bootstrap(context.Background(), "different")
	if err != nil || ok {
		t.Fatalf("bootstrap with another password: matches=%v err=%v", ok, err)
	}
	if commitCount(t, e.store) != before {
		t.Errorf("bootstrap of an initialised store committed")
	}
	e.Want(207, "root", "PROPFIND", "/principals/root/", "", "Depth", "0") // root's password is unchanged
	if err := e.m.SetPassword(context.Background(), "root", "fresh"); err != nil {
		t.Fatal(err)
	}
	passwords["root"] = "fresh"
	defer func() { passwords["root"] = "rootpw" }()
	e.Want(207, "root", "PROPFIND", "/principals/root/", "", "Depth", "0")
}

func commitCount(t *testing.T, s *gitstore.Store) int {
	h, err := s.History(context.Background(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	return len(h)
}

// aceXML is an ACE granting privileges to a principal href (or "all",
// "authenticated", "unauthenticated", "self").
func aceXML(who string, privs ...string) string {
	return aceKindXML("grant", who, privs...)
}

func aceKindXML(kind, who string, privs ...string) string {
	principal := "<D:href>" + who + "</D:href>"
	if !strings.HasPrefix(who, "/") {
		principal = "<D:" + who + "/>"
	}
	var p strings.Builder
	for _, pr := range privs {
		p.WriteString("<D:privilege><D:" + pr + "/></D:privilege>")
	}
	return "<D:ace><D:principal>" + principal + "</D:principal><D:" + kind + ">" + p.String() + "</D:" + kind + "></D:ace>"
}

// aclBody is a PROPPATCH setting DAV:acl to aces.
func aclBody(aces ...string) string {
	return `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:acl>` + strings.Join(aces, "") + `</D:acl></D:prop></D:set></D:propertyupdate>`
}

var _ = propfile.PrivAll
var _ = time.Second

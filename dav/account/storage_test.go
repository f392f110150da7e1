package account

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/gocaldav/gocaldav/caldav"
	"github.com/gocaldav/gocaldav/dav"
	"github.com/gocaldav/gocaldav/dav/davtest"
	"github.com/gocaldav/gocaldav/gitstore"
	"github.com/gocaldav/gocaldav/webmachine"
)

// fault is a switchable gitstore.Options.FailWrites hook.
type fault struct {
	mu  sync.Mutex
	err error
}

func (f *fault) set(err error) {
	f.mu.Lock()
	f.err = err
	f.mu.Unlock()
}

func (f *fault) hook() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

// icsOf is a one-event calendar object.
func icsOf(uid string) string { return icsSummary(uid, uid) }

// icsSummary is a one-event calendar object with a summary.
func icsSummary(uid, summary string) string {
	return strings.ReplaceAll(`BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//gocaldav//storage test//EN
BEGIN:VEVENT
UID:`+uid+`
DTSTAMP:20240101T000000Z
DTSTART:20240102T100000Z
SUMMARY:`+summary+`
END:VEVENT
END:VCALENDAR
`, "\n", "\r\n")
}

// TestStorageFailureAnswers injects write failures into the store under
// the whole server (accounts, DAV, CalDAV): every kind of write answers
// 507 for a full disk and 503 for a data directory that cannot be written
// (never 500), with a plain message; reads keep working; nothing half-done
// is visible; and writes work again once the fault is gone, with every
// acknowledged write present.
func TestStorageFailureAnswers(t *testing.T) {
	var f fault
	store, err := gitstore.OpenMemory(gitstore.Options{FailWrites: f.hook, Logger: davtest.Logger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	log := davtest.Logger()
	m := New(store, Options{Logger: log, Hasher: davtest.Hasher()})
	if _, err := m.Bootstrap(context.Background(), "rootpw"); err != nil {
		t.Fatal(err)
	}
	srv := &dav.Server{Store: store, Logger: log, Auth: m.Authenticator(false), Access: &dav.ACLAccess{}}
	caldav.Register(srv, caldav.Options{Logger: log})
	rt := &webmachine.Router{Options: webmachine.Options{Logger: log}}
	m.Routes(rt)
	srv.Routes(rt)
	e := &env{Client: &davtest.Client{T: t, Handler: rt, Passwords: passwords, User: "root"}, store: store, m: m}
	e.users("alice")
	ics := []string{"Content-Type", "text/calendar; charset=utf-8"}
	e.Want(201, "alice", "PUT", "/calendars/alice/kept.ics", icsOf("kept"), ics...)
	acknowledged := []string{"/calendars/alice/kept.ics"}

	pathErr := func(errno syscall.Errno) error {
		return &fs.PathError{Op: "write", Path: "/var/lib/caldav/gocaldav-journal", Err: errno}
	}
	cases := []struct {
		name   string
		err    error
		status int
		says   string
	}{
		{"ENOSPC", pathErr(syscall.ENOSPC), http.StatusInsufficientStorage, "disk is full"},
		{"EDQUOT", pathErr(syscall.EDQUOT), http.StatusInsufficientStorage, "disk is full"},
		{"EROFS", pathErr(syscall.EROFS), http.StatusServiceUnavailable, "cannot write"},
		{"EACCES", pathErr(syscall.EACCES), http.StatusServiceUnavailable, "cannot write"},
		{"EIO", pathErr(syscall.EIO), http.StatusServiceUnavailable, "cannot write"},
		{"other", errors.New("injected fault"), http.StatusInsufficientStorage, "could not store"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.T = t
			head := store.Head().Commit()
			f.set(c.err)
			writes := []struct {
				user, method, target, body string
				headers                    []string
			}{
				{"alice", "PUT", fmt.Sprintf("/calendars/alice/new%d.ics", i), icsOf(fmt.Sprintf("new%d", i)), ics},
				{"alice", "PUT", "/calendars/alice/kept.ics", icsSummary("kept", "changed"), append([]string{"If-Match", "*"}, ics...)},
				{"alice", "DELETE", "/calendars/alice/kept.ics", "", nil},
				{"root", "MKCALENDAR", fmt.Sprintf("/calendars/cal%d/", i), "", nil},
				{"alice", "MKCOL", fmt.Sprintf("/calendars/alice/col%d/", i), "", nil},
				{"alice", "PROPPATCH", "/calendars/alice/", `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>x</D:displayname></D:prop></D:set></D:propertyupdate>`, nil},
				{"alice", "MOVE", "/calendars/alice/kept.ics", "", []string{"Destination", fmt.Sprintf("/calendars/alice/moved%d.ics", i)}},
				{"root", "PUT", fmt.Sprintf("/users/bob%d?password=bobpw", i), "", nil},
				{"alice", "PUT", "/users/alice?password=newpw", "", nil},
				{"root", "PUT", fmt.Sprintf("/groups/g%d?members=alice", i), "", nil},
				{"root", "DELETE", "/users/alice", "", nil},
			}
			for _, w := range writes {
				r := e.As(w.user, w.method, w.target, w.body, w.headers...)
				if r.Status != c.status || !strings.Contains(r.Body, c.says) || !strings.Contains(r.Body, "not stored") &&
					!strings.Contains(r.Body, "nothing was changed") {
					t.Errorf("%s %s with %v: %d %q, want %d saying %q", w.method, w.target, c.err, r.Status, r.Body, c.status, c.says)
				}
			}
			// Reads work, and show nothing of the failed writes.
			if r := e.As("alice", "GET", "/calendars/alice/kept.ics", ""); r.Status != 200 || r.Body != icsOf("kept") {
				t.Errorf("GET during the fault: %d", r.Status)
			}
			if r := e.As("alice", "PROPFIND", "/calendars/alice/", "", "Depth", "1"); r.Status != 207 ||
				strings.Contains(r.Body, fmt.Sprintf("new%d.ics", i)) || strings.Contains(r.Body, fmt.Sprintf("moved%d.ics", i)) ||
				strings.Contains(r.Body, fmt.Sprintf("col%d/", i)) {
				t.Errorf("PROPFIND during the fault: %d\n%s", r.Status, r.Body)
			}
			if store.Head().Commit() != head {
				t.Fatal("a failed write committed")
			}
			// The fault is gone: writes work again, without a restart.
			f.set(nil)
			target := fmt.Sprintf("/calendars/alice/after%d.ics", i)
			e.Want(201, "alice", "PUT", target, icsOf(target), ics...)
			acknowledged = append(acknowledged, target)
			for _, a := range acknowledged {
				if r := e.As("alice", "GET", a, ""); r.Status != 200 {
					t.Errorf("acknowledged %s: %d", a, r.Status)
				}
			}
		})
	}
}

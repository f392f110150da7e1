package account

import (
	"fmt"
	"strings"
	"testing"

	"github.com/beevik/etree"
)

const event = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:u1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260101T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"

// withAliceCalendar makes users alice and bob, an event in alice's
// calendar, and gives the calendar alice's ACL plus extra ACEs.
func withAliceCalendar(t *testing.T, extra ...string) *env {
	e := newEnv(t, false)
	e.users("alice", "bob")
	e.Want(201, "alice", "PUT", "/calendars/alice/e.ics", event, "Content-Type", "text/calendar")
	if len(extra) > 0 {
		aces := append([]string{aceXML("/principals/alice/", "all")}, extra...)
		e.Want(207, "alice", "PROPPATCH", "/calendars/alice/", aclBody(aces...))
	}
	return e
}

// The ACL matrix: what bob may do in alice's calendar for each ACL alice
// sets on it (robur's test.ml matrix, with deny and the other principal
// kinds robur cannot evaluate). Each cell runs in a fresh store.
func TestACLMatrix(t *testing.T) {
	cols := []struct {
		name               string
		method, path, body string
		headers            []string
	}{
		{"GET event", "GET", "/calendars/alice/e.ics", "", nil},
		{"PROPFIND cal", "PROPFIND", "/calendars/alice/", "", []string{"Depth", "0"}},
		{"PUT new", "PUT", "/calendars/alice/new.ics", event, []string{"Content-Type", "text/calendar"}},
		{"PUT existing", "PUT", "/calendars/alice/e.ics", event, []string{"Content-Type", "text/calendar"}},
		{"DELETE event", "DELETE", "/calendars/alice/e.ics", "", nil},
		{"PROPPATCH cal", "PROPPATCH", "/calendars/alice/", `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>x</D:displayname></D:prop></D:set></D:propertyupdate>`, nil},
		{"MKCOL inside", "MKCOL", "/calendars/alice/sub/", "", nil},
		{"ACL cal", "ACL", "/calendars/alice/", `<D:acl xmlns:D="DAV:">` + aceXML("/principals/alice/", "all") + `</D:acl>`, nil},
		{"DELETE cal", "DELETE", "/calendars/alice/", "", nil},
	}
	rows := []struct {
		actor, acl string
		aces       []string
		want       string
	}{
		{"bob", "owner only", nil, "403 403 403 403 403 403 403 403 403"},
		{"bob", "read", []string{aceXML("/principals/bob/", "read")}, "200 207 403 403 403 403 403 403 403"},
		{"bob", "write", []string{aceXML("/principals/bob/", "write")}, "403 403 201 204 204 207 201 200 204"},
		{"bob", "read write-content", []string{aceXML("/principals/bob/", "read", "write-content")}, "200 207 403 204 403 403 403 403 403"},
		{"bob", "read bind", []string{aceXML("/principals/bob/", "read", "bind")}, "200 207 201 403 403 403 201 403 403"},
		{"bob", "read unbind", []string{aceXML("/principals/bob/", "read", "unbind")}, "200 207 403 403 204 403 403 403 403"},
		{"bob", "all", []string{aceXML("/principals/bob/", "all")}, "200 207 201 204 204 207 201 200 204"},
		{"bob", "deny read, then all", []string{aceKindXML("deny", "/principals/bob/", "read"), aceXML("/principals/bob/", "all")}, "403 403 201 204 204 207 201 200 204"},
		{"bob", "all authenticated read", []string{aceXML("all", "read")}, "200 207 403 403 403 403 403 403 403"},
		{"bob", "authenticated read", []string{aceXML("authenticated", "read")}, "200 207 403 403 403 403 403 403 403"},
		{"bob", "unauthenticated read", []string{aceXML("unauthenticated", "read")}, "403 403 403 403 403 403 403 403 403"},
		{"", "owner only", nil, "401 401 401 401 401 401 401 401 401"},
		{"", "unauthenticated read", []string{aceXML("unauthenticated", "read")}, "200 207 401 401 401 401 401 401 401"},
		{"alice", "owner only", nil, "200 207 201 204 204 207 201 200 204"},
		{"root", "owner only", nil, "200 207 201 204 204 207 201 200 204"},
	}
	for _, row := range rows {
		want := strings.Fields(row.want)
		if len(want) != len(cols) {
			t.Fatalf("row %s/%s has %d cells", row.actor, row.acl, len(want))
		}
		for i, col := range cols {
			actor := row.actor
			if actor == "" {
				actor = "anonymous"
			}
			t.Run(fmt.Sprintf("%s/%s/%s", actor, row.acl, col.name), func(t *testing.T) {
				e := withAliceCalendar(t, row.aces...)
				rec := e.As(row.actor, col.method, col.path, col.body, col.headers...)
				if got := fmt.Sprint(rec.Status); got != want[i] {
					t.Errorf("%d, want %s\n%s", rec.Status, want[i], rec.Body)
				}
			})
		}
	}
}

// S1: any user could delete any whole calendar in robur.
func TestHoleS1DeleteOthersCalendar(t *testing.T) {
	e := withAliceCalendar(t)
	e.Want(403, "bob", "DELETE", "/calendars/alice/", "")
	e.Want(403, "bob", "DELETE", "/calendars/root/", "")
	e.Want(201, "bob", "MKCOL", "/calendars/bobs-extra/", "") // creating in /calendars/ still works
	e.Want(204, "bob", "DELETE", "/calendars/bobs-extra/", "")
	e.Want(204, "alice", "DELETE", "/calendars/alice/", "")
}

// S2: a missing resource is 404 to whoever may read its parent, 403 to
// others.
func TestHoleS2MissingIs404(t *testing.T) {
	e := withAliceCalendar(t)
	e.Want(404, "alice", "GET", "/calendars/alice/missing.ics", "")
	e.Want(404, "alice", "PROPFIND", "/calendars/alice/missing/", "", "Depth", "0")
	e.Want(404, "alice", "DELETE", "/calendars/alice/missing.ics", "")
	e.Want(403, "bob", "GET", "/calendars/alice/missing.ics", "")
}

// S3: root is a superuser and can run the README's "make public" command
// on any calendar.
func TestHoleS3RootIsSuperuser(t *testing.T) {
	e := withAliceCalendar(t)
	e.Want(207, "root", "PROPFIND", "/calendars/alice/", "", "Depth", "1")
	e.Want(200, "root", "GET", "/calendars/alice/e.ics", "")
	e.Want(403, "bob", "GET", "/calendars/alice/e.ics", "")
	e.Want(207, "root", "PROPPATCH", "/calendars/alice/", aclBody(aceXML("/principals/alice/", "all"), aceXML("all", "read")))
	e.Want(200, "bob", "GET", "/calendars/alice/e.ics", "")
}

// S4: ACEs for authenticated, unauthenticated and self are evaluated; one
// user's ACE never breaks discovery for others.
func TestHoleS4OtherPrincipals(t *testing.T) {
	e := withAliceCalendar(t, aceXML("authenticated", "read"), aceXML("unauthenticated", "read"), aceXML("self", "read"))
	e.Want(200, "bob", "GET", "/calendars/alice/e.ics", "")
	e.Want(200, "", "GET", "/calendars/alice/e.ics", "")
	rec := e.Want(207, "bob", "PROPFIND", "/calendars/", "", "Depth", "1")
	if !strings.Contains(rec.Body, "/calendars/alice/") || !strings.Contains(rec.Body, "/calendars/bob/") {
		t.Errorf("discovery lost calendars:\n%s", rec.Body)
	}
	// DAV:self on a principal matches that principal.
	e.Want(207, "alice", "PROPPATCH", "/principals/alice/", aclBody(aceXML("self", "all")))
	e.Want(207, "alice", "PROPFIND", "/principals/alice/", "", "Depth", "0")
}

// S5: only root changes group membership.
func TestHoleS5GroupMembersCannotEnrol(t *testing.T) {
	e := withAliceCalendar(t)
	e.Want(201, "root", "PUT", "/groups/team?members=alice", "")
	e.Want(403, "alice", "PUT", "/groups/team?members=alice,bob", "")
	e.Want(403, "alice", "PUT", "/groups/team/users/bob", "")
	rec := e.Want(207, "alice", "PROPPATCH", "/principals/team/",
		`<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:group-member-set><D:href>/principals/bob/</D:href></D:group-member-set></D:prop></D:set></D:propertyupdate>`)
	if !strings.Contains(rec.Body, "403") {
		t.Errorf("PROPPATCH of group-member-set not refused:\n%s", rec.Body)
	}
	e.Want(403, "bob", "PROPFIND", "/calendars/team/", "", "Depth", "0")
}

// S6: password and salt are never readable or writable through DAV.
func TestHoleS6PasswordHidden(t *testing.T) {
	e := withAliceCalendar(t)
	body := `<D:propfind xmlns:D="DAV:" xmlns:R="io:robur:webdav"><D:prop><R:password/><R:salt/></D:prop></D:propfind>`
	for _, who := range []string{"alice", "root"} {
		rec := e.Want(207, who, "PROPFIND", "/principals/alice/", body, "Depth", "0")
		doc := etree.NewDocument()
		if err := doc.ReadFromString(rec.Body); err != nil {
			t.Fatal(err)
		}
		for _, p := range doc.FindElements("//password") {
			if p.Text() != "" {
				t.Errorf("%s read the password hash", who)
			}
		}
		if strings.Contains(rec.Body, "argon2") || strings.Contains(rec.Body, "200 OK") {
			t.Errorf("%s got a value:\n%s", who, rec.Body)
		}
	}
	rec := e.Want(207, "alice", "PROPPATCH", "/principals/alice/",
		`<D:propertyupdate xmlns:D="DAV:" xmlns:R="io:robur:webdav"><D:set><D:prop><R:password>x</R:password></D:prop></D:set></D:propertyupdate>`)
	if !strings.Contains(rec.Body, "403") {
		t.Errorf("PROPPATCH of the password not refused:\n%s", rec.Body)
	}
	e.Want(207, "alice", "PROPFIND", "/calendars/alice/", "", "Depth", "0") // password unchanged
	// allprop and propname do not name them either.
	for _, b := range []string{"", `<D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>`} {
		rec := e.Want(207, "alice", "PROPFIND", "/principals/alice/", b, "Depth", "0")
		if strings.Contains(rec.Body, "password") || strings.Contains(rec.Body, "salt") {
			t.Errorf("allprop/propname shows robur's secrets:\n%s", rec.Body)
		}
	}
}

// An ACE naming an unknown principal is a malformed request; changing an
// ACL needs write-acl.
func TestACLValidation(t *testing.T) {
	e := withAliceCalendar(t)
	e.Want(400, "alice", "PROPPATCH", "/calendars/alice/", aclBody(aceXML("/principals/nobody/", "read")))
	e.Want(403, "alice", "ACL", "/calendars/alice/", `<D:acl xmlns:D="DAV:">`+aceXML("/principals/nobody/", "read")+`</D:acl>`)
	e.Want(403, "alice", "ACL", "/calendars/alice/", `<D:acl xmlns:D="DAV:"><D:ace><D:principal><D:all/></D:principal><D:grant><D:privilege><D:fly/></D:privilege></D:grant></D:ace></D:acl>`)
	e.Want(200, "alice", "ACL", "/calendars/alice/", `<D:acl xmlns:D="DAV:">`+aceXML("/principals/alice/", "all")+aceXML("/principals/bob/", "read")+`</D:acl>`)
	e.Want(200, "bob", "GET", "/calendars/alice/e.ics", "") // the event inherits the calendar's ACL
	// bob may read but not write the ACL.
	e.Want(403, "bob", "ACL", "/calendars/alice/", `<D:acl xmlns:D="DAV:">`+aceXML("/principals/bob/", "all")+`</D:acl>`)
}

// A DAV:property principal grants to whoever the named property of the
// resource holds an href of (RFC 3744 §5.5.1); robur cannot evaluate it.
func TestPropertyPrincipal(t *testing.T) {
	e := withAliceCalendar(t)
	e.Want(207, "alice", "PROPPATCH", "/calendars/alice/", aclBody(aceXML("/principals/alice/", "all"),
		`<D:ace><D:principal><D:property><X:delegate xmlns:X="urn:x"/></D:property></D:principal><D:grant><D:privilege><D:read/></D:privilege></D:grant></D:ace>`))
	e.Want(403, "bob", "GET", "/calendars/alice/e.ics", "")
	e.Want(207, "alice", "PROPPATCH", "/calendars/alice/",
		`<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><X:delegate xmlns:X="urn:x"><D:href>/principals/bob/</D:href></X:delegate></D:prop></D:set></D:propertyupdate>`)
	e.Want(200, "bob", "GET", "/calendars/alice/e.ics", "")
	e.Want(403, "bob", "PUT", "/calendars/alice/e.ics", event, "Content-Type", "text/calendar")
}

package stack_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/gocaldav/gocaldav/caldav"
	"github.com/gocaldav/gocaldav/dav"
	"github.com/gocaldav/gocaldav/dav/davtest"
	"github.com/gocaldav/gocaldav/dav/davtest/stack"
)

// matrixTarget is a column group of the matrix: a resource and who owns
// it.
type matrixTarget struct {
	path  string // the collection, or the administration route
	owner string // the principal the ACL body keeps as owner
	admin bool   // an administration route
}

// matrixTargets are the targets by the name matrix rows use.
var matrixTargets = map[string]matrixTarget{
	"own":     {path: "/calendars/alice/", owner: "alice"},
	"private": {path: "/calendars/bob/", owner: "bob"},
	"public":  {path: "/calendars/bobpublic/", owner: "bob"},
	"group":   {path: "/calendars/team/", owner: "team"},
	"princ":   {path: "/principals/alice/", owner: "alice"},
	"users":   {path: "/users/alice", admin: true},
	"groups":  {path: "/groups/team", admin: true},
}

// matrix is the access-control matrix (issue 11): every method against
// every kind of target as every kind of actor, on the whole server as
// cmd/caldav wires it (accounts, ACLs, CalDAV, the administration API).
//
// Actors: anonymous (no credentials), the owner alice, another user bob,
// carol (member of group team) and root.
//
// Targets (their state comes from newMatrixStack):
//
//	own      /calendars/alice/      alice's calendar: ACL alice all
//	private  /calendars/bob/        bob's calendar: ACL bob all, nothing for others
//	public   /calendars/bobpublic/  a calendar bob made with MKCALENDAR and made
//	                                "public" as robur's README does: bob all +
//	                                DAV:all read (every authenticated user; robur
//	                                has no anonymous access)
//	group    /calendars/team/       the group's calendar: ACL team all, so its
//	                                members hold all (robur S12)
//	princ    /principals/alice/     alice's principal: alice all, root all,
//	                                DAV:all read (robur's make_principal)
//	users    /users/alice           administration API, user route
//	groups   /groups/team           administration API, group route
//
// Each calendar holds one event e.ics. The request each method sends to
// a calendar or principal target T (see matrixTarget.request):
//
//	OPTIONS    T
//	GET        T/e.ics (calendars; the principal itself for princ)
//	HEAD       T (the collection)
//	PUT        T/new.ics, a new event
//	DELETE     T (the whole collection: robur's S1)
//	PROPFIND   T, Depth 1, displayname and getetag
//	PROPPATCH  T, set displayname
//	MKCOL      T/sub/
//	MKCALENDAR T/sub/
//	REPORT     T: calendar-query for VEVENTs (calendars), expand-property
//	           of group-membership (princ)
//	COPY       T to a new sibling (/calendars/copy/, /principals/copy/),
//	           Depth infinity
//	MOVE       T to a new sibling (/calendars/moved/, /principals/moved/)
//	ACL        T: owner all + DAV:all read ("make public")
//
// To the administration API, PUT sets a password (users) or the member
// list (groups), DELETE removes the principal, OPTIONS is answered, and
// every other method is unknown there (501, robur's known_methods).
//
// Each cell is the expected status: one row per actor and target, one
// column per method. A 401 carries WWW-Authenticate. On the DAV targets
// a plain 403 is a missing privilege and carries DAV:need-privileges
// (RFC 3744 §7.1.1); 403c is a 403 for another reason, explained below.
// The administration API is not a DAV resource: its 403s are plain text.
// No refusal shows calendar data, and no refused request writes.
//
// Notes on cells that are not plain "allowed or not":
//   - anonymous: no ACE here grants DAV:unauthenticated, so every DAV
//     request is 401 (robur: authentication first, OPTIONS included). On
//     the administration routes a method they do not know is 501 before
//     authentication (robur's known_methods, webmachine node b12).
//   - MKCALENDAR T/sub/ inside a calendar, by whoever may bind there, is
//     403c: CALDAV:calendar-collection-location-ok (RFC 4791 §4.2, §5.3.1.1:
//     no calendar inside a calendar). Without bind it is need-privileges.
//   - DELETE and MOVE of a calendar need unbind on /calendars/, which every
//     user holds (robur's calendars_acl), and write on the calendar itself,
//     which only its owner, its group's members and root hold: robur's S1
//     (any user deletes any calendar) is closed.
//   - public: DAV:all read is read-only for every authenticated user; a
//     reader may COPY it into a calendar of their own (read on the source,
//     bind on /calendars/), and the copy is theirs (RFC 3744 §7.4).
//   - private and public are bob's own calendars, so bob's rows there are
//     an owner's rows; alice and carol meet a calendar of someone else.
//   - group: members hold DAV:all on the group calendar (robur S12), so
//     carol's row there is an owner's row; bob and alice are not members.
//   - princ: alice holds DAV:all on her principal (robur's make_principal),
//     so she may change it and create members in it (RFC 4918 allows
//     members in any collection; robur's PUT refuses non-calendar parents
//     with 400). DELETE and MOVE of a principal need unbind on
//     /principals/: root only. COPY and MOVE of a principal are 403c for
//     everyone who gets that far: principals belong to the administration
//     API (a copy would be a second login with alice's password).
//   - users: alice may change her own password (200), nobody but root
//     creates or deletes users; groups: only root replaces the members
//     (robur S5 let members do it).
//   - root passes every privilege check (robur S3 made it 403 on every
//     user's calendar).
const matrix = `
actor     target   OPTIONS GET  HEAD PUT  DELETE PROPFIND PROPPATCH MKCOL MKCALENDAR REPORT COPY MOVE ACL
anonymous own      401     401  401  401  401    401      401       401   401        401    401  401  401
anonymous private  401     401  401  401  401    401      401       401   401        401    401  401  401
anonymous public   401     401  401  401  401    401      401       401   401        401    401  401  401
anonymous group    401     401  401  401  401    401      401       401   401        401    401  401  401
anonymous princ    401     401  401  401  401    401      401       401   401        401    401  401  401
anonymous users    401     501  501  401  401    501      501       501   501        501    501  501  501
anonymous groups   401     501  501  401  401    501      501       501   501        501    501  501  501

alice     own      200     200  200  201  204    207      207       201   403c       207    201  201  200
alice     private  403     403  403  403  403    403      403       403   403        403    403  403  403
alice     public   200     200  200  403  403    207      403       403   403        207    201  403  403
alice     group    403     403  403  403  403    403      403       403   403        403    403  403  403
alice     princ    200     200  200  201  403    207      207       201   201        207    403c 403  200
alice     users    200     501  501  200  403    501      501       501   501        501    501  501  501
alice     groups   200     501  501  403  403    501      501       501   501        501    501  501  501

bob       own      403     403  403  403  403    403      403       403   403        403    403  403  403
bob       private  200     200  200  201  204    207      207       201   403c       207    201  201  200
bob       public   200     200  200  201  204    207      207       201   403c       207    201  201  200
bob       group    403     403  403  403  403    403      403       403   403        403    403  403  403
bob       princ    200     200  200  403  403    207      403       403   403        207    403c 403  403
bob       users    200     501  501  403  403    501      501       501   501        501    501  501  501
bob       groups   200     501  501  403  403    501      501       501   501        501    501  501  501

carol     own      403     403  403  403  403    403      403       403   403        403    403  403  403
carol     private  403     403  403  403  403    403      403       403   403        403    403  403  403
carol     public   200     200  200  403  403    207      403       403   403        207    201  403  403
carol     group    200     200  200  201  204    207      207       201   403c       207    201  201  200
carol     princ    200     200  200  403  403    207      403       403   403        207    403c 403  403
carol     users    200     501  501  403  403    501      501       501   501        501    501  501  501
carol     groups   200     501  501  403  403    501      501       501   501        501    501  501  501

root      own      200     200  200  201  204    207      207       201   403c       207    201  201  200
root      private  200     200  200  201  204    207      207       201   403c       207    201  201  200
root      public   200     200  200  201  204    207      207       201   403c       207    201  201  200
root      group    200     200  200  201  204    207      207       201   403c       207    201  201  200
root      princ    200     200  200  201  204    207      207       201   201        207    403c 403c 200
root      users    200     501  501  200  204    501      501       501   501        501    501  501  501
root      groups   200     501  501  200  204    501      501       501   501        501    501  501  501
`

// matrixEvent is an event with the given UID.
func matrixEvent(uid string) string {
	return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//gocaldav//matrix//EN\r\nBEGIN:VEVENT\r\nUID:" + uid +
		"\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260105T100000Z\r\nDTEND:20260105T110000Z\r\nSUMMARY:" + uid +
		"\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
}

// ace is one grant ACE in XML; who is a principal href or the local name
// of a DAV principal element (all, authenticated, ...).
func ace(who string, privs ...string) string {
	principal := "<D:href>" + who + "</D:href>"
	if !strings.HasPrefix(who, "/") {
		principal = "<D:" + who + "/>"
	}
	var p strings.Builder
	for _, pr := range privs {
		p.WriteString("<D:privilege><D:" + pr + "/></D:privilege>")
	}
	return "<D:ace><D:principal>" + principal + "</D:principal><D:grant>" + p.String() + "</D:grant></D:ace>"
}

// publicACL is the ACL body that makes owner's resource readable by every
// authenticated user.
func publicACL(owner string) string {
	return `<D:acl xmlns:D="DAV:">` + ace(dav.PrincipalHref(owner), "all") + ace("all", "read") + `</D:acl>`
}

// newMatrixStack is the state every cell starts from: users alice, bob
// and carol, group team with member carol, an event in each calendar, and
// bob's public calendar.
func newMatrixStack(t *testing.T) *stack.Stack {
	t.Helper()
	s := stack.New(t, stack.Options{
		Register: func(srv *dav.Server) { caldav.Register(srv, caldav.Options{}) },
		Users:    []string{"alice", "bob", "carol"},
	})
	s.Want(http.StatusCreated, "root", http.MethodPut, "/groups/team?members=carol", "")
	s.Want(http.StatusCreated, "bob", "MKCALENDAR", "/calendars/bobpublic/", "")
	s.Want(http.StatusOK, "bob", "ACL", "/calendars/bobpublic/", publicACL("bob"))
	for _, c := range []struct{ user, cal string }{{"alice", "alice"}, {"bob", "bob"}, {"bob", "bobpublic"}, {"carol", "team"}} {
		s.Want(http.StatusCreated, c.user, http.MethodPut, "/calendars/"+c.cal+"/e.ics", matrixEvent(c.cal),
			"Content-Type", "text/calendar")
	}
	return s
}

// matrixRequest is what a cell sends.
type matrixRequest struct {
	method, path, body string
	headers            []string
}

// sibling is a new name next to the collection path (for COPY and MOVE).
func sibling(path, name string) string {
	parent := path[:strings.LastIndex(strings.TrimSuffix(path, "/"), "/")+1]
	return parent + name + "/"
}

// request builds the request of method to tg.
func (tg matrixTarget) request(method string) matrixRequest {
	p := tg.path
	calendar := strings.HasPrefix(p, "/calendars/")
	switch method {
	case http.MethodPut:
		if tg.admin {
			if strings.HasPrefix(p, "/users/") {
				return matrixRequest{method: method, path: p + "?password=changed"}
			}
			return matrixRequest{method: method, path: p + "?members=carol,bob"}
		}
		return matrixRequest{method: method, path: p + "new.ics", body: matrixEvent("new"), headers: []string{"Content-Type", "text/calendar"}}
	case http.MethodGet:
		if calendar {
			return matrixRequest{method: method, path: p + "e.ics"}
		}
	case "PROPFIND":
		return matrixRequest{method: method, path: p, headers: []string{"Depth", "1"},
			body: `<D:propfind xmlns:D="DAV:"><D:prop><D:displayname/><D:getetag/></D:prop></D:propfind>`}
	case "PROPPATCH":
		return matrixRequest{method: method, path: p,
			body: `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>renamed</D:displayname></D:prop></D:set></D:propertyupdate>`}
	case "MKCOL", "MKCALENDAR":
		return matrixRequest{method: method, path: p + "sub/"}
	case "REPORT":
		if calendar {
			return matrixRequest{method: method, path: p, headers: []string{"Depth", "1"},
				body: `<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop>` +
					`<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"/></C:comp-filter></C:filter></C:calendar-query>`}
		}
		return matrixRequest{method: method, path: p, headers: []string{"Depth", "0"},
			body: `<D:expand-property xmlns:D="DAV:"><D:property name="group-membership"><D:property name="displayname"/></D:property></D:expand-property>`}
	case "COPY":
		return matrixRequest{method: method, path: p, headers: []string{"Destination", sibling(p, "copy"), "Depth", "infinity"}}
	case "MOVE":
		return matrixRequest{method: method, path: p, headers: []string{"Destination", sibling(p, "moved")}}
	case "ACL":
		return matrixRequest{method: method, path: p, body: publicACL(tg.owner)}
	}
	return matrixRequest{method: method, path: p}
}

// matrixRow is one parsed row of matrix.
type matrixRow struct {
	actor, target string
	want          []string
}

// parseMatrix reads matrix: the methods from its header, then its rows.
func parseMatrix(t *testing.T) (methods []string, rows []matrixRow) {
	t.Helper()
	for _, line := range strings.Split(strings.TrimSpace(matrix), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 0:
		case methods == nil:
			methods = f[2:]
		case len(f) != len(methods)+2:
			t.Fatalf("row %q has %d cells, want %d", line, len(f)-2, len(methods))
		default:
			if _, ok := matrixTargets[f[1]]; !ok {
				t.Fatalf("row %q: unknown target", line)
			}
			rows = append(rows, matrixRow{actor: f[0], target: f[1], want: f[2:]})
		}
	}
	return methods, rows
}

// wantCell returns the expected value of one cell of matrix.
func wantCell(t *testing.T, actor, target, method string) string {
	t.Helper()
	methods, rows := parseMatrix(t)
	for _, r := range rows {
		for i, m := range methods {
			if r.actor == actor && r.target == target && m == method {
				return r.want[i]
			}
		}
	}
	t.Fatalf("no cell %s/%s/%s", actor, target, method)
	return ""
}

// login is the user name a matrix actor sends ("" for anonymous).
func login(actor string) string {
	if actor == "anonymous" {
		return ""
	}
	return actor
}

// TestAccessMatrix runs every cell of matrix. Cells of one row share a
// server until a cell changes the store: then the next cell gets a fresh
// one, so no write influences another cell, and a refused request that
// wrote anything fails.
func TestAccessMatrix(t *testing.T) {
	methods, rows := parseMatrix(t)
	cells, servers := 0, 0
	for _, row := range rows {
		tg := matrixTargets[row.target]
		t.Run(row.actor+"/"+row.target, func(t *testing.T) {
			var s *stack.Stack
			for i, method := range methods {
				cells++
				if s == nil {
					s, servers = newMatrixStack(t), servers+1
				}
				before := s.Store.Head().Commit()
				t.Run(method, func(t *testing.T) {
					s.T = t
					defer func() { s.T = nil }()
					checkCell(t, s, tg, login(row.actor), method, row.want[i])
				})
				if s.Store.Head().Commit() != before {
					if !strings.HasPrefix(row.want[i], "2") {
						t.Errorf("%s answered %s but changed the store", method, row.want[i])
					}
					s = nil
				}
			}
		})
	}
	t.Logf("%d cells: %d rows (5 actors × %d targets) × %d methods; %d servers built", cells, len(rows), len(matrixTargets),
		len(methods), servers)
}

// checkCell sends the cell's request and checks its answer against want.
func checkCell(t *testing.T, s *stack.Stack, tg matrixTarget, user, method, want string) {
	t.Helper()
	rq := tg.request(method)
	r := s.As(user, rq.method, rq.path, rq.body, rq.headers...)
	if got := fmt.Sprint(r.Status); got != strings.TrimSuffix(want, "c") {
		t.Fatalf("%s %s: %d, want %s\n%s", rq.method, rq.path, r.Status, want, r.Body)
	}
	if r.Status >= 400 && strings.Contains(r.Body, "BEGIN:VEVENT") {
		t.Errorf("a refusal shows calendar data:\n%s", r.Body)
	}
	cond := davtest.ErrorCondition(r.Body)
	switch {
	case r.Status == http.StatusUnauthorized && r.Header.Get("WWW-Authenticate") == "":
		t.Errorf("401 without WWW-Authenticate")
	case want == "403" && !tg.admin && method != http.MethodHead: // HEAD answers have no body
		checkNeedPrivileges(t, r.Body)
	case want == "403c" && method == "MKCALENDAR":
		if cond != "{urn:ietf:params:xml:ns:caldav}calendar-collection-location-ok" {
			t.Errorf("condition %q, want calendar-collection-location-ok\n%s", cond, r.Body)
		}
	case want == "403c" && cond == "{DAV:}need-privileges":
		t.Errorf("403c is not about privileges, yet the answer names them:\n%s", r.Body)
	case method == http.MethodGet && r.Status == http.StatusOK && strings.HasPrefix(tg.path, "/calendars/"):
		if !strings.Contains(r.Body, "BEGIN:VEVENT") {
			t.Errorf("GET of the event has no event:\n%s", r.Body)
		}
	case method == "COPY" && r.Status == http.StatusCreated && !tg.admin:
		// RFC 3744 §7.4: the copy is its creator's, whoever owned the
		// source.
		s.Want(http.StatusNoContent, user, http.MethodDelete, sibling(tg.path, "copy"), "")
	case method == "MOVE" && r.Status == http.StatusCreated && !tg.admin:
		// The moved events inherit from their new parent (§7.3).
		s.Want(http.StatusOK, user, http.MethodGet, sibling(tg.path, "moved")+"e.ics", "")
	}
}

// checkNeedPrivileges requires a DAV:error with DAV:need-privileges that
// names a resource and a privilege (RFC 3744 §7.1.1).
func checkNeedPrivileges(t *testing.T, body string) {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromString(body); err != nil || davtest.ErrorCondition(body) != "{DAV:}need-privileges" {
		t.Fatalf("403 without DAV:need-privileges:\n%s", body)
	}
	res := doc.FindElement("//need-privileges/resource")
	if res == nil || res.FindElement("href") == nil || res.FindElement("privilege") == nil ||
		len(res.FindElement("privilege").ChildElements()) != 1 {
		t.Errorf("need-privileges without a resource's href and privilege:\n%s", body)
	}
}

// TestAccessMatrixHoles names robur's access-control holes S1–S6
// (robur-behaviour.md §0) on the whole stack: each subtest holds the
// matrix cells that show the hole closed to their closed values (so the
// table cannot be edited to reopen it) and sends what the matrix does not.
// The same holes on the DAV core alone are dav/account's TestHoleS1… to
// TestHoleS6.
func TestAccessMatrixHoles(t *testing.T) {
	// cells requires matrix cells (actor/target/method) to hold want.
	cells := func(t *testing.T, want string, names ...string) {
		t.Helper()
		for _, n := range names {
			f := strings.Split(n, "/")
			if got := wantCell(t, f[0], f[1], f[2]); got != want {
				t.Errorf("matrix cell %s is %s, want %s", n, got, want)
			}
		}
	}
	t.Run("S1 any user deletes any calendar", func(t *testing.T) {
		cells(t, "403", "bob/own/DELETE", "bob/own/MOVE", "carol/own/DELETE", "alice/private/DELETE", "alice/public/DELETE",
			"alice/public/MOVE", "bob/group/DELETE")
		s := newMatrixStack(t)
		r := s.Want(http.StatusForbidden, "bob", http.MethodDelete, "/calendars/alice/", "")
		if !strings.Contains(r.Body, "<D:href>/calendars/alice/</D:href><D:privilege><D:write/>") {
			t.Errorf("need-privileges does not name write on the calendar:\n%s", r.Body)
		}
		s.Want(http.StatusOK, "alice", http.MethodGet, "/calendars/alice/e.ics", "")
	})
	t.Run("S2 missing resources answer 403", func(t *testing.T) {
		s := newMatrixStack(t)
		for _, m := range []string{http.MethodGet, "PROPFIND", "PROPPATCH", "REPORT", http.MethodDelete, "COPY", "MOVE", "ACL"} {
			rq := matrixTargets["own"].request(m)
			s.Want(http.StatusNotFound, "alice", m, "/calendars/alice/missing/", rq.body, rq.headers...)
		}
		// OPTIONS describes what may be done at a URL, creating included.
		s.Want(http.StatusOK, "alice", http.MethodOptions, "/calendars/alice/missing/", "")
		// Who may not read the parent learns nothing about what is missing.
		s.Want(http.StatusForbidden, "bob", http.MethodGet, "/calendars/alice/missing.ics", "")
	})
	t.Run("S3 root is no superuser", func(t *testing.T) {
		_, rows := parseMatrix(t)
		for _, r := range rows {
			for _, w := range r.want {
				if r.actor == "root" && (w == "403" || w == "401") {
					t.Errorf("root is refused a privilege on %s", r.target)
				}
			}
		}
		// The README's "make public" command, as root, on alice's calendar.
		s := newMatrixStack(t)
		s.Want(http.StatusForbidden, "bob", http.MethodGet, "/calendars/alice/e.ics", "")
		s.Want(http.StatusOK, "root", "ACL", "/calendars/alice/", publicACL("alice"))
		s.Want(http.StatusOK, "bob", http.MethodGet, "/calendars/alice/e.ics", "")
	})
	t.Run("S4 other principal kinds break discovery", func(t *testing.T) {
		s := newMatrixStack(t)
		s.Want(http.StatusOK, "alice", "ACL", "/calendars/alice/", `<D:acl xmlns:D="DAV:">`+ace(dav.PrincipalHref("alice"), "all")+
			ace("authenticated", "read")+ace("unauthenticated", "read")+ace("self", "read")+`</D:acl>`)
		s.Want(http.StatusOK, "bob", http.MethodGet, "/calendars/alice/e.ics", "")
		s.Want(http.StatusOK, "", http.MethodGet, "/calendars/alice/e.ics", "")
		s.Want(http.StatusUnauthorized, "", http.MethodGet, "/calendars/bob/e.ics", "")
		r := s.Want(http.StatusMultiStatus, "carol", "PROPFIND", "/calendars/", "", "Depth", "1")
		for _, cal := range []string{"/calendars/alice/", "/calendars/bobpublic/", "/calendars/team/"} {
			if _, ok := davtest.ParseMultistatus(t, r.Body)[cal]; !ok {
				t.Errorf("discovery lost %s:\n%s", cal, r.Body)
			}
		}
		if _, ok := davtest.ParseMultistatus(t, r.Body)["/calendars/bob/"]; ok {
			t.Errorf("discovery shows carol bob's private calendar:\n%s", r.Body)
		}
	})
	t.Run("S5 group members rewrite their group", func(t *testing.T) {
		cells(t, "403", "carol/groups/PUT", "carol/groups/DELETE")
		s := newMatrixStack(t)
		s.Want(http.StatusForbidden, "carol", http.MethodPut, "/groups/team/users/bob", "")
		r := s.Want(http.StatusMultiStatus, "carol", "PROPPATCH", "/principals/team/",
			`<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:group-member-set><D:href>/principals/bob/</D:href></D:group-member-set></D:prop></D:set></D:propertyupdate>`)
		if st := davtest.ParseMultistatus(t, r.Body).Statuses()["/principals/team/"]["{DAV:}group-member-set"]; st != http.StatusForbidden {
			t.Errorf("PROPPATCH of group-member-set by a member: %d\n%s", st, r.Body)
		}
		s.Want(http.StatusForbidden, "bob", "PROPFIND", "/calendars/team/", "", "Depth", "0")
	})
	t.Run("S6 salt readable and password writable", func(t *testing.T) {
		s := newMatrixStack(t)
		for _, who := range []string{"alice", "root"} {
			r := s.Want(http.StatusMultiStatus, who, "PROPFIND", "/principals/alice/",
				`<D:propfind xmlns:D="DAV:" xmlns:R="io:robur:webdav"><D:prop><R:password/><R:salt/></D:prop></D:propfind>`, "Depth", "0")
			for prop, st := range davtest.ParseMultistatus(t, r.Body).Statuses()["/principals/alice/"] {
				if st == http.StatusOK {
					t.Errorf("%s read %s:\n%s", who, prop, r.Body)
				}
			}
		}
		r := s.Want(http.StatusMultiStatus, "alice", "PROPPATCH", "/principals/alice/",
			`<D:propertyupdate xmlns:D="DAV:" xmlns:R="io:robur:webdav"><D:set><D:prop><R:password>x</R:password></D:prop></D:set></D:propertyupdate>`)
		if st := davtest.ParseMultistatus(t, r.Body).Statuses()["/principals/alice/"]["{io:robur:webdav}password"]; st != http.StatusForbidden {
			t.Errorf("PROPPATCH of the password: %d\n%s", st, r.Body)
		}
		s.Want(http.StatusOK, "alice", http.MethodGet, "/calendars/alice/e.ics", "") // the password still works
	})
}

// A moved calendar's events follow it: re-creating the old path gives
// nobody access to them (found by the matrix's MOVE cells).
func TestAccessMatrixMoveKeepsEventsPrivate(t *testing.T) {
	s := newMatrixStack(t)
	s.Want(http.StatusCreated, "alice", "MOVE", "/calendars/alice/", "", "Destination", "/calendars/moved/")
	s.Want(http.StatusCreated, "bob", "MKCALENDAR", "/calendars/alice/", "")
	s.Want(http.StatusForbidden, "bob", http.MethodGet, "/calendars/moved/e.ics", "")
	s.Want(http.StatusOK, "alice", http.MethodGet, "/calendars/moved/e.ics", "")
}

// A COPY or MOVE onto an existing resource needs what replacing it needs
// (RFC 3744 Appendix B): bob, who may read and add to alice's calendar,
// cannot replace her event by COPY or MOVE any more than by PUT.
func TestAccessMatrixOverwriteNeedsPrivileges(t *testing.T) {
	s := newMatrixStack(t)
	s.Want(http.StatusOK, "alice", "ACL", "/calendars/alice/", `<D:acl xmlns:D="DAV:">`+ace(dav.PrincipalHref("alice"), "all")+
		ace(dav.PrincipalHref("bob"), "read", "bind")+`</D:acl>`)
	s.Want(http.StatusForbidden, "bob", http.MethodPut, "/calendars/alice/e.ics", matrixEvent("alice"), "Content-Type", "text/calendar")
	for _, m := range []string{"COPY", "MOVE"} {
		r := s.Want(http.StatusForbidden, "bob", m, "/calendars/bob/e.ics", "", "Destination", "/calendars/alice/e.ics")
		checkNeedPrivileges(t, r.Body)
	}
	if r := s.Want(http.StatusOK, "alice", http.MethodGet, "/calendars/alice/e.ics", ""); !strings.Contains(r.Body, "UID:alice") {
		t.Errorf("alice's event was replaced:\n%s", r.Body)
	}
	s.Want(http.StatusCreated, "bob", "COPY", "/calendars/bob/e.ics", "", "Destination", "/calendars/alice/fresh.ics") // bind suffices
}

// TestListingChecksEachMember: the members of a listing are checked one
// by one (a member's own ACL can hide it while its siblings inherit read
// from the collection), and a decision on the collection is not kept
// from one request to the next.
func TestListingChecksEachMember(t *testing.T) {
	s := newMatrixStack(t)
	for _, n := range []string{"e1", "e2", "e3"} {
		s.Want(http.StatusCreated, "alice", http.MethodPut, "/calendars/alice/"+n+".ics", matrixEvent(n), "Content-Type", "text/calendar")
	}
	s.Want(http.StatusOK, "alice", "ACL", "/calendars/alice/", `<D:acl xmlns:D="DAV:">`+ace(dav.PrincipalHref("alice"), "all")+ace(dav.PrincipalHref("bob"), "read")+`</D:acl>`)
	s.Want(http.StatusOK, "alice", "ACL", "/calendars/alice/e2.ics", `<D:acl xmlns:D="DAV:">`+ace(dav.PrincipalHref("alice"), "all")+
		`<D:ace><D:principal><D:href>/principals/bob/</D:href></D:principal><D:deny><D:privilege><D:read/></D:privilege></D:deny></D:ace></D:acl>`)
	visible := func(method, body string, headers ...string) map[string]bool {
		t.Helper()
		out := map[string]bool{}
		for href := range davtest.ParseMultistatus(t, s.Want(http.StatusMultiStatus, "bob", method, "/calendars/alice/", body, headers...).Body) {
			out[href] = true
		}
		return out
	}
	query := `<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop>` +
		`<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"/></C:comp-filter></C:filter></C:calendar-query>`
	for what, got := range map[string]map[string]bool{
		"PROPFIND":       visible("PROPFIND", "", "Depth", "1"),
		"calendar-query": visible("REPORT", query, "Depth", "1"),
	} {
		if !got["/calendars/alice/e1.ics"] || !got["/calendars/alice/e3.ics"] || got["/calendars/alice/e2.ics"] {
			t.Errorf("%s shows bob %v: want e1 and e3, not e2", what, got)
		}
	}
	// Revoked on the collection: the next listing shows bob nothing.
	s.Want(http.StatusOK, "alice", "ACL", "/calendars/alice/", `<D:acl xmlns:D="DAV:">`+ace(dav.PrincipalHref("alice"), "all")+`</D:acl>`)
	s.Want(http.StatusForbidden, "bob", "PROPFIND", "/calendars/alice/", "", "Depth", "1")
	s.Want(http.StatusForbidden, "bob", http.MethodGet, "/calendars/alice/e1.ics", "")
}

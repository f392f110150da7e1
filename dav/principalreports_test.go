package dav_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/gocaldav/gocaldav/dav/davtest"
	"github.com/gocaldav/gocaldav/dav/davtest/stack"
)

// principalEnv is the server as cmd/caldav wires it (accounts, ACLs, the
// DAV trees) with users alice, bob and carol, the group team (alice and
// bob), display names, and alice's e-mail address.
type principalEnv struct {
	*stack.Stack
}

func newPrincipalEnv(t *testing.T) *principalEnv {
	t.Helper()
	e := &principalEnv{stack.New(t, stack.Options{Users: []string{"alice", "bob", "carol"}})}
	names := map[string]string{"alice": "Alice Liddell", "bob": "Bob Dobbs", "carol": "Carol Ann"}
	for _, u := range []string{"alice", "bob", "carol"} {
		e.Want(207, u, "PROPPATCH", "/principals/"+u+"/", setProp(`<D:displayname>`+names[u]+`</D:displayname>`))
	}
	e.Want(201, "root", "PUT", "/groups/team?members=alice,bob", "")
	e.wantProps(200, "alice", "/principals/alice/", `<R:email xmlns:R="io:robur:webdav">alice@example.com</R:email>`)
	return e
}

// setProp is a PROPPATCH body setting props.
func setProp(props string) string {
	return `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>` + props + `</D:prop></D:set></D:propertyupdate>`
}

// want sends a request and fails unless the status is status; it
// returns the body.
func (e *principalEnv) want(status int, user, method, target, body string, headers ...string) string {
	e.T.Helper()
	return e.Want(status, user, method, target, body, headers...).Body
}

// wantProps PROPPATCHes props and checks that every property got status.
func (e *principalEnv) wantProps(status int, user, target, props string) {
	e.T.Helper()
	body := e.want(207, user, "PROPPATCH", target, setProp(props))
	want := fmt.Sprintf(" %d ", status)
	d := etree.NewDocument()
	if err := d.ReadFromString(body); err != nil {
		e.T.Fatal(err)
	}
	for _, st := range d.FindElements("//status") {
		if !strings.Contains(st.Text(), want) {
			e.T.Fatalf("PROPPATCH %s as %s: %s, want %d\n%s", target, user, st.Text(), status, body)
		}
	}
}

// reportXML renders report answers for comparison; the text of an
// element with children does not count.
var reportXML = davtest.Canonicaliser{IgnoreMixedText: true}

// report runs a REPORT as user expecting status and compares the body
// with want semantically.
func (e *principalEnv) report(status int, user, target, body, want string, headers ...string) {
	e.T.Helper()
	got := e.want(status, user, "REPORT", target, body, headers...)
	if g, w := reportXML.Document(e.T, got), reportXML.Document(e.T, want); g != w {
		e.T.Fatalf("REPORT %s as %s:\n%s\nwant:\n%s", target, user, g, w)
	}
}

func TestExpandProperty(t *testing.T) {
	e := newPrincipalEnv(t)
	e.report(207, "alice", "/principals/alice/", `<D:expand-property xmlns:D="DAV:">
		<D:property name="current-user-principal"><D:property name="displayname"/><D:property name="email" namespace="io:robur:webdav"/></D:property>
		<D:property name="group-membership">
			<D:property name="displayname"/>
			<D:property name="group-member-set"><D:property name="displayname"/></D:property>
		</D:property>
		<D:property name="displayname"/>
		<D:property name="calendar-proxy-read-for" namespace="http://calendarserver.org/ns/"><D:property name="displayname"/></D:property>
	</D:expand-property>`, `<D:multistatus xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/" xmlns:R="io:robur:webdav">
	<D:response><D:href>/principals/alice/</D:href>
		<D:propstat><D:prop>
			<D:current-user-principal><D:response><D:href>/principals/alice/</D:href>
				<D:propstat><D:prop><D:displayname>Alice Liddell</D:displayname><R:email>alice@example.com</R:email></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>
			</D:response></D:current-user-principal>
			<D:group-membership><D:response><D:href>/principals/team/</D:href>
				<D:propstat><D:prop>
					<D:displayname>team</D:displayname>
					<D:group-member-set>
						<D:response><D:href>/principals/alice/</D:href><D:propstat><D:prop><D:displayname>Alice Liddell</D:displayname></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>
						<D:response><D:href>/principals/bob/</D:href><D:propstat><D:prop><D:displayname>Bob Dobbs</D:displayname></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>
					</D:group-member-set>
				</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>
			</D:response></D:group-membership>
			<D:displayname>Alice Liddell</D:displayname>
		</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>
		<D:propstat><D:prop><CS:calendar-proxy-read-for/></D:prop><D:status>HTTP/1.1 404 Not Found</D:status></D:propstat>
	</D:response></D:multistatus>`)
}

// Expanded resources the user may not read are reported 403, missing
// ones 404; nesting beyond the bound is answered unexpanded.
func TestExpandPropertyAccessAndDepth(t *testing.T) {
	e := newPrincipalEnv(t)
	// carol makes her principal unreadable to others and points a dead
	// property of her calendar at it and at a missing principal.
	e.want(207, "carol", "PROPPATCH", "/principals/carol/", setProp(`<D:acl><D:ace><D:principal><D:href>/principals/carol/</D:href></D:principal><D:grant><D:privilege><D:all/></D:privilege></D:grant></D:ace></D:acl>`))
	e.want(207, "bob", "PROPPATCH", "/calendars/bob/", setProp(`<X:friends xmlns:X="urn:x"><D:href>/principals/carol/</D:href><D:href>/principals/nobody/</D:href>text</X:friends>`))
	e.report(207, "bob", "/calendars/bob/", `<D:expand-property xmlns:D="DAV:"><D:property name="friends" namespace="urn:x"><D:property name="displayname"/></D:property></D:expand-property>`,
		`<D:multistatus xmlns:D="DAV:"><D:response><D:href>/calendars/bob/</D:href><D:propstat><D:prop>
			<X:friends xmlns:X="urn:x">
				<D:response><D:href>/principals/carol/</D:href><D:status>HTTP/1.1 403 Forbidden</D:status></D:response>
				<D:response><D:href>/principals/nobody/</D:href><D:status>HTTP/1.1 404 Not Found</D:status></D:response>
			</X:friends></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response></D:multistatus>`)
	// Five levels of nesting: the fourth level's hrefs stay hrefs.
	e.report(207, "alice", "/principals/alice/", `<D:expand-property xmlns:D="DAV:">
		<D:property name="principal-URL"><D:property name="principal-URL"><D:property name="principal-URL"><D:property name="principal-URL"><D:property name="principal-URL"/></D:property></D:property></D:property></D:property>
		</D:expand-property>`, `<D:multistatus xmlns:D="DAV:"><D:response><D:href>/principals/alice/</D:href><D:propstat><D:prop>
		<D:principal-URL><D:response><D:href>/principals/alice/</D:href><D:propstat><D:prop>
		<D:principal-URL><D:response><D:href>/principals/alice/</D:href><D:propstat><D:prop>
		<D:principal-URL><D:response><D:href>/principals/alice/</D:href><D:propstat><D:prop>
		<D:principal-URL><D:href>/principals/alice/</D:href></D:principal-URL>
		</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response></D:principal-URL>
		</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response></D:principal-URL>
		</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response></D:principal-URL>
		</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response></D:multistatus>`)
	e.want(400, "alice", "REPORT", "/principals/alice/", `<D:expand-property xmlns:D="DAV:"><D:property/></D:expand-property>`)
	// The report needs read on the request URI.
	e.want(403, "bob", "REPORT", "/principals/carol/", `<D:expand-property xmlns:D="DAV:"><D:property name="displayname"/></D:expand-property>`)
}

// searchBody is a principal-property-search body.
func searchBody(attrs, searches, tail string) string {
	return `<D:principal-property-search xmlns:D="DAV:" xmlns:R="io:robur:webdav"` + attrs + `>` + searches + `<D:prop><D:displayname/></D:prop>` + tail + `</D:principal-property-search>`
}

// search is one DAV:property-search of prop (a prefixed element) for match.
func search(prop, match string) string {
	return `<D:property-search><D:prop>` + prop + `</D:prop><D:match>` + match + `</D:match></D:property-search>`
}

// found is the multistatus of principals (name, display name) pairs.
func found(pairs ...string) string {
	var b strings.Builder
	b.WriteString(`<D:multistatus xmlns:D="DAV:">`)
	for i := 0; i+1 < len(pairs); i += 2 {
		b.WriteString(`<D:response><D:href>/principals/` + pairs[i] + `/</D:href><D:propstat><D:prop><D:displayname>` + pairs[i+1] +
			`</D:displayname></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>`)
	}
	b.WriteString(`</D:multistatus>`)
	return b.String()
}

func TestPrincipalPropertySearch(t *testing.T) {
	e := newPrincipalEnv(t)
	cases := []struct {
		name, body, want string
	}{
		{"caseless substring", searchBody("", search("<D:displayname/>", "LiDD"), ""), found("alice", "Alice Liddell")},
		{"every principal has an o or is team", searchBody(` test="anyof"`, search("<D:displayname/>", "o")+search("<D:displayname/>", "tea"), ""),
			found("bob", "Bob Dobbs", "carol", "Carol Ann", "team", "team", "root", "root")},
		{"allof", searchBody("", search("<D:displayname/>", "a")+search("<D:displayname/>", "n"), ""), found("carol", "Carol Ann")},
		{"anyof with e-mail", searchBody(` test="anyof"`, search("<D:displayname/>", "dobbs")+search("<R:email/>", "EXAMPLE.com"), ""),
			found("alice", "Alice Liddell", "bob", "Bob Dobbs")},
		{"several properties in one prop are ANDed", searchBody("", search("<D:displayname/><R:email/>", "alice"), ""), found("alice", "Alice Liddell")},
		{"no match", searchBody("", search("<D:displayname/>", "zebra"), ""), found()},
		{"unsearchable property", searchBody("", search("<D:getetag/>", ""), ""), found()},
		{"starts-with", searchBody("", `<D:property-search><D:prop><D:displayname/></D:prop><D:match match-type="starts-with">bo</D:match></D:property-search>`, ""), found("bob", "Bob Dobbs")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.T = t
			e.report(207, "bob", "/principals/", c.body, c.want)
		})
	}
	e.T = t
	// From "/" with apply-to-principal-collection-set.
	e.report(207, "bob", "/", searchBody("", search("<D:displayname/>", "carol"), "<D:apply-to-principal-collection-set/>"), found("carol", "Carol Ann"))
	// Without DAV:prop, bare 200 responses.
	e.report(207, "bob", "/principals/", `<D:principal-property-search xmlns:D="DAV:">`+search("<D:displayname/>", "carol")+`</D:principal-property-search>`,
		`<D:multistatus xmlns:D="DAV:"><D:response><D:href>/principals/carol/</D:href><D:status>HTTP/1.1 200 OK</D:status></D:response></D:multistatus>`)
	// Principals the user may not read are not found.
	e.want(207, "carol", "PROPPATCH", "/principals/carol/", setProp(`<D:acl><D:ace><D:principal><D:href>/principals/carol/</D:href></D:principal><D:grant><D:privilege><D:all/></D:privilege></D:grant></D:ace></D:acl>`))
	e.report(207, "bob", "/principals/", searchBody("", search("<D:displayname/>", "carol"), ""), found())
	e.report(207, "carol", "/principals/", searchBody("", search("<D:displayname/>", "carol"), ""), found("carol", "Carol Ann"))
	// Errors.
	e.want(400, "bob", "REPORT", "/principals/", searchBody("", search("<D:displayname/>", "a"), ""), "Depth", "1")
	e.want(400, "bob", "REPORT", "/principals/", searchBody("", `<D:property-search><D:prop><D:displayname/></D:prop></D:property-search>`, ""))
	e.want(400, "bob", "REPORT", "/principals/", searchBody(` test="some"`, search("<D:displayname/>", "a"), ""))
	e.want(400, "bob", "REPORT", "/principals/", `<D:principal-property-search xmlns:D="DAV:"/>`)
	body := e.want(403, "bob", "REPORT", "/calendars/", searchBody("", search("<D:displayname/>", "a"), ""))
	if !strings.Contains(body, "supported-report") {
		t.Fatalf("want DAV:supported-report:\n%s", body)
	}
}

func TestPrincipalSearchPropertySet(t *testing.T) {
	e := newPrincipalEnv(t)
	e.report(200, "bob", "/principals/", `<D:principal-search-property-set xmlns:D="DAV:"/>`, `<D:principal-search-property-set xmlns:D="DAV:">
		<D:principal-search-property><D:prop><D:displayname/></D:prop><D:description xml:lang="en">Display name</D:description></D:principal-search-property>
		<D:principal-search-property><D:prop><R:email xmlns:R="io:robur:webdav"/></D:prop><D:description xml:lang="en">E-mail address</D:description></D:principal-search-property>
		</D:principal-search-property-set>`)
	e.want(400, "bob", "REPORT", "/principals/", `<D:principal-search-property-set xmlns:D="DAV:"/>`, "Depth", "infinity")
	e.want(400, "bob", "REPORT", "/principals/", `<D:principal-search-property-set xmlns:D="DAV:"><D:prop/></D:principal-search-property-set>`)
	// Listed in supported-report-set of /principals/ but not /calendars/.
	body := e.want(207, "bob", "PROPFIND", "/principals/", `<D:propfind xmlns:D="DAV:"><D:prop><D:supported-report-set/></D:prop></D:propfind>`, "Depth", "0")
	for _, r := range []string{"principal-search-property-set", "principal-property-search", "principal-match", "expand-property"} {
		if !strings.Contains(body, r) {
			t.Fatalf("supported-report-set of /principals/ lacks %s:\n%s", r, body)
		}
	}
	body = e.want(207, "bob", "PROPFIND", "/calendars/bob/", `<D:propfind xmlns:D="DAV:"><D:prop><D:supported-report-set/></D:prop></D:propfind>`, "Depth", "0")
	if strings.Contains(body, "principal-property-search") || !strings.Contains(body, "expand-property") {
		t.Fatalf("supported-report-set of a calendar:\n%s", body)
	}
}

func TestPrincipalMatch(t *testing.T) {
	e := newPrincipalEnv(t)
	e.report(207, "alice", "/principals/", `<D:principal-match xmlns:D="DAV:"><D:self/><D:prop><D:displayname/></D:prop></D:principal-match>`,
		found("alice", "Alice Liddell", "team", "team"))
	e.report(207, "carol", "/principals/", `<D:principal-match xmlns:D="DAV:"><D:self/></D:principal-match>`,
		`<D:multistatus xmlns:D="DAV:"><D:response><D:href>/principals/carol/</D:href><D:status>HTTP/1.1 200 OK</D:status></D:response></D:multistatus>`)
	// The collections owned by bob or his group; alice's is not.
	e.want(201, "bob", "PUT", "/calendars/bob/e.ics", "x", "Content-Type", "text/plain")
	e.report(207, "bob", "/calendars/", `<D:principal-match xmlns:D="DAV:"><D:principal-property><D:owner/></D:principal-property></D:principal-match>`,
		`<D:multistatus xmlns:D="DAV:">
		<D:response><D:href>/calendars/bob/</D:href><D:status>HTTP/1.1 200 OK</D:status></D:response>
		<D:response><D:href>/calendars/team/</D:href><D:status>HTTP/1.1 200 OK</D:status></D:response>
		</D:multistatus>`)
	e.report(207, "bob", "/calendars/", `<D:principal-match xmlns:D="DAV:"><D:principal-property><X:nothing xmlns:X="urn:x"/></D:principal-property></D:principal-match>`,
		`<D:multistatus xmlns:D="DAV:"/>`)
	e.want(400, "bob", "REPORT", "/principals/", `<D:principal-match xmlns:D="DAV:"><D:self/></D:principal-match>`, "Depth", "1")
	e.want(400, "bob", "REPORT", "/principals/", `<D:principal-match xmlns:D="DAV:"/>`)
	e.want(400, "bob", "REPORT", "/principals/", `<D:principal-match xmlns:D="DAV:"><D:self/><D:principal-property><D:owner/></D:principal-property></D:principal-match>`)
}

// The e-mail property is set by the principal itself or root, on
// principals only, to one bare address.
func TestPrincipalEmail(t *testing.T) {
	e := newPrincipalEnv(t)
	email := func(addr string) string { return `<R:email xmlns:R="io:robur:webdav">` + addr + `</R:email>` }
	e.wantProps(200, "bob", "/principals/bob/", email(" bob@example.org "))
	e.wantProps(409, "bob", "/principals/bob/", email("not an address"))
	e.wantProps(409, "bob", "/principals/bob/", email("Bob &lt;bob@example.org&gt;"))
	e.wantProps(409, "bob", "/principals/bob/", email(`<D:href xmlns:D="DAV:">bob@example.org</D:href>`))
	e.wantProps(200, "root", "/principals/bob/", email("robert@example.org"))
	e.want(403, "alice", "PROPPATCH", "/principals/bob/", setProp(email("x@example.org")))
	e.wantProps(403, "alice", "/calendars/alice/", email("alice@example.org"))
	e.wantProps(403, "alice", "/principals/team/", email("team@example.org"))
	e.report(207, "bob", "/principals/bob/", `<D:expand-property xmlns:D="DAV:"><D:property name="email" namespace="io:robur:webdav"/></D:expand-property>`,
		`<D:multistatus xmlns:D="DAV:"><D:response><D:href>/principals/bob/</D:href><D:propstat><D:prop><R:email xmlns:R="io:robur:webdav">robert@example.org</R:email></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response></D:multistatus>`)
}

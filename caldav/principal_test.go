package caldav

import (
	"testing"
)

// CALDAV:calendar-user-address-set is the principal URL plus the mailto:
// of the e-mail address the user set; Apple clients read it (and the
// display name) through expand-property, and find principals by it.
func TestCalendarUserAddressSet(t *testing.T) {
	e := newACLEnv(t)
	e.Want(207, "alice", "PROPPATCH", "/principals/alice/", `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>
		<D:displayname>Alice Liddell</D:displayname><R:email xmlns:R="io:robur:webdav">alice@example.com</R:email>
		</D:prop></D:set></D:propertyupdate>`)
	r := e.Want(207, "alice", "REPORT", "/calendars/alice/", `<D:expand-property xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
		<D:property name="current-user-principal">
			<D:property name="displayname"/>
			<D:property name="calendar-user-address-set" namespace="urn:ietf:params:xml:ns:caldav"/>
			<D:property name="calendar-home-set" namespace="urn:ietf:params:xml:ns:caldav"/>
		</D:property></D:expand-property>`)
	want := `<D:multistatus xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:response><D:href>/calendars/alice/</D:href>
		<D:propstat><D:prop><D:current-user-principal><D:response><D:href>/principals/alice/</D:href>
			<D:propstat><D:prop>
				<D:displayname>Alice Liddell</D:displayname>
				<C:calendar-user-address-set><D:href>/principals/alice/</D:href><D:href>mailto:alice@example.com</D:href></C:calendar-user-address-set>
				<C:calendar-home-set><D:href>/calendars/</D:href></C:calendar-home-set>
			</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>
		</D:response></D:current-user-principal></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response></D:multistatus>`
	if got, exp := canonicalDoc(t, r.Body), canonicalDoc(t, want); got != exp {
		t.Fatalf("expand-property:\n%s\nwant\n%s", got, exp)
	}
	// Without an e-mail address only the principal URL; not on calendars.
	r = e.Want(207, "bob", "PROPFIND", "/principals/bob/", `<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:calendar-user-address-set/></D:prop></D:propfind>`, "Depth", "0")
	if got, exp := propCanonical(t, r.Body, "/principals/bob/", "{urn:ietf:params:xml:ns:caldav}calendar-user-address-set"),
		canonicalDoc(t, `<C:calendar-user-address-set xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:D="DAV:"><D:href>/principals/bob/</D:href></C:calendar-user-address-set>`); got != exp {
		t.Fatalf("bob's address set: %s, want %s", got, exp)
	}
	r = e.Want(207, "bob", "PROPFIND", "/calendars/bob/", `<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:calendar-user-address-set/></D:prop></D:propfind>`, "Depth", "0")
	if got := parseMS(t, r.Body)["/calendars/bob/"]["{urn:ietf:params:xml:ns:caldav}calendar-user-address-set"]; got != 404 {
		t.Fatalf("on a calendar: %d, want 404", got)
	}
	// Read-only.
	r = e.Want(207, "alice", "PROPPATCH", "/principals/alice/", `<D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><C:calendar-user-address-set><D:href>mailto:x@example.com</D:href></C:calendar-user-address-set></D:prop></D:set></D:propertyupdate>`)
	if got := parseMS(t, r.Body)["/principals/alice/"]["{urn:ietf:params:xml:ns:caldav}calendar-user-address-set"]; got != 403 {
		t.Fatalf("PROPPATCH: %d, want 403", got)
	}
	// Searchable, and listed as searchable.
	r = e.Want(207, "bob", "REPORT", "/principals/", `<D:principal-property-search xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
		<D:property-search><D:prop><C:calendar-user-address-set/></D:prop><D:match>mailto:ALICE@</D:match></D:property-search>
		<D:prop><C:calendar-user-address-set/></D:prop></D:principal-property-search>`)
	want = `<D:multistatus xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:response><D:href>/principals/alice/</D:href>
		<D:propstat><D:prop><C:calendar-user-address-set><D:href>/principals/alice/</D:href><D:href>mailto:alice@example.com</D:href></C:calendar-user-address-set></D:prop>
		<D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response></D:multistatus>`
	if got, exp := canonicalDoc(t, r.Body), canonicalDoc(t, want); got != exp {
		t.Fatalf("search:\n%s\nwant\n%s", got, exp)
	}
	r = e.Want(200, "bob", "REPORT", "/principals/", `<D:principal-search-property-set xmlns:D="DAV:"/>`)
	want = `<D:principal-search-property-set xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
		<D:principal-search-property><D:prop><D:displayname/></D:prop><D:description xml:lang="en">Display name</D:description></D:principal-search-property>
		<D:principal-search-property><D:prop><R:email xmlns:R="io:robur:webdav"/></D:prop><D:description xml:lang="en">E-mail address</D:description></D:principal-search-property>
		<D:principal-search-property><D:prop><C:calendar-user-address-set/></D:prop><D:description xml:lang="en">Calendar user addresses</D:description></D:principal-search-property>
		</D:principal-search-property-set>`
	if got, exp := canonicalDoc(t, r.Body), canonicalDoc(t, want); got != exp {
		t.Fatalf("search property set:\n%s\nwant\n%s", got, exp)
	}
}

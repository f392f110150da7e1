package propfile

import (
	"reflect"
	"testing"
)

// CALDAV:read-free-busy is stored in the CalDAV namespace and read back;
// the same local name in DAV: is no privilege.
func TestReadFreeBusyRoundTrip(t *testing.T) {
	aces := []ACE{
		{Principal: Principal{Kind: PrincipalHref, Href: "/principals/bob/"}, Kind: Grant, Privileges: []Privilege{PrivReadFreeBusy}},
		{Principal: Principal{Kind: PrincipalAll}, Kind: Deny, Privileges: []Privilege{PrivRead, PrivReadFreeBusy}},
	}
	props := NewProps(Property{Name: DAV("acl"), Value: EncodeACL(aces)})
	back, err := Parse(props.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	v, _ := back.Get(DAV("acl"))
	if v.Value[0].Children[1].Children[0].Children[0].Name != CalDAV("read-free-busy") {
		t.Fatalf("stored element: %+v", v.Value[0])
	}
	got, err := DecodeACL(v.Value)
	if err != nil || !reflect.DeepEqual(got, aces) {
		t.Fatalf("DecodeACL = %+v, %v; want %+v", got, err, aces)
	}
	wrong := Element(DAV("ace"), nil,
		Element(DAV("principal"), nil, Element(DAV("all"), nil)),
		Element(DAV("grant"), nil, Element(DAV("privilege"), nil, Element(DAV("read-free-busy"), nil))))
	if _, err := ParseACE(wrong); err == nil {
		t.Fatal("DAV:read-free-busy was read as a privilege")
	}
	if p, ok := PrivilegeOf(DAV("read")); !ok || p != PrivRead || p.Name() != DAV("read") {
		t.Fatalf("PrivilegeOf(DAV:read) = %q, %v", p, ok)
	}
}

package propfile

import (
	"encoding/xml"
	"fmt"
	"strings"
	"time"
)

// TextProperty returns a property whose value is the single text text, the
// shape robur uses for displayname, getcontenttype, creationdate, password
// and most other simple properties.
func TextProperty(name xml.Name, text string) Property {
	return Property{Name: name, Value: []Node{TextNode(text)}}
}

// Text returns the property's value if it is exactly one text node.
func (p Property) Text() (string, bool) { return singleText(p.Value) }

// HrefNodes returns one DAV:href element per URL, the value robur stores
// for principal-URL, group-membership, group-member-set,
// calendar-home-set and default_groups.
func HrefNodes(urls ...string) []Node {
	nodes := make([]Node, len(urls))
	for i, u := range urls {
		nodes[i] = Element(DAV("href"), nil, TextNode(u))
	}
	return nodes
}

// Hrefs returns the URLs of the DAV:href elements among nodes that hold
// exactly one text child; other nodes are skipped. (Robur's
// Properties.identities matches the local name "href" in any namespace;
// Hrefs insists on DAV:.)
func Hrefs(nodes []Node) []string {
	var urls []string
	for _, n := range nodes {
		if n.IsText || n.Name != DAV("href") {
			continue
		}
		if u, ok := singleText(n.Children); ok {
			urls = append(urls, u)
		}
	}
	return urls
}

// timestampLayout is Ptime.to_rfc3339 with its defaults: UTC, whole
// seconds, and the "-00:00" offset meaning "local offset unknown".
const timestampLayout = "2006-01-02T15:04:05"

// FormatTimestamp formats t as robur stores creationdate and
// getlastmodified (Ptime.to_rfc3339): in UTC, without fractional seconds
// (they are dropped), followed by "-00:00", e.g. 2018-04-12T10:00:00-00:00.
func FormatTimestamp(t time.Time) string {
	return t.UTC().Format(timestampLayout) + "-00:00"
}

// ParseTimestamp parses an RFC 3339 timestamp as robur's Ptime.of_rfc3339
// does in its default, lenient mode: the date and time may be separated by
// T, t or a space, fractional seconds are allowed, and the offset may be
// Z, z or ±hh:mm. The result is in UTC when the offset is zero (including
// -00:00) and in a fixed zone otherwise.
func ParseTimestamp(s string) (time.Time, error) {
	norm := []byte(s)
	if len(norm) > 10 && (norm[10] == 't' || norm[10] == ' ') {
		norm[10] = 'T'
	}
	if n := len(norm); n > 0 && norm[n-1] == 'z' {
		norm[n-1] = 'Z'
	}
	t, err := time.Parse(time.RFC3339Nano, string(norm))
	if err != nil {
		return time.Time{}, fmt.Errorf("propfile: invalid RFC 3339 timestamp %q: %w", s, err)
	}
	if _, off := t.Zone(); off == 0 {
		t = t.UTC()
	}
	return t, nil
}

// Privilege is a WebDAV privilege as robur stores it in an ACE: the local
// name of an element in the DAV: namespace, except PrivReadFreeBusy, which
// lives in the CalDAV namespace (Name gives the element of each).
type Privilege string

// The privileges robur knows (Webdav_xml.privilege).
const (
	PrivRead                        Privilege = "read"
	PrivWrite                       Privilege = "write"
	PrivWriteContent                Privilege = "write-content"
	PrivWriteProperties             Privilege = "write-properties"
	PrivUnlock                      Privilege = "unlock"
	PrivReadACL                     Privilege = "read-acl"
	PrivReadCurrentUserPrivilegeSet Privilege = "read-current-user-privilege-set"
	PrivWriteACL                    Privilege = "write-acl"
	PrivBind                        Privilege = "bind"
	PrivUnbind                      Privilege = "unbind"
	PrivAll                         Privilege = "all"
)

// PrivReadFreeBusy is CALDAV:read-free-busy (RFC 4791 §6.1.1), stored as
// <C:read-free-busy/> inside the DAV:privilege of an ACE. Robur does not
// know it: it drops it when reading, so an ACE granting only it is
// skipped there (and grants nothing), while robur's own files read here
// unchanged.
const PrivReadFreeBusy Privilege = "read-free-busy"

var knownPrivileges = map[Privilege]bool{
	PrivRead: true, PrivWrite: true, PrivWriteContent: true, PrivWriteProperties: true,
	PrivUnlock: true, PrivReadACL: true, PrivReadCurrentUserPrivilegeSet: true,
	PrivWriteACL: true, PrivBind: true, PrivUnbind: true, PrivAll: true,
	PrivReadFreeBusy: true,
}

// Name returns the element that names p in XML: {DAV:}p, or
// {urn:ietf:params:xml:ns:caldav}read-free-busy.
func (p Privilege) Name() xml.Name {
	if p == PrivReadFreeBusy {
		return CalDAV(string(p))
	}
	return DAV(string(p))
}

// PrivilegeOf returns the known privilege named by the element n; ok is
// false for any other name (namespaces compared by URI).
func PrivilegeOf(n xml.Name) (p Privilege, ok bool) {
	p = Privilege(n.Local)
	if !knownPrivileges[p] || p.Name() != n {
		return "", false
	}
	return p, true
}

// PrincipalKind says which principal an ACE applies to.
type PrincipalKind int

// The principals robur stores (Webdav_xml.principal).
const (
	PrincipalHref            PrincipalKind = iota // a principal URL, in Principal.Href
	PrincipalAll                                  // DAV:all
	PrincipalAuthenticated                        // DAV:authenticated
	PrincipalUnauthenticated                      // DAV:unauthenticated
	PrincipalSelf                                 // DAV:self
	// PrincipalProperty is <DAV:property><NAME/></DAV:property> (RFC 3744
	// §5.5.1): the principal named by the href in the resource's property
	// NAME (for example DAV:owner). Robur cannot read it.
	PrincipalProperty
)

var principalNames = map[PrincipalKind]string{
	PrincipalAll:             "all",
	PrincipalAuthenticated:   "authenticated",
	PrincipalUnauthenticated: "unauthenticated",
	PrincipalSelf:            "self",
}

// Principal is the DAV:principal of an ACE.
type Principal struct {
	Kind     PrincipalKind
	Href     string   // for PrincipalHref
	Property xml.Name // for PrincipalProperty
}

// ACEKind says what an ACE does.
type ACEKind int

// The three ACE forms robur stores.
const (
	Grant     ACEKind = iota // DAV:grant of Privileges
	Deny                     // DAV:deny of Privileges
	Inherited                // DAV:inherited from the ACL of InheritedFrom
)

// ACE is one access control entry of a DAV:acl property, as data. Robur
// stores a grant or deny as a single DAV:privilege element holding all the
// privileges (Webdav_xml.ace_to_xml), for example
//
//	<ace><principal><href>/principals/root/</href></principal>
//	     <grant><privilege><read/><bind/></privilege></grant></ace>
//
// and an inherited entry as <inherited><href>URL</href></inherited>.
type ACE struct {
	Principal     Principal
	Kind          ACEKind
	Privileges    []Privilege // for Grant and Deny
	InheritedFrom string      // for Inherited
}

// Node returns the DAV:ace element robur stores for a (ace_to_xml).
// a.Principal.Kind and a.Kind must be among the declared constants.
func (a ACE) Node() Node {
	var who Node
	switch a.Principal.Kind {
	case PrincipalHref:
		who = Element(DAV("href"), nil, TextNode(a.Principal.Href))
	case PrincipalProperty:
		who = Element(DAV("property"), nil, Element(a.Principal.Property, nil))
	default:
		who = Element(DAV(principalNames[a.Principal.Kind]), nil)
	}
	var what Node
	switch a.Kind {
	case Inherited:
		what = Element(DAV("inherited"), nil, Element(DAV("href"), nil, TextNode(a.InheritedFrom)))
	default:
		privs := make([]Node, len(a.Privileges))
		for i, p := range a.Privileges {
			privs[i] = Element(p.Name(), nil)
		}
		verb := "grant"
		if a.Kind == Deny {
			verb = "deny"
		}
		what = Element(DAV(verb), nil, Element(DAV("privilege"), nil, privs...))
	}
	return Element(DAV("ace"), nil, Element(DAV("principal"), nil, who), what)
}

// EncodeACL returns the value robur stores in DAV:acl for aces.
func EncodeACL(aces []ACE) []Node {
	nodes := make([]Node, len(aces))
	for i, a := range aces {
		nodes[i] = a.Node()
	}
	return nodes
}

// DecodeACL decodes the value of a DAV:acl property. Robur skips entries
// it cannot read (Privileges.aces_for_identities); DecodeACL returns the
// entries it can read and an error naming the others.
func DecodeACL(nodes []Node) ([]ACE, error) {
	var aces []ACE
	var bad []string
	for i, n := range nodes {
		a, err := ParseACE(n)
		if err != nil {
			bad = append(bad, fmt.Sprintf("entry %d: %v", i+1, err))
			continue
		}
		aces = append(aces, a)
	}
	if bad != nil {
		return aces, fmt.Errorf("propfile: unreadable ACL entries: %s", strings.Join(bad, "; "))
	}
	return aces, nil
}

// ParseACE reads a DAV:ace element with the rules of robur's
// Webdav_xml.xml_to_ace: children that are not a well-formed principal,
// grant, deny or inherited element are ignored; there must be exactly one
// principal and then exactly one inherited element, or else exactly one
// grant or deny. A grant or deny holds exactly one DAV:privilege with at
// least one known privilege (unknown ones are dropped).
func ParseACE(n Node) (ACE, error) {
	if n.IsText || n.Name != DAV("ace") {
		return ACE{}, fmt.Errorf("expected a DAV:ace element")
	}
	var principals []Principal
	var inherited []string
	var grants []ACE
	for _, c := range n.Children {
		if p, ok := parsePrincipal(c); ok {
			principals = append(principals, p)
		} else if g, ok := parseGrantOrDeny(c); ok {
			grants = append(grants, g)
		} else if c.Name == DAV("inherited") && !c.IsText {
			if hrefs := hrefChildren(c.Children); len(hrefs) == 1 {
				inherited = append(inherited, hrefs[0])
			}
		}
	}
	if len(principals) != 1 {
		return ACE{}, fmt.Errorf("expected exactly one readable DAV:principal, found %d", len(principals))
	}
	switch {
	case len(inherited) == 1:
		return ACE{Principal: principals[0], Kind: Inherited, InheritedFrom: inherited[0]}, nil
	case len(grants) == 1:
		g := grants[0]
		g.Principal = principals[0]
		return g, nil
	}
	return ACE{}, fmt.Errorf("expected exactly one DAV:inherited, DAV:grant or DAV:deny")
}

// hrefChildren returns the URLs of the well-formed DAV:href elements among
// nodes (robur's href_parser: exactly one text child).
func hrefChildren(nodes []Node) []string {
	var urls []string
	for _, n := range nodes {
		if n.IsText || n.Name != DAV("href") {
			continue
		}
		if u, ok := singleText(textChildren(n.Children)); ok {
			urls = append(urls, u)
		}
	}
	return urls
}

func parsePrincipal(n Node) (Principal, bool) {
	if n.IsText || n.Name != DAV("principal") {
		return Principal{}, false
	}
	var found []Principal
	for _, c := range n.Children {
		if c.IsText || c.Name.Space != NamespaceDAV {
			continue
		}
		if c.Name.Local == "href" {
			for _, u := range hrefChildren([]Node{c}) {
				found = append(found, Principal{Kind: PrincipalHref, Href: u})
			}
			continue
		}
		if c.Name.Local == "property" {
			var names []xml.Name
			for _, p := range c.Children {
				if !p.IsText {
					names = append(names, p.Name)
				}
			}
			if len(names) == 1 {
				found = append(found, Principal{Kind: PrincipalProperty, Property: names[0]})
			}
			continue
		}
		for kind, local := range principalNames {
			if c.Name.Local == local && len(c.Children) == 0 {
				found = append(found, Principal{Kind: kind})
			}
		}
	}
	if len(found) != 1 {
		return Principal{}, false
	}
	return found[0], true
}

// textChildren keeps the text nodes, as robur's parsers filter children
// through extract_pcdata.
func textChildren(nodes []Node) []Node {
	var out []Node
	for _, n := range nodes {
		if n.IsText {
			out = append(out, n)
		}
	}
	return out
}

func parseGrantOrDeny(n Node) (ACE, bool) {
	if n.IsText || (n.Name != DAV("grant") && n.Name != DAV("deny")) {
		return ACE{}, false
	}
	var sets [][]Privilege
	for _, c := range n.Children {
		if c.IsText || c.Name != DAV("privilege") {
			continue
		}
		var privs []Privilege
		for _, p := range c.Children {
			if p.IsText || len(p.Children) != 0 {
				continue
			}
			if priv, ok := PrivilegeOf(p.Name); ok {
				privs = append(privs, priv)
			}
		}
		if len(privs) > 0 {
			sets = append(sets, privs)
		}
	}
	if len(sets) != 1 {
		return ACE{}, false
	}
	kind := Grant
	if n.Name.Local == "deny" {
		kind = Deny
	}
	return ACE{Kind: kind, Privileges: sets[0]}, true
}

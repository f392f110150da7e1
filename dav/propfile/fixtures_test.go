package propfile

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The expected values below are built independently of the fixtures, the
// way robur's Properties.create / create_dir build maps (see
// testdata/propfile/README.md for the code path behind each file).

var (
	hrefRoot  = Principal{Kind: PrincipalHref, Href: "/principals/root/"}
	hrefAlice = Principal{Kind: PrincipalHref, Href: "/principals/alice/"}
	hrefStaff = Principal{Kind: PrincipalHref, Href: "/principals/staff/"}
	everyone  = Principal{Kind: PrincipalAll}
)

func grant(p Principal, privs ...Privilege) ACE {
	return ACE{Principal: p, Kind: Grant, Privileges: privs}
}

type createOpts struct {
	version      string
	noLastMod    bool
	contentType  string
	resourcetype []Node
	length       int
	initial      []Property
}

// robCreate mirrors properties.ml's create.
func robCreate(o createOpts, acl []ACE, ts, name string) *Props {
	if o.version == "" {
		o.version = "2"
	}
	p := NewProps(
		Property{Name: DAV("resourcetype"), Value: o.resourcetype},
		TextProperty(DAV("getcontentlength"), strconv.Itoa(o.length)),
		TextProperty(DAV("getcontenttype"), o.contentType),
		TextProperty(DAV("getcontentlanguage"), "en"),
		TextProperty(DAV("displayname"), name),
		TextProperty(DAV("creationdate"), ts),
		Property{Name: DAV("acl"), Value: EncodeACL(acl)},
		TextProperty(VersionName, o.version),
	)
	if !o.noLastMod {
		p.Set(TextProperty(DAV("getlastmodified"), ts))
	}
	for _, prop := range o.initial {
		p.Set(prop)
	}
	return p
}

// robCreateDir mirrors properties.ml's create_dir.
func robCreateDir(o createOpts, acl []ACE, ts, name string) *Props {
	o.contentType = "text/directory"
	o.resourcetype = append([]Node{Element(DAV("collection"), nil)}, o.resourcetype...)
	return robCreate(o, acl, ts, name)
}

const (
	t0 = "2018-04-12T10:00:00-00:00"
	t1 = "2020-02-03T17:25:41-00:00"
	t2 = "2024-11-05T08:09:10-00:00"
	z  = "http://ns.example.com/standards/z39.50/"
)

func hrefProp(name xml.Name, urls ...string) Property {
	return Property{Name: name, Value: HrefNodes(urls...)}
}

func principalResourcetype() []Node { return []Node{Element(DAV("principal"), nil)} }

func calendarResourcetype() []Node { return []Node{Element(CalDAV("calendar"), nil)} }

func expectedFixtures() map[string]*Props {
	adminACL := []ACE{grant(hrefRoot, PrivAll), grant(everyone, PrivRead)}
	reversedAdmin := []ACE{grant(everyone, PrivRead), grant(hrefRoot, PrivAll)}
	report := func(local string) Node {
		return Element(DAV("supported-report"), nil, Element(DAV("report"), nil, Element(CalDAV(local), nil)))
	}
	comp := func(name string) Node {
		return Element(CalDAV("comp"), []Attr{{Name: xml.Name{Local: "name"}, Value: name}})
	}
	calendarProps := []Property{
		{Name: DAV("supported-report-set"), Value: []Node{report("calendar-query"), report("calendar-multiget")}},
		{Name: CalDAV("supported-calendar-component-set"), Value: []Node{comp("VEVENT"), comp("VTODO"), comp("VTIMEZONE"), comp("VFREEBUSY")}},
	}
	tz := strings.Join([]string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Example Corp.//CalDAV Client//EN",
		"BEGIN:VTIMEZONE", "TZID:Europe/Berlin", "BEGIN:DAYLIGHT", "TZOFFSETFROM:+0100",
		"TZOFFSETTO:+0200", "TZNAME:CEST", "DTSTART:19700329T020000",
		"RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "END:DAYLIGHT", "END:VTIMEZONE",
		"END:VCALENDAR", ""}, "\r\n")
	inheritFrom := func(url string) []ACE {
		return []ACE{{Principal: everyone, Kind: Inherited, InheritedFrom: url}}
	}
	return map[string]*Props{
		"principals.prop": robCreateDir(createOpts{initial: []Property{
			hrefProp(Robur("default_groups"), "/principals/staff/"),
		}}, adminACL, t0, "principals"),
		"calendars.prop": robCreateDir(createOpts{}, []ACE{
			grant(hrefRoot, PrivAll), grant(everyone, PrivRead, PrivBind, PrivUnbind),
		}, t0, "calendars"),
		"principal-alice.prop": robCreateDir(createOpts{resourcetype: principalResourcetype(), initial: []Property{
			hrefProp(DAV("principal-URL"), "/principals/alice/"),
			hrefProp(CalDAV("calendar-home-set"), "/calendars/"),
			TextProperty(Robur("password"), "q3G0hD+OUGzRxl5kk9yvwP/tEpg0kQ2uXUw3VMYcL5o="),
			TextProperty(Robur("salt"), "3hJ0rS8pXn2mV+yA1bQw"),
			hrefProp(DAV("group-membership"), "/principals/staff/"),
		}}, append([]ACE{grant(hrefAlice, PrivAll)}, reversedAdmin...), t1, "alice"),
		"principal-staff.prop": robCreateDir(createOpts{resourcetype: principalResourcetype(), initial: []Property{
			hrefProp(DAV("principal-URL"), "/principals/staff/"),
			hrefProp(DAV("group-member-set"), "/principals/alice/", "/principals/bob/"),
		}}, append([]ACE{grant(hrefStaff, PrivAll)}, reversedAdmin...), t1, "staff"),
		"calendar-alice.prop": robCreateDir(createOpts{resourcetype: calendarResourcetype(), initial: calendarProps},
			[]ACE{grant(hrefAlice, PrivAll)}, t1, "alice"),
		"calendar-acl.prop": robCreateDir(createOpts{resourcetype: calendarResourcetype(), initial: []Property{
			TextProperty(DAV("displayname"), "Arbeit für Jürgen – 日本"),
			TextProperty(CalDAV("calendar-description"), "Shared calendar of the staff group.\nMeetings go here; holidays do not."),
			TextProperty(CalDAV("calendar-timezone"), tz),
			{Name: DAV("acl"), Value: EncodeACL([]ACE{
				grant(hrefAlice, PrivAll),
				grant(hrefStaff, PrivRead, PrivWriteContent, PrivReadCurrentUserPrivilegeSet),
				{Principal: Principal{Kind: PrincipalAuthenticated}, Kind: Deny, Privileges: []Privilege{PrivWriteACL}},
				grant(everyone, PrivRead),
				{Principal: everyone, Kind: Inherited, InheritedFrom: "/calendars/alice/"},
			})},
		}}, []ACE{grant(hrefAlice, PrivAll)}, t2, "/calendars/alice/arbeit/"),
		"event.prop": robCreate(createOpts{contentType: "text/calendar; charset=utf-8", length: 1517},
			inheritFrom("/calendars/alice/arbeit/"), t2, "/calendars/alice/arbeit/meeting.ics"),
		"dead-property.prop": robCreate(createOpts{contentType: "text/calendar", length: 842, initial: []Property{
			{
				Name:  xml.Name{Space: z, Local: "Authors"},
				Attrs: []Attr{{Name: xml.Name{Space: NamespaceXMLNS, Local: "Z"}, Value: z}},
				Value: []Node{
					Element(xml.Name{Space: z, Local: "Author"}, []Attr{
						{Name: xml.Name{Local: "role"}, Value: "editor"},
						{Name: xml.Name{Space: z, Local: "lang"}, Value: "de"},
					}, TextNode("Jim Whitehead")),
					Element(xml.Name{Space: z, Local: "Author"}, nil,
						Element(xml.Name{Space: z, Local: "name"}, nil, TextNode("Roy Fielding")),
						Element(xml.Name{Space: z, Local: "affiliation"},
							[]Attr{{Name: xml.Name{Space: NamespaceXMLNS, Local: "xmlns"}, Value: "urn:x-example:org"}},
							Element(xml.Name{Space: "urn:x-example:org", Local: "org"}, nil, TextNode(`UC Irvine ("UCI")`)))),
				},
			},
			TextProperty(xml.Name{Space: z, Local: "Copyright-Owner"}, "Ben Bitdiddle; \\ back\tslash"),
			{Name: xml.Name{Local: "plain"}, Value: []Node{Element(xml.Name{Local: "empty"}, nil), TextNode("")}},
		}}, inheritFrom("/calendars/alice/"), t2, "/calendars/alice/dead.ics"),
		"version1.prop": robCreate(createOpts{version: "1", noLastMod: true, contentType: "text/calendar", length: 420},
			inheritFrom("/calendars/alice/"), t0, "/calendars/alice/old.ics"),
		"version0-dir.prop": robCreateDir(createOpts{version: "0", noLastMod: true},
			[]ACE{grant(hrefAlice, PrivAll)}, t0, "old"),
	}
}

func TestFixturesParse(t *testing.T) {
	want := expectedFixtures()
	files := fixtureFiles(t)
	if len(files) != len(want) {
		t.Errorf("%d fixture files, %d expected values", len(files), len(want))
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			exp, ok := want[name]
			if !ok {
				t.Fatalf("no expected value for %s", name)
			}
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Parse(data)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !got.Equal(exp) {
				t.Errorf("parsed value differs\n--- got ---\n%s\n--- want ---\n%s", got.Marshal(), exp.Marshal())
			}
			// Building the value in Go and marshalling it gives the file.
			if string(exp.Marshal()) != string(data) {
				t.Errorf("Marshal(expected) differs from the file\n%s", exp.Marshal())
			}
		})
	}
}

func TestFixtureVersions(t *testing.T) {
	for file, want := range map[string]int{"event.prop": 2, "version1.prop": 1, "version0-dir.prop": 0} {
		data, err := os.ReadFile(filepath.Join(fixtureDir, file))
		if err != nil {
			t.Fatal(err)
		}
		p, err := Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		if v, ok := p.Version(); !ok || v != want {
			t.Errorf("%s: Version() = %d, %v; want %d, true", file, v, ok, want)
		}
	}
}

package propfile

import (
	"strconv"
	"strings"
	"time"
)

// CurrentVersion is the {io:robur:webdav}prop_version robur writes today.
// Versions 0 (February 2019) and 1 (January 2020) did not store
// DAV:getlastmodified; robur adds it when it reads such a map.
const CurrentVersion = 2

// VersionName is the name of the property holding the format version.
var VersionName = Robur("prop_version")

// Version returns the value of {io:robur:webdav}prop_version. ok is false
// when the property is missing (maps written before February 2019) or is
// not exactly one attribute-less text that OCaml's int_of_string accepts —
// the cases in which robur leaves a map as it is.
func (p *Props) Version() (version int, ok bool) {
	prop, found := p.Get(VersionName)
	if !found || len(prop.Attrs) != 0 {
		return 0, false
	}
	text, isText := singleText(prop.Value)
	if !isText {
		return 0, false
	}
	return ocamlIntOfString(text)
}

// Migrate applies the upgrade robur's Properties.of_sexp performs on
// reading a map of version 0 or 1: it sets DAV:getlastmodified (to now for
// a collection, whose getcontenttype is text/directory; otherwise to the
// DAV:creationdate property, attributes included, or to now if there is
// none) and sets prop_version to 2. It returns the version found and
// whether the map was changed; maps of any other version, or without a
// readable version, are left alone.
func (p *Props) Migrate(now time.Time) (from int, migrated bool) {
	v, ok := p.Version()
	if !ok || (v != 0 && v != 1) {
		return v, false
	}
	lastModified := Property{Value: []Node{TextNode(FormatTimestamp(now))}}
	ct, hasCT := p.Get(DAV("getcontenttype"))
	isDir := false
	if hasCT && len(ct.Attrs) == 0 {
		text, isText := singleText(ct.Value)
		isDir = isText && text == "text/directory"
	}
	if !isDir {
		if created, ok := p.Get(DAV("creationdate")); ok {
			lastModified = created
		}
	}
	lastModified.Name = DAV("getlastmodified")
	p.Set(lastModified)
	p.Set(Property{Name: VersionName, Value: []Node{TextNode(strconv.Itoa(CurrentVersion))}})
	return v, true
}

func singleText(nodes []Node) (string, bool) {
	if len(nodes) != 1 || !nodes[0].IsText {
		return "", false
	}
	return nodes[0].Text, true
}

// ocamlIntOfString accepts what OCaml's int_of_string does for values that
// fit in an int: an optional sign, an optional 0x/0o/0b/0u prefix, digits
// and underscores (not leading).
func ocamlIntOfString(s string) (int, bool) {
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	base := 10
	if len(s) > 1 && s[0] == '0' {
		switch s[1] {
		case 'x', 'X':
			base = 16
		case 'o', 'O':
			base = 8
		case 'b', 'B':
			base = 2
		case 'u', 'U':
			base = 10
		}
		if base != 10 || s[1] == 'u' || s[1] == 'U' {
			s = s[2:]
		}
	}
	if s == "" || s[0] == '_' {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), base, 64)
	if err != nil {
		return 0, false
	}
	if neg {
		n = -n
	}
	return int(n), true
}

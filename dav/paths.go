package dav

import (
	"net/http"
	"net/url"
	"strings"
)

// propSuffix ends the name of every property file (robur's propfile_ext).
const propSuffix = ".prop"

// maxPathSegments bounds the depth of a path. Access checks of a missing
// resource walk up to its nearest existing ancestor, each step costing the
// path's length: 2,000 segments took seconds of CPU per request.
const maxPathSegments = 64

// splitHref turns a decoded URL path into its segments, refusing what
// cannot be a resource name: dot segments, names of property files, and
// bytes git cannot hold in a name; paths deeper than maxPathSegments
// answer 414.
func splitHref(p string) ([]string, error) {
	var segs []string
	for _, s := range strings.Split(p, "/") {
		if s == "" {
			continue
		}
		if len(segs) == maxPathSegments {
			return nil, Errorf(http.StatusRequestURITooLong, "path deeper than %d segments", maxPathSegments)
		}
		if err := checkSegment(s); err != nil {
			return nil, err
		}
		segs = append(segs, s)
	}
	return segs, nil
}

// checkSegment validates one path segment.
func checkSegment(s string) error {
	switch {
	case s == "." || s == "..":
		return Errorf(http.StatusBadRequest, "dot segments are not allowed in paths")
	case strings.HasSuffix(s, propSuffix):
		return Errorf(http.StatusForbidden, "names ending in %s are reserved for property files", propSuffix)
	case strings.EqualFold(s, ".git"):
		return Errorf(http.StatusBadRequest, "the name .git is not allowed")
	case strings.ContainsAny(s, "\x00"):
		return Errorf(http.StatusBadRequest, "NUL in path")
	case len(s) > 255:
		return Errorf(http.StatusRequestURITooLong, "path segment longer than 255 bytes")
	}
	return nil
}

// repoPath is the repository path of a resource's segments.
func repoPath(segs []string) string { return strings.Join(segs, "/") }

// hrefOf is the escaped href of a resource: "/a/b" for an object, "/a/b/"
// for a collection.
func hrefOf(segs []string, collection bool) string {
	var b strings.Builder
	n := 1
	for _, s := range segs {
		n += 1 + len(s) // escaping may add more: one more growth then
	}
	b.Grow(n)
	for _, s := range segs {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	if collection || len(segs) == 0 {
		b.WriteByte('/')
	}
	return b.String()
}

// propPathOf is the repository path of a resource's property file:
// DIR/.prop for a collection, FILE.prop beside an object.
func propPathOf(segs []string, collection bool) string {
	p := repoPath(segs)
	if collection {
		if p == "" {
			return propSuffix
		}
		return p + "/" + propSuffix
	}
	return p + propSuffix
}

// parentSegs returns the segments of the parent collection.
func parentSegs(segs []string) []string {
	if len(segs) == 0 {
		return nil
	}
	return segs[:len(segs)-1]
}

// hrefSegments parses an href from a request body or header (absolute URL
// or absolute path) into segments.
func hrefSegments(href string) ([]string, error) {
	href = strings.TrimSpace(href)
	if plainPath(href) {
		return splitHref(href) // what url.Parse would give as the path
	}
	u, err := url.Parse(href)
	if err != nil {
		return nil, Errorf(http.StatusBadRequest, "malformed href %q", href)
	}
	return splitHref(u.Path)
}

// plainPath reports whether href is an absolute path that URL parsing
// leaves as it is: no escapes, query, fragment or control characters.
func plainPath(href string) bool {
	if href == "" || href[0] != '/' || strings.HasPrefix(href, "//") {
		return false
	}
	for i := 0; i < len(href); i++ {
		switch c := href[i]; {
		case c <= ' ' || c == 0x7f || c == '%' || c == '?' || c == '#':
			return false
		}
	}
	return true
}

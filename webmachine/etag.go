package webmachine

import "strings"

// ETag is an entity tag (RFC 9110 §8.8.3). The zero value means "no ETag".
type ETag struct {
	// Opaque is the tag without quotes.
	Opaque string
	// Weak marks a weak validator (W/"…").
	Weak bool
}

// StrongETag returns a strong entity tag with the given opaque value.
func StrongETag(opaque string) ETag { return ETag{Opaque: opaque} }

// IsZero reports whether e is the zero value (no ETag).
func (e ETag) IsZero() bool { return e.Opaque == "" && !e.Weak }

// String returns the tag as written in headers: "opaque" or W/"opaque".
func (e ETag) String() string {
	if e.Weak {
		return `W/"` + e.Opaque + `"`
	}
	return `"` + e.Opaque + `"`
}

// StrongMatch reports whether e and o match under the strong comparison
// (both strong, same opaque value), used by If-Match.
func (e ETag) StrongMatch(o ETag) bool { return !e.Weak && !o.Weak && e.Opaque == o.Opaque }

// WeakMatch reports whether e and o match under the weak comparison (same
// opaque value), used by If-None-Match.
func (e ETag) WeakMatch(o ETag) bool { return e.Opaque == o.Opaque }

// etagListMatches reports whether the If-Match/If-None-Match field value
// lists a tag matching current under the given comparison. A malformed
// member ends the scan; what was read so far still counts. Clients that
// send unquoted tags (seen from older DAV clients) are tolerated by taking
// the bare token as the opaque value.
func etagListMatches(field string, current ETag, strong bool) bool {
	s := field
	for {
		s = strings.TrimLeft(s, " \t,")
		if s == "" {
			return false
		}
		var tag ETag
		var ok bool
		tag, s, ok = nextETag(s)
		if !ok {
			return false
		}
		if strong && current.StrongMatch(tag) || !strong && current.WeakMatch(tag) {
			return true
		}
	}
}

// nextETag reads one entity tag from the front of s.
func nextETag(s string) (ETag, string, bool) {
	var tag ETag
	if strings.HasPrefix(s, "W/") {
		tag.Weak = true
		s = s[2:]
	}
	if s == "" {
		return tag, s, false
	}
	if s[0] != '"' {
		end := strings.IndexAny(s, " \t,")
		if end < 0 {
			end = len(s)
		}
		tag.Opaque = s[:end]
		return tag, s[end:], true
	}
	end := strings.IndexByte(s[1:], '"')
	if end < 0 {
		return tag, "", false
	}
	tag.Opaque = s[1 : 1+end]
	return tag, s[2+end:], true
}

// isStar reports whether a conditional field is the "*" wildcard.
func isStar(field string) bool { return strings.TrimSpace(field) == "*" }

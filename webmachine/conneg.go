package webmachine

import (
	"strconv"
	"strings"
)

// acceptRange is one member of an Accept-style header: a value (media
// range, charset, coding) with its quality.
type acceptRange struct {
	value     string // lower case
	hasParams bool   // media type parameters other than q were given
	q         float64
}

// nextAcceptRange reads the first member of an Accept-style header value
// and returns it with the rest of the value. ok is false at the end. A
// member with an unparsable q has valid false: RFC 9110 lets a recipient
// ignore it. It does not allocate unless a value has upper-case letters.
func nextAcceptRange(s string) (r acceptRange, rest string, valid, ok bool) {
	for {
		s = strings.TrimLeft(s, " \t,")
		if s == "" {
			return r, "", false, false
		}
		member := s
		if i := strings.IndexByte(s, ','); i >= 0 {
			member, s = s[:i], s[i+1:]
		} else {
			s = ""
		}
		value, params, _ := strings.Cut(member, ";")
		r = acceptRange{value: strings.ToLower(strings.TrimSpace(value)), q: 1}
		if r.value == "" {
			continue
		}
		valid = true
		for params != "" {
			var p string
			p, params, _ = strings.Cut(params, ";")
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if k == "" {
				continue
			}
			if k != "q" && k != "Q" {
				r.hasParams = true
				continue
			}
			q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || q < 0 || q > 1 {
				valid = false
			}
			r.q = q
			break // accept-ext after q is not a media type parameter
		}
		return r, s, valid, true
	}
}

// parseAccept splits an Accept-style header value into its valid ranges.
func parseAccept(header string) []acceptRange {
	var out []acceptRange
	for s := header; ; {
		r, rest, valid, ok := nextAcceptRange(s)
		if !ok {
			return out
		}
		if valid {
			out = append(out, r)
		}
		s = rest
	}
}

// mediaTypeQuality returns the quality the header gives media type mt
// (type/subtype, lower case): that of the most specific matching range, or
// -1 when none matches.
func mediaTypeQuality(header string, mt string) float64 {
	typ, _, _ := strings.Cut(mt, "/")
	best, bestSpec := -1.0, -1
	for s := header; ; {
		r, rest, valid, ok := nextAcceptRange(s)
		if !ok {
			return best
		}
		s = rest
		if !valid {
			continue
		}
		spec := -1
		switch {
		case r.value == mt:
			spec = 2
			if r.hasParams {
				spec = 3
			}
		case len(r.value) == len(typ)+2 && strings.HasPrefix(r.value, typ) && strings.HasSuffix(r.value, "/*"):
			spec = 1
		case r.value == "*/*" || r.value == "*":
			spec = 0
		}
		if spec > bestSpec {
			best, bestSpec = r.q, spec
		}
	}
}

// ChooseMediaType picks, from the media types provided (in order of the
// server's preference), the one the Accept header value likes best. An
// empty header accepts the first. ok is false when none is acceptable.
func ChooseMediaType(accept string, provided []string) (chosen string, ok bool) {
	if strings.TrimSpace(accept) == "" {
		if len(provided) == 0 {
			return "", false
		}
		return provided[0], true
	}
	bestQ := 0.0
	for _, p := range provided {
		if q := mediaTypeQuality(accept, strings.ToLower(p)); q > bestQ {
			chosen, bestQ = p, q
		}
	}
	return chosen, bestQ > 0
}

// tokenQuality returns the quality the ranges give token (a charset or a
// content coding): the exact entry, else "*", else -1.
func tokenQuality(ranges []acceptRange, token string) float64 {
	star := -1.0
	for _, r := range ranges {
		switch r.value {
		case token:
			return r.q
		case "*":
			star = r.q
		}
	}
	return star
}

// chooseCharset picks the provided charset Accept-Charset likes best.
func chooseCharset(header string, provided []string) (string, bool) {
	ranges := parseAccept(header)
	best, bestQ := "", 0.0
	for _, c := range provided {
		if q := tokenQuality(ranges, strings.ToLower(c)); q > bestQ {
			best, bestQ = c, q
		}
	}
	return best, bestQ > 0
}

// chooseEncoding picks the coding Accept-Encoding likes best among identity
// and the provided ones (RFC 9110 §12.5.3: identity is acceptable unless
// excluded by "identity;q=0" or by "*;q=0" without an identity entry). On
// equal quality identity wins, as it costs nothing.
func chooseEncoding(header string, provided []Encoding) (*Encoding, string, bool) {
	ranges := parseAccept(header)
	var best *Encoding
	bestName, bestQ := "", 0.0
	for i := range provided {
		if q := tokenQuality(ranges, strings.ToLower(provided[i].Name)); q > bestQ {
			best, bestName, bestQ = &provided[i], provided[i].Name, q
		}
	}
	identityQ := tokenQuality(ranges, "identity")
	if identityQ < 0 {
		// Not named: acceptable unless "*;q=0" excludes it, but any coding
		// the client names is preferred over it.
		if bestQ > 0 {
			return best, bestName, true
		}
		if tokenQuality(ranges, "*") == 0 {
			return nil, "", false
		}
		return nil, "identity", true
	}
	if identityQ > 0 && identityQ >= bestQ {
		return nil, "identity", true
	}
	return best, bestName, bestQ > 0
}

// mediaTypeMatches reports whether the request Content-Type value ct
// matches an acceptor's media type (parameters ignored; "*/*" and "type/*"
// match broadly).
func mediaTypeMatches(pattern, ct string) bool {
	base, _, _ := strings.Cut(ct, ";")
	base = strings.ToLower(strings.TrimSpace(base))
	pattern = strings.ToLower(pattern)
	if pattern == "*/*" || pattern == base {
		return true
	}
	if t, ok := strings.CutSuffix(pattern, "/*"); ok {
		bt, _, _ := strings.Cut(base, "/")
		return bt == t
	}
	return false
}

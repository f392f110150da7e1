package query

import (
	"strings"
	"unicode"
)

// Matches reports whether value satisfies the text-match: a substring test
// under the collation, inverted by negate-condition.
func (tm *TextMatch) Matches(value string) bool {
	return tm.contains(value) != tm.Negate
}

func (tm *TextMatch) contains(v string) bool {
	switch tm.Collation {
	case CollationOctet:
		return strings.Contains(v, tm.Text)
	case CollationUnicodeCasemap:
		return strings.Contains(unicodeFold(v), unicodeFold(tm.Text))
	default:
		return strings.Contains(asciiFold(v), asciiFold(tm.Text))
	}
}

// asciiFold maps ASCII letters to lower case and leaves every other byte
// alone (RFC 4790 i;ascii-casemap).
func asciiFold(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// unicodeFold approximates RFC 5051 i;unicode-casemap with simple Unicode
// case folding (no NFKD decomposition).
func unicodeFold(s string) string {
	return strings.Map(func(r rune) rune { return unicode.ToLower(unicode.ToUpper(r)) }, s)
}

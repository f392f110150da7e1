package propfile

import (
	"encoding/xml"
	"math/rand/v2"
	"strings"
)

// propGen generates random property maps for the property-based and
// differential tests. Strings are drawn to hit every quoting rule of
// sexplib: empty atoms, blanks, parentheses, quotes, backslashes, control
// and non-ASCII bytes, "#|" sequences, embedded and trailing newlines,
// and long atoms that force line breaks.
type propGen struct {
	r *rand.Rand
}

func newPropGen(seed uint64) *propGen {
	return &propGen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

var genNamespaces = []string{"", NamespaceDAV, NamespaceCalDAV, NamespaceRobur, NamespaceXMLNS,
	"http://ns.example.com/standards/z39.50/", "urn:x-example:a b"}

var genPieces = []string{"a", "Z", "0", "-", "/", ":", ".", " ", "  ", "\t", "\n", "\r\n", "\r", "\b",
	"\"", "\\", "(", ")", ";", "#", "|", "#|", "|#", "'", "\x00", "\x7f", "\xff", "é", "日本",
	"\u2013", "/principals/alice/", "2018-04-12T10:00:00-00:00", "text/calendar; charset=utf-8",
	"BEGIN:VCALENDAR", "lorem ipsum dolor sit amet consectetur adipiscing elit"}

func (g *propGen) str(maxPieces int) string {
	if g.r.IntN(8) == 0 {
		return ""
	}
	var b strings.Builder
	for range 1 + g.r.IntN(maxPieces) {
		b.WriteString(genPieces[g.r.IntN(len(genPieces))])
	}
	return b.String()
}

func (g *propGen) ident() string {
	const letters = "abcdefghijklmnopqrstuvwxyz-"
	n := 1 + g.r.IntN(30)
	b := make([]byte, n)
	for i := range b {
		b[i] = letters[g.r.IntN(len(letters))]
	}
	return string(b)
}

func (g *propGen) name() xml.Name {
	local := g.ident()
	if g.r.IntN(10) == 0 {
		local = g.str(3)
	}
	return xml.Name{Space: genNamespaces[g.r.IntN(len(genNamespaces))], Local: local}
}

func (g *propGen) attrs() []Attr {
	var attrs []Attr
	for range g.r.IntN(4) / 2 * (1 + g.r.IntN(2)) {
		attrs = append(attrs, Attr{Name: g.name(), Value: g.str(4)})
	}
	return attrs
}

func (g *propGen) nodes(depth int) []Node {
	var nodes []Node
	for range g.r.IntN(4) {
		if depth <= 0 || g.r.IntN(3) == 0 {
			nodes = append(nodes, TextNode(g.str(12)))
			continue
		}
		nodes = append(nodes, Node{Name: g.name(), Attrs: g.attrs(), Children: g.nodes(depth - 1)})
	}
	return nodes
}

func (g *propGen) props() *Props {
	p := &Props{}
	for range g.r.IntN(8) {
		p.Set(Property{Name: g.name(), Attrs: g.attrs(), Value: g.nodes(1 + g.r.IntN(6))})
	}
	return p
}

// machString writes s on one line with every atom quoted when sexplib
// would quote it; any s-expression reader accepts it.
func machString(s *sexp) string {
	if s.isAtom {
		return quoteAtom(s.atom)
	}
	parts := make([]string, len(s.list))
	for i, item := range s.list {
		parts[i] = machString(item)
	}
	return "(" + strings.Join(parts, " ") + ")"
}

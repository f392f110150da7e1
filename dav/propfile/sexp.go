package propfile

import (
	"strconv"
	"strings"
)

// sexp is an s-expression: an atom or a list. pos is where it started in
// the parsed input (zero for values built in memory).
type sexp struct {
	isAtom bool
	atom   string
	list   []*sexp
	pos    Position
}

func atom(s string) *sexp { return &sexp{isAtom: true, atom: s} }

func list(items ...*sexp) *sexp { return &sexp{list: items} }

// needsQuotes reports whether sexplib writes atom s in double quotes
// (sexplib0's Sexp.must_escape): the empty atom, atoms containing
// whitespace, control or non-ASCII bytes, any of ( ) " ; \, or a "#|" or
// "|#" sequence.
func needsQuotes(s string) bool {
	if s == "" {
		return true
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c <= ' ' || c >= 127:
			return true
		case c == '"' || c == '(' || c == ')' || c == ';' || c == '\\':
			return true
		case c == '|' && i > 0 && s[i-1] == '#':
			return true
		case c == '#' && i > 0 && s[i-1] == '|':
			return true
		}
	}
	return false
}

// escapeAtom is sexplib0's Sexp.escaped: the body of a quoted atom, with
// OCaml-style escapes and \DDD decimal escapes for every byte outside the
// printable ASCII range.
func escapeAtom(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		case '\b':
			b.WriteString(`\b`)
		default:
			if c >= ' ' && c <= '~' {
				b.WriteByte(c)
			} else {
				b.WriteByte('\\')
				b.WriteByte('0' + c/100)
				b.WriteByte('0' + c/10%10)
				b.WriteByte('0' + c%10)
			}
		}
	}
	return b.String()
}

// quoteAtom returns atom s as sexplib writes it on one line.
func quoteAtom(s string) string {
	if !needsQuotes(s) {
		return s
	}
	return `"` + escapeAtom(s) + `"`
}

// toStringHum is sexplib's Sexp.to_string_hum with the default indentation
// of 1.
func toStringHum(s *sexp) string {
	const indent = 1
	if s.isAtom && !strings.Contains(s.atom, "\n") {
		return quoteAtom(s.atom)
	}
	p := newPrettyPrinter()
	defer p.release()
	printHum(p, s, indent)
	return p.flush()
}

// printHum is sexplib's pp_hum_indent: every non-empty list is a box
// indented by indent, its elements separated by space break hints.
func printHum(p *prettyPrinter, s *sexp, indent int) {
	if s.isAtom {
		printHumAtom(p, s.atom)
		return
	}
	if len(s.list) == 0 {
		p.printString("()")
		return
	}
	p.openBox(indent)
	p.printString("(")
	for i, item := range s.list {
		if i > 0 {
			p.printSpace()
		}
		printHum(p, item, indent)
	}
	p.printString(")")
	p.closeBox()
}

// printHumAtom is sexplib's pp_hum_maybe_esc_str. An atom with a newline
// anywhere but at its very end is written one line per source line: each
// line but the last ends in a backslash (a continuation), the next output
// line starts with the \n escape, all inside a box opened at a leading
// space so that the continuation lines align.
func printHumAtom(p *prettyPrinter, s string) {
	if !needsQuotes(s) {
		p.printString(s)
		return
	}
	nl := strings.IndexByte(s, '\n')
	if nl < 0 || nl == len(s)-1 {
		p.printString(quoteAtom(s))
		return
	}
	p.openBox(0)
	p.printString(` "`)
	lines := strings.Split(s, "\n")
	for i, line := range lines {
		if i > 0 {
			p.printString(`\`)
			p.forceNewline()
			p.printString(`\n`)
		}
		p.printString(escapeAtom(line))
	}
	p.printString(`"`)
	p.closeBox()
}

// Position is a place in a parsed file: a byte offset and the 1-based line
// and column (in bytes) it corresponds to.
type Position struct {
	Offset int
	Line   int
	Column int
}

// String formats the position as "line L, column C (offset O)".
func (p Position) String() string {
	return "line " + strconv.Itoa(p.Line) + ", column " + strconv.Itoa(p.Column) +
		" (offset " + strconv.Itoa(p.Offset) + ")"
}

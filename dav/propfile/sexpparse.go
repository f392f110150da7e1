package propfile

import (
	"fmt"
	"strings"
)

// MaxDepth is the deepest nesting of parentheses Parse accepts. Property
// files robur writes nest about a dozen levels for an ACL; the limit only
// protects against hostile input.
const MaxDepth = 512

// SyntaxError is returned by Parse for input that is not a well-formed
// s-expression or does not have the shape of a robur property map.
type SyntaxError struct {
	Pos Position // where the problem was found
	Msg string   // what is wrong
}

// Error implements error.
func (e *SyntaxError) Error() string {
	return "propfile: " + e.Pos.String() + ": " + e.Msg
}

// sexpParser reads one s-expression with the lexical rules of parsexp,
// the parser behind sexplib's Sexp.of_string.
type sexpParser struct {
	data []byte
	off  int
	line int
	col  int // 1-based column of data[off]
}

func (p *sexpParser) pos() Position { return Position{Offset: p.off, Line: p.line, Column: p.col} }

func (p *sexpParser) errAt(pos Position, format string, args ...any) error {
	return &SyntaxError{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// next consumes one byte, keeping line and column up to date.
func (p *sexpParser) next() byte {
	c := p.data[p.off]
	p.off++
	if c == '\n' {
		p.line++
		p.col = 1
	} else {
		p.col++
	}
	return c
}

func (p *sexpParser) peekAt(i int) (byte, bool) {
	if p.off+i >= len(p.data) {
		return 0, false
	}
	return p.data[p.off+i], true
}

func isSexpSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}

// parseSexp parses data as exactly one s-expression, allowing whitespace
// and comments around it.
func parseSexp(data []byte) (*sexp, error) {
	p := &sexpParser{data: data, line: 1, col: 1}
	s, err := p.value(0)
	if err != nil {
		return nil, err
	}
	if err := p.skipBlank(0); err != nil {
		return nil, err
	}
	if p.off < len(p.data) {
		return nil, p.errAt(p.pos(), "unexpected data after the s-expression")
	}
	return s, nil
}

// skipBlank skips whitespace, line comments (;), block comments (#| |#,
// nested) and s-expression comments (#; followed by one s-expression).
func (p *sexpParser) skipBlank(depth int) error {
	for p.off < len(p.data) {
		c := p.data[p.off]
		switch {
		case isSexpSpace(c):
			p.next()
		case c == ';':
			for p.off < len(p.data) && p.data[p.off] != '\n' {
				p.next()
			}
		case c == '#':
			n, _ := p.peekAt(1)
			switch n {
			case '|':
				if err := p.blockComment(); err != nil {
					return err
				}
			case ';':
				start := p.pos()
				if depth >= MaxDepth {
					return p.errAt(start, "s-expression comments nested deeper than %d levels", MaxDepth)
				}
				p.next()
				p.next()
				if _, err := p.value(depth + 1); err != nil {
					if se, ok := err.(*SyntaxError); ok && se.Msg == "unexpected end of input" {
						return p.errAt(start, "s-expression comment without an s-expression")
					}
					return err
				}
			default:
				return nil
			}
		default:
			return nil
		}
	}
	return nil
}

func (p *sexpParser) blockComment() error {
	start := p.pos()
	p.next()
	p.next()
	level := 1
	for p.off < len(p.data) {
		c := p.next()
		n, _ := p.peekAt(0)
		switch {
		case c == '|' && n == '#':
			p.next()
			level--
			if level == 0 {
				return nil
			}
		case c == '#' && n == '|':
			p.next()
			level++
		case c == '"':
			// Quoted strings inside block comments are skipped as strings.
			if _, err := p.quotedBody(p.pos()); err != nil {
				return p.errAt(start, "unterminated block comment")
			}
		}
	}
	return p.errAt(start, "unterminated block comment")
}

// value parses one s-expression after optional blanks. depth is the number
// of lists already open around it.
func (p *sexpParser) value(depth int) (*sexp, error) {
	if err := p.skipBlank(depth); err != nil {
		return nil, err
	}
	if p.off >= len(p.data) {
		return nil, p.errAt(p.pos(), "unexpected end of input")
	}
	start := p.pos()
	switch c := p.data[p.off]; c {
	case '(':
		if depth >= MaxDepth {
			return nil, p.errAt(start, "lists nested deeper than %d levels", MaxDepth)
		}
		p.next()
		l := &sexp{pos: start, list: []*sexp{}}
		for {
			if err := p.skipBlank(depth + 1); err != nil {
				return nil, err
			}
			if p.off >= len(p.data) {
				return nil, p.errAt(start, "unclosed parenthesis")
			}
			if p.data[p.off] == ')' {
				p.next()
				return l, nil
			}
			item, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			l.list = append(l.list, item)
		}
	case ')':
		return nil, p.errAt(start, "unexpected closing parenthesis")
	case '"':
		p.next()
		s, err := p.quotedBody(start)
		if err != nil {
			return nil, err
		}
		return &sexp{isAtom: true, atom: s, pos: start}, nil
	default:
		return p.plainAtom(start)
	}
}

// plainAtom reads an unquoted atom.
func (p *sexpParser) plainAtom(start Position) (*sexp, error) {
	begin := p.off
	for p.off < len(p.data) {
		c := p.data[p.off]
		if isSexpSpace(c) || c == '(' || c == ')' || c == '"' || c == ';' {
			break
		}
		if n, ok := p.peekAt(1); ok && ((c == '#' && n == '|') || (c == '|' && n == '#')) {
			return nil, p.errAt(p.pos(), "comment delimiter %q inside an unquoted atom", string([]byte{c, n}))
		}
		p.next()
	}
	return &sexp{isAtom: true, atom: string(p.data[begin:p.off]), pos: start}, nil
}

// quotedBody reads the rest of a quoted atom after its opening quote and
// returns its unescaped value. Escapes follow parsexp: \n \t \b \r \\ \"
// \', decimal \DDD (at most 255), hexadecimal \xHH, and a backslash at the
// end of a line, which continues the atom after skipping the next line's
// leading spaces and tabs. Any other backslash is kept literally.
func (p *sexpParser) quotedBody(start Position) (string, error) {
	var b strings.Builder
	for {
		if p.off >= len(p.data) {
			return "", p.errAt(start, "unterminated quoted atom")
		}
		c := p.next()
		switch c {
		case '"':
			return b.String(), nil
		case '\\':
			if err := p.escape(&b, start); err != nil {
				return "", err
			}
		default:
			b.WriteByte(c)
		}
	}
}

func (p *sexpParser) escape(b *strings.Builder, start Position) error {
	escPos := Position{Offset: p.off - 1, Line: p.line, Column: p.col - 1}
	if p.off >= len(p.data) {
		return p.errAt(start, "unterminated quoted atom")
	}
	c := p.next()
	switch c {
	case 'n':
		b.WriteByte('\n')
	case 't':
		b.WriteByte('\t')
	case 'b':
		b.WriteByte('\b')
	case 'r':
		b.WriteByte('\r')
	case '\\', '"', '\'':
		b.WriteByte(c)
	case '\n':
		p.skipIndentation()
	case '\r':
		if n, ok := p.peekAt(0); ok && n == '\n' {
			p.next()
			p.skipIndentation()
		} else {
			b.WriteByte('\r')
		}
	case 'x':
		v := 0
		for range 2 {
			n, ok := p.peekAt(0)
			h := hexValue(n)
			if !ok || h < 0 {
				return p.errAt(escPos, "unterminated hexadecimal escape sequence")
			}
			p.next()
			v = v*16 + h
		}
		b.WriteByte(byte(v))
	default:
		if c < '0' || c > '9' {
			b.WriteByte('\\')
			b.WriteByte(c)
			return nil
		}
		v := int(c - '0')
		for range 2 {
			n, ok := p.peekAt(0)
			if !ok || n < '0' || n > '9' {
				return p.errAt(escPos, "unterminated decimal escape sequence")
			}
			p.next()
			v = v*10 + int(n-'0')
		}
		if v > 255 {
			return p.errAt(escPos, "decimal escape \\%03d is out of range (above 255)", v)
		}
		b.WriteByte(byte(v))
	}
	return nil
}

// skipIndentation skips the blanks that start a continuation line.
func (p *sexpParser) skipIndentation() {
	for p.off < len(p.data) && (p.data[p.off] == ' ' || p.data[p.off] == '\t') {
		p.next()
	}
}

func hexValue(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

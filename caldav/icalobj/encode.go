package icalobj

import (
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-ical"
)

// Encode writes cal as iCalendar text. Unlike go-ical's encoder it accepts
// any structure (calendar-data subsets may lack DTSTAMP or UID, RFC 4791
// §9.6), folds lines at 75 octets without splitting UTF-8 sequences, and
// writes properties in a stable order: as listed in order, then the rest
// sorted by name.
func Encode(w io.Writer, cal *ical.Calendar) error {
	_, err := w.Write(EncodeBytes(cal))
	return err
}

// EncodeBytes is Encode into a byte slice.
func EncodeBytes(cal *ical.Calendar) []byte {
	e := encoder{out: make([]byte, 0, 2048)}
	if len(cal.Children) > 2 {
		// Components that share properties (the instances of an
		// expansion share every one they do not change) write each
		// shared property's lines once.
		e.written = map[*ical.Prop][]byte{}
	}
	e.comp(cal.Component)
	return e.out
}

// encoder writes content lines into out, reusing its scratch space from
// line to line.
type encoder struct {
	out  []byte
	line []byte   // the content line being built
	keys []string // parameter names being sorted
	// written holds, when not nil, the folded lines already written for
	// a property, by its address.
	written map[*ical.Prop][]byte
}

// order lists the properties written first, in this order.
var order = []string{"VERSION", "PRODID", "CALSCALE", "METHOD", "UID", "RECURRENCE-ID", "DTSTAMP", "DTSTART", "DTEND", "DUE", "DURATION", "RRULE", "RDATE", "EXDATE", "SUMMARY"}

var orderRank = func() map[string]int {
	m := map[string]int{}
	for i, n := range order {
		m[n] = i
	}
	return m
}()

// comp writes c and its subcomponents.
func (e *encoder) comp(c *ical.Component) {
	e.writeLine(append(append(e.line[:0], "BEGIN:"...), c.Name...))
	// Ranks are looked up once per property, not per comparison.
	ranked := make([]rankedName, 0, len(c.Props))
	for n, props := range c.Props {
		ranked = append(ranked, rankedName{rankOf(n), n, props})
	}
	slices.SortFunc(ranked, compareRanked)
	for _, rn := range ranked {
		for i := range rn.props {
			p := &rn.props[i]
			if lines, ok := e.written[p]; ok {
				e.out = append(e.out, lines...)
				continue
			}
			start := len(e.out)
			e.writeLine(e.propLine(p))
			if e.written != nil {
				e.written[p] = e.out[start:len(e.out):len(e.out)] // never written to again
			}
		}
	}
	for _, ch := range c.Children {
		e.comp(ch)
	}
	e.writeLine(append(append(e.line[:0], "END:"...), c.Name...))
}

// rankOf is the place of property name in order (len(order) for the
// rest).
func rankOf(name string) int {
	if r, ok := orderRank[name]; ok {
		return r
	}
	return len(order)
}

func compareRanked(a, b rankedName) int {
	if a.rank != b.rank {
		return a.rank - b.rank
	}
	return strings.Compare(a.name, b.name)
}

// PropNames appends to names the names of props and the extra names
// props lacks, in the order Encode writes properties: those in its fixed
// list first, in that order, then the rest by name.
func PropNames(names []string, props ical.Props, extra ...string) []string {
	var buf [24]rankedName
	ranked := buf[:0]
	for n := range props {
		ranked = append(ranked, rankedName{rank: rankOf(n), name: n})
	}
	for _, n := range extra {
		if _, ok := props[n]; !ok {
			ranked = append(ranked, rankedName{rank: rankOf(n), name: n})
		}
	}
	slices.SortFunc(ranked, compareRanked)
	for _, r := range ranked {
		names = append(names, r.name)
	}
	return names
}

// rankedName is a property name with its place in order (len(order)
// for the rest, which sort by name).
type rankedName struct {
	rank  int
	name  string
	props []ical.Prop
}

// propLine builds p's content line, unfolded, in e.line.
func (e *encoder) propLine(p *ical.Prop) []byte {
	b := append(e.line[:0], p.Name...)
	keys := e.keys[:0]
	for k := range p.Params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	e.keys = keys
	for _, k := range keys {
		b = append(append(append(b, ';'), k...), '=')
		for i, v := range p.Params[k] {
			if i > 0 {
				b = append(b, ',')
			}
			if strings.IndexByte(v, '"') >= 0 {
				v = strings.ReplaceAll(v, `"`, "")
			}
			if needsQuotes(v) {
				b = append(append(append(b, '"'), v...), '"')
			} else {
				b = append(b, v...)
			}
		}
	}
	b = append(b, ':')
	if strings.IndexByte(p.Value, '\n') >= 0 || strings.IndexByte(p.Value, '\r') >= 0 {
		b = append(b, lineBreaks.Replace(p.Value)...)
	} else {
		b = append(b, p.Value...)
	}
	e.line = b
	return b
}

// needsQuotes reports whether a parameter value holds a character that
// only a quoted value may (RFC 5545 §3.2: ";", ":" or ",").
func needsQuotes(v string) bool {
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case ';', ':', ',':
			return true
		}
	}
	return false
}

// lineBreaks escapes the line breaks a value cannot hold on one content
// line (a bare CR is dropped).
var lineBreaks = strings.NewReplacer("\r\n", `\n`, "\n", `\n`, "\r", "")

// writeLine writes one content line folded at 75 octets (RFC 5545 §3.1).
func (e *encoder) writeLine(s []byte) {
	e.line = s[:0]
	const limit = 75
	first := true
	for len(s) > 0 {
		max := limit
		if !first {
			max = limit - 1 // the leading space counts
		}
		n := len(s)
		if n > max {
			n = max
			for n > 0 && !utf8.RuneStart(s[n]) {
				n--
			}
			if n == 0 {
				n = max
			}
		}
		if !first {
			e.out = append(e.out, ' ')
		}
		e.out = append(append(e.out, s[:n]...), "\r\n"...)
		s = s[n:]
		first = false
	}
}

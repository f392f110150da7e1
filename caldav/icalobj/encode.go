package icalobj

import (
	"bufio"
	"bytes"
	"io"
	"sort"
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
	bw := bufio.NewWriter(w)
	writeComp(bw, cal.Component)
	return bw.Flush()
}

// EncodeBytes is Encode into a byte slice.
func EncodeBytes(cal *ical.Calendar) []byte {
	var b bytes.Buffer
	_ = Encode(&b, cal)
	return b.Bytes()
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

func writeComp(w *bufio.Writer, c *ical.Component) {
	writeLine(w, "BEGIN:"+c.Name)
	names := make([]string, 0, len(c.Props))
	for n := range c.Props {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		ri, oki := orderRank[names[i]]
		rj, okj := orderRank[names[j]]
		switch {
		case oki && okj:
			return ri < rj
		case oki != okj:
			return oki
		}
		return names[i] < names[j]
	})
	for _, n := range names {
		for i := range c.Props[n] {
			writeLine(w, propLine(&c.Props[n][i]))
		}
	}
	for _, ch := range c.Children {
		writeComp(w, ch)
	}
	writeLine(w, "END:"+c.Name)
}

func propLine(p *ical.Prop) string {
	var b strings.Builder
	b.WriteString(p.Name)
	keys := make([]string, 0, len(p.Params))
	for k := range p.Params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteString(";" + k + "=")
		for i, v := range p.Params[k] {
			if i > 0 {
				b.WriteByte(',')
			}
			v = strings.ReplaceAll(v, `"`, "")
			if strings.ContainsAny(v, ";:,") {
				v = `"` + v + `"`
			}
			b.WriteString(v)
		}
	}
	b.WriteByte(':')
	if strings.ContainsAny(p.Value, "\r\n") {
		b.WriteString(lineBreaks.Replace(p.Value))
	} else {
		b.WriteString(p.Value)
	}
	return b.String()
}

// lineBreaks escapes the line breaks a value cannot hold on one content
// line (a bare CR is dropped).
var lineBreaks = strings.NewReplacer("\r\n", `\n`, "\n", `\n`, "\r", "")

// writeLine writes one content line folded at 75 octets (RFC 5545 §3.1).
func writeLine(w *bufio.Writer, s string) {
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
			w.WriteByte(' ')
		}
		w.WriteString(s[:n])
		w.WriteString("\r\n")
		s = s[n:]
		first = false
	}
}

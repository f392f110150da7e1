package dav

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestEscapeXML: markup characters are escaped, CR survives XML line-end
// normalisation, forbidden control characters and invalid UTF-8 become
// U+FFFD; in attributes quotes and whitespace are references too. Each
// output, parsed back by encoding/xml, gives the input (with the
// replacements).
func TestEscapeXML(t *testing.T) {
	for _, c := range []struct {
		in, text, attr, back string
	}{
		{"plain", "plain", "plain", "plain"},
		{"a<b>&c", "a&lt;b&gt;&amp;c", "a&lt;b&gt;&amp;c", "a<b>&c"},
		{"l1\r\nl2\tx", "l1&#13;\nl2\tx", "l1&#13;&#10;l2&#9;x", "l1\r\nl2\tx"},
		{`say "hi"`, `say "hi"`, "say &quot;hi&quot;", `say "hi"`},
		{"bell\x07 nul\x00", "bell\uFFFD nul\uFFFD", "bell\uFFFD nul\uFFFD", "bell\uFFFD nul\uFFFD"},
		{"bad \xff utf8 é", "bad \uFFFD utf8 é", "bad \uFFFD utf8 é", "bad \uFFFD utf8 é"},
		{"\uFFFE\uFFFF", "\uFFFD\uFFFD", "\uFFFD\uFFFD", "\uFFFD\uFFFD"},
	} {
		var text, attr bytes.Buffer
		escapeXML(&text, c.in, false)
		escapeXML(&attr, c.in, true)
		if text.String() != c.text {
			t.Errorf("text %q: %q, want %q", c.in, text.String(), c.text)
		}
		if attr.String() != c.attr {
			t.Errorf("attr %q: %q, want %q", c.in, attr.String(), c.attr)
		}
		var doc struct {
			A    string `xml:"a,attr"`
			Text string `xml:",chardata"`
		}
		src := `<x a="` + attr.String() + `">` + text.String() + `</x>`
		if err := xml.NewDecoder(strings.NewReader(src)).Decode(&doc); err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		if doc.Text != c.back || doc.A != c.back {
			t.Errorf("%q parses back as text %q, attribute %q; want %q", c.in, doc.Text, doc.A, c.back)
		}
	}
}

// escapeReference is escapeXML written rune by rune, for comparison.
func escapeReference(s string, attr bool) string {
	table := &textEscapes
	if attr {
		table = &attrEscapes
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r < utf8.RuneSelf && table[r] != "":
			b.WriteString(table[r])
		case r == utf8.RuneError && size == 1 || r == 0xFFFE || r == 0xFFFF:
			b.WriteString("\uFFFD")
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// FuzzEscapeXML: escapeXML's fast skipping writes what escaping rune by
// rune writes, in text and in attributes.
func FuzzEscapeXML(f *testing.F) {
	for _, s := range []string{"plain", "a<b>&c\r\n", "bad \xff utf8 é\uFFFE", "BEGIN:VEVENT\r\nSUMMARY:Réunion & café\r\n", "\xe2\x82"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, attr := range []bool{false, true} {
			var b bytes.Buffer
			escapeXML(&b, s, attr)
			if want := escapeReference(s, attr); b.String() != want {
				t.Fatalf("%q (attr %v): %q, want %q", s, attr, b.String(), want)
			}
		}
	})
}

// BenchmarkEscapeXML escapes calendar data as a multistatus carries it:
// CRLF line ends, a few markup characters and accented letters.
func BenchmarkEscapeXML(b *testing.B) {
	s := strings.Repeat("DESCRIPTION:Agenda: status & risks; Réunion <budget>, café\r\nSUMMARY:Team meeting\r\n", 100)
	var buf bytes.Buffer
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		buf.Reset()
		escapeXML(&buf, s, false)
	}
}

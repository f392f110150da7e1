package dav

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
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

package propfile

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The differential tests below run only when PROPFILE_ORACLE names the
// binary built from testdata/propfile/gen/oracle.ml (real OCaml sexplib).

func oracle(t *testing.T, mode string, input string) string {
	t.Helper()
	bin := os.Getenv("PROPFILE_ORACLE")
	if bin == "" {
		t.Skip("PROPFILE_ORACLE not set; see testdata/propfile/README.md")
	}
	cmd := exec.Command(bin, mode)
	cmd.Stdin = strings.NewReader(input)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("oracle %s: %v", mode, err)
	}
	return out.String()
}

// TestOracleMarshal compares Marshal with sexplib's to_string_hum on
// random property maps.
func TestOracleMarshal(t *testing.T) {
	const n = 3000
	g := newPropGen(42)
	var in strings.Builder
	want := make([]string, n)
	for i := range n {
		s := g.props().sexp()
		want[i] = toStringHum(s)
		in.WriteString(machString(s))
		in.WriteByte('\n')
	}
	got := strings.Split(oracle(t, "hum", in.String()), "\x00")
	if len(got) != n+1 {
		t.Fatalf("oracle returned %d outputs, want %d", len(got)-1, n)
	}
	fails := 0
	for i := range n {
		if got[i] != want[i] {
			fails++
			if fails <= 3 {
				t.Errorf("case %d differs\n--- sexplib ---\n%s\n--- ours ---\n%s", i, got[i], want[i])
			}
		}
	}
	if fails > 0 {
		t.Errorf("%d of %d cases differ", fails, n)
	}
}

// TestOracleParse compares the s-expression reader with sexplib's
// Sexp.of_string on tricky inputs.
func TestOracleParse(t *testing.T) {
	inputs := []string{
		`(a b)`, `  (a b)  `, "(a\n b)\n", `("a\x41\065\q\'\"\\" b)`, "(\"a\\\n   b\")", "(\"a\\\r\n\t b\")",
		"(\"a\\\rb\")", `("\256")`, `("\25")`, `("\x4")`, `("\xZZ")`, `(a ; comment` + "\n b)",
		`(a #| block #| nested |# "|#" |# b)`, `(a #;(ignored x) b)`, `(a #; b c)`, `(a#b c|d)`,
		`(a#|b)`, `(a|#b)`, `(a "b"c)`, `a`, `""`, `()`, `(a) b`, `(a`, `a)`, ``, `   `, `; only`,
		"(a\fb)", `(#;)`, `(a #| unterminated`, `("unterminated`, `("\`, `(a"b")`, `(|a b|)`,
		"(\"x\" \"\x00\xff\")", `(#a ##| x)`,
	}
	for _, in := range inputs {
		want := oracle(t, "parse", in)
		s, err := parseSexp([]byte(in))
		switch {
		case want == "ERROR" && err == nil:
			t.Errorf("%q: sexplib rejects it, we accept it as %s", in, machString(s))
		case want != "ERROR" && err != nil:
			t.Errorf("%q: sexplib reads %s, we fail: %v", in, want, err)
		case err == nil:
			ref, rerr := parseSexp([]byte(want))
			if rerr != nil {
				t.Fatalf("cannot read oracle output %q: %v", want, rerr)
			}
			if machString(ref) != machString(s) {
				t.Errorf("%q: sexplib reads %s, we read %s", in, machString(ref), machString(s))
			}
		}
	}
}

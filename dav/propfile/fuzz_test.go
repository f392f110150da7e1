package propfile

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that Parse never panics and that, when it succeeds,
// Marshal is a fixed point: parsing the output gives the same map and
// marshalling that gives the same bytes. Seeds are the fixtures plus
// testdata/propfile/fuzz-seeds/*.
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"*.prop", "fuzz-seeds/*"} {
		files, _ := filepath.Glob(filepath.Join(fixtureDir, pattern))
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data)
		if err != nil {
			if _, ok := err.(*SyntaxError); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		out := p.Marshal()
		q, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(Marshal(p)) failed: %v\n%s", err, out)
		}
		if !q.Equal(p) {
			t.Fatalf("Parse(Marshal(p)) != p\n%s", out)
		}
		if again := q.Marshal(); string(again) != string(out) {
			t.Fatalf("Marshal is not a fixed point\n%s\n---\n%s", out, again)
		}
	})
}

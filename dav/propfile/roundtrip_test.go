package propfile

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

const fixtureDir = "../../testdata/propfile"

func fixtureFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(fixtureDir, "*.prop"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures in %s: %v", fixtureDir, err)
	}
	return files
}

// TestFixturesRoundTrip checks Marshal(Parse(f)) == f byte for byte.
func TestFixturesRoundTrip(t *testing.T) {
	for _, f := range fixtureFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			props, err := Parse(data)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := props.Marshal(); !bytes.Equal(got, data) {
				t.Errorf("Marshal(Parse(f)) differs from f\n--- got ---\n%s\n--- want ---\n%s", got, data)
			}
		})
	}
}

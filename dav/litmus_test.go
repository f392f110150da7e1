package dav

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/gocaldav/gocaldav/gitstore"
	"github.com/gocaldav/gocaldav/webmachine"
)

// litmusSuites are the litmus 0.13 suites run, with the number of tests
// each has: all must run (none skipped) and pass.
var litmusSuites = []struct {
	name  string
	tests int
}{{"basic", 16}, {"copymove", 13}, {"props", 30}, {"http", 4}}

var litmusSummary = regexp.MustCompile("summary for `([a-z]+)': of ([0-9]+) tests run: ([0-9]+) passed, ([0-9]+) failed")

// TestLitmus runs the litmus WebDAV suites against the real handler over an
// on-disk store. It is skipped only where litmus is not installed and
// CI is not set; in CI a missing litmus fails.
func TestLitmus(t *testing.T) {
	bin, err := exec.LookPath("litmus")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("litmus is not installed (CI must apt-get install litmus)")
		}
		t.Skip("litmus not installed")
	}
	store, err := gitstore.Open(context.Background(), t.TempDir(), gitstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := &Server{Store: store, Logger: log, Auth: StaticAuth{User: "root", Password: "secret"}}
	if err := srv.Initialize(context.Background(), "root"); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler(webmachine.Options{Logger: log}))
	defer ts.Close()

	for _, suite := range litmusSuites {
		t.Run(suite.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			col := ts.URL + "/calendars/litmus-" + suite.name + "/"
			cmd := exec.CommandContext(ctx, bin, col, "root", "secret")
			cmd.Env = append(os.Environ(), "TESTS="+suite.name)
			cmd.Dir = t.TempDir() // litmus writes its debug.log here
			// litmus works inside a collection that must exist.
			req, _ := http.NewRequestWithContext(ctx, "MKCOL", col, nil)
			req.SetBasicAuth("root", "secret")
			resp, err := ts.Client().Do(req)
			if err != nil || resp.StatusCode != http.StatusCreated {
				t.Fatalf("MKCOL %s: %v %v", col, err, resp)
			}
			resp.Body.Close()
			out, _ := cmd.CombinedOutput()
			m := litmusSummary.FindSubmatch(out)
			if m == nil {
				t.Fatalf("no litmus summary:\n%s", out)
			}
			run, _ := strconv.Atoi(string(m[2]))
			passed, _ := strconv.Atoi(string(m[3]))
			failed, _ := strconv.Atoi(string(m[4]))
			t.Logf("litmus %s: %d run, %d passed, %d failed", suite.name, run, passed, failed)
			if failed != 0 || passed != suite.tests || run != suite.tests {
				t.Errorf("litmus %s: %d of %d run, %d passed, %d failed\n%s", suite.name, run, suite.tests, passed, failed, out)
			}
		})
	}
}

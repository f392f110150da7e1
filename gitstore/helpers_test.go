package gitstore

import (
	"context"
	"crypto/sha1"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// storeKind opens a fresh store of one kind for the conformance suite.
type storeKind struct {
	name string
	open func(t testing.TB, o Options) *Store
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func kinds() []storeKind {
	return []storeKind{
		{"memory", func(t testing.TB, o Options) *Store {
			if o.Logger == nil {
				o.Logger = quiet
			}
			s, err := OpenMemory(o)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}},
		{"disk", func(t testing.TB, o Options) *Store {
			return openDiskT(t, t.TempDir(), o)
		}},
	}
}

func openDiskT(t testing.TB, dir string, o Options) *Store {
	t.Helper()
	if o.Logger == nil {
		o.Logger = quiet
	}
	s, err := Open(context.Background(), dir, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// forEachStore runs f as a subtest on every store kind.
func forEachStore(t *testing.T, f func(t *testing.T, open func(testing.TB, Options) *Store)) {
	for _, k := range kinds() {
		t.Run(k.name, func(t *testing.T) { f(t, k.open) })
	}
}

func who(msg string) Commit {
	return Commit{AuthorName: "alice (via caldav)", AuthorEmail: "alice@example.org", Message: msg,
		Trailers: []Trailer{{"Remote-User", "alice"}, {"User-Agent", "test/1.0"}}}
}

// put writes files (path, content, path, content, ...) in one batch.
func put(t testing.TB, s *Store, kv ...string) string {
	t.Helper()
	id, err := s.Batch(context.Background(), who("PUT test"), func(tx *Txn) error {
		for i := 0; i < len(kv); i += 2 {
			if err := tx.Write(kv[i], []byte(kv[i+1])); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func blobID(data string) string {
	return fmt.Sprintf("%x", sha1.Sum([]byte(fmt.Sprintf("blob %d\x00%s", len(data), data))))
}

// needGit skips a test without the git binary, unless CI=true.
func needGit(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("git binary required in CI")
		}
		t.Skip("git binary not available")
	}
}

// git runs the git command line in dir and returns its output.
func gitCmd(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func fsck(t testing.TB, dir string) {
	t.Helper()
	gitCmd(t, dir, "fsck", "--strict", "--no-dangling")
}

func slogTo(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

// packedCalendar opens a disk store in dir (no background maintenance, no
// timed packing) holding a calendar of 2,000 events, all packed: the
// large directory later commits change.
func packedCalendar(t testing.TB, dir string) *Store {
	t.Helper()
	s := openDiskT(t, dir, Options{NoAutoMaintain: true, PackInterval: time.Hour})
	importEvents(t, s, 2000)
	if err := s.disk.materialize(); err != nil {
		t.Fatal(err)
	}
	return s
}

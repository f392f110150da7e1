package gitstore

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPushStatusDuringOutage: while the remote is missing, writes keep
// committing, the push attempts follow the retry backoff (not the number
// of writes), and the status says how far back the oldest unpushed commit
// is; once the remote exists, everything is pushed and the lag is gone.
func TestPushStatusDuringOutage(t *testing.T) {
	dir, missing, r := storeWithMissingRemote(t)
	s := openDiskT(t, dir, Options{Remote: r, PushRetryMax: 400 * time.Millisecond})
	began := time.Now()
	const writes = 40
	for i := range writes {
		put(t, s, fmt.Sprintf("calendars/alice/o%d.ics", i), "x")
		time.Sleep(50 * time.Millisecond)
	}
	outage := time.Since(began)
	st := s.PushStatus()
	if st.Pending != writes+1 || st.LastError == "" {
		t.Fatalf("during the outage: %+v", st)
	}
	if st.Failures != st.Attempts || st.Attempts == 0 {
		t.Errorf("attempts %d, failures %d: every attempt should have failed", st.Attempts, st.Failures)
	}
	// Backoff 0.5 s, then capped at 0.4 s: at most one attempt per 0.4 s
	// plus the first, whatever the number of writes.
	if limit := uint64(outage/(400*time.Millisecond)) + 2; st.Attempts > limit {
		t.Errorf("%d push attempts in %v for %d writes (limit %d): not backing off", st.Attempts, outage, writes, limit)
	}
	if st.Oldest.IsZero() || st.Oldest.Before(began.Add(-2*time.Second).Truncate(time.Second)) || st.Oldest.After(time.Now()) {
		t.Errorf("oldest unpushed commit at %v; the outage began at %v", st.Oldest, began)
	}
	t.Logf("outage %v: %d writes, %d push attempts, pending %d, oldest unpushed %v ago",
		outage.Round(time.Millisecond), writes, st.Attempts, st.Pending, time.Since(st.Oldest).Round(time.Second))

	bareRepo(t, filepath.Dir(missing), "later") // the remote comes back
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	after := s.PushStatus()
	if after.Pending != 0 || after.LastError != "" || !after.Oldest.IsZero() {
		t.Errorf("after recovery: %+v", after)
	}
	if after.Attempts <= st.Attempts || after.Failures != st.Failures {
		t.Errorf("after recovery: attempts %d -> %d, failures %d -> %d", st.Attempts, after.Attempts, st.Failures, after.Failures)
	}
	if got := remoteLog(t, missing); len(got) != writes+1 {
		t.Fatalf("remote has %d commits, want %d", len(got), writes+1)
	}
}

// TestFlushGivesUpOnDivergence: when someone else moved the remote
// branch, no retry can succeed without a person; Flush (the graceful
// shutdown) reports that at once instead of waiting out its deadline, and
// the remote keeps the foreign commit.
func TestFlushGivesUpOnDivergence(t *testing.T) {
	needGit(t)
	repo := bareRepo(t, t.TempDir(), "moved")
	r, err := ParseRemote(repo, RemoteAuth{})
	if err != nil {
		t.Fatal(err)
	}
	a := openDiskT(t, t.TempDir(), Options{Remote: r})
	put(t, a, "a", "1")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := a.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	b := openDiskT(t, t.TempDir(), Options{Remote: r})
	put(t, b, "b", "foreign")
	if err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	foreign := b.Head().Commit()
	put(t, a, "c", "mine")
	began := time.Now()
	err = a.Flush(ctx)
	if !errors.Is(err, ErrDiverged) || time.Since(began) > 5*time.Second {
		t.Fatalf("Flush after %v: %v; want ErrDiverged at once", time.Since(began), err)
	}
	if strings.Count(err.Error(), "diverged") != 1 {
		t.Errorf("error says diverged more than once: %v", err)
	}
	if got := strings.TrimSpace(gitCmd(t, repo, "rev-parse", "main")); got != foreign {
		t.Fatalf("remote at %s, want the foreign commit %s", got, foreign)
	}
	if st := a.PushStatus(); st.Pending != 1 || !strings.Contains(st.LastError, "diverged") {
		t.Errorf("status %+v", st)
	}
}

package gitstore

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// waitForRequests holds the writer slot until n Batch calls wait for it,
// then lets them go: they are built as one group.
func waitForRequests(t *testing.T, s *Store, n int, start func()) {
	t.Helper()
	s.writeSem <- struct{}{}
	start()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		s.reqMu.Lock()
		waiting := len(s.reqs)
		s.reqMu.Unlock()
		if waiting == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d batches are waiting", waiting, n)
		}
	}
	<-s.writeSem
}

// TestBatchGroup: batches that wait together are built as one group.
// Each sees the changes of those before it and gets its own commit, in
// order; a failing or panicking callback leaves no trace and does not
// disturb the others; each commit journals only its own change; and the
// journal replays to the same commits, which git accepts.
func TestBatchGroup(t *testing.T) {
	needGit(t)
	dir := t.TempDir()
	s := packedCalendar(t, dir)
	const n = 8
	const failing, panicking = 3, 5
	errFail := errors.New("refused")
	type result struct {
		id       string
		err      error
		panicVal any
	}
	results := make([]result, n)
	var wg sync.WaitGroup
	journalBefore := s.disk.j.size
	waitForRequests(t, s, n, func() {
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { results[i].panicVal = recover() }()
				results[i].id, results[i].err = s.Batch(context.Background(), who(fmt.Sprintf("batch %d", i)), func(tx *Txn) error {
					count := 0
					if b, err := tx.Read("calendars/alice/count"); err == nil {
						count, _ = strconv.Atoi(string(b))
					}
					if err := tx.Write("calendars/alice/count", []byte(strconv.Itoa(count+1))); err != nil {
						return err
					}
					if err := tx.Write(fmt.Sprintf("calendars/alice/home/g%d.ics", i), []byte(fmt.Sprint(i))); err != nil {
						return err
					}
					switch i {
					case failing:
						return errFail
					case panicking:
						panic("callback panicked")
					}
					return nil
				})
			}()
		}
	})
	wg.Wait()

	var commits []string
	for i, r := range results {
		switch i {
		case failing:
			if !errors.Is(r.err, errFail) || r.panicVal != nil {
				t.Fatalf("failing batch: %q, %v, panic %v", r.id, r.err, r.panicVal)
			}
		case panicking:
			if r.panicVal != "callback panicked" {
				t.Fatalf("panicking batch: %q, %v, panic %v", r.id, r.err, r.panicVal)
			}
		default:
			if r.err != nil || r.panicVal != nil {
				t.Fatalf("batch %d: %v, panic %v", i, r.err, r.panicVal)
			}
			commits = append(commits, r.id)
		}
	}
	if grew := s.disk.j.size - journalBefore; grew > int64(len(commits))*2048 {
		t.Errorf("%d commits journalled %d bytes", len(commits), grew)
	}
	s.disk.pendMu.Lock()
	whole := 0
	for _, o := range s.disk.pend {
		if o.tree != nil && o.delta == nil && o.size() > 10000 {
			whole++
		}
	}
	s.disk.pendMu.Unlock()
	if whole != 1 {
		t.Errorf("%d versions of the large directory held whole, want 1", whole)
	}

	// The history, newest first: one commit per successful batch, in the
	// order their callbacks ran (the counter counts them).
	check := func(s *Store) {
		t.Helper()
		hist, err := s.History(context.Background(), "calendars/alice/count", 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) != len(commits) {
			t.Fatalf("%d commits changed the counter, want %d", len(hist), len(commits))
		}
		seen := map[string]bool{}
		for k, c := range hist {
			pos := len(hist) - k // the counter value of this commit
			sn, err := s.At(c.ID)
			if err != nil {
				t.Fatal(err)
			}
			b, err := sn.Read("calendars/alice/count")
			if err != nil || string(b) != strconv.Itoa(pos) {
				t.Fatalf("commit %d reads counter %q, %v", pos, b, err)
			}
			es, err := sn.List("calendars/alice/home")
			if err != nil {
				t.Fatal(err)
			}
			if want := 2000 + 1 + pos; len(es) != want {
				t.Errorf("commit %d lists %d entries, want %d", pos, len(es), want)
			}
			seen[c.ID] = true
		}
		for _, id := range commits {
			if !seen[id] {
				t.Errorf("batch commit %s is not in the history", id)
			}
		}
		for _, i := range []int{failing, panicking} {
			if s.Head().Exists(fmt.Sprintf("calendars/alice/home/g%d.ics", i)) {
				t.Errorf("the changes of batch %d were committed", i)
			}
		}
	}
	check(s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Reopening replays the journal (the packs lack these commits).
	r := openDiskT(t, dir, Options{NoAutoMaintain: true, PackInterval: time.Hour})
	check(r)
	r.Close()
	fsck(t, dir)
}

// TestBatchGroupSharesUnchangedDirs: in a group where the first batch
// changes one directory and the others another, every commit holds the
// first one's change, and the trees of each commit read back.
func TestBatchGroupSharesUnchangedDirs(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(testing.TB, Options) *Store) {
		s := open(t, Options{NoAutoMaintain: true})
		put(t, s, "a/x", "0", "b/y", "0")
		const n = 6
		ids := make([]string, n)
		var wg sync.WaitGroup
		waitForRequests(t, s, n, func() {
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var err error
					ids[i], err = s.Batch(context.Background(), who("PUT"), func(tx *Txn) error {
						if tx.Exists("a/first") {
							return tx.Write(fmt.Sprintf("b/f%d", i), []byte("later"))
						}
						return tx.Write("a/first", []byte(fmt.Sprint(i)))
					})
					if err != nil {
						t.Error(err)
					}
				}()
			}
		})
		wg.Wait()
		hist, err := s.History(context.Background(), "", 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) != n+1 {
			t.Fatalf("%d commits, want %d", len(hist), n+1)
		}
		for k, c := range hist[:n] {
			sn, err := s.At(c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !sn.Exists("a/first") {
				t.Fatalf("commit %d lacks the first batch's file", n-k)
			}
			es, err := sn.List("b")
			if err != nil {
				t.Fatal(err)
			}
			if want := 1 + n - 1 - k; len(es) != want {
				t.Errorf("commit %d: b holds %d entries, want %d", n-k, len(es), want)
			}
		}
	})
}

// TestBatchGroupNoOpWaitsForItsCommit: a batch that changes nothing
// returns the id of the commit it saw only once that commit is durable;
// when making it durable fails, so does the batch.
func TestBatchGroupNoOpWaitsForItsCommit(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(testing.TB, Options) *Store) {
		var fail atomic.Bool
		s := open(t, Options{NoAutoMaintain: true, FailWrites: func() error {
			if fail.Load() {
				return errors.New("disk full")
			}
			return nil
		}})
		put(t, s, "a/x", "0")
		fail.Store(true)
		var writeErr, noopErr error
		var noopID string
		var wg sync.WaitGroup
		waitForRequests(t, s, 2, func() {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, writeErr = s.Batch(context.Background(), who("write"), func(tx *Txn) error {
					return tx.Write("a/new", []byte("1"))
				})
			}()
			waitForRequestsQueued(t, s, 1)
			wg.Add(1)
			go func() {
				defer wg.Done()
				noopID, noopErr = s.Batch(context.Background(), who("no-op"), func(tx *Txn) error {
					if !tx.Exists("a/new") {
						return errors.New("the first batch's change is not visible")
					}
					return tx.Write("a/new", []byte("1")) // what it already holds
				})
			}()
		})
		wg.Wait()
		if writeErr == nil || noopErr == nil {
			t.Fatalf("with the commit failing: write %v; no-op %q, %v", writeErr, noopID, noopErr)
		}
		fail.Store(false)
		if s.Head().Exists("a/new") {
			t.Error("the failed commit is visible")
		}
	})
}

// waitForRequestsQueued waits until n Batch calls wait for the writer.
func waitForRequestsQueued(t *testing.T, s *Store, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		s.reqMu.Lock()
		waiting := len(s.reqs)
		s.reqMu.Unlock()
		if waiting >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d batches are waiting", waiting, n)
		}
	}
}

// TestBatchGroupLeaderStoppingEarly: when the goroutine building a group
// stops in a callback (runtime.Goexit), the group's other batches fail
// instead of reading success, and the store stays usable.
func TestBatchGroupLeaderStoppingEarly(t *testing.T) {
	s := kinds()[0].open(t, Options{})
	results := make([]error, 3)
	returned := make([]bool, 3)
	var wg sync.WaitGroup
	waitForRequests(t, s, 3, func() {
		for i := range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, results[i] = s.Batch(context.Background(), who("PUT"), func(tx *Txn) error {
					if i == 0 {
						runtime.Goexit() // stops whichever goroutine builds the group
					}
					return tx.Write(fmt.Sprintf("f%d", i), []byte("x"))
				})
				returned[i] = true
			}()
			waitForRequestsQueued(t, s, i+1)
		}
	})
	wg.Wait()
	n := 0
	for i, err := range results {
		if returned[i] {
			n++
			if !errors.Is(err, errGroupAbandoned) {
				t.Errorf("batch %d: %v, want errGroupAbandoned", i, err)
			}
		}
	}
	if n != 2 {
		t.Errorf("%d batches returned, want the 2 the stopped goroutine did not run", n)
	}
	put(t, s, "after", "1")
	if !s.Head().Exists("after") || s.Head().Exists("f1") || s.Head().Exists("f2") {
		t.Error("the store is not usable after, or holds the abandoned changes")
	}
}

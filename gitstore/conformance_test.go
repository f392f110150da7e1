package gitstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestEmptyStore(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(testing.TB, Options) *Store) {
		s := open(t, Options{})
		h := s.Head()
		if h.Commit() != "" {
			t.Fatalf("empty store head %q", h.Commit())
		}
		if _, err := h.Stat("calendars/alice/x.ics"); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("stat on empty store: %v", err)
		}
		root, err := h.Stat("")
		if err != nil || !root.Dir {
			t.Fatalf("root: %+v %v", root, err)
		}
		if l, err := h.List(""); err != nil || len(l) != 0 {
			t.Fatalf("list root: %v %v", l, err)
		}
		if l, err := s.Changes(context.Background(), "", "", ""); err != nil || len(l) != 0 {
			t.Fatalf("changes: %v %v", l, err)
		}
	})
}

func TestWriteRead(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(testing.TB, Options) *Store) {
		s := open(t, Options{})
		id := put(t, s, "calendars/alice/a.ics", "AAA", "calendars/alice/.prop", "P", "calendars/bob/b.ics", "BB")
		h := s.Head()
		if h.Commit() != id || len(id) != 40 {
			t.Fatalf("head %q, batch %q", h.Commit(), id)
		}
		if time.Since(h.Time()) > time.Minute {
			t.Fatalf("commit time %v", h.Time())
		}
		b, err := h.Read("calendars/alice/a.ics")
		if err != nil || string(b) != "AAA" {
			t.Fatalf("read: %q %v", b, err)
		}
		e, err := h.Stat("/calendars/alice/a.ics")
		if err != nil {
			t.Fatal(err)
		}
		want := Entry{Name: "a.ics", Path: "calendars/alice/a.ics", Hash: blobID("AAA"), Size: 3}
		if e != want {
			t.Fatalf("stat %+v, want %+v", e, want)
		}
		if b, err := h.ReadFile("calendars/alice/a.ics", e.Hash); err != nil || string(b) != "AAA" {
			t.Fatalf("read by id: %q %v", b, err)
		}
		if b, err := h.ReadFile("calendars/alice/a.ics", "not an id"); err != nil || string(b) != "AAA" {
			t.Fatalf("read with a bad id (looked up instead): %q %v", b, err)
		}
		d, err := h.Stat("calendars/alice")
		if err != nil || !d.Dir || len(d.Hash) != 40 {
			t.Fatalf("dir stat %+v %v", d, err)
		}
		if _, err := h.Read("calendars/alice"); !errors.Is(err, ErrIsDir) {
			t.Fatalf("read dir: %v", err)
		}
		if _, err := h.List("calendars/alice/a.ics"); !errors.Is(err, ErrNotDir) {
			t.Fatalf("list file: %v", err)
		}
		if !h.Exists("calendars/bob/b.ics") || h.Exists("calendars/bob/zz") || h.Exists("calendars/alice/a.ics/x") {
			t.Fatal("Exists wrong")
		}
		// The directory's tree id changes when something below it changes,
		// and only then.
		put(t, s, "calendars/bob/c.ics", "C")
		d2, _ := s.Head().Stat("calendars/alice")
		b2, _ := s.Head().Stat("calendars/bob")
		b1, _ := h.Stat("calendars/bob")
		if d2.Hash != d.Hash || b2.Hash == b1.Hash {
			t.Fatalf("tree ids: alice %s→%s bob %s→%s", d.Hash, d2.Hash, b1.Hash, b2.Hash)
		}
	})
}

func TestListOrder(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(testing.TB, Options) *Store) {
		s := open(t, Options{})
		// git orders "foo.ics" before the directory "foo"; List sorts by name.
		put(t, s, "c/foo.ics", "1", "c/foo/x", "2", "c/a-b", "3", "c/a", "4", "c/Z", "5")
		l, err := s.Head().List("c")
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range l {
			names = append(names, fmt.Sprintf("%s:%v", e.Name, e.Dir))
		}
		if got := strings.Join(names, " "); got != "Z:false a:false a-b:false foo:true foo.ics:false" {
			t.Fatalf("list order: %s", got)
		}
		if l[0].Path != "c/Z" || l[0].Size != 1 {
			t.Fatalf("entry %+v", l[0])
		}
		b, err := s.Head().Read("c/foo/x")
		if err != nil || string(b) != "2" {
			t.Fatalf("read c/foo/x: %q %v", b, err)
		}
	})
}

func TestTxnSeesOwnWrites(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(testing.TB, Options) *Store) {
		s := open(t, Options{})
		put(t, s, "cal/a.ics", "A", "cal/b.ics", "B", "cal/sub/c.ics", "C", "other/x", "X")
		base := s.Head()
		_, err := s.Batch(context.Background(), who("MIX"), func(tx *Txn) error {
			if tx.Base() != base {
				t.Error("Base is not the head")
			}
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			must(tx.Write("cal/a.ics", []byte("A2")))
			must(tx.Write("cal/new.ics", []byte("N")))
			must(tx.Remove("cal/b.ics"))
			must(tx.Remove("other"))
			if b, err := tx.Read("cal/a.ics"); err != nil || string(b) != "A2" {
				t.Errorf("txn read own write: %q %v", b, err)
			}
			if tx.Exists("cal/b.ics") || tx.Exists("other/x") || tx.Exists("other") {
				t.Error("removed paths still visible in txn")
			}
			if e, err := tx.Stat("cal/new.ics"); err != nil || e.Size != 1 || e.Hash != blobID("N") {
				t.Errorf("stat pending: %+v %v", e, err)
			}
			if e, err := tx.Stat("cal/sub"); err != nil || !e.Dir || e.Hash == "" {
				t.Errorf("stat unchanged dir: %+v %v", e, err)
			}
			l, err := tx.List("cal")
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range l {
				names = append(names, e.Name)
			}
			if got := strings.Join(names, ","); got != "a.ics,new.ics,sub" {
				t.Errorf("txn list: %s", got)
			}
			if l, _ := tx.List(""); len(l) != 1 || l[0].Name != "cal" {
				t.Errorf("txn list root: %+v", l)
			}
			// Write below a removed directory: it comes back with only that file.
			must(tx.Write("other/y", []byte("Y")))
			if tx.Exists("other/x") || !tx.Exists("other/y") {
				t.Error("rewrite below removed dir")
			}
			// The base snapshot is unaffected.
			if b, _ := base.Read("cal/a.ics"); string(b) != "A" {
				t.Error("base snapshot changed")
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		h := s.Head()
		for p, want := range map[string]string{"cal/a.ics": "A2", "cal/new.ics": "N", "cal/sub/c.ics": "C", "other/y": "Y"} {
			if b, err := h.Read(p); err != nil || string(b) != want {
				t.Errorf("after commit %s = %q %v", p, b, err)
			}
		}
		for _, p := range []string{"cal/b.ics", "other/x"} {
			if h.Exists(p) {
				t.Errorf("%s survived removal", p)
			}
		}
		if b, _ := base.Read("cal/b.ics"); string(b) != "B" {
			t.Error("old snapshot changed")
		}
	})
}

func TestPathErrors(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(testing.TB, Options) *Store) {
		s := open(t, Options{})
		put(t, s, "d/f", "x")
		cases := []struct {
			name string
			fn   func(tx *Txn) error
			want error
		}{
			{"remove missing", func(tx *Txn) error { return tx.Remove("d/nope") }, fs.ErrNotExist},
			{"remove root", func(tx *Txn) error { return tx.Remove("") }, ErrInvalidPath},
			{"dotdot", func(tx *Txn) error { return tx.Write("d/../e", nil) }, ErrInvalidPath},
			{"dotgit", func(tx *Txn) error { return tx.Write(".git/config", nil) }, ErrInvalidPath},
			{"empty component", func(tx *Txn) error { return tx.Write("d//f", nil) }, ErrInvalidPath},
			{"write over dir", func(tx *Txn) error { return tx.Write("d", nil) }, ErrIsDir},
			{"write root", func(tx *Txn) error { return tx.Write("", nil) }, ErrIsDir},
			{"write through file", func(tx *Txn) error { return tx.Write("d/f/g", nil) }, ErrNotDir},
		}
		for _, c := range cases {
			before := s.Head().Commit()
			_, err := s.Batch(context.Background(), who(c.name), c.fn)
			if !errors.Is(err, c.want) {
				t.Errorf("%s: got %v, want %v", c.name, err, c.want)
			}
			if s.Head().Commit() != before {
				t.Errorf("%s: failed batch committed", c.name)
			}
		}
		if _, err := s.Head().Read("x/../y"); !errors.Is(err, ErrInvalidPath) {
			t.Errorf("snapshot invalid path: %v", err)
		}
	})
}

func TestBatchAllOrNothing(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(testing.TB, Options) *Store) {
		s := open(t, Options{})
		first := put(t, s, "a", "1")
		boom := errors.New("boom")
		id, err := s.Batch(context.Background(), who("fail"), func(tx *Txn) error {
			tx.Write("a", []byte("2"))
			tx.Write("b", []byte("2"))
			return boom
		})
		if !errors.Is(err, boom) || id != "" {
			t.Fatalf("got %q %v", id, err)
		}
		h := s.Head()
		if h.Commit() != first || h.Exists("b") {
			t.Fatal("failed batch left changes")
		}
		// No change, no commit: identical content, or write+remove.
		id, err = s.Batch(context.Background(), who("same"), func(tx *Txn) error {
			if err := tx.Write("a", []byte("1")); err != nil {
				return err
			}
			if err := tx.Write("tmp/x", []byte("1")); err != nil {
				return err
			}
			return tx.Remove("tmp")
		})
		if err != nil || id != first {
			t.Fatalf("no-op batch: %q %v (head %s)", id, err, first)
		}
		hist, err := s.History(context.Background(), "", 0)
		if err != nil || len(hist) != 1 {
			t.Fatalf("history %d %v", len(hist), err)
		}
		// A cancelled context writes nothing.
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := s.Batch(ctx, who("x"), func(tx *Txn) error { return tx.Write("c", nil) }); !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled: %v", err)
		}
	})
}

func TestEmptyDirectoriesVanish(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(testing.TB, Options) *Store) {
		s := open(t, Options{})
		put(t, s, "a/b/c", "1", "keep", "k")
		if _, err := s.Batch(context.Background(), who("rm"), func(tx *Txn) error { return tx.Remove("a/b/c") }); err != nil {
			t.Fatal(err)
		}
		if s.Head().Exists("a") {
			t.Fatal("empty directory a kept")
		}
		// Removing everything gives git's empty tree, still a commit.
		id, err := s.Batch(context.Background(), who("rm all"), func(tx *Txn) error { return tx.Remove("keep") })
		if err != nil || id == "" {
			t.Fatal(id, err)
		}
		if l, err := s.Head().List(""); err != nil || len(l) != 0 {
			t.Fatalf("list %v %v", l, err)
		}
		if s.Head().Tree() != emptyTree.String() {
			t.Fatalf("tree %s", s.Head().Tree())
		}
	})
}

func TestCommitMetadataAndHistory(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(testing.TB, Options) *Store) {
		s := open(t, Options{})
		ctx := context.Background()
		when := time.Date(2024, 5, 1, 12, 0, 0, 0, time.FixedZone("", -5*3600-30*60))
		c := who("PUT /calendars/alice/x.ics")
		c.When = when
		c1, err := s.Batch(ctx, c, func(tx *Txn) error { return tx.Write("calendars/alice/x.ics", []byte("v1")) })
		if err != nil {
			t.Fatal(err)
		}
		c2 := put(t, s, "calendars/bob/y.ics", "y")
		c3 := put(t, s, "calendars/alice/x.ics", "v2")
		hist, err := s.History(ctx, "calendars/alice/x.ics", 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) != 2 || hist[0].ID != c3 || hist[1].ID != c1 {
			t.Fatalf("history of x: %+v", hist)
		}
		h := hist[1]
		if h.AuthorName != "alice (via caldav)" || h.AuthorEmail != "alice@example.org" || !h.When.Equal(when) {
			t.Fatalf("author: %+v", h)
		}
		_, off := h.When.Zone()
		if off != -5*3600-30*60 {
			t.Fatalf("zone offset %d", off)
		}
		wantMsg := "PUT /calendars/alice/x.ics\n\nRemote-User: alice\nUser-Agent: test/1.0\n"
		if h.Message != wantMsg {
			t.Fatalf("message %q", h.Message)
		}
		if hist[0].Parents[0] != c2 {
			t.Fatalf("parents %v", hist[0].Parents)
		}
		if all, _ := s.History(ctx, "calendars", 0); len(all) != 3 {
			t.Fatalf("dir history %d", len(all))
		}
		if lim, _ := s.History(ctx, "", 2); len(lim) != 2 || lim[0].ID != c3 {
			t.Fatalf("limit: %+v", lim)
		}
		// Reading at past commits.
		old, err := s.At(c1)
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := old.Read("calendars/alice/x.ics"); string(b) != "v1" || old.Exists("calendars/bob") {
			t.Fatal("At(c1) wrong content")
		}
		if _, err := s.At("0123456789012345678901234567890123456789"); !errors.Is(err, ErrUnknownCommit) {
			t.Fatalf("At unknown: %v", err)
		}
		if _, err := s.At("nope"); !errors.Is(err, ErrUnknownCommit) {
			t.Fatalf("At garbage: %v", err)
		}
		// Injection attempts in identities and trailers are neutralised.
		evil := Commit{AuthorName: "eve <x>\nparent 123", Message: "m", Trailers: []Trailer{{"Bad Key:", "v\nInjected: 1"}}}
		if _, err := s.Batch(ctx, evil, func(tx *Txn) error { return tx.Write("e", nil) }); err != nil {
			t.Fatal(err)
		}
		last, _ := s.History(ctx, "e", 1)
		if last[0].AuthorName != "eve xparent 123" || last[0].Message != "m\n\nBadKey: vInjected: 1\n" || len(last[0].Parents) != 1 {
			t.Fatalf("sanitised: %+v", last[0])
		}
	})
}

func TestChanges(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(testing.TB, Options) *Store) {
		s := open(t, Options{})
		ctx := context.Background()
		c1 := put(t, s, "cal/a", "1", "cal/b", "1", "cal/sub/c", "1", "other/x", "1")
		if _, err := s.Batch(ctx, who("change"), func(tx *Txn) error {
			tx.Write("cal/a", []byte("2"))
			tx.Remove("cal/b")
			tx.Write("cal/d", []byte("new"))
			tx.Remove("cal/sub")
			return tx.Write("other/x", []byte("2"))
		}); err != nil {
			t.Fatal(err)
		}
		c2 := s.Head().Commit()
		got, err := s.Changes(ctx, "cal", c1, c2)
		if err != nil {
			t.Fatal(err)
		}
		want := []Change{
			{"cal/a", Modified, blobID("2")},
			{"cal/b", Removed, ""},
			{"cal/d", Added, blobID("new")},
			{"cal/sub/c", Removed, ""},
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("changes\n got %v\nwant %v", got, want)
		}
		all, err := s.Changes(ctx, "cal", "", c1)
		if err != nil || len(all) != 3 || all[0].Kind != Added {
			t.Fatalf("from start: %v %v", all, err)
		}
		if none, _ := s.Changes(ctx, "cal", c2, ""); len(none) != 0 {
			t.Fatalf("same commit: %v", none)
		}
		if none, _ := s.Changes(ctx, "missing", c1, c2); len(none) != 0 {
			t.Fatalf("missing dir: %v", none)
		}
		// Backwards works too (the reverse diff).
		back, _ := s.Changes(ctx, "cal", c2, c1)
		if len(back) != 4 || back[2].Kind != Removed {
			t.Fatalf("backwards: %v", back)
		}
		if _, err := s.Changes(ctx, "cal", strings.Repeat("ab", 20), c2); !errors.Is(err, ErrUnknownCommit) {
			t.Fatalf("unknown: %v", err)
		}
		if Added.String() != "added" || Removed.String() != "removed" || Modified.String() != "modified" {
			t.Fatal("kind strings")
		}
	})
}

func TestConcurrentBatchesAndReaders(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(testing.TB, Options) *Store) {
		s := open(t, Options{})
		ctx := context.Background()
		const writers, each = 6, 15
		var wg sync.WaitGroup
		stop := make(chan struct{})
		var readErr error
		var rmu sync.Mutex
		wg.Add(1)
		go func() { // a reader that must never see a broken snapshot
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				h := s.Head()
				l, err := h.List("cal")
				if err != nil && !errors.Is(err, fs.ErrNotExist) {
					rmu.Lock()
					readErr = err
					rmu.Unlock()
					return
				}
				for _, e := range l {
					if _, err := h.Read(e.Path); err != nil {
						rmu.Lock()
						readErr = err
						rmu.Unlock()
						return
					}
				}
			}
		}()
		ids := make(chan string, writers*each)
		var ww sync.WaitGroup
		for w := range writers {
			ww.Add(1)
			go func() {
				defer ww.Done()
				for i := range each {
					p := fmt.Sprintf("cal/w%d-%d.ics", w, i)
					id, err := s.Batch(ctx, who("PUT "+p), func(tx *Txn) error {
						// read-modify-write of a shared counter: serialisation check
						n := 0
						if b, err := tx.Read("cal/count"); err == nil {
							fmt.Sscan(string(b), &n)
						}
						if err := tx.Write("cal/count", []byte(fmt.Sprint(n+1))); err != nil {
							return err
						}
						return tx.Write(p, []byte(p))
					})
					if err != nil {
						t.Error(err)
						return
					}
					ids <- id
				}
			}()
		}
		ww.Wait()
		close(stop)
		wg.Wait()
		if readErr != nil {
			t.Fatal(readErr)
		}
		close(ids)
		seen := map[string]bool{}
		for id := range ids {
			if seen[id] {
				t.Fatalf("commit %s returned twice", id)
			}
			seen[id] = true
		}
		h := s.Head()
		b, _ := h.Read("cal/count")
		if string(b) != fmt.Sprint(writers*each) {
			t.Fatalf("counter %s, want %d", b, writers*each)
		}
		l, _ := h.List("cal")
		if len(l) != writers*each+1 {
			t.Fatalf("%d entries", len(l))
		}
		hist, _ := s.History(ctx, "", 0)
		if len(hist) != writers*each {
			t.Fatalf("%d commits", len(hist))
		}
		for _, c := range hist {
			if !seen[c.ID] {
				t.Fatalf("commit %s not returned by any Batch", c.ID)
			}
		}
	})
}

func TestInjectedWriteFailure(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(testing.TB, Options) *Store) {
		var fail bool
		var mu sync.Mutex
		diskFull := errors.New("no space left on device")
		s := open(t, Options{FailWrites: func() error {
			mu.Lock()
			defer mu.Unlock()
			if fail {
				return diskFull
			}
			return nil
		}})
		first := put(t, s, "a", "1")
		mu.Lock()
		fail = true
		mu.Unlock()
		_, err := s.Batch(context.Background(), who("PUT b"), func(tx *Txn) error { return tx.Write("b", []byte("2")) })
		if !errors.Is(err, ErrStorage) || !errors.Is(err, diskFull) {
			t.Fatalf("got %v", err)
		}
		if s.Head().Commit() != first || s.Head().Exists("b") {
			t.Fatal("failed write is visible")
		}
		mu.Lock()
		fail = false
		mu.Unlock()
		put(t, s, "c", "3")
		h := s.Head()
		if h.Exists("b") || !h.Exists("c") {
			t.Fatal("state after recovery")
		}
		if hist, _ := s.History(context.Background(), "", 0); len(hist) != 2 || hist[1].ID != first {
			t.Fatalf("history after failure: %+v", hist)
		}
	})
}

func TestBulkWriteIntoLargeDirectory(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(testing.TB, Options) *Store) {
		s := open(t, Options{})
		var kv []string
		for i := range 300 {
			kv = append(kv, fmt.Sprintf("cal/e%03d.ics", i), fmt.Sprint(i))
		}
		put(t, s, kv...)
		// Mixed bulk update (>16 names: the sort path) and single updates.
		if _, err := s.Batch(context.Background(), who("bulk"), func(tx *Txn) error {
			for i := 0; i < 300; i += 10 {
				if i%20 == 0 {
					tx.Remove(fmt.Sprintf("cal/e%03d.ics", i))
				} else {
					tx.Write(fmt.Sprintf("cal/e%03d.ics", i), []byte("x"))
				}
			}
			return tx.Write("cal/../x", nil) // invalid: the whole batch is dropped
		}); !errors.Is(err, ErrInvalidPath) {
			t.Fatalf("got %v", err)
		}
		if _, err := s.Batch(context.Background(), who("bulk"), func(tx *Txn) error {
			for i := 0; i < 300; i += 10 {
				if i%20 == 0 {
					tx.Remove(fmt.Sprintf("cal/e%03d.ics", i))
				} else {
					tx.Write(fmt.Sprintf("cal/e%03d.ics", i), []byte("x"))
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		l, _ := s.Head().List("cal")
		if len(l) != 285 {
			t.Fatalf("%d entries", len(l))
		}
		b, _ := s.Head().Read("cal/e010.ics")
		c, _ := s.Head().Read("cal/e011.ics")
		if string(b) != "x" || string(c) != "11" || s.Head().Exists("cal/e020.ics") {
			t.Fatal("bulk content")
		}
	})
}

// TestBatchPanicReleasesWriter: a panic inside a batch reaches the caller
// and leaves the store writable (it used to keep the writer slot, so
// every later write, and Close, waited forever).
func TestBatchPanicReleasesWriter(t *testing.T) {
	forEachStore(t, func(t *testing.T, open func(testing.TB, Options) *Store) {
		s := open(t, Options{})
		func() {
			defer func() {
				if recover() == nil {
					t.Fatal("the panic did not reach the caller")
				}
			}()
			s.Batch(context.Background(), who("PUT"), func(tx *Txn) error {
				if err := tx.Write("a", []byte("half")); err != nil {
					return err
				}
				panic("handler bug")
			})
		}()
		put(t, s, "b", "after")
		if s.Head().Exists("a") {
			t.Error("the panicking batch was committed")
		}
	})
}

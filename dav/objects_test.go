package dav

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gocaldav/gocaldav/dav/propfile"
	"github.com/gocaldav/gocaldav/gitstore"
)

// TestChildLikeLookup: Node.Child finds what a lookup of the whole path
// finds (files, collections, missing names, property files, invalid
// names), from a snapshot and from a batch, which has no tree ids.
func TestChildLikeLookup(t *testing.T) {
	store, err := gitstore.OpenMemory(gitstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	_, err = store.Batch(context.Background(), gitstore.Commit{AuthorName: "t", AuthorEmail: "t@x", Message: "fill"}, func(tx *gitstore.Txn) error {
		for _, p := range [][]string{{"cal", "a.ics"}, {"cal", "b.ics"}, {"cal", "sub", "c.ics"}} {
			if err := StoreObject(tx, p, []byte("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"), "text/calendar", now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"a.ics", "b.ics", "sub", "missing.ics", "a.ics" + propSuffix, "..", ".git", "a.ics/x"}
	check := func(rd Reader) {
		t.Helper()
		cal, err := lookup(rd, []string{"cal"}, nil)
		if err != nil || cal == nil {
			t.Fatalf("cal: %v %v", cal, err)
		}
		for _, name := range names {
			got, gotErr := cal.Child(name)
			want, wantErr := lookup(rd, []string{"cal", name}, nil)
			if (gotErr == nil) != (wantErr == nil) || (got == nil) != (want == nil) {
				t.Fatalf("%s: Child %v, %v; lookup %v, %v", name, got, gotErr, want, wantErr)
			}
			if got == nil {
				continue
			}
			gl, err1 := got.ContentLength()
			wl, err2 := want.ContentLength()
			if got.Path() != want.Path() || got.Collection != want.Collection || got.Hash != want.Hash || gl != wl || (err1 == nil) != (err2 == nil) {
				t.Errorf("%s: Child %+v (length %d), lookup %+v (length %d)", name, got, gl, want, wl)
			}
		}
	}
	check(store.Head())
	_, err = store.Batch(context.Background(), gitstore.Commit{AuthorName: "t", AuthorEmail: "t@x", Message: "read"}, func(tx *gitstore.Txn) error {
		check(tx)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestPreparedProps: a property file prepared before the batch is the
// one storeObject would encode inside it, for a new object and for an
// update; and it is not used once the object's property file changed
// since (a PROPPATCH won the race) or the content type differs.
func TestPreparedProps(t *testing.T) {
	store, err := gitstore.OpenMemory(gitstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	segs := []string{"cal", "a.ics"}
	body := []byte("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
	commit := func(f func(tx *gitstore.Txn) error) {
		t.Helper()
		if _, err := store.Batch(ctx, gitstore.Commit{AuthorName: "t", AuthorEmail: "t@x", Message: "t"}, f); err != nil {
			t.Fatal(err)
		}
	}
	propFile := func() string {
		b, err := store.Head().Read(propPathOf(segs, false))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	// stored writes the object with prepared (nil: none) and returns its property file.
	stored := func(prepared *preparedProps, ct string) string {
		t.Helper()
		commit(func(tx *gitstore.Txn) error {
			existing, err := lookup(tx, segs, nil)
			if err != nil {
				return err
			}
			return storeObject(tx, nil, segs, existing, body, ct, now, prepared)
		})
		return propFile()
	}
	commit(func(tx *gitstore.Txn) error { return tx.Write("cal/x", []byte("x")) })
	for round, what := range []string{"new object", "update"} {
		sn := store.Head()
		existing, _ := lookup(sn, segs, nil)
		prep := prepareProps(sn, segs, existing, "text/calendar", len(body), now)
		want := string(prep.data)
		if got := stored(prep, "text/calendar"); got != want {
			t.Fatalf("%s: stored with the prepared file:\n%s\nprepared:\n%s", what, got, want)
		}
		// The same write without preparation encodes the same file.
		if round == 1 {
			if got := stored(nil, "text/calendar"); got != want {
				t.Fatalf("%s: stored unprepared:\n%s\nprepared:\n%s", what, got, want)
			}
		}
	}
	sn := store.Head()
	existing, _ := lookup(sn, segs, nil)
	stale := prepareProps(sn, segs, existing, "text/calendar", len(body), now)
	stale.data = []byte("(stale)")
	commit(func(tx *gitstore.Txn) error { // a PROPPATCH meanwhile
		p := existing.Props().Clone()
		p.Set(propfile.TextProperty(PropDisplayName, "renamed"))
		return writeProps(tx, segs, false, p)
	})
	if got := stored(stale, "text/calendar"); strings.Contains(got, "stale") || !strings.Contains(got, "renamed") {
		t.Fatalf("a stale preparation was used, or the PROPPATCH lost:\n%s", got)
	}
	stale = prepareProps(store.Head(), segs, existing, "text/calendar", len(body), now)
	stale.data = []byte("(stale)")
	if got := stored(stale, "text/plain"); strings.Contains(got, "stale") {
		t.Fatalf("a preparation for another content type was used:\n%s", got)
	}
}

// TestNewListingReplacesTheOld: caching a collection's listing at a new
// tree id drops the one cached at its previous id, not other
// collections' listings.
func TestNewListingReplacesTheOld(t *testing.T) {
	v1 := []member{{name: "a.ics"}}
	v2 := []member{{name: "a.ics"}, {name: "b.ics"}}
	other := []member{{name: "c.ics"}}
	cacheListing("calendars/test-replace", "tree-v1", v1)
	cacheListing("calendars/test-other", "tree-other", other)
	cacheListing("calendars/test-replace", "tree-v2", v2)
	if _, ok := listings.Get("tree-v1"); ok {
		t.Error("the listing at the previous tree id is still cached")
	}
	if ms, ok := listings.Get("tree-v2"); !ok || len(ms) != 2 {
		t.Errorf("the new listing: %d members, cached %v", len(ms), ok)
	}
	if _, ok := listings.Get("tree-other"); !ok {
		t.Error("another collection's listing was dropped")
	}
}

package dav

import (
	"context"
	"testing"
	"time"

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

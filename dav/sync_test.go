package dav

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/gocaldav/gocaldav/dav/davtest"
)

// syncResult is a parsed sync-collection answer.
type syncResult struct {
	changed []string // hrefs with propstats
	removed []string // hrefs answered 404
	status  map[string]int
	token   string
	ms      davtest.Multistatus
}

// syncCollection runs the report with token ("" for an initial sync).
func (e *testEnv) syncCollection(path, token string, limit int) syncResult {
	e.T.Helper()
	lim := ""
	if limit > 0 {
		lim = fmt.Sprintf("<D:limit><D:nresults>%d</D:nresults></D:limit>", limit)
	}
	body := `<D:sync-collection xmlns:D="DAV:"><D:sync-token>` + token + `</D:sync-token><D:sync-level>1</D:sync-level>` + lim +
		`<D:prop><D:getetag/></D:prop></D:sync-collection>`
	r := e.Must(207, "REPORT", path, body)
	ms := davtest.ParseMultistatus(e.T, r.Body)
	res := syncResult{status: map[string]int{}, ms: ms}
	for href, props := range ms {
		if st, ok := props[""]; ok {
			res.status[href] = st.Status
			if st.Status == 404 {
				res.removed = append(res.removed, href)
			}
			continue
		}
		res.changed = append(res.changed, href)
	}
	sort.Strings(res.changed)
	sort.Strings(res.removed)
	doc := etree.NewDocument()
	if err := doc.ReadFromString(r.Body); err != nil {
		e.T.Fatal(err)
	}
	if tok := child(doc.Root(), DAVName("sync-token")); tok != nil {
		res.token = textOf(tok)
	}
	if res.token == "" {
		e.T.Fatalf("no sync-token in the answer:\n%s", r.Body)
	}
	return res
}

// collectionToken reads DAV:sync-token and CS:getctag by PROPFIND.
func (e *testEnv) collectionToken(path string) (token, ctag string) {
	e.T.Helper()
	ms := davtest.ParseMultistatus(e.T, e.Must(207, "PROPFIND", path,
		`<D:propfind xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><D:prop><D:sync-token/><CS:getctag/></D:prop></D:propfind>`, "Depth", "0").Body)
	p := ms[path]
	return p["{DAV:}sync-token"].XML, p["{http://calendarserver.org/ns/}getctag"].XML
}

func TestSyncCollection(t *testing.T) {
	e := newTestEnv(t)
	e.Must(201, "MKCOL", "/calendars/c/", "")
	e.Must(201, "MKCOL", "/calendars/other/", "")
	e.Must(201, "PUT", "/calendars/c/a.ics", "A")
	e.Must(201, "PUT", "/calendars/c/b.ics", "B")

	initial := e.syncCollection("/calendars/c/", "", 0)
	if strings.Join(initial.changed, " ") != "/calendars/c/a.ics /calendars/c/b.ics" || len(initial.removed) != 0 {
		t.Fatalf("initial sync: changed %v removed %v", initial.changed, initial.removed)
	}
	if got := initial.ms["/calendars/c/a.ics"]["{DAV:}getetag"].XML; got != `"`+blobID([]byte("A"))+`"` {
		t.Errorf("getetag in sync answer %q", got)
	}
	tok0, ctag0 := e.collectionToken("/calendars/c/")
	if tok0 != initial.token {
		t.Errorf("DAV:sync-token %q differs from the report's %q", tok0, initial.token)
	}

	// Changes elsewhere leave the collection's token and ctag alone.
	e.Must(201, "PUT", "/calendars/other/x.ics", "X")
	if tok, ctag := e.collectionToken("/calendars/c/"); tok != tok0 || ctag != ctag0 {
		t.Errorf("token or ctag changed by another collection: %s %s", tok, ctag)
	}
	none := e.syncCollection("/calendars/c/", initial.token, 0)
	if len(none.changed)+len(none.removed) != 0 {
		t.Errorf("no changes expected, got %v %v", none.changed, none.removed)
	}

	// An update, a create, a delete and a property change.
	e.Must(204, "PUT", "/calendars/c/a.ics", "A2")
	e.Must(201, "PUT", "/calendars/c/n.ics", "N")
	e.Must(204, "DELETE", "/calendars/c/b.ics", "")
	delta := e.syncCollection("/calendars/c/", none.token, 0)
	if strings.Join(delta.changed, " ") != "/calendars/c/a.ics /calendars/c/n.ics" || strings.Join(delta.removed, " ") != "/calendars/c/b.ics" {
		t.Fatalf("delta: changed %v removed %v", delta.changed, delta.removed)
	}
	tok1, ctag1 := e.collectionToken("/calendars/c/")
	if tok1 == tok0 || ctag1 == ctag0 || tok1 != delta.token {
		t.Errorf("token/ctag after changes: %s %s (before %s %s), report %s", tok1, ctag1, tok0, ctag0, delta.token)
	}
	e.Must(207, "PROPPATCH", "/calendars/c/n.ics",
		`<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>n</D:displayname></D:prop></D:set></D:propertyupdate>`)
	props := e.syncCollection("/calendars/c/", delta.token, 0)
	if strings.Join(props.changed, " ") != "/calendars/c/n.ics" {
		t.Errorf("a property change is a member change: %v", props.changed)
	}

	// A MOVE out is a removal here and a creation there.
	e.Must(201, "MOVE", "/calendars/c/n.ics", "", "Destination", "/calendars/other/n.ics")
	moved := e.syncCollection("/calendars/c/", props.token, 0)
	if strings.Join(moved.removed, " ") != "/calendars/c/n.ics" || len(moved.changed) != 0 {
		t.Errorf("after MOVE: changed %v removed %v", moved.changed, moved.removed)
	}
	// An initial sync never lists removed members.
	again := e.syncCollection("/calendars/c/", "", 0)
	if strings.Join(again.changed, " ") != "/calendars/c/a.ics" || len(again.removed) != 0 {
		t.Errorf("initial sync after removals: %v %v", again.changed, again.removed)
	}
}

func TestSyncCollectionLimit(t *testing.T) {
	e := newTestEnv(t)
	e.Must(201, "MKCOL", "/calendars/c/", "")
	start := e.syncCollection("/calendars/c/", "", 0)
	for i := 0; i < 7; i++ {
		e.Must(201, "PUT", fmt.Sprintf("/calendars/c/%d.ics", i), "x")
	}
	// With limit 3 the history is walked in pieces, each a 507-marked
	// partial answer, until everything arrived.
	tok := start.token
	var got []string
	truncated := 0
	for round := 0; round < 10; round++ {
		r := e.syncCollection("/calendars/c/", tok, 3)
		got = append(got, r.changed...)
		tok = r.token
		if r.status["/calendars/c/"] != 507 {
			break
		}
		truncated++
		if len(r.changed) > 3 {
			t.Errorf("a truncated answer has %d members, limit 3", len(r.changed))
		}
	}
	if truncated < 2 {
		t.Errorf("7 changes with limit 3 were truncated %d times, want at least 2", truncated)
	}
	sort.Strings(got)
	if len(got) != 7 {
		t.Fatalf("got %d members over the rounds, want 7: %v", len(got), got)
	}
	if last := e.syncCollection("/calendars/c/", tok, 3); len(last.changed) != 0 {
		t.Errorf("changes after the last round: %v", last.changed)
	}
}

func TestSyncCollectionErrors(t *testing.T) {
	e := newTestEnv(t)
	e.Must(201, "MKCOL", "/calendars/c/", "")
	for _, tok := range []string{"http://elsewhere/sync/1", "data:," + strings.Repeat("ab", 20)} {
		body := `<D:sync-collection xmlns:D="DAV:"><D:sync-token>` + tok + `</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>`
		r := e.Must(403, "REPORT", "/calendars/c/", body)
		if davtest.ErrorCondition(r.Body) != "{DAV:}valid-sync-token" {
			t.Errorf("token %s: condition %q", tok, davtest.ErrorCondition(r.Body))
		}
	}
	e.Must(400, "REPORT", "/calendars/c/", `<D:sync-collection xmlns:D="DAV:"><D:sync-level>1</D:sync-level><D:prop/></D:sync-collection>`)
	// A DAV:limit without DAV:nresults (found by FuzzRequestXML: it panicked).
	e.Must(400, "REPORT", "/calendars/c/", `<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level><D:limit></D:limit><D:prop/></D:sync-collection>`)
	e.Must(201, "PUT", "/calendars/c/a.ics", "A")
	r := e.Must(403, "REPORT", "/calendars/c/a.ics", `<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:prop/></D:sync-collection>`)
	if davtest.ErrorCondition(r.Body) != "{DAV:}supported-report" {
		t.Errorf("sync-collection on an object: %q", davtest.ErrorCondition(r.Body))
	}
}

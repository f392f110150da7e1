package dav

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/gocaldav/gocaldav/gitstore"
)

func TestParseIf(t *testing.T) {
	good := map[string][]ifList{
		`(<urn:uuid:181d4fae-7d8c-11d0-a765-00a0c91e6bf2> ["I am an ETag"]) (["I am another ETag"])`: {
			{conds: []ifCondition{{token: "urn:uuid:181d4fae-7d8c-11d0-a765-00a0c91e6bf2"}, {etag: `"I am an ETag"`}}},
			{conds: []ifCondition{{etag: `"I am another ETag"`}}},
		},
		`(Not <urn:a> <urn:b>)`:         {{conds: []ifCondition{{not: true, token: "urn:a"}, {token: "urn:b"}}}},
		`(<urn:a>) (NOT <DAV:no-lock>)`: {{conds: []ifCondition{{token: "urn:a"}}}, {conds: []ifCondition{{not: true, token: "DAV:no-lock"}}}},
		"\t(not[W/\"x\"])  ":            {{conds: []ifCondition{{not: true, etag: `W/"x"`}}}},
		`</resource1> (<urn:a> [W/"A weak ETag"]) (["strong ETag"]) <http://example.com/specs/> (<urn:b>)`: {
			{resource: "/resource1", conds: []ifCondition{{token: "urn:a"}, {etag: `W/"A weak ETag"`}}},
			{resource: "/resource1", conds: []ifCondition{{etag: `"strong ETag"`}}},
			{resource: "http://example.com/specs/", conds: []ifCondition{{token: "urn:b"}}},
		},
	}
	for v, want := range good {
		got, err := parseIf(v)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v %v\nwant %+v", v, got, err, want)
		}
	}
	for _, v := range []string{
		``, `   `, `()`, `(`, `([`, `(["x"]`, `(["x" ])`, `([ "x"])`, `(["x])`, `([x])`, `(["x" ])`, `(<>)`, `(<urn:a b>)`,
		`(<no-scheme>)`, `(Not)`, `(Nope <urn:a>)`, `["x"]`, `(["x"]) </r> (["x"])`, `</r>`, `</r> </s> (["x"])`,
		`<r> (["x"])`, `<//host/p> (["x"])`, `(["x"]) junk`, "([\"a\x01b\"])",
	} {
		if lists, err := parseIf(v); err == nil {
			t.Errorf("%q parsed as %+v", v, lists)
		} else if e, ok := err.(*Error); !ok || e.Status != http.StatusBadRequest {
			t.Errorf("%q: %v, want a 400", v, err)
		}
	}
	many := strings.Repeat(`(["x"])`, maxIfConditions+1)
	if _, err := parseIf(many); err == nil {
		t.Errorf("%d conditions accepted", maxIfConditions+1)
	}
}

// The If header over HTTP: entity tags of the target and of tagged
// resources, state tokens that never match, unmapped URLs, every method.
func TestIfHeader(t *testing.T) {
	e := newTestEnv(t)
	e.Must(201, "MKCOL", "/calendars/c/", "")
	etag := e.Must(201, "PUT", "/calendars/c/a", "one").Header.Get("ETag")
	other := e.Must(201, "PUT", "/calendars/c/b", "two").Header.Get("ETag")
	const lock = "<urn:uuid:181d4fae-7d8c-11d0-a765-00a0c91e6bf2>"
	tests := []struct {
		name, method, path, ifv string
		want                    int
	}{
		{"current etag", "GET", "/calendars/c/a", "([" + etag + "])", 200},
		{"other etag", "GET", "/calendars/c/a", `(["nope"])`, 412},
		{"weak form of the current etag", "GET", "/calendars/c/a", "([W/" + etag + "])", 412},
		{"Not other etag", "GET", "/calendars/c/a", `(Not ["nope"])`, 200},
		{"Not current etag", "GET", "/calendars/c/a", "(Not [" + etag + "])", 412},
		{"second list holds", "GET", "/calendars/c/a", `(["nope"]) ([` + etag + "])", 200},
		{"conjunction fails", "GET", "/calendars/c/a", `([` + etag + `] ["nope"])`, 412},
		{"lock token never matches", "GET", "/calendars/c/a", "(" + lock + ")", 412},
		{"Not lock token", "GET", "/calendars/c/a", "(Not " + lock + ")", 200},
		{"DAV:no-lock idiom", "PUT", "/calendars/c/a", "(" + lock + ") (Not <DAV:no-lock>)", 204},
		{"lock token and etag", "PUT", "/calendars/c/a", "(" + lock + " [" + etag + "])", 412},
		{"missing target has no etag", "PUT", "/calendars/c/new", "([" + etag + "])", 412},
		{"missing target, Not etag", "PUT", "/calendars/c/new2", "(Not [" + etag + "])", 201},
		{"tagged other resource", "PUT", "/calendars/c/a", "</calendars/c/b> ([" + other + "])", 204},
		{"tagged other resource, stale", "PUT", "/calendars/c/a", "</calendars/c/b> ([" + etag + "])", 412},
		{"tagged absolute URL of this host", "DELETE", "/calendars/c/new2", "<http://example.com/calendars/c/b> ([" + other + "])", 204},
		{"tagged unmapped", "GET", "/calendars/c/a", `</calendars/c/none> (["x"])`, 412},
		{"tagged unmapped, Not", "GET", "/calendars/c/a", `</calendars/c/none> (Not ["x"])`, 200},
		{"tagged other host", "GET", "/calendars/c/a", "<http://elsewhere.example/calendars/c/b> ([" + other + "])", 412},
		{"tagged other host, Not", "GET", "/calendars/c/a", `<http://elsewhere.example/x> (Not ["x"])`, 200},
		{"tagged outside the DAV trees", "GET", "/calendars/c/a", `</elsewhere> (Not ["x"])`, 200},
		{"PROPFIND", "PROPFIND", "/calendars/c/a", `(["nope"])`, 412},
		{"PROPPATCH", "PROPPATCH", "/calendars/c/a", `(["nope"])`, 412},
		{"MKCOL", "MKCOL", "/calendars/c/d/", `(["nope"])`, 412},
		{"COPY", "COPY", "/calendars/c/a", `(["nope"])`, 412},
		{"malformed", "GET", "/calendars/c/a", `(["nope"]`, 400},
		{"state token not a URI", "GET", "/calendars/c/a", `(Not <nope>)`, 400},
		{"OPTIONS is not conditional", "OPTIONS", "/calendars/c/a", `(["nope"])`, 200},
	}
	for _, tc := range tests {
		r := e.Do(tc.method, tc.path, "", "If", tc.ifv, "Destination", "/calendars/c/copy", "Depth", "0")
		if r.Status != tc.want {
			t.Errorf("%s: %s %s If: %s: %d, want %d\n%s", tc.name, tc.method, tc.path, tc.ifv, r.Status, tc.want, r.Body)
		}
	}
}

// renderIf writes lists back as an If header.
func renderIf(lists []ifList) string {
	var b strings.Builder
	for _, l := range lists {
		if l.resource != "" {
			b.WriteString("<" + l.resource + "> ")
		}
		b.WriteString("(")
		for _, c := range l.conds {
			if c.not {
				b.WriteString("Not ")
			}
			if c.token != "" {
				b.WriteString("<" + c.token + "> ")
			} else {
				b.WriteString("[" + c.etag + "] ")
			}
		}
		b.WriteString(") ")
	}
	return b.String()
}

// FuzzIfHeader: parsing never panics, a parsed header is within the
// bounds, and it parses the same once written back.
func FuzzIfHeader(f *testing.F) {
	for _, s := range []string{
		`(<urn:uuid:181d4fae-7d8c-11d0-a765-00a0c91e6bf2> ["I am an ETag"]) (["I am another ETag"])`,
		`(Not <urn:a> <urn:b>)`, `</resource1> (<urn:a> [W/"weak"]) (["strong"])`,
		`<http://www.example.com/specs/> (<urn:uuid:x>)`, `(<x:y>) (Not <DAV:no-lock>)`, `((`, `<a>`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		lists, err := parseIf(v)
		if err != nil {
			return
		}
		n := 0
		for _, l := range lists {
			n += len(l.conds)
		}
		if n == 0 || n > maxIfConditions {
			t.Fatalf("%q: %d conditions", v, n)
		}
		again, err := parseIf(renderIf(lists))
		if err != nil || !reflect.DeepEqual(again, lists) {
			t.Fatalf("%q: %+v\nwritten back %q: %+v %v", v, lists, renderIf(lists), again, err)
		}
	})
}

// TestIfHeaderRecheckedInBatch: a write that lands between the If
// header's check on the request's snapshot and the batch fails the
// request with 412 instead of being overwritten.
func TestIfHeaderRecheckedInBatch(t *testing.T) {
	e := newTestEnv(t)
	e.Must(201, "MKCOL", "/calendars/c/", "")
	etag := e.Must(201, "PUT", "/calendars/c/a", "one").Header.Get("ETag")
	raced := false
	e.srv.Hooks.CheckPut = func(ctx context.Context, _ *Call, _, _ *Node, _ string, _ []byte, _ string) (string, error) {
		if !raced { // the first call runs before the batch: another client's write wins the race
			raced = true
			_, err := e.store.Batch(ctx, gitstore.Commit{AuthorName: "other", AuthorEmail: "o@x", Message: "race"},
				func(tx *gitstore.Txn) error {
					return StoreObject(tx, []string{"calendars", "c", "a"}, []byte("theirs"), "text/plain", testNow)
				})
			return "", err
		}
		return "", nil
	}
	e.Must(412, "PUT", "/calendars/c/a", "mine", "If", "(["+etag+"])")
	if got := e.Must(200, "GET", "/calendars/c/a", "").Body; got != "theirs" {
		t.Errorf("the racing write was overwritten: %q", got)
	}
}

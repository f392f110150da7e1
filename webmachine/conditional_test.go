package webmachine

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestConditionalMatrix checks each precondition header against an
// existing and a missing resource, for GET and PUT, with matching and
// mismatching validators (RFC 9110 §13). The resource's ETag is "abc" and
// it was last modified on testModified.
func TestConditionalMatrix(t *testing.T) {
	future := testNow.Add(365 * 24 * time.Hour).Format(http.TimeFormat)
	exact := testModified.Format(http.TimeFormat)
	type want struct{ getExists, putExists, getMissing, putMissing int }
	rows := []struct {
		name    string
		headers map[string]string
		want    want
	}{
		{"no precondition", nil, want{200, 204, 404, 201}},
		{"If-Match *", h("If-Match", "*"), want{200, 204, 412, 412}},
		{"If-Match match", h("If-Match", `"abc"`), want{200, 204, 412, 412}},
		{"If-Match in list", h("If-Match", `"xyz", "abc"`), want{200, 204, 412, 412}},
		{"If-Match mismatch", h("If-Match", `"xyz"`), want{412, 412, 412, 412}},
		{"If-Match weak never matches", h("If-Match", `W/"abc"`), want{412, 412, 412, 412}},
		{"If-None-Match *", h("If-None-Match", "*"), want{304, 412, 404, 201}},
		{"If-None-Match match", h("If-None-Match", `"abc"`), want{304, 412, 404, 201}},
		{"If-None-Match weak match", h("If-None-Match", `W/"abc"`), want{304, 412, 404, 201}},
		{"If-None-Match mismatch", h("If-None-Match", `"xyz", "zzz"`), want{200, 204, 404, 201}},
		{"If-Unmodified-Since later", h("If-Unmodified-Since", dayAfter), want{200, 204, 404, 201}},
		{"If-Unmodified-Since exact", h("If-Unmodified-Since", exact), want{200, 204, 404, 201}},
		{"If-Unmodified-Since earlier", h("If-Unmodified-Since", dayBefore), want{412, 412, 404, 201}},
		{"If-Unmodified-Since invalid", h("If-Unmodified-Since", "yesterday"), want{200, 204, 404, 201}},
		{"If-Modified-Since later", h("If-Modified-Since", dayAfter), want{304, 204, 404, 201}},
		{"If-Modified-Since exact", h("If-Modified-Since", exact), want{304, 204, 404, 201}},
		{"If-Modified-Since earlier", h("If-Modified-Since", dayBefore), want{200, 204, 404, 201}},
		{"If-Modified-Since in the future", h("If-Modified-Since", future), want{200, 204, 404, 201}},
		{"If-Modified-Since invalid", h("If-Modified-Since", "soon"), want{200, 204, 404, 201}},
		{"If-Match wins over If-Unmodified-Since", h("If-Match", `"abc"`, "If-Unmodified-Since", dayBefore), want{200, 204, 412, 412}},
		{"If-None-Match wins over If-Modified-Since", h("If-None-Match", `"xyz"`, "If-Modified-Since", dayAfter), want{200, 204, 404, 201}},
	}
	for _, row := range rows {
		for _, cell := range []struct {
			method  string
			missing bool
			status  int
		}{
			{"GET", false, row.want.getExists},
			{"PUT", false, row.want.putExists},
			{"GET", true, row.want.getMissing},
			{"PUT", true, row.want.putMissing},
		} {
			state := "exists"
			if cell.missing {
				state = "missing"
			}
			t.Run(row.name+"/"+cell.method+"/"+state, func(t *testing.T) {
				headers := map[string]string{"Content-Type": "text/plain"}
				for k, v := range row.headers {
					headers[k] = v
				}
				missing := cell.missing
				res, _ := serveCase(t, graphCase{method: cell.method, headers: headers, body: "data",
					setup: func(r *testResource) { r.missing = missing }})
				if res.Status != cell.status {
					t.Errorf("status %d, want %d; path %s", res.Status, cell.status, res.Trace)
				}
			})
		}
	}
}

// TestWeakResourceETag: a weak validator never satisfies If-Match but does
// satisfy If-None-Match.
func TestWeakResourceETag(t *testing.T) {
	weak := func(r *testResource) { r.etag = ETag{Opaque: "abc", Weak: true} }
	for _, c := range []struct {
		header, value string
		status        int
	}{
		{"If-Match", `"abc"`, 412},
		{"If-Match", `W/"abc"`, 412},
		{"If-None-Match", `"abc"`, 304},
		{"If-None-Match", `W/"abc"`, 304},
	} {
		res, _ := serveCase(t, graphCase{headers: h(c.header, c.value), setup: weak})
		if res.Status != c.status {
			t.Errorf("%s: %s → %d, want %d", c.header, c.value, res.Status, c.status)
		}
	}
}

// TestNoETagFailsIfMatch: a resource without an ETag cannot match a listed
// tag.
func TestNoETagFailsIfMatch(t *testing.T) {
	res, _ := serveCase(t, graphCase{headers: h("If-Match", `"abc"`), setup: func(r *testResource) { r.etag = ETag{} }})
	if res.Status != 412 {
		t.Fatalf("status %d, want 412", res.Status)
	}
}

func TestETagListParsing(t *testing.T) {
	cur := StrongETag("a,b")
	for _, c := range []struct {
		field  string
		strong bool
		want   bool
	}{
		{`"a,b"`, true, true},
		{`"x", "a,b"`, true, true},
		{`W/"a,b"`, true, false},
		{`W/"a,b"`, false, true},
		{`  ,  "x" ,"a,b"`, false, true},
		{`"x`, false, false},
		{``, false, false},
		{`a,b`, false, false}, // bare tokens a and b, neither is a,b
	} {
		if got := etagListMatches(c.field, cur, c.strong); got != c.want {
			t.Errorf("etagListMatches(%q, strong=%v) = %v, want %v", c.field, c.strong, got, c.want)
		}
	}
	if got := (ETag{Opaque: "x", Weak: true}).String(); got != `W/"x"` {
		t.Errorf("weak ETag string %q", got)
	}
	if !strings.HasPrefix(StrongETag("x").String(), `"`) {
		t.Errorf("strong ETag not quoted")
	}
}

// h builds a header map from name, value pairs.
func h(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

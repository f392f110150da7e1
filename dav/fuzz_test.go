package dav

import (
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/gocaldav/gocaldav/dav/propfile"
)

// FuzzRequestXML feeds arbitrary bodies to the XML parser and to every
// request-body reader: none may panic, and each either accepts or
// answers a client error.
func FuzzRequestXML(f *testing.F) {
	for _, seed := range []string{
		`<propfind xmlns="DAV:"><prop><getetag/></prop></propfind>`,
		`<propfind xmlns="DAV:"><allprop/><include><acl/></include></propfind>`,
		`<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x:a xmlns:x="u" x:b="c">t<y/></x:a></D:prop></D:set><D:remove><D:prop><D:z/></D:prop></D:remove></D:propertyupdate>`,
		`<D:acl xmlns:D="DAV:"><D:ace><D:principal><D:href>/principals/a/</D:href></D:principal><D:grant><D:privilege><D:read/></D:privilege></D:grant></D:ace></D:acl>`,
		`<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:limit><D:nresults>1</D:nresults></D:limit><D:prop/></D:sync-collection>`,
		`<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;&a;</x>`,
		`<a xmlns:p=""><p:b/></a>`, strings.Repeat("<a>", 200), "\x00<a/>", `<a>` + "\xff\xfe" + `</a>`,
	} {
		f.Add([]byte(seed))
	}
	limits := DefaultLimits
	f.Fuzz(func(t *testing.T, body []byte) {
		root, err := parseXML(body, limits)
		if err != nil {
			if de, ok := err.(*Error); !ok || de.Status < 400 || de.Status > 499 {
				t.Fatalf("parseXML error is not a client error: %v", err)
			}
			return
		}
		_, _ = parsePropfind(root)
		if root == nil {
			return
		}
		_, _ = parsePropertyUpdate(root)
		_, _ = parseSyncRequest(root)
		_, _ = parseACEs(propfile.FromElement(root).Children)
		_, _ = ParsePropRequest(root, nil)
	})
}

// FuzzHref checks path splitting and href parsing never panic and never
// let a dot segment or a property-file name through.
func FuzzHref(f *testing.F) {
	for _, seed := range []string{"/calendars/a/b.ics", "/a/../b", "/a/%2e%2e/b", "/x.prop", "http://h/p/q/", "//", "/a\x00b", "/.git/x"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, p string) {
		segs, err := splitHref(p)
		if err == nil {
			for _, s := range segs {
				if s == "." || s == ".." || strings.HasSuffix(s, propSuffix) || s == "" || strings.ContainsRune(s, 0) {
					t.Fatalf("splitHref(%q) let %q through", p, s)
				}
			}
		}
		got, gotErr := hrefSegments(p)
		if plainPath(strings.TrimSpace(p)) { // the shortcut must agree with URL parsing
			u, err := url.Parse(strings.TrimSpace(p))
			if err != nil {
				t.Fatalf("plain path %q does not parse: %v", p, err)
			}
			want, wantErr := splitHref(u.Path)
			if (gotErr == nil) != (wantErr == nil) || !slices.Equal(got, want) {
				t.Fatalf("hrefSegments(%q) = %q, %v; by URL parsing %q, %v", p, got, gotErr, want, wantErr)
			}
		}
		_ = hrefOf(segs, true)
	})
}

// FuzzHeaders sends arbitrary Depth, If-Match, Destination, Overwrite and
// Authorization headers through the whole handler: never a panic, never
// a 500.
func FuzzHeaders(f *testing.F) {
	f.Add("PROPFIND", "1", `"abc"`, "/calendars/x/", "T", "Basic cm9vdDpzZWNyZXQ=")
	f.Add("COPY", "infinity", "*", "http://other/calendars/y", "F", "Basic !!!")
	f.Add("MOVE", "0", `W/"x", "y"`, "/calendars/../etc", "maybe", "Digest x")
	f.Add("DELETE", "2", `"`, "", "", "Basic "+strings.Repeat("A", 300))
	e := newTestEnv(&testing.T{})
	e.Must(201, "MKCOL", "/calendars/f/", "")
	e.Must(201, "PUT", "/calendars/f/a.ics", "x")
	f.Fuzz(func(t *testing.T, method, depth, ifMatch, dest, overwrite, auth string) {
		switch method {
		case "PROPFIND", "PROPPATCH", "COPY", "MOVE", "DELETE", "GET", "PUT", "REPORT", "MKCOL", "ACL":
		default:
			method = "PROPFIND"
		}
		req := httptest.NewRequest(method, "/calendars/f/a.ics", strings.NewReader(""))
		for k, v := range map[string]string{"Depth": depth, "If-Match": ifMatch, "Destination": dest, "Overwrite": overwrite, "Authorization": auth} {
			if v != "" && !strings.ContainsAny(v, "\r\n") {
				req.Header.Set(k, v)
			}
		}
		rec := httptest.NewRecorder()
		e.Handler.ServeHTTP(rec, req)
		if rec.Code >= 500 && rec.Code != 502 && rec.Code != 507 {
			t.Fatalf("%s with headers %q %q %q %q %q: %d\n%s", method, depth, ifMatch, dest, overwrite, auth, rec.Code, rec.Body)
		}
	})
}

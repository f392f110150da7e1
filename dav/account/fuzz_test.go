package account

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// FuzzAuthorization sends arbitrary Authorization headers (and a TOFU
// server) through the authenticator: never a panic, never an error (a
// bad header is a 401), and only alice's right password logs in.
func FuzzAuthorization(f *testing.F) {
	for _, seed := range []string{"Basic YWxpY2U6YWxpY2Vwdw==", "Basic", "Basic ", "Basic !!!", "Basic Og==", "Bearer x",
		"basic YWxpY2U6eA==", "Basic " + strings.Repeat("QUFB", 2000), "Digest username=\"alice\"", "Basic YWxpY2U6YWxpY2Vwdzo=",
		"Basic Li4vcm9vdDp4", "Basic AAA6AAA="} {
		f.Add(seed)
	}
	t := &testing.T{}
	e := newEnv(t, false)
	e.users("alice")
	e.m.throttle.sleep = func(context.Context, time.Duration) error { return nil }
	auth := e.m.Authenticator(true)
	f.Fuzz(func(t *testing.T, header string) {
		if strings.ContainsAny(header, "\r\n") {
			return
		}
		req := httptest.NewRequest("PROPFIND", "/calendars/alice/", nil)
		req.Header.Set("Authorization", header)
		who, challenge, err := auth.Authenticate(context.Background(), req)
		if err != nil {
			t.Fatalf("Authorization %q: error %v", header, err)
		}
		if who == nil && challenge == "" {
			t.Fatalf("Authorization %q: neither a principal nor a challenge", header)
		}
		if who != nil && who.Name == "alice" {
			if u, p, ok := req.BasicAuth(); !ok || u != "alice" || p != "alicepw" {
				t.Fatalf("Authorization %q logged in as alice", header)
			}
		}
	})
}

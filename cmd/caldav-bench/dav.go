package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync/atomic"
	"time"
)

// Client speaks the bit of WebDAV and CalDAV the benchmark needs, with
// HTTP Basic credentials, over keep-alive connections.
type Client struct {
	Base       *url.URL
	User, Pass string
	HTTP       *http.Client
	// Writes counts successful MKCALENDAR, MKCOL, PUT and DELETE requests.
	Writes atomic.Int64
}

// NewClient returns a client for base with its own connection pool of
// up to conns idle connections.
func NewClient(base *url.URL, user, pass string, conns int, timeout time.Duration) *Client {
	tr := &http.Transport{
		Proxy:               nil,
		MaxIdleConns:        conns + 4,
		MaxIdleConnsPerHost: conns + 4,
		DisableCompression:  true,
		IdleConnTimeout:     90 * time.Second,
	}
	return &Client{Base: base, User: user, Pass: pass, HTTP: &http.Client{Transport: tr, Timeout: timeout}}
}

// Resp is an answer with its whole body and the time from sending the
// request to having read the last byte of the body.
type Resp struct {
	Status int
	Header http.Header
	Body   []byte
	Dur    time.Duration
}

// Resolve turns a path or URL into an absolute URL on the server.
func (c *Client) Resolve(target string) string {
	u, err := c.Base.Parse(target)
	if err != nil {
		return target
	}
	return u.String()
}

// Do sends one request; headers come as name, value pairs.
func (c *Client) Do(ctx context.Context, method, target string, body []byte, headers ...string) (Resp, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Resolve(target), rd)
	if err != nil {
		return Resp{}, err
	}
	if c.User != "" {
		req.SetBasicAuth(c.User, c.Pass)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	t0 := time.Now()
	res, err := c.HTTP.Do(req)
	if err != nil {
		return Resp{}, err
	}
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	d := time.Since(t0)
	if err != nil {
		return Resp{}, err
	}
	switch method {
	case "MKCALENDAR", "MKCOL", "PUT", "DELETE":
		if res.StatusCode/100 == 2 {
			c.Writes.Add(1)
		}
	}
	return Resp{Status: res.StatusCode, Header: res.Header, Body: b, Dur: d}, nil
}

// Want is Do that fails unless the status is one of want.
func (c *Client) Want(ctx context.Context, want []int, method, target string, body []byte, headers ...string) (Resp, error) {
	r, err := c.Do(ctx, method, target, body, headers...)
	if err != nil {
		return r, fmt.Errorf("%s %s: %w", method, target, err)
	}
	for _, w := range want {
		if r.Status == w {
			return r, nil
		}
	}
	snip := string(r.Body)
	if len(snip) > 300 {
		snip = snip[:300] + "…"
	}
	return r, fmt.Errorf("%s %s: status %d, want %v: %s", method, target, r.Status, want, snip)
}

// The XML namespaces used.
const (
	nsDAV = "DAV:"
	nsCal = "urn:ietf:params:xml:ns:caldav"
)

// Multistatus is a parsed 207 body.
type Multistatus struct {
	Responses []MSResponse `xml:"DAV: response"`
	SyncToken string       `xml:"DAV: sync-token"`
}

// MSResponse is one DAV:response.
type MSResponse struct {
	Hrefs     []string   `xml:"DAV: href"`
	Status    string     `xml:"DAV: status"`
	Propstats []Propstat `xml:"DAV: propstat"`
}

// Propstat is one DAV:propstat.
type Propstat struct {
	Status string `xml:"DAV: status"`
	Prop   Prop   `xml:"DAV: prop"`
}

// Prop holds the properties the benchmark asks for.
type Prop struct {
	ETag         string   `xml:"DAV: getetag"`
	CalendarData *string  `xml:"urn:ietf:params:xml:ns:caldav calendar-data"`
	Principal    HrefList `xml:"DAV: current-user-principal"`
	Home         HrefList `xml:"urn:ietf:params:xml:ns:caldav calendar-home-set"`
}

// HrefList is a property whose value is DAV:href elements.
type HrefList struct {
	Hrefs []string `xml:"DAV: href"`
}

// ParseMultistatus parses a 207 body.
func ParseMultistatus(b []byte) (*Multistatus, error) {
	var m Multistatus
	if err := xml.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("parsing multistatus: %w", err)
	}
	return &m, nil
}

// OK returns the response's properties found with status 200, or nil.
func (r *MSResponse) OK() *Prop {
	for i := range r.Propstats {
		if statusCode(r.Propstats[i].Status) == 200 {
			return &r.Propstats[i].Prop
		}
	}
	return nil
}

// Gone reports whether the response says the resource is gone (a
// sync-collection member removed: a 404 status without propstat).
func (r *MSResponse) Gone() bool { return statusCode(r.Status) == 404 }

// Name is the last segment of the response's first href, unescaped.
func (r *MSResponse) Name() string {
	if len(r.Hrefs) == 0 {
		return ""
	}
	h := strings.TrimSpace(r.Hrefs[0])
	if u, err := url.Parse(h); err == nil {
		h = u.Path
	}
	return path.Base(h)
}

// statusCode reads the code of an HTTP status line ("HTTP/1.1 200 OK").
func statusCode(line string) int {
	f := strings.Fields(line)
	if len(f) < 2 {
		return 0
	}
	var n int
	fmt.Sscanf(f[1], "%d", &n)
	return n
}

// Members returns the responses other than the collection itself (whose
// href is coll).
func Members(m *Multistatus, coll string) []MSResponse {
	var out []MSResponse
	cp := strings.TrimSuffix(pathOf(coll), "/")
	for _, r := range m.Responses {
		if len(r.Hrefs) > 0 && strings.TrimSuffix(pathOf(r.Hrefs[0]), "/") == cp {
			continue
		}
		out = append(out, r)
	}
	return out
}

// pathOf is the unescaped path of an href or URL.
func pathOf(h string) string {
	u, err := url.Parse(strings.TrimSpace(h))
	if err != nil {
		return h
	}
	return u.Path
}

// Discover finds the user's calendar home: current-user-principal on
// the base URL, then calendar-home-set on the principal.
func (c *Client) Discover(ctx context.Context) (string, error) {
	const cup = `<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:"><d:prop><d:current-user-principal/></d:prop></d:propfind>`
	principal := ""
	for _, t := range []string{c.Base.Path, "/.well-known/caldav"} {
		r, err := c.Do(ctx, "PROPFIND", t, []byte(cup), "Depth", "0", "Content-Type", "application/xml; charset=utf-8")
		if err != nil {
			return "", err
		}
		if r.Status != 207 {
			continue
		}
		m, err := ParseMultistatus(r.Body)
		if err != nil {
			return "", err
		}
		for _, x := range m.Responses {
			if p := x.OK(); p != nil && len(p.Principal.Hrefs) > 0 {
				principal = strings.TrimSpace(p.Principal.Hrefs[0])
			}
		}
		if principal != "" {
			break
		}
	}
	if principal == "" {
		return "", fmt.Errorf("no current-user-principal at %s (give -home)", c.Base)
	}
	const chs = `<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><c:calendar-home-set/></d:prop></d:propfind>`
	r, err := c.Want(ctx, []int{207}, "PROPFIND", principal, []byte(chs), "Depth", "0", "Content-Type", "application/xml; charset=utf-8")
	if err != nil {
		return "", err
	}
	m, err := ParseMultistatus(r.Body)
	if err != nil {
		return "", err
	}
	for _, x := range m.Responses {
		if p := x.OK(); p != nil && len(p.Home.Hrefs) > 0 {
			return strings.TrimSpace(p.Home.Hrefs[0]), nil
		}
	}
	return "", fmt.Errorf("principal %s has no calendar-home-set (give -home)", principal)
}

// MakeCalendar creates the calendar coll (MKCALENDAR, or an extended
// MKCOL where MKCALENDAR is not allowed).
func (c *Client) MakeCalendar(ctx context.Context, coll, name string) error {
	body := `<?xml version="1.0" encoding="utf-8"?><c:mkcalendar xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:set><d:prop><d:displayname>` +
		xmlEscape(name) + `</d:displayname><c:supported-calendar-component-set><c:comp name="VEVENT"/></c:supported-calendar-component-set></d:prop></d:set></c:mkcalendar>`
	r, err := c.Do(ctx, "MKCALENDAR", coll, []byte(body), "Content-Type", "application/xml; charset=utf-8")
	if err != nil {
		return err
	}
	if r.Status == 201 {
		return nil
	}
	if r.Status == 405 || r.Status == 501 {
		mk := `<?xml version="1.0" encoding="utf-8"?><d:mkcol xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:set><d:prop><d:resourcetype><d:collection/><c:calendar/></d:resourcetype><d:displayname>` +
			xmlEscape(name) + `</d:displayname></d:prop></d:set></d:mkcol>`
		_, err = c.Want(ctx, []int{201}, "MKCOL", coll, []byte(mk), "Content-Type", "application/xml; charset=utf-8")
		return err
	}
	return fmt.Errorf("MKCALENDAR %s: status %d: %.300s", coll, r.Status, r.Body)
}

// Put stores an event in coll; create adds If-None-Match: *.
func (c *Client) Put(ctx context.Context, coll string, e *Event, create bool) (Resp, error) {
	h := []string{"Content-Type", "text/calendar; charset=utf-8"}
	if create {
		h = append(h, "If-None-Match", "*")
	}
	return c.Want(ctx, []int{201, 204, 200}, "PUT", coll+e.Name(), e.ICS(), h...)
}

func xmlEscape(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// The request bodies.
const (
	propfindETag = `<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>`
	propfindRT   = `<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:"><d:prop><d:resourcetype/><d:getetag/></d:prop></d:propfind>`
)

// multigetBody asks for the etag and data of hrefs.
func multigetBody(hrefs []string) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><c:calendar-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/><c:calendar-data/></d:prop>`)
	for _, h := range hrefs {
		b.WriteString("<d:href>" + xmlEscape(h) + "</d:href>")
	}
	b.WriteString(`</c:calendar-multiget>`)
	return []byte(b.String())
}

// Query data modes.
const (
	dataNone   = iota // getetag only
	dataFull          // calendar-data
	dataExpand        // calendar-data with expand over the window
)

// queryBody is a VEVENT calendar-query over w (the whole calendar when
// w is nil).
func queryBody(w *Window, mode int) []byte {
	const f = "20060102T150405Z"
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/>`)
	switch mode {
	case dataFull:
		b.WriteString(`<c:calendar-data/>`)
	case dataExpand:
		fmt.Fprintf(&b, `<c:calendar-data><c:expand start="%s" end="%s"/></c:calendar-data>`, w.Start.UTC().Format(f), w.End.UTC().Format(f))
	}
	b.WriteString(`</d:prop><c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT">`)
	if w != nil {
		fmt.Fprintf(&b, `<c:time-range start="%s" end="%s"/>`, w.Start.UTC().Format(f), w.End.UTC().Format(f))
	}
	b.WriteString(`</c:comp-filter></c:comp-filter></c:filter></c:calendar-query>`)
	return []byte(b.String())
}

// syncBody is a sync-collection request from token ("" for the
// initial sync).
func syncBody(token string) []byte {
	return []byte(`<?xml version="1.0" encoding="utf-8"?><d:sync-collection xmlns:d="DAV:"><d:sync-token>` + xmlEscape(token) +
		`</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>`)
}

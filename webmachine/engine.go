package webmachine

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"
)

// The nodes of the decision diagram, named as in webmachine v3, plus the
// WebDAV nodes G7b, H7b and O16b. Package documentation says what each
// decides.
const (
	B13  Node = "b13"
	B12  Node = "b12"
	B11  Node = "b11"
	B10  Node = "b10"
	B9   Node = "b9"
	B8   Node = "b8"
	B7   Node = "b7"
	B6   Node = "b6"
	B5   Node = "b5"
	B4   Node = "b4"
	B3   Node = "b3"
	C3   Node = "c3"
	C4   Node = "c4"
	D4   Node = "d4"
	D5   Node = "d5"
	E5   Node = "e5"
	E6   Node = "e6"
	F6   Node = "f6"
	F7   Node = "f7"
	G7   Node = "g7"
	G7b  Node = "g7b"
	G7p  Node = "g7p"
	G8   Node = "g8"
	G9   Node = "g9"
	G11  Node = "g11"
	H7   Node = "h7"
	H7b  Node = "h7b"
	H10  Node = "h10"
	H11  Node = "h11"
	H12  Node = "h12"
	I4   Node = "i4"
	I7   Node = "i7"
	I12  Node = "i12"
	I13  Node = "i13"
	J18  Node = "j18"
	K5   Node = "k5"
	K7   Node = "k7"
	K13  Node = "k13"
	L5   Node = "l5"
	L7   Node = "l7"
	L13  Node = "l13"
	L14  Node = "l14"
	L15  Node = "l15"
	L17  Node = "l17"
	M5   Node = "m5"
	M7   Node = "m7"
	M16  Node = "m16"
	M20  Node = "m20"
	M20b Node = "m20b"
	N5   Node = "n5"
	N11  Node = "n11"
	N16  Node = "n16"
	O14  Node = "o14"
	O16  Node = "o16"
	O16b Node = "o16b"
	O18  Node = "o18"
	O18b Node = "o18b"
	O20  Node = "o20"
	P3   Node = "p3"
	P11  Node = "p11"
)

// engine walks the graph for one request. Each node method records itself,
// asks at most a few callbacks and returns the final status, by calling the
// next node or by answering.
type engine struct {
	ctx   context.Context
	res   Resource
	rq    *Request
	trace *Trace // nil unless tracing: recording then costs nothing
	node  Node   // the node being decided, for error reports
	now   func() time.Time

	providers []Provider
	provider  *Provider
	encodings []Encoding
	created   bool  // a PUT reached p11 through the missing branch
	err       error // the internal error behind a 500
}

// visit records that the graph reached n.
func (e *engine) visit(n Node) {
	e.node = n
	if e.trace != nil {
		e.trace.Nodes = append(e.trace.Nodes, n)
	}
}

// note records a callback's answer when tracing.
func note[T any](e *engine, callback string, v T, err error) {
	if e.trace != nil {
		e.trace.Calls = append(e.trace.Calls, Call{Node: e.node, Callback: callback, Result: v, Err: err})
	}
}

// ask calls one callback, records it, and turns its error into the status
// that ends the request (0 when the graph goes on).
func ask[T any](e *engine, callback string, fn func(context.Context, *Request) (T, error)) (T, int) {
	v, err := fn(e.ctx, e.rq)
	note(e, callback, v, err)
	if err != nil {
		return v, e.fail(err)
	}
	return v, 0
}

// fail turns a callback error into a status: a HaltError's own, or 500.
func (e *engine) fail(err error) int {
	var h *HaltError
	if errors.As(err, &h) {
		if h.Body != nil {
			e.rq.SetBody(h.Body)
			if h.ContentType != "" {
				e.rq.Header.Set("Content-Type", h.ContentType)
			}
		}
		return h.Status
	}
	e.err = err
	return http.StatusInternalServerError
}

// header returns a request header. name must be in canonical form.
func (e *engine) header(name string) string {
	if v := e.rq.HTTP.Header[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// hasHeader reports whether the request carries the header at all. name
// must be in canonical form.
func (e *engine) hasHeader(name string) bool {
	_, ok := e.rq.HTTP.Header[name]
	return ok
}

func (e *engine) method() string { return e.rq.HTTP.Method }

func (e *engine) isGetOrHead() bool {
	m := e.method()
	return m == http.MethodGet || m == http.MethodHead
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func (e *engine) b13() int {
	e.visit(B13)
	ok, st := ask(e, "ServiceAvailable", e.res.ServiceAvailable)
	if st != 0 {
		return st
	}
	if !ok {
		return http.StatusServiceUnavailable
	}
	return e.b12()
}

func (e *engine) b12() int {
	e.visit(B12)
	known, st := ask(e, "KnownMethods", e.res.KnownMethods)
	if st != 0 {
		return st
	}
	if !contains(known, e.method()) {
		return http.StatusNotImplemented
	}
	return e.b11()
}

func (e *engine) b11() int {
	e.visit(B11)
	long, st := ask(e, "URITooLong", e.res.URITooLong)
	if st != 0 {
		return st
	}
	if long {
		return http.StatusRequestURITooLong
	}
	return e.b10()
}

func (e *engine) b10() int {
	e.visit(B10)
	allowed, st := ask(e, "AllowedMethods", e.res.AllowedMethods)
	if st != 0 {
		return st
	}
	if !contains(allowed, e.method()) {
		e.rq.Header.Set("Allow", strings.Join(allowed, ", "))
		return http.StatusMethodNotAllowed
	}
	return e.b9()
}

func (e *engine) b9() int {
	e.visit(B9)
	bad, st := ask(e, "MalformedRequest", e.res.MalformedRequest)
	if st != 0 {
		return st
	}
	if bad {
		return http.StatusBadRequest
	}
	return e.b8()
}

func (e *engine) b8() int {
	e.visit(B8)
	challenge, st := ask(e, "IsAuthorized", e.res.IsAuthorized)
	if st != 0 {
		return st
	}
	if challenge != "" {
		e.rq.Header.Set("WWW-Authenticate", challenge)
		return http.StatusUnauthorized
	}
	return e.b7()
}

func (e *engine) b7() int {
	e.visit(B7)
	forbidden, st := ask(e, "Forbidden", e.res.Forbidden)
	if st != 0 {
		return st
	}
	if forbidden {
		return http.StatusForbidden
	}
	return e.b6()
}

func (e *engine) b6() int {
	e.visit(B6)
	ok, st := ask(e, "ValidContentHeaders", e.res.ValidContentHeaders)
	if st != 0 {
		return st
	}
	if !ok {
		return http.StatusNotImplemented
	}
	return e.b5()
}

func (e *engine) b5() int {
	e.visit(B5)
	ok, st := ask(e, "KnownContentType", e.res.KnownContentType)
	if st != 0 {
		return st
	}
	if !ok {
		return http.StatusUnsupportedMediaType
	}
	return e.b4()
}

func (e *engine) b4() int {
	e.visit(B4)
	ok, st := ask(e, "ValidEntityLength", e.res.ValidEntityLength)
	if st != 0 {
		return st
	}
	if !ok {
		return http.StatusRequestEntityTooLarge
	}
	return e.b3()
}

func (e *engine) b3() int {
	e.visit(B3)
	if e.method() != http.MethodOptions {
		return e.c3()
	}
	extra, st := ask(e, "Options", e.res.Options)
	if st != 0 {
		return st
	}
	for k, vs := range extra {
		e.rq.Header[http.CanonicalHeaderKey(k)] = vs
	}
	// Allow comes from the engine: an embedded Base cannot see overrides.
	allowed, st := ask(e, "AllowedMethods", e.res.AllowedMethods)
	if st != 0 {
		return st
	}
	e.rq.Header.Set("Allow", strings.Join(allowed, ", "))
	return http.StatusOK
}

// c3: does the request have Accept? Without it the first provided type is
// chosen.
func (e *engine) c3() int {
	e.visit(C3)
	providers, st := ask(e, "ContentTypesProvided", e.res.ContentTypesProvided)
	if st != 0 {
		return st
	}
	e.providers = providers
	if e.hasHeader("Accept") {
		return e.c4()
	}
	if len(providers) > 0 {
		e.choose(0)
	}
	return e.d4()
}

func (e *engine) choose(i int) {
	e.provider = &e.providers[i]
	e.rq.MediaType = e.provider.MediaType
}

// c4: is an acceptable media type available? A resource that provides no
// representation at all has nothing to negotiate.
func (e *engine) c4() int {
	e.visit(C4)
	if len(e.providers) == 0 {
		return e.d4()
	}
	accept := e.header("Accept")
	best, bestQ := -1, 0.0
	for i := range e.providers {
		if q := mediaTypeQuality(accept, strings.ToLower(e.providers[i].MediaType)); q > bestQ {
			best, bestQ = i, q
		}
	}
	if best < 0 {
		if strings.TrimSpace(accept) != "" {
			return http.StatusNotAcceptable
		}
		best = 0
	}
	e.choose(best)
	return e.d4()
}

func (e *engine) d4() int {
	e.visit(D4)
	if !e.hasHeader("Accept-Language") {
		return e.e5()
	}
	return e.d5()
}

func (e *engine) d5() int {
	e.visit(D5)
	ok, st := ask(e, "LanguageAvailable", e.res.LanguageAvailable)
	if st != 0 {
		return st
	}
	if !ok {
		return http.StatusNotAcceptable
	}
	return e.e5()
}

// e5: does the request have Accept-Charset? Without it the first provided
// charset is used.
func (e *engine) e5() int {
	e.visit(E5)
	charsets, st := ask(e, "CharsetsProvided", e.res.CharsetsProvided)
	if st != 0 {
		return st
	}
	if len(charsets) == 0 {
		return e.f6()
	}
	if e.hasHeader("Accept-Charset") {
		return e.e6(charsets)
	}
	e.rq.Charset = charsets[0]
	if len(charsets) > 1 {
		e.rq.Header.Add("Vary", "Accept-Charset")
	}
	return e.f6()
}

func (e *engine) e6(charsets []string) int {
	e.visit(E6)
	c, ok := chooseCharset(e.header("Accept-Charset"), charsets)
	if !ok {
		return http.StatusNotAcceptable
	}
	e.rq.Charset = c
	if len(charsets) > 1 {
		e.rq.Header.Add("Vary", "Accept-Charset")
	}
	return e.f6()
}

// f6: does the request have Accept-Encoding? Without it, identity.
func (e *engine) f6() int {
	e.visit(F6)
	encodings, st := ask(e, "EncodingsProvided", e.res.EncodingsProvided)
	if st != 0 {
		return st
	}
	e.encodings = encodings
	e.rq.Encoding = "identity"
	if !e.hasHeader("Accept-Encoding") {
		return e.g7()
	}
	return e.f7()
}

func (e *engine) f7() int {
	e.visit(F7)
	enc, name, ok := chooseEncoding(e.header("Accept-Encoding"), e.encodings)
	if !ok {
		return http.StatusNotAcceptable
	}
	e.rq.encoding, e.rq.Encoding = enc, name
	return e.g7()
}

// g7: sets Vary, then asks whether the resource exists.
func (e *engine) g7() int {
	e.visit(G7)
	variances, st := ask(e, "Variances", e.res.Variances)
	if st != 0 {
		return st
	}
	if len(e.providers) > 1 {
		e.rq.Header.Add("Vary", "Accept")
	}
	if len(e.encodings) > 0 {
		e.rq.Header.Add("Vary", "Accept-Encoding")
	}
	for _, v := range variances {
		e.rq.Header.Add("Vary", v)
	}
	exists, st := ask(e, "ResourceExists", e.res.ResourceExists)
	if st != 0 {
		return st
	}
	if pc, ok := e.res.(Preconditioner); ok {
		if st := e.g7p(pc, exists); st != 0 {
			return st
		}
	}
	if exists {
		return e.g7b()
	}
	return e.h7b()
}

// g7p: do the resource's own preconditions hold? 412 when not; 0 lets
// the graph go on.
func (e *engine) g7p(pc Preconditioner, exists bool) int {
	e.visit(G7p)
	ok, st := ask(e, "Precondition", func(ctx context.Context, r *Request) (bool, error) {
		return pc.Precondition(ctx, r, exists)
	})
	if st != 0 {
		return st
	}
	if !ok {
		return http.StatusPreconditionFailed
	}
	return 0
}

// g7b: WebDAV methods on an existing resource that bypass the conditional
// nodes: PROPFIND, REPORT, and MKCOL/MKCALENDAR (which cannot create what
// exists).
func (e *engine) g7b() int {
	e.visit(G7b)
	switch e.method() {
	case MethodPropfind:
		if pf, ok := e.res.(PropFinder); ok {
			return e.dav("PropFind", pf.PropFind)
		}
		return http.StatusNotImplemented
	case MethodReport:
		if rp, ok := e.res.(Reporter); ok {
			return e.dav("Report", rp.Report)
		}
		return http.StatusNotImplemented
	case MethodMkcol:
		allowed, st := ask(e, "AllowedMethods", e.res.AllowedMethods)
		if st != 0 {
			return st
		}
		e.rq.Header.Set("Allow", strings.Join(without(allowed, MethodMkcol, MethodMkcalendar), ", "))
		return http.StatusMethodNotAllowed
	case MethodMkcalendar:
		if cr, ok := e.res.(CreateRefuser); ok {
			err := cr.RefuseCreate(e.ctx, e.rq)
			note[any](e, "RefuseCreate", nil, err)
			if err != nil {
				return e.fail(err)
			}
		}
		return http.StatusForbidden
	}
	return e.g8()
}

// without returns list less the given values.
func without(list []string, drop ...string) []string {
	out := make([]string, 0, len(list))
	for _, v := range list {
		if !contains(drop, v) {
			out = append(out, v)
		}
	}
	return out
}

// dav runs a WebDAV extension callback that answers the request itself.
func (e *engine) dav(callback string, fn func(context.Context, *Request) (int, error)) int {
	status, st := ask(e, callback, fn)
	if st != 0 {
		return st
	}
	if status < 100 || status > 999 {
		e.err = errors.New("webmachine: " + callback + " returned no valid status")
		return http.StatusInternalServerError
	}
	return status
}

// g8: does the request have If-Match?
func (e *engine) g8() int {
	e.visit(G8)
	if e.hasHeader("If-Match") {
		return e.g9()
	}
	return e.h10()
}

// g9: is If-Match "*"? The resource exists, so "*" matches.
func (e *engine) g9() int {
	e.visit(G9)
	if isStar(e.header("If-Match")) {
		return e.h10()
	}
	return e.g11()
}

// g11: does the current ETag strongly match one in If-Match?
func (e *engine) g11() int {
	e.visit(G11)
	tag, st := ask(e, "ETag", e.res.ETag)
	if st != 0 {
		return st
	}
	if tag.IsZero() || !etagListMatches(strings.Join(e.rq.HTTP.Header.Values("If-Match"), ","), tag, true) {
		return http.StatusPreconditionFailed
	}
	return e.h10()
}

// h7b: WebDAV collection creation on a missing resource.
func (e *engine) h7b() int {
	e.visit(H7b)
	switch e.method() {
	case MethodMkcol, MethodMkcalendar:
		if cc, ok := e.res.(CollectionCreator); ok {
			return e.dav("CreateCollection", cc.CreateCollection)
		}
		return http.StatusMethodNotAllowed
	}
	return e.h7()
}

// h7: If-Match on a missing resource always fails (RFC 9110 §13.1.1).
func (e *engine) h7() int {
	e.visit(H7)
	if e.hasHeader("If-Match") {
		return http.StatusPreconditionFailed
	}
	return e.i7()
}

// h10: does the request have If-Unmodified-Since? It is ignored when
// If-Match is present (RFC 9110 §13.2.2 step 2).
func (e *engine) h10() int {
	e.visit(H10)
	if e.hasHeader("If-Unmodified-Since") && !e.hasHeader("If-Match") {
		return e.h11()
	}
	return e.i12()
}

// h11: is If-Unmodified-Since a valid date? An invalid one is ignored.
func (e *engine) h11() int {
	e.visit(H11)
	if _, err := http.ParseTime(e.header("If-Unmodified-Since")); err != nil {
		return e.i12()
	}
	return e.h12()
}

// h12: was the resource modified after If-Unmodified-Since?
func (e *engine) h12() int {
	e.visit(H12)
	since, _ := http.ParseTime(e.header("If-Unmodified-Since"))
	modified, st := ask(e, "LastModified", e.res.LastModified)
	if st != 0 {
		return st
	}
	if !modified.IsZero() && modified.Truncate(time.Second).After(since) {
		return http.StatusPreconditionFailed
	}
	return e.i12()
}

// i4: has the resource a PUT targets moved permanently?
func (e *engine) i4() int {
	e.visit(I4)
	return e.moved("MovedPermanently", e.res.MovedPermanently, http.StatusMovedPermanently, e.p3)
}

// moved asks a Moved* callback: a URI answers status with Location,
// otherwise the graph goes on with next.
func (e *engine) moved(callback string, fn func(context.Context, *Request) (string, error), status int, next func() int) int {
	uri, st := ask(e, callback, fn)
	if st != 0 {
		return st
	}
	if uri != "" {
		e.rq.Header.Set("Location", uri)
		return status
	}
	return next()
}

// i7: is the request to the missing resource a PUT?
func (e *engine) i7() int {
	e.visit(I7)
	if e.method() == http.MethodPut {
		return e.i4()
	}
	return e.k7()
}

// i12: does the request have If-None-Match?
func (e *engine) i12() int {
	e.visit(I12)
	if e.hasHeader("If-None-Match") {
		return e.i13()
	}
	return e.l13()
}

// i13: is If-None-Match "*"? The resource exists, so "*" matches.
func (e *engine) i13() int {
	e.visit(I13)
	if isStar(e.header("If-None-Match")) {
		return e.j18()
	}
	return e.k13()
}

// j18: If-None-Match matched: 304 for GET and HEAD, 412 otherwise.
func (e *engine) j18() int {
	e.visit(J18)
	if e.isGetOrHead() {
		return e.notModified()
	}
	return http.StatusPreconditionFailed
}

// notModified answers 304 with the validators a 200 would carry
// (RFC 9110 §15.4.5).
func (e *engine) notModified() int {
	tag, st := ask(e, "ETag", e.res.ETag)
	if st != 0 {
		return st
	}
	if !tag.IsZero() {
		e.rq.Header.Set("ETag", tag.String())
	}
	return http.StatusNotModified
}

// k5: has the resource that previously existed moved permanently?
func (e *engine) k5() int {
	e.visit(K5)
	return e.moved("MovedPermanently", e.res.MovedPermanently, http.StatusMovedPermanently, e.l5)
}

// k7: did the missing resource exist before?
func (e *engine) k7() int {
	e.visit(K7)
	existed, st := ask(e, "PreviouslyExisted", e.res.PreviouslyExisted)
	if st != 0 {
		return st
	}
	if existed {
		return e.k5()
	}
	return e.l7()
}

// k13: does the current ETag weakly match one in If-None-Match?
func (e *engine) k13() int {
	e.visit(K13)
	tag, st := ask(e, "ETag", e.res.ETag)
	if st != 0 {
		return st
	}
	if !tag.IsZero() && etagListMatches(strings.Join(e.rq.HTTP.Header.Values("If-None-Match"), ","), tag, false) {
		return e.j18()
	}
	return e.l13()
}

// l5: has the resource that previously existed moved temporarily?
func (e *engine) l5() int {
	e.visit(L5)
	return e.moved("MovedTemporarily", e.res.MovedTemporarily, http.StatusTemporaryRedirect, e.m5)
}

// l7: is the request to the missing resource a POST?
func (e *engine) l7() int {
	e.visit(L7)
	if e.method() == http.MethodPost {
		return e.m7()
	}
	return http.StatusNotFound
}

// l13: does a GET or HEAD have If-Modified-Since? It is ignored for other
// methods and when If-None-Match is present (RFC 9110 §13.1.3).
func (e *engine) l13() int {
	e.visit(L13)
	if e.isGetOrHead() && e.hasHeader("If-Modified-Since") && !e.hasHeader("If-None-Match") {
		return e.l14()
	}
	return e.m16()
}

// l14: is If-Modified-Since a valid date?
func (e *engine) l14() int {
	e.visit(L14)
	if _, err := http.ParseTime(e.header("If-Modified-Since")); err != nil {
		return e.m16()
	}
	return e.l15()
}

// l15: is If-Modified-Since in the future? Then it is ignored.
func (e *engine) l15() int {
	e.visit(L15)
	since, _ := http.ParseTime(e.header("If-Modified-Since"))
	if since.After(e.now()) {
		return e.m16()
	}
	return e.l17()
}

// l17: was the resource modified after If-Modified-Since? If not, 304.
// (ocaml-webmachine inverts this comparison; this one follows RFC 9110.)
func (e *engine) l17() int {
	e.visit(L17)
	since, _ := http.ParseTime(e.header("If-Modified-Since"))
	modified, st := ask(e, "LastModified", e.res.LastModified)
	if st != 0 {
		return st
	}
	if modified.IsZero() || modified.Truncate(time.Second).After(since) {
		return e.m16()
	}
	return e.notModified()
}

// m5: is the request to the vanished resource a POST?
func (e *engine) m5() int {
	e.visit(M5)
	if e.method() == http.MethodPost {
		return e.n5()
	}
	return http.StatusGone
}

// m7: may a POST go to the missing resource?
func (e *engine) m7() int {
	e.visit(M7)
	return e.allowMissingPost(http.StatusNotFound)
}

// allowMissingPost asks AllowMissingPost: yes goes to n11, no answers status.
func (e *engine) allowMissingPost(status int) int {
	ok, st := ask(e, "AllowMissingPost", e.res.AllowMissingPost)
	if st != 0 {
		return st
	}
	if ok {
		return e.n11()
	}
	return status
}

// m16: is the request a DELETE?
func (e *engine) m16() int {
	e.visit(M16)
	if e.method() == http.MethodDelete {
		return e.m20()
	}
	return e.n16()
}

// m20: delete the resource.
func (e *engine) m20() int {
	e.visit(M20)
	ok, st := ask(e, "DeleteResource", e.res.DeleteResource)
	if st != 0 {
		return st
	}
	if !ok {
		return http.StatusInternalServerError
	}
	return e.m20b()
}

// m20b: is the deletion complete? If not, 202.
func (e *engine) m20b() int {
	e.visit(M20b)
	done, st := ask(e, "DeleteCompleted", e.res.DeleteCompleted)
	if st != 0 {
		return st
	}
	if !done {
		return http.StatusAccepted
	}
	return e.o20()
}

// n5: may a POST go to the vanished resource?
func (e *engine) n5() int {
	e.visit(N5)
	return e.allowMissingPost(http.StatusGone)
}

// n11: process a POST, as a creation at CreatePath or through ProcessPost.
func (e *engine) n11() int {
	e.visit(N11)
	create, st := ask(e, "PostIsCreate", e.res.PostIsCreate)
	if st != 0 {
		return st
	}
	if create {
		p, st := ask(e, "CreatePath", e.res.CreatePath)
		if st != 0 {
			return st
		}
		e.rq.Header.Set("Location", joinPath(e.rq.HTTP.URL.Path, p))
		if st := e.accept(); st != 0 {
			return st
		}
	} else {
		done, st := ask(e, "ProcessPost", e.res.ProcessPost)
		if st != 0 {
			return st
		}
		if !done {
			return http.StatusInternalServerError
		}
	}
	if e.rq.Redirect {
		if e.rq.Header.Get("Location") == "" {
			e.err = errors.New("webmachine: Redirect set without a Location header")
			return http.StatusInternalServerError
		}
		return http.StatusSeeOther
	}
	return e.p11()
}

// joinPath resolves a CreatePath answer against the request path.
func joinPath(base, p string) string {
	if strings.HasPrefix(p, "/") {
		return p
	}
	return strings.TrimSuffix(base, "/") + "/" + p
}

// n16: is the request a POST?
func (e *engine) n16() int {
	e.visit(N16)
	if e.method() == http.MethodPost {
		return e.n11()
	}
	return e.o16()
}

// o14: does the PUT conflict? If not, take the body.
func (e *engine) o14() int {
	e.visit(O14)
	return e.conflictThenAccept()
}

// conflictThenAccept asks IsConflict (409) and otherwise hands the body to
// the matching acceptor, then goes to p11.
func (e *engine) conflictThenAccept() int {
	conflict, st := ask(e, "IsConflict", e.res.IsConflict)
	if st != 0 {
		return st
	}
	if conflict {
		return http.StatusConflict
	}
	if st := e.accept(); st != 0 {
		return st
	}
	return e.p11()
}

// accept hands the request body to the acceptor for its Content-Type
// (application/octet-stream when absent); none matching answers 415.
// It returns 0 when the graph goes on.
func (e *engine) accept() int {
	acceptors, st := ask(e, "ContentTypesAccepted", e.res.ContentTypesAccepted)
	if st != 0 {
		return st
	}
	ct := e.header("Content-Type")
	if ct == "" {
		ct = "application/octet-stream"
	}
	for i := range acceptors {
		if mediaTypeMatches(acceptors[i].MediaType, ct) {
			err := acceptors[i].Accept(e.ctx, e.rq)
			note(e, "Accept "+acceptors[i].MediaType, acceptors[i].MediaType, err)
			if err != nil {
				return e.fail(err)
			}
			return 0
		}
	}
	return http.StatusUnsupportedMediaType
}

// o16: is the request a PUT?
func (e *engine) o16() int {
	e.visit(O16)
	if e.method() == http.MethodPut {
		return e.o14()
	}
	return e.o16b()
}

// o16b: WebDAV methods on an existing resource that must pass the
// conditional nodes first: PROPPATCH, ACL, COPY and MOVE.
func (e *engine) o16b() int {
	e.visit(O16b)
	switch e.method() {
	case MethodProppatch:
		if pp, ok := e.res.(PropPatcher); ok {
			return e.dav("PropPatch", pp.PropPatch)
		}
		return http.StatusNotImplemented
	case MethodACL:
		if as, ok := e.res.(ACLSetter); ok {
			return e.dav("SetACL", as.SetACL)
		}
		return http.StatusNotImplemented
	case MethodCopy, MethodMove:
		dst, err := parseDestination(e.rq.HTTP)
		note(e, "Destination", dst.Path, err)
		if err != nil {
			return e.fail(err)
		}
		if c, ok := e.res.(Copier); ok && e.method() == MethodCopy {
			return e.dav("Copy", func(ctx context.Context, r *Request) (int, error) { return c.Copy(ctx, r, dst) })
		}
		if m, ok := e.res.(Mover); ok && e.method() == MethodMove {
			return e.dav("Move", func(ctx context.Context, r *Request) (int, error) { return m.Move(ctx, r, dst) })
		}
		return http.StatusNotImplemented
	}
	return e.o18()
}

// o18: produce the representation of a GET or HEAD, with its validators.
func (e *engine) o18() int {
	e.visit(O18)
	if e.isGetOrHead() {
		tag, st := ask(e, "ETag", e.res.ETag)
		if st != 0 {
			return st
		}
		if !tag.IsZero() {
			e.rq.Header.Set("ETag", tag.String())
		}
		modified, st := ask(e, "LastModified", e.res.LastModified)
		if st != 0 {
			return st
		}
		if !modified.IsZero() {
			e.rq.Header.Set("Last-Modified", modified.UTC().Format(http.TimeFormat))
		}
		expires, st := ask(e, "Expires", e.res.Expires)
		if st != 0 {
			return st
		}
		if !expires.IsZero() {
			e.rq.Header.Set("Expires", expires.UTC().Format(http.TimeFormat))
		}
		if e.provider != nil {
			err := e.provider.Write(e.ctx, e.rq)
			note(e, "Provider "+e.provider.MediaType, e.provider.MediaType, err)
			if err != nil {
				return e.fail(err)
			}
			e.rq.represented = true
		}
	}
	return e.o18b()
}

// o18b: are there multiple representations to choose from? Then 300.
func (e *engine) o18b() int {
	e.visit(O18b)
	multiple, st := ask(e, "MultipleChoices", e.res.MultipleChoices)
	if st != 0 {
		return st
	}
	if multiple {
		return http.StatusMultipleChoices
	}
	return http.StatusOK
}

// o20: has the answer a body? 200 through o18 if so, else 204.
func (e *engine) o20() int {
	e.visit(O20)
	if e.rq.HasBody() {
		return e.o18()
	}
	return http.StatusNoContent
}

// p3: does the PUT to a missing resource conflict? If not, take the body.
func (e *engine) p3() int {
	e.visit(P3)
	e.created = true
	return e.conflictThenAccept()
}

// p11: is there a new resource (a Location header, or a PUT that created
// the resource, RFC 9110 §9.3.4)? Then 201.
func (e *engine) p11() int {
	e.visit(P11)
	if e.created || e.rq.Header.Get("Location") != "" {
		return http.StatusCreated
	}
	return e.o20()
}

package webmachine

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"
)

// testResource answers every callback from a field, so a table row can
// steer the graph to any node (the role of test_resource in
// ocaml-webmachine's tests). Zero fields give the defaults of Base, except
// that it provides text/plain, accepts text/plain and exists.
type testResource struct {
	Base

	unavailable, tooLong, malformed, forbidden bool
	badContentHeaders, unknownContentType      bool
	tooLarge, missing, previouslyExisted       bool
	conflict, deleteFails, deleteAccepted      bool
	postCreate, postFails, allowMissingPost    bool
	multiple, languageRefused, redirect        bool
	noProviders                                bool

	known, allowed []string
	challenge      string
	providers      []Provider
	charsets       []string
	encodings      []Encoding
	variances      []string
	options        http.Header
	etag           ETag
	modified       time.Time
	expires        time.Time
	movedPerm      string
	movedTemp      string
	createPath     string
	davStatus      int

	// failAt names a callback that returns a plain error; panicAt one
	// that panics; haltAt one that halts with haltStatus.
	failAt, panicAt, haltAt string
	haltStatus              int

	accepted []string // bodies the acceptor received
	finished bool
}

// hook applies failAt/panicAt/haltAt to callback name.
func (t *testResource) hook(name string) error {
	switch name {
	case t.failAt:
		return errors.New("test failure in " + name)
	case t.panicAt:
		panic("test panic in " + name)
	case t.haltAt:
		return HaltWith(t.haltStatus, "text/plain", []byte("halted in "+name))
	}
	return nil
}

func (t *testResource) ServiceAvailable(context.Context, *Request) (bool, error) {
	return !t.unavailable, t.hook("ServiceAvailable")
}

func (t *testResource) KnownMethods(ctx context.Context, r *Request) ([]string, error) {
	if t.known != nil {
		return t.known, t.hook("KnownMethods")
	}
	m, _ := t.Base.KnownMethods(ctx, r)
	return m, t.hook("KnownMethods")
}

func (t *testResource) URITooLong(context.Context, *Request) (bool, error) {
	return t.tooLong, t.hook("URITooLong")
}

func (t *testResource) AllowedMethods(context.Context, *Request) ([]string, error) {
	if t.allowed != nil {
		return t.allowed, t.hook("AllowedMethods")
	}
	return []string{"GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS", "PROPFIND", "PROPPATCH",
		"REPORT", "MKCOL", "MKCALENDAR", "COPY", "MOVE", "ACL"}, t.hook("AllowedMethods")
}

func (t *testResource) MalformedRequest(context.Context, *Request) (bool, error) {
	return t.malformed, t.hook("MalformedRequest")
}

func (t *testResource) IsAuthorized(_ context.Context, r *Request) (string, error) {
	if t.challenge == "" {
		r.Auth = "tester"
	}
	return t.challenge, t.hook("IsAuthorized")
}

func (t *testResource) Forbidden(context.Context, *Request) (bool, error) {
	return t.forbidden, t.hook("Forbidden")
}

func (t *testResource) ValidContentHeaders(context.Context, *Request) (bool, error) {
	return !t.badContentHeaders, t.hook("ValidContentHeaders")
}

func (t *testResource) KnownContentType(context.Context, *Request) (bool, error) {
	return !t.unknownContentType, t.hook("KnownContentType")
}

func (t *testResource) ValidEntityLength(context.Context, *Request) (bool, error) {
	return !t.tooLarge, t.hook("ValidEntityLength")
}

func (t *testResource) Options(context.Context, *Request) (http.Header, error) {
	return t.options, t.hook("Options")
}

func (t *testResource) ContentTypesProvided(context.Context, *Request) ([]Provider, error) {
	if t.noProviders {
		return nil, t.hook("ContentTypesProvided")
	}
	if t.providers != nil {
		return t.providers, t.hook("ContentTypesProvided")
	}
	return []Provider{textProvider("text/plain", "hello")}, t.hook("ContentTypesProvided")
}

// textProvider writes body as mediaType.
func textProvider(mediaType, body string) Provider {
	return Provider{MediaType: mediaType, Write: func(_ context.Context, r *Request) error {
		r.SetBody([]byte(body))
		return nil
	}}
}

func (t *testResource) ContentTypesAccepted(context.Context, *Request) ([]Acceptor, error) {
	return []Acceptor{{MediaType: "text/plain", Accept: func(_ context.Context, r *Request) error {
		b, err := io.ReadAll(r.HTTP.Body)
		if err != nil {
			return err
		}
		t.accepted = append(t.accepted, string(b))
		return t.hook("Accept")
	}}}, t.hook("ContentTypesAccepted")
}

func (t *testResource) LanguageAvailable(context.Context, *Request) (bool, error) {
	return !t.languageRefused, t.hook("LanguageAvailable")
}

func (t *testResource) CharsetsProvided(context.Context, *Request) ([]string, error) {
	return t.charsets, t.hook("CharsetsProvided")
}

func (t *testResource) EncodingsProvided(context.Context, *Request) ([]Encoding, error) {
	return t.encodings, t.hook("EncodingsProvided")
}

func (t *testResource) Variances(context.Context, *Request) ([]string, error) {
	return t.variances, t.hook("Variances")
}

func (t *testResource) ResourceExists(context.Context, *Request) (bool, error) {
	return !t.missing, t.hook("ResourceExists")
}

func (t *testResource) ETag(context.Context, *Request) (ETag, error) {
	return t.etag, t.hook("ETag")
}

func (t *testResource) LastModified(context.Context, *Request) (time.Time, error) {
	return t.modified, t.hook("LastModified")
}

func (t *testResource) Expires(context.Context, *Request) (time.Time, error) {
	return t.expires, t.hook("Expires")
}

func (t *testResource) MovedPermanently(context.Context, *Request) (string, error) {
	return t.movedPerm, t.hook("MovedPermanently")
}

func (t *testResource) MovedTemporarily(context.Context, *Request) (string, error) {
	return t.movedTemp, t.hook("MovedTemporarily")
}

func (t *testResource) PreviouslyExisted(context.Context, *Request) (bool, error) {
	return t.previouslyExisted, t.hook("PreviouslyExisted")
}

func (t *testResource) IsConflict(context.Context, *Request) (bool, error) {
	return t.conflict, t.hook("IsConflict")
}

func (t *testResource) DeleteResource(context.Context, *Request) (bool, error) {
	return !t.deleteFails, t.hook("DeleteResource")
}

func (t *testResource) DeleteCompleted(context.Context, *Request) (bool, error) {
	return !t.deleteAccepted, t.hook("DeleteCompleted")
}

func (t *testResource) PostIsCreate(context.Context, *Request) (bool, error) {
	return t.postCreate, t.hook("PostIsCreate")
}

func (t *testResource) CreatePath(context.Context, *Request) (string, error) {
	return t.createPath, t.hook("CreatePath")
}

func (t *testResource) ProcessPost(_ context.Context, r *Request) (bool, error) {
	r.Redirect = t.redirect
	if t.redirect {
		r.Header.Set("Location", "/elsewhere")
	}
	if !t.postFails {
		r.SetBody([]byte("posted"))
	}
	return !t.postFails, t.hook("ProcessPost")
}

func (t *testResource) AllowMissingPost(context.Context, *Request) (bool, error) {
	return t.allowMissingPost, t.hook("AllowMissingPost")
}

func (t *testResource) MultipleChoices(context.Context, *Request) (bool, error) {
	return t.multiple, t.hook("MultipleChoices")
}

func (t *testResource) FinishRequest(context.Context, *Request) error {
	t.finished = true
	return t.hook("FinishRequest")
}

// DAV extension points: each answers davStatus (207 when unset) with a
// small body naming itself.
func (t *testResource) davAnswer(name string, r *Request) (int, error) {
	if err := t.hook(name); err != nil {
		return 0, err
	}
	r.SetBody([]byte(name))
	if t.davStatus != 0 {
		return t.davStatus, nil
	}
	return http.StatusMultiStatus, nil
}

func (t *testResource) PropFind(_ context.Context, r *Request) (int, error) {
	return t.davAnswer("PropFind", r)
}

func (t *testResource) Report(_ context.Context, r *Request) (int, error) {
	return t.davAnswer("Report", r)
}

func (t *testResource) PropPatch(_ context.Context, r *Request) (int, error) {
	return t.davAnswer("PropPatch", r)
}

func (t *testResource) SetACL(_ context.Context, r *Request) (int, error) {
	return t.davAnswer("SetACL", r)
}

func (t *testResource) CreateCollection(_ context.Context, r *Request) (int, error) {
	return t.davAnswer("CreateCollection", r)
}

func (t *testResource) RefuseCreate(_ context.Context, r *Request) error {
	r.SetBody([]byte("resource-must-be-null"))
	return t.hook("RefuseCreate")
}

func (t *testResource) Copy(_ context.Context, r *Request, dst Destination) (int, error) {
	r.Header.Set("X-Destination", dst.Path)
	if !dst.Overwrite {
		r.Header.Set("X-Overwrite", "F")
	}
	return t.davAnswer("Copy", r)
}

func (t *testResource) Move(_ context.Context, r *Request, dst Destination) (int, error) {
	r.Header.Set("X-Destination", dst.Path)
	return t.davAnswer("Move", r)
}

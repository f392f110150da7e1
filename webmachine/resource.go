package webmachine

import (
	"context"
	"io"
	"net/http"
	"time"
)

// Resource is the set of callbacks the decision graph asks while it answers a
// request. Each callback takes the request context and the exchange being
// built and returns one value and an error. A nil error lets the graph go on;
// an error made by [Halt] or [HaltWith] ends the request with that status;
// any other error (and any panic) ends it with a logged 500.
//
// Embed [Base] to get the diagram's defaults and override only what the
// resource needs. The comment of each method names the node that calls it.
type Resource interface {
	// ServiceAvailable (b13): false answers 503.
	ServiceAvailable(ctx context.Context, r *Request) (bool, error)
	// KnownMethods (b12): a method not in the list answers 501.
	KnownMethods(ctx context.Context, r *Request) ([]string, error)
	// URITooLong (b11): true answers 414.
	URITooLong(ctx context.Context, r *Request) (bool, error)
	// AllowedMethods (b10): a method not in the list answers 405 with an
	// Allow header listing these methods. OPTIONS answers list them too.
	AllowedMethods(ctx context.Context, r *Request) ([]string, error)
	// MalformedRequest (b9): true answers 400.
	MalformedRequest(ctx context.Context, r *Request) (bool, error)
	// IsAuthorized (b8): an empty challenge lets the request through; any
	// other value answers 401 with that WWW-Authenticate challenge (see
	// [BasicChallenge]). Record the authenticated identity in r.Auth.
	IsAuthorized(ctx context.Context, r *Request) (challenge string, err error)
	// Forbidden (b7): true answers 403.
	Forbidden(ctx context.Context, r *Request) (bool, error)
	// ValidContentHeaders (b6): false answers 501 (unsupported Content-*
	// request headers).
	ValidContentHeaders(ctx context.Context, r *Request) (bool, error)
	// KnownContentType (b5): false answers 415.
	KnownContentType(ctx context.Context, r *Request) (bool, error)
	// ValidEntityLength (b4): false answers 413.
	ValidEntityLength(ctx context.Context, r *Request) (bool, error)
	// Options (b3): extra headers for the 200 answer to OPTIONS. The engine
	// adds Allow from AllowedMethods itself.
	Options(ctx context.Context, r *Request) (http.Header, error)
	// ContentTypesProvided (c3, c4, o18): the representations the resource
	// can produce, in order of preference. The first is chosen when the
	// request has no Accept header; none acceptable answers 406.
	ContentTypesProvided(ctx context.Context, r *Request) ([]Provider, error)
	// ContentTypesAccepted (p3, o14, n11): the request bodies PUT and POST
	// accept, by media type. No match for the request's Content-Type
	// (application/octet-stream when absent) answers 415.
	ContentTypesAccepted(ctx context.Context, r *Request) ([]Acceptor, error)
	// LanguageAvailable (d5): called when the request has Accept-Language;
	// false answers 406.
	LanguageAvailable(ctx context.Context, r *Request) (bool, error)
	// CharsetsProvided (e5, e6): the charsets the resource can produce. An
	// empty list turns charset negotiation off; otherwise the chosen one is
	// appended to the Content-Type and stored in r.Charset.
	CharsetsProvided(ctx context.Context, r *Request) ([]string, error)
	// EncodingsProvided (f6, f7): content codings the resource can apply.
	// "identity" is always available, even when not listed.
	EncodingsProvided(ctx context.Context, r *Request) ([]Encoding, error)
	// Variances (g7): request headers, beyond those the engine derives from
	// negotiation, that the answer depends on (the Vary header).
	Variances(ctx context.Context, r *Request) ([]string, error)
	// ResourceExists (g7): splits the graph into the existing (g8…) and the
	// missing (h7…) branches.
	ResourceExists(ctx context.Context, r *Request) (bool, error)
	// ETag (g11, k13, o18, j18): the entity tag of the current
	// representation; the zero ETag means none.
	ETag(ctx context.Context, r *Request) (ETag, error)
	// LastModified (h12, l17, o18): the zero time means unknown.
	LastModified(ctx context.Context, r *Request) (time.Time, error)
	// Expires (o18): the zero time means no Expires header.
	Expires(ctx context.Context, r *Request) (time.Time, error)
	// MovedPermanently (i4, k5): a non-empty URI answers 301 with Location.
	MovedPermanently(ctx context.Context, r *Request) (string, error)
	// MovedTemporarily (l5): a non-empty URI answers 307 with Location.
	MovedTemporarily(ctx context.Context, r *Request) (string, error)
	// PreviouslyExisted (k7): true leads to the moved and 410 checks.
	PreviouslyExisted(ctx context.Context, r *Request) (bool, error)
	// IsConflict (o14, p3): true answers 409 to a PUT.
	IsConflict(ctx context.Context, r *Request) (bool, error)
	// DeleteResource (m20): starts the deletion; false answers 500.
	DeleteResource(ctx context.Context, r *Request) (bool, error)
	// DeleteCompleted (m20b): false answers 202 (deletion still under way).
	DeleteCompleted(ctx context.Context, r *Request) (bool, error)
	// PostIsCreate (n11): true makes a POST a creation at CreatePath.
	PostIsCreate(ctx context.Context, r *Request) (bool, error)
	// CreatePath (n11): the path of the created resource, relative to the
	// request path; it becomes the Location header.
	CreatePath(ctx context.Context, r *Request) (string, error)
	// ProcessPost (n11): handles a POST that is not a creation; false
	// answers 500.
	ProcessPost(ctx context.Context, r *Request) (bool, error)
	// AllowMissingPost (m7, n5): true lets a POST to a missing resource go on.
	AllowMissingPost(ctx context.Context, r *Request) (bool, error)
	// MultipleChoices (o18b): true answers 300.
	MultipleChoices(ctx context.Context, r *Request) (bool, error)
	// FinishRequest runs after every request, whatever the outcome, before
	// the answer is written. It may change headers and body; an error
	// replaces the answer with a 500.
	FinishRequest(ctx context.Context, r *Request) error
}

// Preconditioner is implemented by a resource whose requests carry
// preconditions of the application's own, beyond the HTTP conditionals
// the graph evaluates itself (If-Match, If-None-Match and the dates): for
// example WebDAV's If header (RFC 4918 §10.4), which the graph does not
// know. The graph asks it at node g7p, right after ResourceExists and
// before any method-specific node, so it applies to every method that
// gets that far (all but OPTIONS, answered at b3).
type Preconditioner interface {
	// Precondition (g7p) reports whether the request's own
	// preconditions hold; exists is ResourceExists's answer. false
	// answers 412; an error made by [Halt] or [HaltWith] answers its own
	// status (400 for a malformed header, say).
	Precondition(ctx context.Context, r *Request, exists bool) (bool, error)
}

// Provider produces one representation of a resource (webmachine's
// content_types_provided entry).
type Provider struct {
	// MediaType is a media type without parameters, e.g. "text/calendar".
	MediaType string
	// Write fills the response body of r (see [Request.SetBody] and
	// [Request.SetStream]).
	Write func(ctx context.Context, r *Request) error
}

// Acceptor consumes one kind of request body (webmachine's
// content_types_accepted entry).
type Acceptor struct {
	// MediaType is the media type handled, without parameters; "*/*"
	// accepts anything.
	MediaType string
	// Accept reads r.HTTP.Body and applies it. It may set a Location header
	// and a response body.
	Accept func(ctx context.Context, r *Request) error
}

// Encoding is a content coding a resource can apply to its body.
type Encoding struct {
	// Name is the coding's token, e.g. "gzip".
	Name string
	// Wrap returns a writer that encodes into w; Close flushes it.
	Wrap func(w io.Writer) (io.WriteCloser, error)
}

// Base implements every [Resource] callback with the webmachine defaults.
// Embed it and override what differs.
type Base struct{}

var (
	defaultKnownMethods = []string{
		http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
		http.MethodDelete, http.MethodOptions, http.MethodTrace, http.MethodConnect,
		MethodPropfind, MethodProppatch, MethodMkcol, MethodMkcalendar,
		MethodReport, MethodCopy, MethodMove, MethodACL,
	}
	defaultAllowedMethods = []string{http.MethodGet, http.MethodHead}
)

// ServiceAvailable defaults to true.
func (Base) ServiceAvailable(context.Context, *Request) (bool, error) { return true, nil }

// KnownMethods defaults to the HTTP methods plus the WebDAV methods the
// graph knows (PROPFIND, PROPPATCH, MKCOL, MKCALENDAR, REPORT, COPY, MOVE, ACL).
func (Base) KnownMethods(context.Context, *Request) ([]string, error) {
	return defaultKnownMethods, nil
}

// URITooLong defaults to false.
func (Base) URITooLong(context.Context, *Request) (bool, error) { return false, nil }

// AllowedMethods defaults to GET and HEAD.
func (Base) AllowedMethods(context.Context, *Request) ([]string, error) {
	return defaultAllowedMethods, nil
}

// MalformedRequest defaults to false.
func (Base) MalformedRequest(context.Context, *Request) (bool, error) { return false, nil }

// IsAuthorized defaults to authorized (empty challenge).
func (Base) IsAuthorized(context.Context, *Request) (string, error) { return "", nil }

// Forbidden defaults to false.
func (Base) Forbidden(context.Context, *Request) (bool, error) { return false, nil }

// ValidContentHeaders defaults to true.
func (Base) ValidContentHeaders(context.Context, *Request) (bool, error) { return true, nil }

// KnownContentType defaults to true.
func (Base) KnownContentType(context.Context, *Request) (bool, error) { return true, nil }

// ValidEntityLength defaults to true.
func (Base) ValidEntityLength(context.Context, *Request) (bool, error) { return true, nil }

// Options defaults to no extra headers.
func (Base) Options(context.Context, *Request) (http.Header, error) { return nil, nil }

// ContentTypesProvided defaults to text/html with an empty body.
func (Base) ContentTypesProvided(context.Context, *Request) ([]Provider, error) {
	return defaultProviders, nil
}

var defaultProviders = []Provider{{MediaType: "text/html", Write: func(context.Context, *Request) error { return nil }}}

// ContentTypesAccepted defaults to none, so PUT and POST answer 415.
func (Base) ContentTypesAccepted(context.Context, *Request) ([]Acceptor, error) { return nil, nil }

// LanguageAvailable defaults to true.
func (Base) LanguageAvailable(context.Context, *Request) (bool, error) { return true, nil }

// CharsetsProvided defaults to none: no charset negotiation.
func (Base) CharsetsProvided(context.Context, *Request) ([]string, error) { return nil, nil }

// EncodingsProvided defaults to identity only.
func (Base) EncodingsProvided(context.Context, *Request) ([]Encoding, error) { return nil, nil }

// Variances defaults to none.
func (Base) Variances(context.Context, *Request) ([]string, error) { return nil, nil }

// ResourceExists defaults to true.
func (Base) ResourceExists(context.Context, *Request) (bool, error) { return true, nil }

// ETag defaults to none.
func (Base) ETag(context.Context, *Request) (ETag, error) { return ETag{}, nil }

// LastModified defaults to unknown.
func (Base) LastModified(context.Context, *Request) (time.Time, error) { return time.Time{}, nil }

// Expires defaults to none.
func (Base) Expires(context.Context, *Request) (time.Time, error) { return time.Time{}, nil }

// MovedPermanently defaults to not moved.
func (Base) MovedPermanently(context.Context, *Request) (string, error) { return "", nil }

// MovedTemporarily defaults to not moved.
func (Base) MovedTemporarily(context.Context, *Request) (string, error) { return "", nil }

// PreviouslyExisted defaults to false.
func (Base) PreviouslyExisted(context.Context, *Request) (bool, error) { return false, nil }

// IsConflict defaults to false.
func (Base) IsConflict(context.Context, *Request) (bool, error) { return false, nil }

// DeleteResource defaults to false (a DELETE that reaches it answers 500).
func (Base) DeleteResource(context.Context, *Request) (bool, error) { return false, nil }

// DeleteCompleted defaults to true.
func (Base) DeleteCompleted(context.Context, *Request) (bool, error) { return true, nil }

// PostIsCreate defaults to false.
func (Base) PostIsCreate(context.Context, *Request) (bool, error) { return false, nil }

// CreatePath defaults to an error: a resource whose PostIsCreate answers
// true must say where.
func (Base) CreatePath(context.Context, *Request) (string, error) {
	return "", errNoCreatePath
}

// ProcessPost defaults to false.
func (Base) ProcessPost(context.Context, *Request) (bool, error) { return false, nil }

// AllowMissingPost defaults to false.
func (Base) AllowMissingPost(context.Context, *Request) (bool, error) { return false, nil }

// MultipleChoices defaults to false.
func (Base) MultipleChoices(context.Context, *Request) (bool, error) { return false, nil }

// FinishRequest defaults to doing nothing.
func (Base) FinishRequest(context.Context, *Request) error { return nil }

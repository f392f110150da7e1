// Package webmachine answers HTTP requests by walking the webmachine v3
// decision diagram, extended with the WebDAV methods. An application
// describes a resource by implementing callbacks ([Resource], with defaults
// from an embedded [Base]); the graph decides the status, the conditional
// request handling, content negotiation, Allow, Vary, Location and the rest
// of HTTP's semantics. The package knows nothing of WebDAV XML or storage:
// WebDAV methods reach the resource through the small interfaces in dav.go
// ([PropFinder], [Reporter], [PropPatcher], [ACLSetter],
// [CollectionCreator], [CreateRefuser], [Copier], [Mover]).
//
// # The graph
//
// Each request starts at b13 and ends at the first node that answers. The
// nodes, what each decides and the callback it asks (status when it ends
// the request):
//
//	b13  service available?              ServiceAvailable      503
//	b12  method known?                   KnownMethods          501
//	b11  URI too long?                   URITooLong            414
//	b10  method allowed?                 AllowedMethods        405 + Allow
//	b9   request malformed?              MalformedRequest      400
//	b8   authorized?                     IsAuthorized          401 + WWW-Authenticate
//	b7   forbidden?                      Forbidden             403
//	b6   Content-* headers valid?        ValidContentHeaders   501
//	b5   Content-Type known?             KnownContentType      415
//	b4   body size valid?                ValidEntityLength     413
//	b3   OPTIONS?                        Options, AllowedMethods 200 + Allow
//	c3   Accept present?                 ContentTypesProvided  (first type when absent)
//	c4   acceptable media type?                                406
//	d4   Accept-Language present?
//	d5   language available?             LanguageAvailable     406
//	e5   Accept-Charset present?         CharsetsProvided      (first charset when absent)
//	e6   acceptable charset?                                   406
//	f6   Accept-Encoding present?        EncodingsProvided     (identity when absent)
//	f7   acceptable encoding?                                  406
//	g7   resource exists? (sets Vary)    Variances, ResourceExists
//	g7p  own preconditions hold?         Precondition          412 (only a [Preconditioner])
//	g7b  DAV on an existing resource:    PropFind, Report      their status
//	     MKCOL → 405; MKCALENDAR →       RefuseCreate          403
//	g8   If-Match present?
//	g9   If-Match is "*"?
//	g11  ETag in If-Match (strong)?      ETag                  412
//	h7b  DAV on a missing resource:      CreateCollection      201/403/405/409/415/507
//	h7   If-Match present (missing)?                           412
//	h10  If-Unmodified-Since present (and no If-Match)?
//	h11  If-Unmodified-Since a valid date?
//	h12  modified since then?            LastModified          412
//	i4   moved permanently (PUT)?        MovedPermanently      301 + Location
//	i7   PUT (missing)?
//	i12  If-None-Match present?
//	i13  If-None-Match is "*"?
//	j18  GET or HEAD?                    ETag                  304, else 412
//	k5   moved permanently?              MovedPermanently      301 + Location
//	k7   previously existed?             PreviouslyExisted
//	k13  ETag in If-None-Match (weak)?   ETag
//	l5   moved temporarily?              MovedTemporarily      307 + Location
//	l7   POST (missing)?                                       404
//	l13  If-Modified-Since present (GET/HEAD, no If-None-Match)?
//	l14  If-Modified-Since a valid date?
//	l15  If-Modified-Since in the future?
//	l17  modified since then?            LastModified, ETag    304
//	m5   POST (gone)?                                          410
//	m7   POST allowed (missing)?         AllowMissingPost      404
//	m16  DELETE?
//	m20  delete started?                 DeleteResource        500
//	m20b delete completed?               DeleteCompleted       202
//	n5   POST allowed (gone)?            AllowMissingPost      410
//	n11  POST: create or process         PostIsCreate, CreatePath, ProcessPost, acceptor  303
//	n16  POST?
//	o14  PUT conflict? then take body    IsConflict, acceptor  409, 415
//	o16  PUT?
//	o16b DAV after the preconditions:    PropPatch, SetACL, Copy, Move   their status
//	o18  GET/HEAD: validators and body   ETag, LastModified, Expires, provider
//	o18b multiple representations?       MultipleChoices       300, else 200
//	o20  response has a body?                                  204 when not
//	p3   PUT conflict (missing)? then take body  IsConflict, acceptor  409, 415
//	p11  new resource?                                         201 (Location set, or PUT created)
//
// FinishRequest runs after every request. A callback may end the request at
// any node by returning [Halt] or [HaltWith]; any other error, or a panic,
// becomes a logged 500 and the server goes on.
//
// # Where this graph differs from ocaml-webmachine and robur
//
//   - Conditional requests follow RFC 9110 §13.2.2: If-Unmodified-Since is
//     ignored when If-Match is present, If-Modified-Since is ignored when
//     If-None-Match is present and for methods other than GET and HEAD, an
//     invalid date is ignored, If-Match uses the strong comparison and
//     If-None-Match the weak one. l17 answers 304 only when the resource is
//     not newer than If-Modified-Since (ocaml-webmachine inverts this).
//   - PROPPATCH, ACL, COPY and MOVE are decided at o16b, after the
//     conditional nodes; robur's graph answers PROPPATCH at g7b and so skips
//     If-Match.
//   - A PUT that creates a resource answers 201 even without a Location
//     header; one that replaces it answers 204 (robur always says 201).
//   - 304 answers carry the ETag; o18 sets Last-Modified and Expires.
//
// # Traces
//
// With [Options].Trace set, every request records the nodes it visited and
// what each callback answered ([Trace]); [Serve] returns it, [TraceLog]
// logs it and [TraceHeader] returns the node path in X-Webmachine-Trace.
// With tracing off nothing is recorded.
//
// # Routing
//
// [Router] dispatches path patterns ("/users/:id", "/calendars/*") to
// resource factories, one fresh resource per request.
package webmachine

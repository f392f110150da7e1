// Package caldav is the CalDAV HTTP layer (RFC 4791) on top of the dav
// package: MKCALENDAR and extended MKCOL of calendars, the calendar
// collection properties, validation of calendar object resources on PUT,
// GET of a whole calendar as one iCalendar stream, the calendar-query and
// calendar-multiget reports, and the /.well-known/caldav redirect
// (RFC 6764).
//
// The iCalendar logic lives in the subpackages (icalobj validates objects,
// query parses and evaluates filters and calendar-data requests, recur
// expands recurrences, tz resolves time zones); this package maps their
// results onto HTTP statuses, precondition elements and multistatus
// bodies. Register wires it into a dav.Server.
//
// # Recurrence limits
//
// A PUT of a valid object is stored whatever its rule: RRULE:FREQ=SECONDLY
// without COUNT or UNTIL, or with COUNT=1000000000, is legal iCalendar,
// and rules without end ("every day, forever") are what clients send
// every day. CALDAV:max-instances (RFC 4791 §5.2.8) is therefore not
// advertised by default: it bounds the instances an object may generate,
// so advertising it obliges the server to refuse every rule without end
// (§5.3.2.1). An operator who wants that sets Options.MaxInstances; the
// property is then advertised and a PUT of a rule with more instances
// answers 403 with CALDAV:max-instances. CALDAV:max-date-time is likewise
// only advertised when set; CALDAV:min-date-time is (1900 by default).
//
// Instead every use of a stored rule is bounded, so that no object makes
// a report expensive:
//
//   - Validation at PUT examines at most 100,000 rule periods.
//   - No instance is generated beyond the recurrence horizon
//     (Options.HorizonYears, 50 years by default) after DTSTART or now,
//     whichever is later; later instances are silently absent from
//     reports, as if the rule ended there.
//   - One object expands to at most Options.ExpandLimit instances
//     (10,000 by default) in one report's window: a calendar-query whose
//     time-range, expand, limit-recurrence-set or free-busy-query needs
//     more answers 507 with DAV:number-of-matches-within-limits rather
//     than a truncated, wrong result (RFC 4791 §7.8 leaves the limit to
//     the server). A time-range test stops at the first overlapping
//     instance, so a SECONDLY rule matches a year's range cheaply.
//   - The rule iterator examines at most 1,000,000 periods per
//     expansion; a rule needing more (a COUNT rule with BY parts far
//     from its start) also answers 507.
//   - sync-collection, GET and PROPFIND never expand.
package caldav

import (
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/emersion/go-ical"

	"github.com/gocaldav/gocaldav/caldav/recur"
	"github.com/gocaldav/gocaldav/caldav/tz"
	"github.com/gocaldav/gocaldav/dav"
	"github.com/gocaldav/gocaldav/internal/gencache"
)

// Defaults used where an Options field is zero.
const (
	// DefaultMaxResourceSize is CALDAV:max-resource-size: the largest
	// calendar object accepted by PUT, in octets.
	DefaultMaxResourceSize = 1 << 20
	// DefaultMaxResults is the most responses one calendar-query or
	// calendar-multiget answers before it fails with 507.
	DefaultMaxResults = 50_000
	// DefaultCacheEntries is the number of parsed calendar objects kept
	// (about 4 KB each), in two generations of half of it. Time-range
	// queries and unchanged calendar-data need no parse (see span), so
	// the parse cache serves filters on properties, transformed
	// calendar-data and expansion. A generation must hold what one such
	// query visits: a month of a busy calendar (the benchmark's visits
	// 858 objects, and at 1,500 entries every repeat parsed about a
	// hundred of them again, with their recurrence sets and templates).
	DefaultCacheEntries = 2_400
	// DefaultProductID is the PRODID of a calendar served by GET.
	DefaultProductID = "-//GOCALDAV//EN"
)

// DefaultMinDateTime is CALDAV:min-date-time when Options sets none.
var DefaultMinDateTime = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)

// Options configure the CalDAV layer. The zero value is usable.
type Options struct {
	// MaxResourceSize is CALDAV:max-resource-size in octets; zero means
	// DefaultMaxResourceSize, negative means no limit (not advertised).
	MaxResourceSize int
	// MinDateTime is CALDAV:min-date-time; zero means
	// DefaultMinDateTime. Objects with an instance before it are refused.
	MinDateTime time.Time
	// MaxDateTime is CALDAV:max-date-time; zero means none (the property
	// is not advertised). RFC 4791 §5.3.2.1 applies it to every instance,
	// so setting it refuses every recurrence without an end.
	MaxDateTime time.Time
	// MaxInstances is CALDAV:max-instances; zero means none (not
	// advertised). Like MaxDateTime it refuses long unbounded rules.
	MaxInstances int
	// ExpandLimit bounds the recurrence instances one object may expand
	// to while a report is answered; zero means
	// recur.DefaultMaxInstances. A report needing more answers 507.
	ExpandLimit int
	// HorizonYears is the recurrence horizon: no instance is generated
	// more than this many years after DTSTART or now, whichever is
	// later. Zero means recur.DefaultHorizonYears.
	HorizonYears int
	// MaxResults bounds the responses of one report; zero means
	// DefaultMaxResults. A report matching more answers 507.
	MaxResults int
	// CacheEntries bounds the cache of parsed objects; zero means
	// DefaultCacheEntries.
	CacheEntries int
	// ProductID is the PRODID of whole calendars served by GET; empty
	// means DefaultProductID.
	ProductID string
	// CalendarHome is the href of every principal's
	// CALDAV:calendar-home-set; empty means "/calendars/" (robur keeps
	// all calendars there).
	CalendarHome string
	// Resolver resolves TZIDs; nil means tz.Default.
	Resolver *tz.Resolver
	// Logger receives warnings about stored data that cannot be served;
	// nil means the server's logger or slog.Default().
	Logger *slog.Logger
}

// withDefaults fills the zero fields.
func (o Options) withDefaults(s *dav.Server) Options {
	if o.MaxResourceSize == 0 {
		o.MaxResourceSize = DefaultMaxResourceSize
	}
	if o.MinDateTime.IsZero() {
		o.MinDateTime = DefaultMinDateTime
	}
	if o.ExpandLimit <= 0 {
		o.ExpandLimit = recur.DefaultMaxInstances
	}
	if o.HorizonYears <= 0 {
		o.HorizonYears = recur.DefaultHorizonYears
	}
	if o.MaxResults <= 0 {
		o.MaxResults = DefaultMaxResults
	}
	if o.CacheEntries <= 0 {
		o.CacheEntries = DefaultCacheEntries
	}
	if o.ProductID == "" {
		o.ProductID = DefaultProductID
	}
	if o.CalendarHome == "" {
		o.CalendarHome = "/" + dav.CalendarsDir + "/"
	}
	if o.Resolver == nil {
		o.Resolver = tz.Default
	}
	if o.Logger == nil {
		o.Logger = s.Logger
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// recurLimits are the expansion limits of the handler with at most
// maxInstances instances per window.
func (h *handler) recurLimits(maxInstances int) recur.Limits {
	return recur.Limits{MaxInstances: maxInstances, HorizonYears: h.o.HorizonYears}
}

// DAVClass is the compliance class RFC 4791 §5.1 adds to the DAV header.
const DAVClass = "calendar-access"

// defaultDAVClasses is dav's DAV header when the server sets none.
const defaultDAVClasses = "1, 3, extended-mkcol"

// Register adds CalDAV to s: it registers the calendar properties,
// MKCALENDAR, the calendar-query and calendar-multiget reports, sets the
// PUT, GET and MKCOL hooks and adds calendar-access to the DAV header.
// Call it once, after setting s.Registry (nil gets a new one) and before
// serving. Hooks s already has are replaced.
func Register(s *dav.Server, o Options) { register(s, o) }

// register is Register returning the handler, for tests.
func register(s *dav.Server, o Options) *handler {
	if s.Registry == nil {
		s.Registry = dav.NewRegistry()
	}
	h := &handler{s: s, o: o.withDefaults(s)}
	h.objects = newCache[blobKey, *object](h.o.CacheEntries)
	h.uids = newCache[blobKey, string](max(2*h.o.CacheEntries, 8192))
	h.zones = newCache[string, *zoneResult](256)
	h.sharedZones = newCache[string, *ical.Component](256)
	h.spans = newCache[blobKey, *span](max(10*h.o.CacheEntries, 40_000))
	h.calIndexes = gencache.New[string](calendarIndexMembers/2, func(idx *calendarIndex) int { return len(idx.members) + 1 })
	h.validated = newCache[string, *validation](64)
	h.registerProperties(s.Registry)
	registerPrincipalProperties(s.Registry)
	h.registerReports(s.Registry)
	s.Registry.AddCollectionMaker(dav.CollectionMaker{
		Method: "MKCALENDAR",
		Root:   nameCalDAV("mkcalendar"),
		Types:  []dav.Name{nameCalendar},
		Check:  h.checkCalendarLocation,
	})
	s.Hooks.CheckPut = h.checkPut
	s.Hooks.CollectionProviders = h.collectionProviders
	s.Hooks.CheckMkcol = h.checkMkcol
	s.DAVClasses = addClass(s.DAVClasses, DAVClass)
	return h
}

// addClass appends class to a DAV header value unless it is there.
func addClass(classes, class string) string {
	if classes == "" {
		classes = defaultDAVClasses
	}
	for _, c := range strings.Split(classes, ",") {
		if strings.TrimSpace(c) == class {
			return classes
		}
	}
	return classes + ", " + class
}

// handler holds the CalDAV layer's state for one server.
type handler struct {
	s *dav.Server
	o Options
	// objects caches parsed calendar objects by git blob id.
	objects *gencache.Cache[blobKey, *object]
	// uids caches the UIDs of objects by git blob id: those a PUT
	// validated, until the calendar's UID index takes them in (see
	// remember), and those an index being built read. It is larger than
	// objects because its entries are small; a calendar's index keeps
	// its members' UIDs itself.
	uids *gencache.Cache[blobKey, string]
	// parses counts the objects parsed on a cache miss.
	parses atomic.Int64
	// zones caches parsed calendar-timezone values by their text.
	zones *gencache.Cache[string, *zoneResult]
	// sharedZones holds the VTIMEZONEs of cached parses by their text,
	// for parses of other objects carrying the same one (see shareZones).
	sharedZones *gencache.Cache[string, *ical.Component]
	// uidIdx keeps each calendar's UIDs current for PUT checks.
	uidIdx uidIndexes
	// spans caches objects' time spans by blob id for calendar-query.
	spans *gencache.Cache[blobKey, *span]
	// calIndexes caches calendar versions' member lists by tree id.
	calIndexes *gencache.Cache[string, *calendarIndex]
	// validated remembers recent PUT validations (see validate).
	validated *gencache.Cache[string, *validation]
}

// Names of the CalDAV elements and properties used here.
var (
	nameCalendar        = nameCalDAV("calendar")
	nameCalendarData    = nameCalDAV("calendar-data")
	nameCalendarTZ      = nameCalDAV("calendar-timezone")
	nameComponentSet    = nameCalDAV("supported-calendar-component-set")
	nameLocationOK      = nameCalDAV("calendar-collection-location-ok")
	nameNoUIDConflict   = nameCalDAV("no-uid-conflict")
	nameSupportedData   = nameCalDAV("supported-calendar-data")
	nameValidData       = nameCalDAV("valid-calendar-data")
	nameTooManyMatches  = dav.DAVName("number-of-matches-within-limits")
	nameCalendarHomeSet = nameCalDAV("calendar-home-set")
)

// nameCalDAV returns {urn:ietf:params:xml:ns:caldav}local.
func nameCalDAV(local string) dav.Name { return dav.CalDAVName(local) }

// isCalendar reports whether n is a calendar collection.
func isCalendar(n *dav.Node) bool { return n != nil && n.Collection && n.HasType(nameCalendar) }

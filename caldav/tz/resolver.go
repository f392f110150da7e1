// Package tz resolves iCalendar TZID parameters to *time.Location values.
//
// A TZID is tried, in order, as an IANA name (time.LoadLocation with the
// embedded time/tzdata database), as a Windows zone name (Unicode CLDR
// windowsZones table), as an IANA name behind a vendor prefix such as
// "/mozilla.org/20050126_1/Europe/Berlin", and finally by compiling the
// calendar's own VTIMEZONE component into a location.
package tz

import (
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"sort"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // zone data for scratch containers

	"github.com/emersion/go-ical"
)

// ErrUnknownTZID is returned when a TZID cannot be resolved by any method.
var ErrUnknownTZID = errors.New("unknown TZID")

// DefaultMaxEntries is the cache size of a Resolver whose MaxEntries is 0.
const DefaultMaxEntries = 4096

// Resolver resolves TZIDs and caches the results. The zero value is ready
// to use and safe for concurrent use.
type Resolver struct {
	// MaxEntries bounds the cache; when full it is emptied. Zero means
	// DefaultMaxEntries.
	MaxEntries int

	mu    sync.Mutex
	cache map[string]cacheEntry
}

type cacheEntry struct {
	loc *time.Location
	err error
}

// Default is a process-wide Resolver.
var Default = &Resolver{}

// Location resolves tzid. cal, which may be nil, is searched for a
// VTIMEZONE with that TZID when the name is not a known zone name.
func (r *Resolver) Location(tzid string, cal *ical.Calendar) (*time.Location, error) {
	if loc, err := r.Named(tzid); err == nil {
		return loc, nil
	}
	if cal != nil {
		if vtz := FindVTimezone(cal, tzid); vtz != nil {
			return r.FromVTimezone(vtz)
		}
	}
	return nil, fmt.Errorf("tz: %w: %q", ErrUnknownTZID, tzid)
}

// Named resolves tzid by name only: IANA, Windows, or vendor-prefixed IANA.
func (r *Resolver) Named(tzid string) (*time.Location, error) {
	key := "n\x00" + tzid
	if e, ok := r.get(key); ok {
		return e.loc, e.err
	}
	loc, err := lookupName(tzid)
	r.put(key, cacheEntry{loc, err})
	return loc, err
}

// FromVTimezone compiles a VTIMEZONE component into a location (see
// Compile), caching it by TZID and content.
func (r *Resolver) FromVTimezone(vtz *ical.Component) (*time.Location, error) {
	key := "v\x00" + fingerprint(vtz)
	if e, ok := r.get(key); ok {
		return e.loc, e.err
	}
	loc, err := Compile(vtz)
	r.put(key, cacheEntry{loc, err})
	return loc, err
}

func (r *Resolver) get(key string) (cacheEntry, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.cache[key]
	return e, ok
}

func (r *Resolver) put(key string, e cacheEntry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	max := r.MaxEntries
	if max <= 0 {
		max = DefaultMaxEntries
	}
	if r.cache == nil || len(r.cache) >= max {
		r.cache = make(map[string]cacheEntry)
	}
	r.cache[key] = e
}

// lookupName tries IANA, Windows and vendor-prefixed IANA names.
func lookupName(tzid string) (*time.Location, error) {
	name := strings.TrimSpace(tzid)
	if loc, ok := loadIANA(name); ok {
		return loc, nil
	}
	if iana, ok := windowsZones[name]; ok {
		if loc, ok := loadIANA(iana); ok {
			return loc, nil
		}
	}
	// "/mozilla.org/20050126_1/Europe/Berlin",
	// "/softwarestudio.org/Olson_20011030_5/America/New_York",
	// "/freeassociation.sourceforge.net/Tzfile/Europe/London", ...: drop
	// leading path segments until an IANA name remains.
	rest := strings.TrimPrefix(name, "/")
	for {
		_, after, ok := strings.Cut(rest, "/")
		if !ok {
			break
		}
		rest = after
		if loc, ok := loadIANA(rest); ok {
			return loc, nil
		}
	}
	return nil, fmt.Errorf("tz: %w: %q", ErrUnknownTZID, tzid)
}

// loadIANA loads an IANA zone, refusing the special names time.LoadLocation
// maps to the server's own zone ("Local") or to UTC ("").
func loadIANA(name string) (*time.Location, bool) {
	if name == "" || strings.EqualFold(name, "Local") || strings.Contains(name, "..") {
		return nil, false
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, false
	}
	return loc, true
}

// FindVTimezone returns the VTIMEZONE of cal whose TZID is tzid, or nil.
func FindVTimezone(cal *ical.Calendar, tzid string) *ical.Component {
	for _, c := range cal.Children {
		if c.Name != ical.CompTimezone {
			continue
		}
		if p := c.Props.Get(ical.PropTimezoneID); p != nil && p.Value == tzid {
			return c
		}
	}
	return nil
}

// fingerprint hashes a component's content (properties in sorted order,
// then children) so that equal VTIMEZONEs share a cache entry.
func fingerprint(c *ical.Component) string {
	h := fnv.New128a()
	writeComp(h, c)
	tzid := ""
	if p := c.Props.Get(ical.PropTimezoneID); p != nil {
		tzid = p.Value
	}
	return fmt.Sprintf("%s\x00%x", tzid, h.Sum(nil))
}

func writeComp(w io.Writer, c *ical.Component) {
	fmt.Fprintf(w, "B:%s\n", c.Name)
	names := make([]string, 0, len(c.Props))
	for n := range c.Props {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		for _, p := range c.Props[n] {
			fmt.Fprintf(w, "%s;%v:%s\n", n, sortedParams(p.Params), p.Value)
		}
	}
	for _, ch := range c.Children {
		writeComp(w, ch)
	}
	fmt.Fprintf(w, "E:%s\n", c.Name)
}

func sortedParams(p ical.Params) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s;", k, strings.Join(p[k], ","))
	}
	return b.String()
}

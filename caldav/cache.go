package caldav

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/emersion/go-ical"

	"github.com/gocaldav/gocaldav/caldav/icalobj"
	"github.com/gocaldav/gocaldav/caldav/query"
	"github.com/gocaldav/gocaldav/dav"
	"github.com/gocaldav/gocaldav/internal/gencache"
)

// newCache returns a cache holding about entries values (two generations
// of entries/2, see gencache).
func newCache[K comparable, V any](entries int) *gencache.Cache[K, V] {
	return gencache.New[K, V](max(entries/2, 1), nil)
}

// object is a stored calendar object, parsed once per blob: the git blob
// id names its content, so a cached parse stays valid for as long as any
// snapshot holds that blob.
type object struct {
	// cal is the parsed object; it is shared and must not be modified.
	// Nil when the blob is not iCalendar (err says why).
	cal *ical.Calendar
	// queried is cal with what queries on it work out kept alongside
	// (nil with cal).
	queried *query.Object
	// uid is the UID of the object's components ("" when none).
	uid string
	err error
}

// load returns the parsed form of object node n, from the cache when its
// blob was parsed before. A blob that does not parse gives an object with
// err set; only a failure to read the store is an error.
func (h *handler) load(n *dav.Node) (*object, error) {
	key, keyed := keyOf(n)
	if keyed {
		if o, ok := h.objects.Get(key); ok {
			return o, nil
		}
	}
	data, err := n.Content()
	if err != nil {
		return nil, fmt.Errorf("caldav: %w", err)
	}
	o := parseObject(data)
	h.parses.Add(1)
	if o.cal != nil {
		h.shareZones(data, o.cal)
	}
	if keyed {
		h.objects.Put(key, o)
	}
	return o, nil
}

// knownICalendar reports whether object node n is known to parse, without
// parsing it: its parse or its span (made only from a parse) is cached.
func (h *handler) knownICalendar(n *dav.Node) bool {
	key, keyed := keyOf(n)
	if !keyed {
		return false
	}
	// The span first: every object a PUT stored has one cached, parsed
	// objects are fewer.
	if s, ok := h.spans.Get(key); ok && s != nil {
		return true
	}
	o, ok := h.objects.Get(key)
	return ok && o.cal != nil
}

// uid returns the UID of object node n, from the UID cache when its blob
// was seen before, so checking a PUT against every member of a large
// calendar does not parse them all again.
func (h *handler) uid(n *dav.Node) (string, error) {
	key, keyed := keyOf(n)
	if keyed {
		if u, ok := h.uids.Get(key); ok {
			return u, nil
		}
	}
	o, err := h.load(n)
	if err != nil {
		return "", err
	}
	if keyed {
		h.uids.Put(key, o.uid)
	}
	return o.uid, nil
}

// remember caches what later reads of an object validated by a PUT need
// from its parse cal, under the blob id its data will have once stored:
// its UID (for the next PUT's UID check) and its span (for calendar-query
// and the calendar index), so that neither parses it again. The parse itself is
// not kept: most reads of a new object need none (GET sends the stored
// bytes, a time range is decided by the span), and a calendar filled by
// 10,000 PUTs would otherwise fill the parse cache with objects nobody
// asks for.
func (h *handler) remember(id blobKey, cal *ical.Calendar) {
	if _, ok := h.spans.Get(id); ok {
		return // dav checks a PUT twice; the second time is a lookup
	}
	h.uids.Put(id, uidOf(cal))
	h.spans.Put(id, spanOf(cal, h.o.Resolver, h.recurLimits(spanInstances)))
}

// blobKey is a git blob id, as the caches of what is worked out from a
// stored object are keyed: 20 bytes in the map entry, where the id in
// hex would take a 40-byte string of its own for each of the tens of
// thousands of objects a server holds.
type blobKey [sha1.Size]byte

// keyOf is the blob key of object node n; false when its blob id is not
// known.
func keyOf(n *dav.Node) (k blobKey, ok bool) {
	if len(n.Hash) != 2*len(k) {
		return k, false
	}
	_, err := hex.Decode(k[:], []byte(n.Hash))
	return k, err == nil
}

// blobID is the git blob id of data.
func blobID(data []byte) blobKey {
	sum := sha1.New()
	fmt.Fprintf(sum, "blob %d\x00", len(data))
	sum.Write(data)
	var k blobKey
	sum.Sum(k[:0])
	return k
}

// parseObject parses stored calendar data.
func parseObject(data []byte) *object {
	cal, err := icalobj.Parse(data)
	if err != nil {
		return &object{err: err}
	}
	return newObject(cal)
}

// shareZones replaces the VTIMEZONEs of cal, parsed from data, with
// equal ones an earlier parse made: clients attach their time zone to
// every object, and in a parse of a typical event the VTIMEZONE is
// nearly half of the memory (some 3.4 of 7.7 KB). A VTIMEZONE is
// shared only when its text is byte for byte the same, so its parse is
// too; cal, like every cached parse, must not be modified.
func (h *handler) shareZones(data []byte, cal *ical.Calendar) {
	var top []int // indexes of cal's VTIMEZONEs
	for i, c := range cal.Children {
		if c.Name == ical.CompTimezone {
			top = append(top, i)
		} else if hasZoneBelow(c) {
			return // not where a VTIMEZONE belongs: the texts found would not pair up
		}
	}
	if len(top) == 0 {
		return
	}
	texts := zoneTexts(data)
	if len(texts) != len(top) { // one not found (its BEGIN line folded, say)
		return
	}
	for k, i := range top {
		key := string(texts[k])
		if shared, ok := h.sharedZones.Get(key); ok {
			cal.Children[i] = shared
		} else {
			h.sharedZones.Add(key, cal.Children[i])
		}
	}
}

// hasZoneBelow reports whether a VTIMEZONE is c or below it.
func hasZoneBelow(c *ical.Component) bool {
	if c.Name == ical.CompTimezone {
		return true
	}
	return slices.ContainsFunc(c.Children, hasZoneBelow)
}

// zoneTexts returns the text of each VTIMEZONE in iCalendar data, from
// its BEGIN line to its END line, in order.
func zoneTexts(data []byte) [][]byte {
	var out [][]byte
	start := -1
	for i := 0; i < len(data); {
		end := len(data)
		if nl := bytes.IndexByte(data[i:], '\n'); nl >= 0 {
			end = i + nl + 1
		}
		line := bytes.TrimRight(data[i:end], "\r\n")
		switch {
		case start < 0 && bytes.EqualFold(line, []byte("BEGIN:VTIMEZONE")):
			start = i
		case start >= 0 && bytes.EqualFold(line, []byte("END:VTIMEZONE")):
			out = append(out, data[start:end])
			start = -1
		}
		i = end
	}
	return out
}

// newObject is the object parsed as cal.
func newObject(cal *ical.Calendar) *object {
	return &object{cal: cal, queried: query.NewObject(cal), uid: uidOf(cal)}
}

// uidOf returns the UID of the first component that is not a VTIMEZONE.
func uidOf(cal *ical.Calendar) string {
	for _, c := range cal.Children {
		if c.Name == ical.CompTimezone {
			continue
		}
		if p := c.Props.Get(ical.PropUID); p != nil {
			return p.Value
		}
	}
	return ""
}

package caldav

import (
	"fmt"

	"github.com/gocaldav/gocaldav/dav"
)

// calendarIndex lists one version of a calendar (one tree id): each
// object member with its blob id, property file id and time span. A
// calendar-query on an unchanged calendar then visits only the members
// whose span can match, instead of listing 10,000 members and looking
// up 10,000 spans again; the index of a changed calendar is made anew
// (its members' spans are cached by blob id, so that is lookups, not
// parsing).
type calendarIndex struct {
	members []indexedMember
}

// indexedMember is one object member of an indexed calendar.
type indexedMember struct {
	name, hash, propID string
	// span is nil when the object has none (not iCalendar, or unreadable):
	// such a member is always evaluated the slow way.
	span *span
}

// calendarIndexMembers bounds the members the indexes of all calendars
// hold together (two generations of half of it).
const calendarIndexMembers = 24_000

// calendarIndexOf returns the index of calendar cal as read (its Hash is
// its tree id), making it on first use.
func (h *handler) calendarIndexOf(cal *dav.Node) (*calendarIndex, error) {
	if cal.Hash != "" {
		if idx, ok := h.calIndexes.Get(cal.Hash); ok {
			return idx, nil
		}
	}
	kids, err := cal.Children()
	if err != nil {
		return nil, fmt.Errorf("caldav: listing %s: %w", cal.Href(), err)
	}
	idx := &calendarIndex{members: make([]indexedMember, 0, len(kids))}
	for i, k := range kids {
		if k.Collection {
			continue
		}
		dav.Pace(i)
		m := indexedMember{name: k.Name(), hash: k.Hash, propID: k.PropID()}
		if s, err := h.spanFor(k); err == nil {
			m.span = s
		}
		idx.members = append(idx.members, m)
	}
	if cal.Hash != "" {
		h.calIndexes.Put(cal.Hash, idx)
	}
	return idx, nil
}

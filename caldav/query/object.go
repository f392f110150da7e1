package query

import (
	"sync"
	"time"

	"github.com/emersion/go-ical"

	"github.com/gocaldav/gocaldav/caldav/recur"
)

// Object is a parsed calendar object with what matching and rendering it
// would otherwise work out at every query kept alongside: its recurrence
// groups, their recurrence sets (for the first floating zone asked; sets
// for other zones are made anew each time), and the text an expansion
// writes for each of its components. A server that keeps one Object per
// stored version of an object does that work once, not at every query
// on an unchanged calendar.
//
// An Object is safe for concurrent use. Its calendar must not change,
// and it must always be used with the same Options.Resolver.
type Object struct {
	cal *ical.Calendar

	groupsOnce sync.Once
	groups     []recur.Group

	mu        sync.Mutex
	setsZone  *time.Location // the floating zone of sets
	sets      []groupSet     // per group; nil until first asked
	templates map[*ical.Component]*instanceTemplate
	head      []byte // BEGIN:VCALENDAR and the calendar's properties
}

// groupSet is the recurrence set of one group, once made.
type groupSet struct {
	made bool
	set  *recur.Set
	err  error
}

// NewObject returns the Object of cal.
func NewObject(cal *ical.Calendar) *Object { return &Object{cal: cal} }

// Calendar returns the parsed object.
func (x *Object) Calendar() *ical.Calendar { return x.cal }

// groupList returns the object's recurrence groups (see recur.Groups).
func (x *Object) groupList() []recur.Group {
	x.groupsOnce.Do(func() { x.groups = recur.Groups(x.cal) })
	return x.groups
}

// set returns the recurrence set of group i, read in ctx (whose
// Calendar is the object's).
func (x *Object) set(i int, ctx recur.Context) (*recur.Set, error) {
	groups := x.groupList()
	x.mu.Lock()
	if x.sets == nil {
		x.sets, x.setsZone = make([]groupSet, len(groups)), ctx.Floating
	}
	if ctx.Floating != x.setsZone {
		x.mu.Unlock() // not kept: others need not wait for it
		return recur.New(groups[i].Components, ctx)
	}
	gs := &x.sets[i]
	if !gs.made {
		gs.set, gs.err = recur.New(groups[i].Components, ctx)
		gs.made = true
	}
	set, err := gs.set, gs.err
	x.mu.Unlock()
	return set, err
}

// template returns the text an expansion writes for component c: as an
// instance (see newInstanceTemplate) or, when not instance, as it is with
// its zoned times in UTC. Templates do not depend on the floating zone:
// only values with a TZID are converted.
func (x *Object) template(c *ical.Component, ctx recur.Context, instance bool) (*instanceTemplate, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if t, ok := x.templates[c]; ok {
		return t, nil
	}
	var t *instanceTemplate
	var err error
	if instance {
		t, err = newInstanceTemplate(c, ctx)
	} else {
		t, err = plainTemplate(c, ctx)
	}
	if err != nil {
		return nil, err // invalid data: not kept, it is rare
	}
	if x.templates == nil {
		x.templates = map[*ical.Component]*instanceTemplate{}
	}
	x.templates[c] = t
	return t, nil
}

// headText returns the BEGIN:VCALENDAR line and the calendar's
// properties as written.
func (x *Object) headText() []byte {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.head == nil {
		x.head = calendarHead(x.cal)
	}
	return x.head
}

package query

import (
	"github.com/emersion/go-ical"

	"github.com/gocaldav/gocaldav/caldav/icalobj"
)

// Render returns the calendar data to send for one object: stored
// verbatim when the request needs no transformation (RFC 4791 allows any
// equivalent form, and the bytes keep their ETag meaning), otherwise the
// transformed calendar as iCalendar text. x is the parsed form of stored
// (nil will do when the request needs no transformation); it is not
// modified.
func (cd *CalendarData) Render(stored []byte, x *Object, o Options) ([]byte, error) {
	if cd.Identity() {
		return stored, nil
	}
	if cd.Expand != nil && cd.Comp == nil && cd.LimitFreeBusySet == nil {
		return expandText(x, cd.Expand, o)
	}
	out, err := cd.Apply(x.Calendar(), o)
	if err != nil {
		return nil, err
	}
	return icalobj.EncodeBytes(out), nil
}

// Apply returns a transformed copy of cal: expand or limit-recurrence-set,
// then limit-freebusy-set, then the comp/prop subset. cal is not modified.
func (cd *CalendarData) Apply(cal *ical.Calendar, o Options) (*ical.Calendar, error) {
	var out *ical.Calendar
	var err error
	switch {
	case cd.Expand != nil:
		out, err = expand(cal, cd.Expand, o) // builds its own copy
	case cd.LimitRecurrenceSet != nil:
		out, err = limitRecurrenceSet(&ical.Calendar{Component: cloneComp(cal.Component)}, cd.LimitRecurrenceSet, o)
	default:
		out = &ical.Calendar{Component: cloneComp(cal.Component)}
	}
	if err != nil {
		return nil, err
	}
	if cd.LimitFreeBusySet != nil {
		if err := limitFreeBusy(out, cd.LimitFreeBusySet, o); err != nil {
			return nil, err
		}
	}
	if cd.Comp != nil {
		out.Component = subset(out.Component, cd.Comp)
	}
	return out, nil
}

// subset keeps the properties and subcomponents cs selects.
func subset(c *ical.Component, cs *CompSpec) *ical.Component {
	out := &ical.Component{Name: c.Name, Props: ical.Props{}}
	if cs.AllProps {
		out.Props = c.Props
	} else {
		for _, ps := range cs.Props {
			for _, p := range c.Props[ps.Name] {
				if ps.NoValue {
					p.Value = ""
				}
				out.Props[ps.Name] = append(out.Props[ps.Name], p)
			}
		}
	}
	for _, ch := range c.Children {
		if cs.AllComps {
			out.Children = append(out.Children, ch)
			continue
		}
		for _, sub := range cs.Comps {
			if sub.Name == ch.Name {
				out.Children = append(out.Children, subset(ch, sub))
				break
			}
		}
	}
	return out
}

// cloneComp deep-copies a component tree.
func cloneComp(c *ical.Component) *ical.Component {
	out := &ical.Component{Name: c.Name, Props: make(ical.Props, len(c.Props))}
	for n, ps := range c.Props {
		cp := make([]ical.Prop, len(ps))
		for i, p := range ps {
			cp[i] = ical.Prop{Name: p.Name, Value: p.Value, Params: make(ical.Params, len(p.Params))}
			for k, v := range p.Params {
				cp[i].Params[k] = append([]string(nil), v...)
			}
		}
		out.Props[n] = cp
	}
	for _, ch := range c.Children {
		out.Children = append(out.Children, cloneComp(ch))
	}
	return out
}

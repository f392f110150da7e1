package recur

import "github.com/emersion/go-ical"

// Group is the components of one calendar object that share a component
// type and UID: a master and its overrides.
type Group struct {
	Name       string
	UID        string
	Components []*ical.Component
}

// Groups splits the non-VTIMEZONE children of cal into Groups, in order
// of first appearance.
func Groups(cal *ical.Calendar) []Group {
	var out []Group
	idx := map[[2]string]int{}
	for _, c := range cal.Children {
		if c.Name == ical.CompTimezone {
			continue
		}
		uid := ""
		if p := c.Props.Get(ical.PropUID); p != nil {
			uid = p.Value
		}
		k := [2]string{c.Name, uid}
		i, ok := idx[k]
		if !ok || uid == "" {
			i = len(out)
			idx[k] = i
			out = append(out, Group{Name: c.Name, UID: uid})
		}
		out[i].Components = append(out[i].Components, c)
	}
	return out
}

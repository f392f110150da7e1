package query

import (
	"strings"
	"time"

	"github.com/beevik/etree"
)

// Filter is a parsed CALDAV:filter. Its root comp-filter names VCALENDAR.
type Filter struct {
	Comp *CompFilter
}

// CompFilter is a CALDAV:comp-filter (RFC 4791 §9.7.1).
type CompFilter struct {
	Name         string
	IsNotDefined bool
	TimeRange    *TimeRange
	Props        []*PropFilter
	Comps        []*CompFilter
}

// PropFilter is a CALDAV:prop-filter (§9.7.2). At most one of TimeRange
// and TextMatch is set.
type PropFilter struct {
	Name         string
	IsNotDefined bool
	TimeRange    *TimeRange
	TextMatch    *TextMatch
	Params       []*ParamFilter
}

// ParamFilter is a CALDAV:param-filter (§9.7.3).
type ParamFilter struct {
	Name         string
	IsNotDefined bool
	TextMatch    *TextMatch
}

// TextMatch is a CALDAV:text-match (§9.7.5).
type TextMatch struct {
	Text      string
	Collation string
	Negate    bool
}

// TimeRange is a CALDAV:time-range (§9.9) or the range of expand,
// limit-recurrence-set and limit-freebusy-set. A zero Start or End is open.
type TimeRange struct {
	Start, End time.Time
}

// Collations supported by text-match (RFC 4790 names).
const (
	CollationASCIICasemap   = "i;ascii-casemap"
	CollationOctet          = "i;octet"
	CollationUnicodeCasemap = "i;unicode-casemap"
)

// maxFilterDepth bounds comp-filter nesting (VCALENDAR > VEVENT > VALARM
// needs 3).
const maxFilterDepth = 8

// timeRangeComps are the components RFC 4791 §9.9 defines time-range for.
var timeRangeComps = map[string]bool{"VEVENT": true, "VTODO": true, "VJOURNAL": true, "VFREEBUSY": true, "VALARM": true}

// timeRangeProps are the properties §9.9 defines time-range for.
var timeRangeProps = map[string]bool{
	"COMPLETED": true, "CREATED": true, "DTEND": true, "DTSTAMP": true,
	"DTSTART": true, "DUE": true, "LAST-MODIFIED": true,
}

// isCalDAV reports whether el is the CalDAV element local.
func isCalDAV(el *etree.Element, local string) bool {
	return el != nil && el.Tag == local && el.NamespaceURI() == NS
}

// ParseFilter parses a CALDAV:filter element. Namespaces are matched by
// URI, never by prefix. Any unknown element or malformed value is an
// *Error naming valid-filter (or supported-collation /
// supported-filter).
func ParseFilter(el *etree.Element) (*Filter, error) {
	if !isCalDAV(el, "filter") {
		return nil, precondition(CondValidFilter, "expected CALDAV:filter, got %s", clark(el))
	}
	kids := el.ChildElements()
	if len(kids) != 1 || !isCalDAV(kids[0], "comp-filter") {
		return nil, precondition(CondValidFilter, "CALDAV:filter must hold exactly one comp-filter")
	}
	cf, err := parseCompFilter(kids[0], 1)
	if err != nil {
		return nil, err
	}
	if cf.Name != "VCALENDAR" {
		return nil, precondition(CondValidFilter, "top-level comp-filter must name VCALENDAR, not %q", cf.Name)
	}
	if cf.IsNotDefined {
		return nil, precondition(CondValidFilter, "VCALENDAR cannot be is-not-defined")
	}
	return &Filter{Comp: cf}, nil
}

func clark(el *etree.Element) string {
	if el == nil {
		return "nothing"
	}
	return "{" + el.NamespaceURI() + "}" + el.Tag
}

func nameAttr(el *etree.Element) (string, error) {
	a := el.SelectAttr("name")
	if a == nil || strings.TrimSpace(a.Value) == "" {
		return "", precondition(CondValidFilter, "%s without name attribute", el.Tag)
	}
	return strings.ToUpper(strings.TrimSpace(a.Value)), nil
}

func parseCompFilter(el *etree.Element, depth int) (*CompFilter, error) {
	if depth > maxFilterDepth {
		return nil, precondition(CondValidFilter, "comp-filter nested too deeply")
	}
	name, err := nameAttr(el)
	if err != nil {
		return nil, err
	}
	cf := &CompFilter{Name: name}
	kids := el.ChildElements()
	for i, k := range kids {
		switch {
		case isCalDAV(k, "is-not-defined"):
			if len(kids) != 1 {
				return nil, precondition(CondValidFilter, "is-not-defined must be alone in comp-filter %s", name)
			}
			cf.IsNotDefined = true
		case isCalDAV(k, "time-range"):
			if i != 0 {
				return nil, precondition(CondValidFilter, "time-range must come first in comp-filter %s", name)
			}
			if !timeRangeComps[name] {
				return nil, precondition(CondSupportedFilter, "time-range is not defined for %s", name)
			}
			if cf.TimeRange, err = ParseTimeRange(k, false); err != nil {
				return nil, err
			}
		case isCalDAV(k, "prop-filter"):
			if len(cf.Comps) > 0 {
				return nil, precondition(CondValidFilter, "prop-filter after comp-filter in %s", name)
			}
			pf, err := parsePropFilter(k, name)
			if err != nil {
				return nil, err
			}
			cf.Props = append(cf.Props, pf)
		case isCalDAV(k, "comp-filter"):
			sub, err := parseCompFilter(k, depth+1)
			if err != nil {
				return nil, err
			}
			cf.Comps = append(cf.Comps, sub)
		default:
			return nil, precondition(CondValidFilter, "unexpected %s in comp-filter %s", clark(k), name)
		}
	}
	return cf, nil
}

func parsePropFilter(el *etree.Element, comp string) (*PropFilter, error) {
	name, err := nameAttr(el)
	if err != nil {
		return nil, err
	}
	pf := &PropFilter{Name: name}
	kids := el.ChildElements()
	for i, k := range kids {
		switch {
		case isCalDAV(k, "is-not-defined"):
			if len(kids) != 1 {
				return nil, precondition(CondValidFilter, "is-not-defined must be alone in prop-filter %s", name)
			}
			pf.IsNotDefined = true
		case isCalDAV(k, "time-range"), isCalDAV(k, "text-match"):
			if i != 0 {
				return nil, precondition(CondValidFilter, "%s must come first in prop-filter %s", k.Tag, name)
			}
			if k.Tag == "text-match" {
				if pf.TextMatch, err = parseTextMatch(k); err != nil {
					return nil, err
				}
				continue
			}
			if !timeRangeProps[name] {
				return nil, precondition(CondSupportedFilter, "time-range is not defined for property %s", name)
			}
			if pf.TimeRange, err = ParseTimeRange(k, false); err != nil {
				return nil, err
			}
		case isCalDAV(k, "param-filter"):
			prm, err := parseParamFilter(k)
			if err != nil {
				return nil, err
			}
			pf.Params = append(pf.Params, prm)
		default:
			return nil, precondition(CondValidFilter, "unexpected %s in prop-filter %s", clark(k), name)
		}
	}
	return pf, nil
}

func parseParamFilter(el *etree.Element) (*ParamFilter, error) {
	name, err := nameAttr(el)
	if err != nil {
		return nil, err
	}
	pf := &ParamFilter{Name: name}
	kids := el.ChildElements()
	if len(kids) > 1 {
		return nil, precondition(CondValidFilter, "param-filter %s holds more than one element", name)
	}
	for _, k := range kids {
		switch {
		case isCalDAV(k, "is-not-defined"):
			pf.IsNotDefined = true
		case isCalDAV(k, "text-match"):
			if pf.TextMatch, err = parseTextMatch(k); err != nil {
				return nil, err
			}
		default:
			return nil, precondition(CondValidFilter, "unexpected %s in param-filter %s", clark(k), name)
		}
	}
	return pf, nil
}

func parseTextMatch(el *etree.Element) (*TextMatch, error) {
	if len(el.ChildElements()) > 0 {
		return nil, precondition(CondValidFilter, "text-match has child elements")
	}
	tm := &TextMatch{Text: el.Text(), Collation: CollationASCIICasemap}
	if a := el.SelectAttr("collation"); a != nil {
		switch a.Value {
		case CollationASCIICasemap, CollationOctet, CollationUnicodeCasemap:
			tm.Collation = a.Value
		default:
			return nil, precondition(CondSupportedCollation, "collation %q is not supported", a.Value)
		}
	}
	if a := el.SelectAttr("negate-condition"); a != nil {
		switch a.Value {
		case "yes":
			tm.Negate = true
		case "no":
		default:
			return nil, precondition(CondValidFilter, "negate-condition=%q", a.Value)
		}
	}
	return tm, nil
}

// ParseTimeRange parses the start and end attributes of a time-range,
// expand, limit-recurrence-set or limit-freebusy-set element. Values must
// be UTC date-times ("20060104T000000Z"). With both false at least one is
// needed and a missing one is open; with both true both are required.
// end must be after start. Errors name valid-filter.
func ParseTimeRange(el *etree.Element, both bool) (*TimeRange, error) {
	if len(el.ChildElements()) > 0 {
		return nil, precondition(CondValidFilter, "%s has child elements", el.Tag)
	}
	var tr TimeRange
	have := 0
	for _, f := range []struct {
		attr string
		dst  *time.Time
	}{{"start", &tr.Start}, {"end", &tr.End}} {
		a := el.SelectAttr(f.attr)
		if a == nil {
			if both {
				return nil, precondition(CondValidFilter, "%s without %s", el.Tag, f.attr)
			}
			continue
		}
		t, err := time.Parse("20060102T150405Z", strings.TrimSpace(a.Value))
		if err != nil {
			return nil, precondition(CondValidFilter, "%s %s=%q is not a UTC date-time", el.Tag, f.attr, a.Value)
		}
		*f.dst = t
		have++
	}
	if have == 0 {
		return nil, precondition(CondValidFilter, "%s without start or end", el.Tag)
	}
	if !tr.Start.IsZero() && !tr.End.IsZero() && !tr.End.After(tr.Start) {
		return nil, precondition(CondValidFilter, "%s end is not after start", el.Tag)
	}
	return &tr, nil
}

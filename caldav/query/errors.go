// Package query implements the iCalendar side of CalDAV REPORTs (RFC 4791):
// parsing a CALDAV:filter into a typed Filter and matching it against a
// parsed calendar object (comp-filter, prop-filter, param-filter,
// text-match with collations, is-not-defined and time-range, evaluated per
// recurrence instance), and parsing and applying CALDAV:calendar-data
// requests (partial retrieval, expand, limit-recurrence-set,
// limit-freebusy-set).
//
// Nothing here does HTTP or storage; the REPORT handler maps *Error to a
// status and a DAV:error precondition element.
package query

import (
	"errors"
	"fmt"
)

// NS is the CalDAV XML namespace.
const NS = "urn:ietf:params:xml:ns:caldav"

// Preconditions (RFC 4791 §7.7 and §7.8) named by *Error.Condition: the
// local name of the CALDAV:<condition/> element of a 403 DAV:error body.
const (
	CondValidFilter           = "valid-filter"
	CondSupportedFilter       = "supported-filter"
	CondSupportedCollation    = "supported-collation"
	CondSupportedCalendarData = "supported-calendar-data"
	CondValidCalendarData     = "valid-calendar-data"
)

// Error is a request error: Status is the HTTP status the REPORT should
// answer (403 with Condition as the CALDAV precondition, or 400 for a
// malformed request that names no precondition).
type Error struct {
	Status    int
	Condition string
	Err       error
}

// Error implements error.
func (e *Error) Error() string {
	if e.Condition == "" {
		return fmt.Sprintf("caldav query: %v", e.Err)
	}
	return fmt.Sprintf("caldav query: %s: %v", e.Condition, e.Err)
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

func precondition(cond, format string, args ...any) error {
	return &Error{Status: 403, Condition: cond, Err: fmt.Errorf(format, args...)}
}

func badRequest(format string, args ...any) error {
	return &Error{Status: 400, Err: fmt.Errorf(format, args...)}
}

// ErrInvalidData wraps errors caused by stored calendar data that cannot be
// interpreted (an unknown TZID, a malformed date). A REPORT handler may
// skip such an object and log it.
var ErrInvalidData = errors.New("calendar data cannot be evaluated")

// AsError returns the *Error in err's chain, if any.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

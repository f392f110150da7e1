// Package icalobj parses, writes and validates calendar object resources:
// the iCalendar bodies PUT into a CalDAV calendar collection (RFC 4791 §4.1
// and the preconditions of §5.3.2).
package icalobj

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/emersion/go-ical"
)

// ErrSyntax is wrapped by Parse errors.
var ErrSyntax = errors.New("iCalendar syntax error")

// Parse decodes one VCALENDAR with go-ical's lenient decoder. It turns the
// decoder's panics on some malformed lines into errors and rejects data
// after the first VCALENDAR.
func Parse(data []byte) (cal *ical.Calendar, err error) {
	defer func() {
		if r := recover(); r != nil {
			cal, err = nil, fmt.Errorf("icalobj: %w: decoder panic: %v", ErrSyntax, r)
		}
	}()
	dec := ical.NewDecoder(bytes.NewReader(data))
	cal, err = dec.Decode()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("icalobj: %w: unexpected end of data", ErrSyntax)
		}
		return nil, fmt.Errorf("icalobj: %w: %v", ErrSyntax, err)
	}
	if _, err := dec.Decode(); err == nil {
		return nil, fmt.Errorf("icalobj: %w: more than one VCALENDAR", ErrSyntax)
	} else if !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("icalobj: %w: data after END:VCALENDAR: %v", ErrSyntax, err)
	}
	return cal, nil
}

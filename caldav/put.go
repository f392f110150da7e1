package caldav

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/beevik/etree"

	"github.com/gocaldav/gocaldav/caldav/icalobj"
	"github.com/gocaldav/gocaldav/dav"
)

// checkPut validates the body of a PUT into a calendar collection (RFC 4791
// §4.1, §5.3.2.1) before anything is stored: an iCalendar object with one
// UID and component type the calendar supports, within its limits, with a
// UID no other member uses. PUTs anywhere else are plain WebDAV. The
// client's bytes are stored as sent.
func (h *handler) checkPut(ctx context.Context, _ *dav.Call, parent, _ *dav.Node, name string, body []byte, contentType string) (string, error) {
	if !isCalendar(parent) {
		return "", nil
	}
	if mt, _, err := mime.ParseMediaType(contentType); err != nil || mt != "text/calendar" {
		return "", &dav.Error{Status: http.StatusUnsupportedMediaType, Cond: nameSupportedData,
			Msg: fmt.Sprintf("a calendar collection holds text/calendar objects, not %q", contentType)}
	}
	id := blobID(body)
	sum, err := h.validate(id, body, icalobj.Rules{
		MaxSize:      max(h.o.MaxResourceSize, 0),
		Components:   componentsOf(parent),
		MinDateTime:  h.o.MinDateTime,
		MaxDateTime:  h.o.MaxDateTime,
		MaxInstances: h.o.MaxInstances,
		HorizonYears: h.o.HorizonYears,
		Floating:     h.floatingZone(parent),
		Resolver:     h.o.Resolver,
	})
	if err != nil {
		return "", putError(err)
	}
	if err := h.checkUID(ctx, parent, name, sum.UID); err != nil {
		return "", err
	}
	h.remember(id, sum.Calendar)
	return "", nil
}

// validation is the outcome of validating one body under one set of rules.
type validation struct {
	sum *icalobj.Summary
	err error
}

// validate runs icalobj.Validate on body (whose blob id is id),
// remembering recent outcomes: dav calls
// CheckPut once outside the store's write lock and again inside the
// batch, so a costly object (recurrence checks can take a second) is
// validated while other writers proceed, and the second call is a lookup.
// The handler's fixed rules (sizes, dates, resolver) are not in the key.
func (h *handler) validate(id blobKey, body []byte, r icalobj.Rules) (*icalobj.Summary, error) {
	zone := ""
	if r.Floating != nil {
		zone = r.Floating.String()
	}
	key := string(id[:]) + "\x00" + strings.Join(r.Components, ",") + "\x00" + zone
	if v, ok := h.validated.Get(key); ok {
		return v.sum, v.err
	}
	sum, err := icalobj.Validate(body, r)
	h.validated.Put(key, &validation{sum, err})
	return sum, err
}

// putError maps an icalobj precondition failure to its status and
// CALDAV condition element: 415 for data of a kind the server does not
// store, 403 for the rest.
func putError(err error) error {
	var ie *icalobj.Error
	if !errors.As(err, &ie) {
		return fmt.Errorf("caldav: validating PUT: %w", err)
	}
	status := http.StatusForbidden
	if ie.Condition == icalobj.CondSupportedCalendarData {
		status = http.StatusUnsupportedMediaType
	}
	return dav.Precondition(status, nameCalDAV(ie.Condition), ie.Err.Error())
}

// checkUID refuses a UID another member of the calendar already uses
// (CALDAV:no-uid-conflict, with the href of that member). The calendar's
// UID index follows commits incrementally, so the check costs what
// changed since the last one, not the calendar's size.
func (h *handler) checkUID(ctx context.Context, cal *dav.Node, name, uid string) error {
	owner, err := h.uidOwner(ctx, cal, name, uid)
	if err != nil || owner == "" {
		return err
	}
	href := dav.HrefOf(append(append([]string(nil), cal.Segs...), owner), false)
	el := etree.NewElement("D:href")
	el.SetText(href)
	return &dav.Error{Status: http.StatusConflict, Cond: nameNoUIDConflict,
		Msg: fmt.Sprintf("UID %q is already used by %s", uid, href), Extra: []*etree.Element{el}}
}

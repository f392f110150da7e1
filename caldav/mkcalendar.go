package caldav

import (
	"context"
	"fmt"
	"net/http"

	"github.com/gocaldav/gocaldav/dav"
)

// checkCalendarLocation refuses a calendar below a calendar at any depth
// (RFC 4791 §4.2 b, §5.3.1.1 CALDAV:calendar-collection-location-ok).
func (h *handler) checkCalendarLocation(_ context.Context, _ *dav.Call, parent *dav.Node) error {
	for n := parent; n != nil; {
		if isCalendar(n) {
			return dav.Precondition(http.StatusForbidden, nameLocationOK,
				fmt.Sprintf("%s is a calendar; calendars cannot be nested", n.Href()))
		}
		var err error
		if n, err = n.Parent(); err != nil {
			return fmt.Errorf("caldav: checking calendar location: %w", err)
		}
	}
	return nil
}

// checkMkcol applies the calendar location rule to extended MKCOL
// (RFC 5689) when the new collection's resourcetype holds C:calendar.
func (h *handler) checkMkcol(ctx context.Context, c *dav.Call, parent *dav.Node, types []dav.Name) error {
	for _, t := range types {
		if t == nameCalendar {
			return h.checkCalendarLocation(ctx, c, parent)
		}
	}
	return nil
}

package caldav

import (
	"context"

	"github.com/gocaldav/gocaldav/dav"
	"github.com/gocaldav/gocaldav/dav/propfile"
)

// nameUserAddressSet is CALDAV:calendar-user-address-set (RFC 6638
// §2.4.1).
var nameUserAddressSet = nameCalDAV("calendar-user-address-set")

// registerPrincipalProperties adds CALDAV:calendar-user-address-set on
// principals, read-only, and makes it searchable by
// DAV:principal-property-search.
func registerPrincipalProperties(reg *dav.Registry) {
	reg.AddProperty(dav.Property{Name: nameUserAddressSet, Protected: true, Hidden: true, Get: getUserAddressSet})
	reg.AddSearchableProperty(dav.SearchableProperty{Name: nameUserAddressSet, Description: "Calendar user addresses"})
}

// getUserAddressSet is the principal's URL and, when the principal has
// set an e-mail address (dav.PropEmail), its mailto: URI.
func getUserAddressSet(_ context.Context, _ *dav.Call, n *dav.Node) (propfile.Property, error) {
	if !n.Collection || !n.HasType(dav.DAVName("principal")) {
		return propfile.Property{}, dav.ErrPropNotFound
	}
	hrefs := []string{n.Href()}
	if p, ok := n.Props().Get(dav.PropEmail); ok {
		if addr, ok := dav.EmailAddress(p); ok {
			hrefs = append(hrefs, "mailto:"+addr)
		}
	}
	return value(nameUserAddressSet, propfile.HrefNodes(hrefs...)...), nil
}

package dav

import (
	"context"
	"net/http"
	"net/mail"
	"strings"

	"github.com/gocaldav/gocaldav/dav/propfile"
)

// PropEmail is the e-mail address of a user, a dead property in robur's
// namespace set with PROPPATCH on /principals/NAME/ by that user or root.
// CalDAV serves it as a mailto: URI in CALDAV:calendar-user-address-set.
var PropEmail = RoburName("email")

// registerEmail adds PropEmail: hidden from allprop (it is personal),
// checked on every set.
func registerEmail(r *Registry) {
	r.AddProperty(Property{Name: PropEmail, Hidden: true, Check: checkEmail, Normalize: normalizeEmail})
}

// checkEmail allows setting PropEmail only on a principal, only by the
// principal itself or root (403), and only to one bare e-mail address
// (409: a value not appropriate for the property, RFC 4918 §9.2).
func checkEmail(_ context.Context, c *Call, n *Node, p propfile.Property) error {
	if !isPrincipal(n) || len(n.Segs) != 2 || n.Segs[0] != PrincipalsDir {
		return Errorf(http.StatusForbidden, "an e-mail address can only be set on a principal")
	}
	if c.User == nil || (!c.User.Root && normalPrincipalHref(c.User.Href) != normalPrincipalHref(n.Href())) {
		return Errorf(http.StatusForbidden, "only the principal itself or root may set its e-mail address")
	}
	if _, ok := EmailAddress(p); !ok {
		return Errorf(http.StatusConflict, "not an e-mail address")
	}
	return nil
}

// normalizeEmail stores the address trimmed.
func normalizeEmail(p propfile.Property) propfile.Property {
	addr, _ := EmailAddress(p)
	return propfile.TextProperty(PropEmail, addr)
}

// EmailAddress returns the address a PropEmail value holds: one bare
// address (user@domain), without a display name or angle brackets.
func EmailAddress(p propfile.Property) (string, bool) {
	var b strings.Builder
	for _, v := range p.Value {
		if !v.IsText {
			return "", false
		}
		b.WriteString(v.Text)
	}
	s := strings.TrimSpace(b.String())
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s || !strings.Contains(s, "@") {
		return "", false
	}
	return s, true
}

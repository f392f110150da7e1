// Package account keeps users and groups as robur does: principals in
// /principals/NAME/ with their password hash and group memberships, a
// calendar /calendars/NAME/ for each, and group membership on both sides.
// It authenticates requests (HTTP Basic, argon2id, robur hashes upgraded
// at login, trust on first use) and serves robur's administration API.
package account

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"time"

	"github.com/gocaldav/gocaldav/dav"
	"github.com/gocaldav/gocaldav/dav/password"
	"github.com/gocaldav/gocaldav/dav/propfile"
	"github.com/gocaldav/gocaldav/gitstore"
)

// Properties robur stores on principals.
var (
	propPassword      = dav.PropPassword
	propSalt          = dav.PropSalt
	propDefaultGroups = dav.RoburName("default_groups")
	propHomeSet       = dav.CalDAVName("calendar-home-set")
)

// validName is robur's rule for user and group names ("sane").
var validName = regexp.MustCompile(`^[A-Za-z0-9]+$`)

// ValidName reports whether s may name a user or group.
func ValidName(s string) bool { return len(s) <= 64 && validName.MatchString(s) }

// Options configure a Manager.
type Options struct {
	// Admin is the superuser's name; default "root".
	Admin string
	// Hasher computes password hashes; nil means argon2id with
	// password.DefaultParams, two at a time.
	Hasher *password.Hasher
	// Cache remembers verified credentials; nil means five minutes.
	Cache *password.Cache
	// CalendarProps makes the properties of a new user's or group's
	// calendar; nil uses robur's (create_calendar).
	CalendarProps func(now time.Time, name string, acl []propfile.ACE) *propfile.Props
	// Logger receives logins refused and hash upgrades; nil means
	// slog.Default().
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Manager creates, changes and authenticates users and groups.
type Manager struct {
	store    *gitstore.Store
	o        Options
	throttle *throttle
}

// New returns a manager over store.
func New(store *gitstore.Store, o Options) *Manager {
	if o.Admin == "" {
		o.Admin = "root"
	}
	if o.Hasher == nil {
		o.Hasher = password.NewHasher(password.DefaultParams, 2)
	}
	if o.Cache == nil {
		o.Cache = password.NewCache(5*time.Minute, 10_000)
	}
	if o.CalendarProps == nil {
		o.CalendarProps = RoburCalendarProps
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Manager{store: store, o: o, throttle: newThrottle()}
}

// Admin is the superuser's name.
func (m *Manager) Admin() string { return m.o.Admin }

// Kind says what a principal is.
type Kind int

// Principal kinds.
const (
	None  Kind = iota // no principal of that name
	User              // a principal with a password
	Group             // a principal with a member set
	Other             // a principal that is neither (or an unrelated directory)
)

// sharedPrincipal is principal for reading only, as authentication reads
// the user at every request: the properties are parsed once per content
// and shared, so the caller must not modify them.
func sharedPrincipal(rd dav.Reader, name string) (*propfile.Props, error) {
	p, err := dav.SharedProps(rd, dav.PrincipalsDir+"/"+name+"/.prop")
	if err != nil {
		return nil, fmt.Errorf("account: principal %s: %w", name, err)
	}
	return p, nil
}

// principal reads the property file of /principals/NAME/.
func principal(rd dav.Reader, name string) (*propfile.Props, error) {
	data, err := rd.Read(dav.PrincipalsDir + "/" + name + "/.prop")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("account: reading principal %s: %w", name, err)
	}
	p, err := propfile.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("account: principal %s: %w", name, err)
	}
	return p, nil
}

// KindOf says what name is in rd.
func KindOf(rd dav.Reader, name string) (Kind, error) {
	p, err := principal(rd, name)
	if err != nil || p == nil {
		if err == nil {
			if _, serr := rd.Stat(dav.PrincipalsDir + "/" + name); serr == nil {
				return Other, nil
			}
		}
		return None, err
	}
	if _, ok := p.Get(propPassword); ok {
		return User, nil
	}
	if _, ok := p.Get(dav.PropGroupMemberSet); ok {
		return Group, nil
	}
	return Other, nil
}

// RoburCalendarProps are the properties robur gives the calendar of a new
// user or group (webdav_api.ml create_calendar): resource type calendar,
// the calendar-query and calendar-multiget reports, and the components
// VEVENT, VTODO, VTIMEZONE and VFREEBUSY.
func RoburCalendarProps(now time.Time, name string, acl []propfile.ACE) *propfile.Props {
	props := dav.NewCollectionProps(now, name, acl, []propfile.Node{propfile.Element(dav.CalDAVName("calendar"), nil)})
	report := func(local string) propfile.Node {
		return propfile.Element(dav.DAVName("supported-report"), nil,
			propfile.Element(dav.DAVName("report"), nil, propfile.Element(dav.CalDAVName(local), nil)))
	}
	props.Set(propfile.Property{Name: dav.PropSupportedReportSet, Value: []propfile.Node{report("calendar-query"), report("calendar-multiget")}})
	var comps []propfile.Node
	for _, c := range []string{"VEVENT", "VTODO", "VTIMEZONE", "VFREEBUSY"} {
		comps = append(comps, propfile.Element(dav.CalDAVName("comp"), []propfile.Attr{{Name: dav.Name{Local: "name"}, Value: c}}))
	}
	props.Set(propfile.Property{Name: dav.CalDAVName("supported-calendar-component-set"), Value: comps})
	return props
}

// conflict is the error for a name already taken or of the wrong kind.
func conflict(format string, args ...any) error {
	return dav.Errorf(http.StatusConflict, format, args...)
}

// createPrincipalWithCalendar writes /principals/NAME/ with extra
// properties and /calendars/NAME/ (robur's make_principal). A taken name
// is a conflict.
func (m *Manager) createPrincipalWithCalendar(tx *gitstore.Txn, name string, now time.Time, extra ...propfile.Property) error {
	if tx.Exists(dav.PrincipalsDir+"/"+name) || tx.Exists(dav.CalendarsDir+"/"+name) {
		return conflict("a principal or calendar named %s exists", name)
	}
	if err := dav.CreatePrincipal(tx, name, now, extra...); err != nil {
		return err
	}
	cal := m.o.CalendarProps(now, name, []dav.ACE{dav.OwnerACE(name)})
	return dav.WriteCollection(tx, []string{dav.CalendarsDir, name}, cal)
}

// createUser writes a new user with an already computed hash, with its
// calendar, joined to /principals/'s default_groups.
func (m *Manager) createUser(tx *gitstore.Txn, name, hash string, now time.Time) error {
	var groups []string
	if root, err := principalsRoot(tx); err == nil && root != nil {
		if v, ok := root.Get(propDefaultGroups); ok {
			for _, h := range propfile.Hrefs(v.Value) {
				if g := nameOfHref(h); g != "" {
					if k, _ := KindOf(tx, g); k == Group {
						groups = append(groups, g)
					}
				}
			}
		}
	}
	var memberships []propfile.Node
	for _, g := range groups {
		memberships = append(memberships, propfile.HrefNodes(dav.PrincipalHref(g))...)
	}
	err := m.createPrincipalWithCalendar(tx, name, now,
		propfile.Property{Name: propHomeSet, Value: propfile.HrefNodes("/" + dav.CalendarsDir + "/")},
		propfile.TextProperty(propPassword, hash),
		propfile.Property{Name: dav.PropGroupMembership, Value: memberships},
	)
	if err != nil {
		return err
	}
	for _, g := range groups {
		if err := editMembers(tx, g, func(members []string) []string { return appendUnique(members, name) }); err != nil {
			return err
		}
	}
	return nil
}

// principalsRoot reads /principals/.prop.
func principalsRoot(rd dav.Reader) (*propfile.Props, error) {
	data, err := rd.Read(dav.PrincipalsDir + "/.prop")
	if err != nil {
		return nil, err
	}
	return propfile.Parse(data)
}

// nameOfHref returns NAME of "/principals/NAME/" (absolute URLs too), or "".
func nameOfHref(href string) string {
	segs, err := dav.HrefSegments(href)
	if err != nil || len(segs) != 2 || segs[0] != dav.PrincipalsDir {
		return ""
	}
	return segs[1]
}

// writePrincipal stores a principal's properties.
func writePrincipal(tx *gitstore.Txn, name string, p *propfile.Props) error {
	return dav.WriteCollection(tx, []string{dav.PrincipalsDir, name}, p)
}

// hrefNames reads the principal names of an href-list property.
func hrefNames(p *propfile.Props, name dav.Name) []string {
	v, ok := p.Get(name)
	if !ok {
		return nil
	}
	var out []string
	for _, h := range propfile.Hrefs(v.Value) {
		if n := nameOfHref(h); n != "" {
			out = append(out, n)
		}
	}
	return out
}

// setHrefNames stores names as an href-list property.
func setHrefNames(p *propfile.Props, name dav.Name, names []string) {
	var nodes []propfile.Node
	for _, n := range names {
		nodes = append(nodes, propfile.HrefNodes(dav.PrincipalHref(n))...)
	}
	p.Set(propfile.Property{Name: name, Value: nodes})
}

// editMembers changes a group's member set with edit and keeps every
// affected user's group-membership in step.
func editMembers(tx *gitstore.Txn, group string, edit func([]string) []string) error {
	gp, err := principal(tx, group)
	if err != nil {
		return err
	}
	if gp == nil {
		return conflict("no group %s", group)
	}
	before := hrefNames(gp, dav.PropGroupMemberSet)
	after := edit(slices.Clone(before))
	setHrefNames(gp, dav.PropGroupMemberSet, after)
	if err := writePrincipal(tx, group, gp); err != nil {
		return err
	}
	for _, u := range before {
		if !slices.Contains(after, u) {
			if err := editMembership(tx, u, group, false); err != nil {
				return err
			}
		}
	}
	for _, u := range after {
		if !slices.Contains(before, u) {
			if err := editMembership(tx, u, group, true); err != nil {
				return err
			}
		}
	}
	return nil
}

// editMembership adds group to (or removes it from) a user's
// group-membership.
func editMembership(tx *gitstore.Txn, user, group string, add bool) error {
	up, err := principal(tx, user)
	if err != nil || up == nil {
		return err
	}
	groups := hrefNames(up, dav.PropGroupMembership)
	if add {
		groups = appendUnique(groups, group)
	} else {
		groups = slices.DeleteFunc(groups, func(g string) bool { return g == group })
	}
	setHrefNames(up, dav.PropGroupMembership, groups)
	return writePrincipal(tx, user, up)
}

func appendUnique(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// removePrincipal deletes /principals/NAME/ and /calendars/NAME/, and
// every ACE naming the principal in the ACLs of the top-level
// collections, calendars and principals (robur leaves them, TODO in its
// delete_user).
func removePrincipal(tx *gitstore.Txn, name string) error {
	for _, p := range []string{dav.PrincipalsDir + "/" + name, dav.CalendarsDir + "/" + name} {
		if tx.Exists(p) {
			if err := tx.Remove(p); err != nil {
				return fmt.Errorf("account: removing %s: %w", p, err)
			}
		}
	}
	href := dav.PrincipalHref(name)
	for _, top := range []string{dav.PrincipalsDir, dav.CalendarsDir} {
		dirs := []string{top}
		entries, err := tx.List(top)
		if err != nil {
			return fmt.Errorf("account: listing %s: %w", top, err)
		}
		for _, e := range entries {
			if e.Dir {
				dirs = append(dirs, top+"/"+e.Name)
			}
		}
		for _, d := range dirs {
			if err := dropACEs(tx, d+"/.prop", href); err != nil {
				return err
			}
		}
	}
	return nil
}

// dropACEs removes the ACEs granting or denying href from one .prop file.
func dropACEs(tx *gitstore.Txn, propPath, href string) error {
	data, err := tx.Read(propPath)
	if err != nil {
		return nil // no property file
	}
	p, err := propfile.Parse(data)
	if err != nil {
		return nil
	}
	v, ok := p.Get(dav.PropACL)
	if !ok {
		return nil
	}
	aces, _ := propfile.DecodeACL(v.Value)
	kept := slices.DeleteFunc(slices.Clone(aces), func(a propfile.ACE) bool {
		return a.Principal.Kind == propfile.PrincipalHref && nameOfHref(a.Principal.Href) == nameOfHref(href)
	})
	if len(kept) == len(aces) {
		return nil
	}
	p.Set(propfile.Property{Name: dav.PropACL, Value: propfile.EncodeACL(kept)})
	p.Delete(dav.PropETag)
	if err := tx.Write(propPath, p.Marshal()); err != nil {
		return fmt.Errorf("account: writing %s: %w", propPath, err)
	}
	return nil
}

// batch commits fn as one commit for request r made by user.
func (m *Manager) batch(ctx context.Context, r *http.Request, user string, fn func(tx *gitstore.Txn) error) error {
	_, err := m.store.Batch(ctx, dav.CommitFor(r, user, ""), fn)
	return err
}

package account

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gocaldav/gocaldav/dav"
	"github.com/gocaldav/gocaldav/dav/propfile"
	"github.com/gocaldav/gocaldav/gitstore"
	"github.com/gocaldav/gocaldav/webmachine"
)

// Routes adds robur's administration API (its README's commands) to rt:
//
//	PUT    /users/NAME?password=P         create (201) or change password (200)
//	DELETE /users/NAME                    204
//	PUT    /groups/NAME?members=a,b       create (201) or replace members (200)
//	DELETE /groups/NAME                   204
//	PUT    /groups/NAME/users/USER        add a member (204)
//	DELETE /groups/NAME/users/USER        remove a member (204)
//
// Only root may use it, except that a user may change their own
// password. The password may also come in a form body, which keeps it out
// of proxy logs. Conflicts (a name taken, not a user, not a group) are 409,
// bad names 400, as in robur.
func (m *Manager) Routes(rt *webmachine.Router) { m.RoutesWith(rt, nil) }

// RoutesWith is Routes with the authenticator the server uses for its
// other routes (so a proxy header, failed-login counting and the access
// log apply here too). It must not trust on first use; nil means the
// stored users' HTTP Basic.
func (m *Manager) RoutesWith(rt *webmachine.Router, auth dav.Authenticator) {
	if auth == nil {
		auth = m.Authenticator(false)
	}
	rt.Handle("/users/:name", func(r *http.Request, p map[string]string) webmachine.Resource {
		return &adminResource{m: m, auth: auth, op: opUser, name: p["name"], method: r.Method}
	})
	rt.Handle("/groups/:name/users/:user", func(r *http.Request, p map[string]string) webmachine.Resource {
		return &adminResource{m: m, auth: auth, op: opMember, name: p["name"], member: p["user"], method: r.Method}
	})
	rt.Handle("/groups/:name", func(r *http.Request, p map[string]string) webmachine.Resource {
		return &adminResource{m: m, auth: auth, op: opGroup, name: p["name"], method: r.Method}
	})
}

// adminOp says which administration route a request took.
type adminOp int

const (
	opUser adminOp = iota
	opGroup
	opMember
)

// adminResource serves one administration request.
type adminResource struct {
	webmachine.Base
	m      *Manager
	auth   dav.Authenticator
	op     adminOp
	name   string
	member string
	method string
	actor  *dav.Principal
}

var adminMethods = []string{http.MethodPut, http.MethodDelete, http.MethodOptions}

// KnownMethods: anything else is 501, as in robur.
func (a *adminResource) KnownMethods(context.Context, *webmachine.Request) ([]string, error) {
	return adminMethods, nil
}

// AllowedMethods are PUT, DELETE and OPTIONS.
func (a *adminResource) AllowedMethods(context.Context, *webmachine.Request) ([]string, error) {
	return adminMethods, nil
}

// MalformedRequest refuses names that are not [A-Za-z0-9]+.
func (a *adminResource) MalformedRequest(context.Context, *webmachine.Request) (bool, error) {
	return !ValidName(a.name) || (a.op == opMember && !ValidName(a.member)), nil
}

// IsAuthorized authenticates without trust on first use.
func (a *adminResource) IsAuthorized(ctx context.Context, rq *webmachine.Request) (string, error) {
	who, ch, err := a.auth.Authenticate(ctx, rq.HTTP)
	if err != nil || who == nil {
		return ch, err
	}
	a.actor, rq.Auth = who, who
	return "", nil
}

// Forbidden lets root do everything and a user change their own password.
// Robur lets group members rewrite their group (S5); here only root may.
func (a *adminResource) Forbidden(context.Context, *webmachine.Request) (bool, error) {
	if a.actor.Root || a.method == http.MethodOptions {
		return false, nil
	}
	return !(a.op == opUser && a.method == http.MethodPut && a.actor.Name == a.name), nil
}

// ContentTypesAccepted takes any body: robur's commands send none, a form
// may carry the password.
func (a *adminResource) ContentTypesAccepted(context.Context, *webmachine.Request) ([]webmachine.Acceptor, error) {
	return []webmachine.Acceptor{{MediaType: "*/*", Accept: a.put}}, nil
}

// param reads a parameter from the query string or a form body.
func param(r *http.Request, name string) (string, bool, error) {
	if v, ok := r.URL.Query()[name]; ok {
		return strings.Join(v, ","), true, nil
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/x-www-form-urlencoded" || r.Body == nil {
		return "", false, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		return "", false, dav.Errorf(http.StatusBadRequest, "incomplete request body: %v", err)
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return "", false, dav.Errorf(http.StatusBadRequest, "malformed form body")
	}
	v, ok := form[name]
	return strings.Join(v, ","), ok, nil
}

// put runs the PUT of the route.
func (a *adminResource) put(ctx context.Context, rq *webmachine.Request) error {
	var err error
	switch a.op {
	case opUser:
		err = a.putUser(ctx, rq)
	case opGroup:
		err = a.putGroup(ctx, rq)
	case opMember:
		err = a.m.batch(ctx, rq.HTTP, a.actor.Name, func(tx *gitstore.Txn) error {
			if err := a.checkMember(tx); err != nil {
				return err
			}
			return editMembers(tx, a.name, func(ms []string) []string { return appendUnique(ms, a.member) })
		})
	}
	return a.haltOf(ctx, rq, err)
}

// putUser creates a user or changes their password.
func (a *adminResource) putUser(ctx context.Context, rq *webmachine.Request) error {
	pw, given, err := param(rq.HTTP, "password")
	if err != nil {
		return err
	}
	kind, err := KindOf(a.m.store.Head(), a.name)
	if err != nil {
		return err
	}
	if !given {
		if kind == None {
			return dav.Errorf(http.StatusBadRequest, "a new user needs a password")
		}
		return dav.Errorf(http.StatusConflict, "no password given")
	}
	hash, err := a.m.o.Hasher.Hash(ctx, pw)
	if err != nil {
		return err
	}
	created := false
	err = a.m.batch(ctx, rq.HTTP, a.actor.Name, func(tx *gitstore.Txn) error {
		switch k, err := KindOf(tx, a.name); {
		case err != nil:
			return err
		case k == None:
			if !a.actor.Root {
				return dav.Errorf(http.StatusForbidden, "only %s creates users", a.m.o.Admin)
			}
			created = true
			return a.m.createUser(tx, a.name, hash, a.m.o.Now())
		case k == User:
			p, err := principal(tx, a.name)
			if err != nil {
				return err
			}
			p.Set(propfile.TextProperty(propPassword, hash))
			p.Delete(propSalt)
			return writePrincipal(tx, a.name, p)
		default:
			return conflict("%s is not a user", a.name)
		}
	})
	return a.answer(rq, created, err, "password changed")
}

// putGroup creates a group or replaces its members.
func (a *adminResource) putGroup(ctx context.Context, rq *webmachine.Request) error {
	list, _, err := param(rq.HTTP, "members")
	if err != nil {
		return err
	}
	var members []string
	for _, m := range strings.Split(list, ",") {
		if m = strings.TrimSpace(m); m != "" {
			members = appendUnique(members, m)
		}
	}
	created := false
	err = a.m.batch(ctx, rq.HTTP, a.actor.Name, func(tx *gitstore.Txn) error {
		for _, u := range members {
			if err := requireKind(tx, u, User); err != nil {
				return err
			}
		}
		switch k, err := KindOf(tx, a.name); {
		case err != nil:
			return err
		case k == None:
			created = true
			if err := a.m.createPrincipalWithCalendar(tx, a.name, a.m.o.Now(),
				propfile.Property{Name: dav.PropGroupMemberSet}); err != nil {
				return err
			}
		case k != Group:
			return conflict("%s is not a group", a.name)
		}
		return editMembers(tx, a.name, func([]string) []string { return members })
	})
	return a.answer(rq, created, err, "members replaced")
}

// answer finishes a PUT: 201 with the principal's Location when it
// created one, else 200 with a short message.
func (a *adminResource) answer(rq *webmachine.Request, created bool, err error, changed string) error {
	if err != nil {
		return err
	}
	if created {
		rq.Header.Set("Location", dav.PrincipalHref(a.name))
		return nil
	}
	rq.SetBody([]byte(changed + "\n"))
	rq.Header.Set("Content-Type", "text/plain; charset=utf-8")
	return nil
}

// checkMember requires the route's group and user to exist as such.
func (a *adminResource) checkMember(tx *gitstore.Txn) error {
	if err := requireKind(tx, a.name, Group); err != nil {
		return err
	}
	if err := requireKind(tx, a.member, User); err != nil {
		return err
	}
	return nil
}

// DeleteResource removes a user, a group or a membership.
func (a *adminResource) DeleteResource(ctx context.Context, rq *webmachine.Request) (bool, error) {
	err := a.m.batch(ctx, rq.HTTP, a.actor.Name, func(tx *gitstore.Txn) error {
		switch a.op {
		case opMember:
			if err := a.checkMember(tx); err != nil {
				return err
			}
			return editMembers(tx, a.name, func(ms []string) []string {
				return slices.DeleteFunc(ms, func(m string) bool { return m == a.member })
			})
		case opUser:
			if err := requireKind(tx, a.name, User); err != nil {
				return err
			}
			if a.name == a.m.o.Admin {
				return conflict("%s cannot be deleted", a.name)
			}
			p, err := principal(tx, a.name)
			if err != nil {
				return err
			}
			for _, g := range hrefNames(p, dav.PropGroupMembership) {
				if err := editMembers(tx, g, func(ms []string) []string {
					return slices.DeleteFunc(ms, func(m string) bool { return m == a.name })
				}); err != nil {
					return err
				}
			}
		default:
			if err := requireKind(tx, a.name, Group); err != nil {
				return err
			}
			if err := editMembers(tx, a.name, func([]string) []string { return nil }); err != nil {
				return err
			}
		}
		return removePrincipal(tx, a.name)
	})
	if err != nil {
		return false, a.haltOf(ctx, rq, err)
	}
	return true, nil
}

// requireKind is a conflict unless name is a principal of kind want.
func requireKind(tx *gitstore.Txn, name string, want Kind) error {
	k, err := KindOf(tx, name)
	if err != nil {
		return err
	}
	if k != want {
		what := "user"
		if want == Group {
			what = "group"
		}
		return conflict("%s is not a %s", name, what)
	}
	return nil
}

// haltOf answers a dav.Error with its status, and a write the store
// could not make durable as dav.StorageError says (507 or 503), logging
// its cause.
func (a *adminResource) haltOf(ctx context.Context, rq *webmachine.Request, err error) error {
	if err == nil {
		return nil
	}
	var de *dav.Error
	if !errors.As(err, &de) {
		if de = dav.StorageError(err); de != nil {
			a.m.o.Logger.ErrorContext(ctx, "account: storage failure", "method", rq.HTTP.Method, "path", rq.HTTP.URL.Path,
				"status", de.Status, "err", err)
		}
	}
	if de != nil {
		return webmachine.HaltWith(de.Status, "text/plain; charset=utf-8", []byte(de.Msg+"\n"))
	}
	return err
}

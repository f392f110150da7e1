package account

import (
	"context"
	"fmt"
	"net"
	"net/http"

	"github.com/gocaldav/gocaldav/dav"
	"github.com/gocaldav/gocaldav/dav/propfile"
	"github.com/gocaldav/gocaldav/gitstore"
)

// authenticator implements dav.Authenticator over the stored principals.
type authenticator struct {
	m    *Manager
	tofu bool
}

// Authenticator returns the HTTP Basic authenticator of the stored users.
// With tofu, an unknown user with a valid name is created at first login
// with the password presented (robur's --tofu); the administration API
// never uses it.
func (m *Manager) Authenticator(tofu bool) dav.Authenticator { return authenticator{m: m, tofu: tofu} }

// challenge is the WWW-Authenticate of every 401.
func challenge() string { return `Basic realm="` + dav.Realm + `"` }

// Authenticate checks Basic credentials. The user name ends at the first
// colon, so passwords may contain colons (robur cannot log such users in).
func (a authenticator) Authenticate(ctx context.Context, r *http.Request) (*dav.Principal, string, error) {
	user, pass, ok := r.BasicAuth()
	if !ok || !ValidName(user) {
		return nil, challenge(), nil
	}
	m := a.m
	addr := clientAddr(r)
	userKey, addrKey := "user:"+user, "addr:"+addr
	if err := m.throttle.waitLogin(ctx, user, addr); err != nil {
		return nil, "", err
	}
	props, err := sharedPrincipal(m.store.Head(), user)
	if err != nil {
		return nil, "", err
	}
	if props == nil {
		if !a.tofu {
			m.o.Logger.InfoContext(ctx, "login refused: unknown user", "user", user, "remote", clientAddr(r))
			m.throttle.failed(addrKey)
			return nil, challenge(), nil
		}
		return a.trustOnFirstUse(ctx, r, user, pass)
	}
	stored, _ := textOf(props, propPassword)
	if stored == "" {
		return nil, challenge(), nil // a group, or a principal without a password
	}
	if !m.o.Cache.Valid(user, pass, stored) {
		salt, _ := textOf(props, propSalt)
		ok, upgrade, err := m.o.Hasher.Verify(ctx, stored, salt, pass)
		if err != nil {
			return nil, "", fmt.Errorf("account: verifying %s: %w", user, err)
		}
		if !ok {
			m.o.Logger.InfoContext(ctx, "login refused: wrong password", "user", user, "remote", clientAddr(r))
			m.throttle.failed(userKey, addrKey)
			return nil, challenge(), nil
		}
		if upgrade {
			if err := m.upgrade(ctx, user, pass, stored); err != nil {
				return nil, "", err
			}
		} else {
			m.o.Cache.Add(user, pass, stored)
		}
	}
	m.throttle.loggedIn(user, addr)
	return m.principalOf(user, props), "", nil
}

// ThrottledLogins is the number of login attempts made to wait because
// of earlier failures (for the user or from the address).
func (m *Manager) ThrottledLogins() uint64 { return m.throttle.delayed.Load() }

// clientAddr is the request's remote IP address (without the port).
func clientAddr(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// principalOf builds the access-control identity of a user.
func (m *Manager) principalOf(user string, props *propfile.Props) *dav.Principal {
	p := &dav.Principal{Name: user, Href: dav.PrincipalHref(user), Root: user == m.o.Admin}
	for _, g := range hrefNames(props, dav.PropGroupMembership) {
		p.Groups = append(p.Groups, dav.PrincipalHref(g))
	}
	return p
}

// textOf reads a text property.
func textOf(p *propfile.Props, name dav.Name) (string, bool) {
	v, ok := p.Get(name)
	if !ok {
		return "", false
	}
	return v.Text()
}

// upgrade replaces a robur hash by an argon2id hash, in a commit of its
// own, unless the stored hash changed meanwhile.
func (m *Manager) upgrade(ctx context.Context, user, pass, old string) error {
	hash, err := m.o.Hasher.Hash(ctx, pass)
	if err != nil {
		return err
	}
	commit := gitstore.Commit{AuthorName: user + " (via caldav)", AuthorEmail: "caldav@localhost",
		Message:  "upgrade the password hash of " + user + " to argon2id",
		Trailers: []gitstore.Trailer{{Key: "Remote-User", Value: user}}}
	_, err = m.store.Batch(ctx, commit, func(tx *gitstore.Txn) error {
		p, err := principal(tx, user)
		if err != nil || p == nil {
			return err
		}
		if cur, _ := textOf(p, propPassword); cur != old {
			return nil // changed meanwhile: keep the newer one
		}
		p.Set(propfile.TextProperty(propPassword, hash))
		p.Delete(propSalt)
		return writePrincipal(tx, user, p)
	})
	if err != nil {
		return fmt.Errorf("account: upgrading the hash of %s: %w", user, err)
	}
	m.o.Logger.InfoContext(ctx, "password hash upgraded to argon2id", "user", user)
	m.o.Cache.Add(user, pass, hash)
	return nil
}

// trustOnFirstUse creates user with the password presented.
func (a authenticator) trustOnFirstUse(ctx context.Context, r *http.Request, user, pass string) (*dav.Principal, string, error) {
	m := a.m
	hash, err := m.o.Hasher.Hash(ctx, pass)
	if err != nil {
		return nil, "", err
	}
	err = m.batch(ctx, r, user, func(tx *gitstore.Txn) error {
		if k, err := KindOf(tx, user); err != nil || k != None {
			if err != nil {
				return err
			}
			return conflict("%s was created meanwhile", user)
		}
		return m.createUser(tx, user, hash, m.o.Now())
	})
	if err != nil {
		// Someone else created the name first: authenticate normally.
		m.o.Logger.InfoContext(ctx, "trust on first use did not create the user", "user", user, "err", err)
		return a.authenticateCreated(ctx, r)
	}
	m.o.Logger.InfoContext(ctx, "user created on first use", "user", user)
	m.o.Cache.Add(user, pass, hash)
	props, err := sharedPrincipal(m.store.Head(), user)
	if err != nil || props == nil {
		return nil, "", fmt.Errorf("account: reading the new user %s: %w", user, err)
	}
	return m.principalOf(user, props), "", nil
}

// authenticateCreated retries authentication without creating anyone.
func (a authenticator) authenticateCreated(ctx context.Context, r *http.Request) (*dav.Principal, string, error) {
	return authenticator{m: a.m}.Authenticate(ctx, r)
}

// Principal returns the access-control identity of an existing user, or
// nil: for requests a trusted proxy has authenticated.
func (m *Manager) Principal(user string) (*dav.Principal, error) {
	if !ValidName(user) {
		return nil, nil
	}
	props, err := sharedPrincipal(m.store.Head(), user)
	if err != nil || props == nil {
		return nil, err
	}
	if _, ok := props.Get(propPassword); !ok {
		return nil, nil // a group
	}
	return m.principalOf(user, props), nil
}

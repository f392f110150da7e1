package account

import (
	"context"
	"fmt"

	"github.com/gocaldav/gocaldav/dav"
	"github.com/gocaldav/gocaldav/dav/password"
	"github.com/gocaldav/gocaldav/dav/propfile"
	"github.com/gocaldav/gocaldav/gitstore"
)

// Bootstrap prepares an empty store as robur's initialize_fs and connect
// do: /principals/ and /calendars/ with their ACLs, and the superuser with
// adminPassword and its calendar, in one commit. On a store that has the
// superuser it changes nothing (robur resets root's password at every
// start; here a differing password is only logged) and reports whether
// adminPassword matches the stored one.
func (m *Manager) Bootstrap(ctx context.Context, adminPassword string) (matches bool, err error) {
	snap := m.store.Head()
	if props, err := principal(snap, m.o.Admin); err != nil {
		return false, err
	} else if props != nil {
		if adminPassword == "" {
			return true, nil
		}
		stored, _ := textOf(props, propPassword)
		salt, _ := textOf(props, propSalt)
		ok, _, err := m.o.Hasher.Verify(ctx, stored, salt, adminPassword)
		return ok, err
	}
	if adminPassword == "" {
		return false, fmt.Errorf("account: the store has no user %s: an admin password is needed", m.o.Admin)
	}
	hash, err := m.o.Hasher.Hash(ctx, adminPassword)
	if err != nil {
		return false, err
	}
	_, err = m.store.Batch(ctx, gitstore.Commit{AuthorName: "caldav (initialisation)", AuthorEmail: "caldav@localhost",
		Message: "initialise the repository and create user " + m.o.Admin}, func(tx *gitstore.Txn) error {
		if err := dav.CreateTopLevel(tx, m.o.Admin, m.o.Now()); err != nil {
			return err
		}
		return m.createUser(tx, m.o.Admin, hash, m.o.Now())
	})
	if err != nil {
		return false, fmt.Errorf("account: initialising the store: %w", err)
	}
	return true, nil
}

// SetPassword sets a user's password offline (the passwd command, for a
// lost root password), in one commit.
func (m *Manager) SetPassword(ctx context.Context, user, pw string) error {
	hash, err := m.o.Hasher.Hash(ctx, pw)
	if err != nil {
		return err
	}
	_, err = m.store.Batch(ctx, gitstore.Commit{AuthorName: "caldav passwd", AuthorEmail: "caldav@localhost",
		Message: "set the password of " + user}, func(tx *gitstore.Txn) error {
		p, err := principal(tx, user)
		if err != nil {
			return err
		}
		if p == nil {
			return fmt.Errorf("account: no user %s", user)
		}
		p.Set(propfile.TextProperty(propPassword, hash))
		p.Delete(propSalt)
		return writePrincipal(tx, user, p)
	})
	return err
}

// LegacyUserProps returns the password properties robur writes for pw
// with salt (for tests and migrations).
func LegacyUserProps(pw, salt string) []propfile.Property {
	return []propfile.Property{
		propfile.TextProperty(propPassword, password.LegacyHash(pw, salt)),
		propfile.TextProperty(propSalt, salt),
	}
}

package dav

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/gocaldav/gocaldav/dav/propfile"
	"github.com/gocaldav/gocaldav/gitstore"
	"github.com/gocaldav/gocaldav/webmachine"
)

// Copy answers COPY (RFC 4918 §9.8).
func (r *resource) Copy(ctx context.Context, _ *webmachine.Request, dst webmachine.Destination) (int, error) {
	return r.transfer(ctx, dst, false)
}

// Move answers MOVE (RFC 4918 §9.9).
func (r *resource) Move(ctx context.Context, _ *webmachine.Request, dst webmachine.Destination) (int, error) {
	return r.transfer(ctx, dst, true)
}

// transfer copies or moves the target to dst in one commit: 201 when the
// destination was created, 204 when it replaced one, 412 when it exists
// and Overwrite is F, 409 when its parent is missing.
func (r *resource) transfer(ctx context.Context, dst webmachine.Destination, move bool) (int, error) {
	n, err := r.target()
	if err != nil {
		return 0, err
	}
	depth, err := parseDepth(r.c.HTTP, "infinity")
	if err != nil {
		return 0, halt(err)
	}
	if n.Collection && depth == "1" || move && depth != "infinity" {
		return 0, halt(Errorf(http.StatusBadRequest, "Depth must be infinity (or 0 for COPY of a collection)"))
	}
	dsegs, err := splitHref(dst.Path)
	if err != nil {
		return 0, halt(err)
	}
	// Principals belong to the administration API: a copy would be a
	// second login with the same password and principal-URL, a move
	// would leave the account without its principal. Robur has no COPY
	// or MOVE at all.
	if len(r.segs) > 0 && r.segs[0] == PrincipalsDir {
		return 0, halt(Errorf(http.StatusForbidden, "principals are not copied or moved; use the administration API"))
	}
	if len(dsegs) < 2 || dsegs[0] != CalendarsDir {
		return 0, halt(Errorf(http.StatusForbidden, "the destination is outside /%s/", CalendarsDir))
	}
	if n.Collection && hasPrefix(dsegs, r.segs) {
		return 0, halt(Errorf(http.StatusForbidden, "cannot copy or move a collection into itself"))
	}
	if ok, err := r.s.access().Allowed(ctx, r.c.Snapshot, r.c.User, parentSegs(dsegs), "bind"); err != nil || !ok {
		if err != nil {
			return 0, err
		}
		return 0, halt(needPrivileges(hrefOf(parentSegs(dsegs), true), propfile.PrivBind))
	}
	status := http.StatusCreated
	now := r.s.now()
	err = r.s.update(ctx, r.c, func(tx *gitstore.Txn) error {
		log := r.s.logger()
		src, err := r.current(ctx, tx)
		if err != nil {
			return err
		}
		parent, err := lookup(tx, parentSegs(dsegs), log)
		if err != nil {
			return err
		}
		if parent == nil || !parent.Collection {
			return Errorf(http.StatusConflict, "the destination's parent collection does not exist")
		}
		existing, err := lookup(tx, dsegs, log)
		if err != nil {
			return err
		}
		if existing != nil {
			if !dst.Overwrite {
				return Errorf(http.StatusPreconditionFailed, "the destination exists and Overwrite is F")
			}
			if err := r.checkOverwrite(ctx, tx, existing, move); err != nil {
				return err
			}
			if err := removeNode(tx, existing); err != nil {
				return err
			}
			status = http.StatusNoContent
		}
		// A MOVE within one collection keeps the same content there.
		sameParent := repoPath(parentSegs(dsegs)) == repoPath(parentSegs(r.segs))
		if err := r.checkTransfer(ctx, src, parent, existing, dsegs); err != nil && !(move && sameParent) {
			return err
		}
		rule := transferACL{move: move, creator: r.c.User}
		if err := copyNode(tx, src, dsegs, depth == "infinity", rule); err != nil {
			return err
		}
		if move {
			if err := removeNode(tx, src); err != nil {
				return err
			}
			if err := touchParent(tx, log, r.segs, now); err != nil {
				return err
			}
		}
		return touchParent(tx, log, dsegs, now)
	})
	if err != nil {
		return 0, halt(err)
	}
	return status, nil
}

// checkOverwrite requires the privileges replacing the existing
// destination needs (RFC 3744 Appendix B): for COPY write-content and
// write-properties on it, for MOVE unbind on its parent, and for a
// collection (whose members go) write on it, as its DELETE would.
// Otherwise a user who may only add to a calendar could replace its
// events by COPY or MOVE where a PUT is refused.
func (r *resource) checkOverwrite(ctx context.Context, tx *gitstore.Txn, existing *Node, move bool) error {
	checks := []check{{existing.Segs, propfile.PrivWriteContent}, {existing.Segs, propfile.PrivWriteProperties}}
	if move {
		checks = []check{{parentSegs(existing.Segs), propfile.PrivUnbind}}
	}
	if existing.Collection {
		checks = append(checks, check{existing.Segs, propfile.PrivWrite})
	}
	for _, c := range checks {
		ok, err := r.s.access().Allowed(ctx, tx, r.c.User, c.segs, string(c.priv))
		if err != nil {
			return fmt.Errorf("dav: access check: %w", err)
		}
		if !ok {
			return needPrivileges(hrefOf(c.segs, len(c.segs) < len(existing.Segs) || existing.Collection), c.priv)
		}
	}
	return nil
}

// checkTransfer applies the application's checks (CalDAV: a calendar
// object's validity and UID uniqueness, no calendar inside a calendar) to
// what a COPY or MOVE is about to put at dsegs, as a PUT or MKCOL there
// would.
func (r *resource) checkTransfer(ctx context.Context, src, parent, existing *Node, dsegs []string) error {
	hooks := r.s.Hooks
	if src.Collection {
		if hooks.CheckMkcol == nil {
			return nil
		}
		var types []Name
		if rt, ok := src.Props().Get(PropResourceType); ok {
			for _, v := range rt.Value {
				if !v.IsText {
					types = append(types, v.Name)
				}
			}
		}
		return hooks.CheckMkcol(ctx, r.c, parent, types)
	}
	if hooks.CheckPut == nil {
		return nil
	}
	body, err := src.Content()
	if err != nil {
		return err
	}
	ct, _ := src.Text(PropContentType)
	if existing != nil && existing.Collection {
		existing = nil
	}
	_, err = hooks.CheckPut(ctx, r.c, parent, existing, dsegs[len(dsegs)-1], body, ct)
	return err
}

// hasPrefix reports whether segs lies at or below prefix.
func hasPrefix(segs, prefix []string) bool {
	if len(segs) < len(prefix) {
		return false
	}
	for i := range prefix {
		if segs[i] != prefix[i] {
			return false
		}
	}
	return true
}

// copyNode copies src (an object with its properties, or a collection's
// properties and, with deep, all its members) to dsegs, giving each copy
// the ACL rule decides.
func copyNode(tx *gitstore.Txn, src *Node, dsegs []string, deep bool, rule transferACL) error {
	if !src.Collection {
		if err := copyFile(tx, src.Path(), repoPath(dsegs)); err != nil {
			return err
		}
	}
	// Git keeps no empty directories: a collection needs its .prop, so
	// one is written even when the source had none.
	props := src.Props().Clone()
	rule.apply(props, src, dsegs)
	if err := writeProps(tx, dsegs, src.Collection, props); err != nil {
		return err
	}
	if !src.Collection || !deep {
		return nil
	}
	kids, err := children(tx, src)
	if err != nil {
		return err
	}
	for _, k := range kids {
		if err := copyNode(tx, k, append(append([]string(nil), dsegs...), k.Name()), true, rule); err != nil {
			return err
		}
	}
	return nil
}

// transferACL decides the ACL of each resource a COPY or MOVE writes. A
// COPY creates resources, so each gets the ACL a PUT or MKCOL by the
// requesting user would give it (RFC 3744 §7.4): a collection its
// creator's, an object its new parent's by inheritance. A MOVE keeps the
// ACL (§7.3), except that an entry inherited from the old parent now
// names the new one: otherwise the moved events would follow the ACL of a
// path that no longer exists, or of whatever is created there later.
type transferACL struct {
	move    bool
	creator *Principal
}

// apply rewrites the ACL in props of src, now at dsegs.
func (rule transferACL) apply(props *propfile.Props, src *Node, dsegs []string) {
	newParent := hrefOf(parentSegs(dsegs), true)
	var aces []propfile.ACE
	switch {
	case rule.move:
		v, ok := props.Get(PropACL)
		if !ok {
			return
		}
		var err error
		if aces, err = propfile.DecodeACL(v.Value); err != nil {
			return // unreadable entries grant nothing, wherever they are
		}
		oldParent := parentSegs(src.Segs)
		for i, a := range aces {
			if from, err := hrefSegments(a.InheritedFrom); a.Kind == propfile.Inherited && err == nil && slices.Equal(from, oldParent) {
				aces[i].InheritedFrom = newParent
			}
		}
	case !src.Collection:
		aces = []propfile.ACE{{Principal: propfile.Principal{Kind: propfile.PrincipalAll}, Kind: propfile.Inherited,
			InheritedFrom: newParent}}
	case rule.creator != nil:
		aces = []propfile.ACE{{Principal: propfile.Principal{Kind: propfile.PrincipalHref, Href: rule.creator.Href},
			Kind: propfile.Grant, Privileges: []propfile.Privilege{propfile.PrivAll}}}
	}
	if aces == nil {
		props.Delete(PropACL)
		return
	}
	props.Set(propfile.Property{Name: PropACL, Value: propfile.EncodeACL(aces)})
}

// copyFile copies one repository file.
func copyFile(tx *gitstore.Txn, from, to string) error {
	b, err := tx.Read(from)
	if err != nil {
		return fmt.Errorf("dav: copying %s: %w", from, err)
	}
	if err := tx.Write(to, b); err != nil {
		return fmt.Errorf("dav: copying to %s: %w", to, err)
	}
	return nil
}

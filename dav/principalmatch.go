package dav

import (
	"context"
	"net/http"

	"github.com/beevik/etree"

	"github.com/gocaldav/gocaldav/dav/propfile"
)

// principalMatch answers DAV:principal-match (RFC 3744 §9.3) on a
// collection with Depth 0: the readable members at any depth that match
// the current user. With DAV:self a member matches when it is the user's
// principal or one of the user's groups; with DAV:principal-property it
// matches when that property (DAV:owner, say) holds an href naming the
// user or one of the user's groups. An anonymous user matches nothing.
func principalMatch(ctx context.Context, c *Call, n *Node, root *etree.Element) (int, Body, error) {
	if err := requireDepthZero(c); err != nil {
		return 0, nil, err
	}
	self := child(root, DAVName("self")) != nil
	var prop Name
	if pp := child(root, DAVName("principal-property")); pp != nil {
		kids := pp.ChildElements()
		if len(kids) != 1 {
			return 0, nil, Errorf(http.StatusBadRequest, "DAV:principal-property must name exactly one property")
		}
		prop = nameOf(kids[0])
	}
	if self == (prop.Local != "") {
		return 0, nil, Errorf(http.StatusBadRequest, "DAV:principal-match needs either DAV:self or DAV:principal-property")
	}
	set := newMatchSet(c, root)
	if c.User == nil {
		return http.StatusMultiStatus, set.ms, nil
	}
	reg := c.Server.registry()
	err := walkMembers(ctx, c, n, func(k *Node) (bool, error) {
		if self {
			if isPrincipal(k) && c.User.is(k.Href()) {
				return true, set.add(ctx, k)
			}
			return k.Collection, nil
		}
		v, err := reg.get(ctx, c, k, prop)
		if err != nil {
			if statusOf(err) == http.StatusInternalServerError {
				return false, err
			}
			return true, nil
		}
		for _, h := range propfile.Hrefs(v.Value) {
			if c.User.is(h) {
				return true, set.add(ctx, k)
			}
		}
		return true, nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusMultiStatus, set.ms, nil
}

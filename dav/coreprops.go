package dav

import (
	"context"
	"net/http"
	"strconv"

	"github.com/gocaldav/gocaldav/dav/propfile"
)

// registerCore adds the RFC 4918, RFC 5397 and robur properties with rules.
func registerCore(r *Registry) {
	r.AddProperty(Property{Name: PropETag, Protected: true, Get: getETag})
	r.AddProperty(Property{Name: PropContentLength, Protected: true, Get: getContentLength})
	r.AddProperty(Property{Name: PropLastModified, Protected: true, Get: getLastModified})
	r.AddProperty(Property{Name: PropResourceType, Protected: true, Get: getResourceType})
	r.AddProperty(Property{Name: PropContentType, Get: getContentType})
	r.AddProperty(Property{Name: PropCreationDate, Protected: true})
	r.AddProperty(Property{Name: PropSupportedReportSet, Protected: true, Hidden: true, Get: getSupportedReportSet})
	r.AddProperty(Property{Name: PropCurrentUserPrincipal, Protected: true, Hidden: true, Get: getCurrentUserPrincipal})
	r.AddProperty(Property{Name: PropLockDiscovery, Protected: true})
	r.AddProperty(Property{Name: PropSupportedLock, Protected: true})
	secret := func(context.Context, *Call, *Node) (propfile.Property, error) {
		return propfile.Property{}, ErrPropNotFound
	}
	r.AddProperty(Property{Name: PropPassword, Protected: true, Hidden: true, Get: secret})
	r.AddProperty(Property{Name: PropSalt, Protected: true, Hidden: true, Get: secret})
	r.AddProperty(Property{Name: PropPropVersion, Protected: true, Hidden: true})
	r.AddProperty(Property{Name: DAVName("group"), Protected: true, Hidden: true})
	registerACLProps(r)
	registerSync(r)
	registerPrincipalProps(r)
	registerPrincipalReports(r)
}

// value makes a property with the given children.
func value(name Name, children ...propfile.Node) propfile.Property {
	return propfile.Property{Name: name, Value: children}
}

// textValue makes a property whose value is text.
func textValue(name Name, text string) propfile.Property {
	return value(name, propfile.TextNode(text))
}

// elem makes an element node without attributes.
func elem(name Name, children ...propfile.Node) propfile.Node {
	return propfile.Element(name, nil, children...)
}

// hrefNode makes a DAV:href element.
func hrefNode(href string) propfile.Node { return elem(DAVName("href"), propfile.TextNode(href)) }

func getETag(_ context.Context, _ *Call, n *Node) (propfile.Property, error) {
	return textValue(PropETag, n.ETag()), nil
}

func getContentLength(_ context.Context, _ *Call, n *Node) (propfile.Property, error) {
	if n.Collection {
		if v, ok := n.Props().Get(PropContentLength); ok {
			return v, nil
		}
		return propfile.Property{}, ErrPropNotFound
	}
	size, err := n.ContentLength()
	if err != nil {
		return propfile.Property{}, err
	}
	return textValue(PropContentLength, strconv.FormatInt(size, 10)), nil
}

// getLastModified serves the stored RFC 3339 timestamp in the HTTP date
// format RFC 4918 requires (as robur's transform_lastmodified does),
// falling back to the time of the snapshot.
func getLastModified(_ context.Context, c *Call, n *Node) (propfile.Property, error) {
	t := n.LastModified()
	if t.IsZero() {
		t = c.SnapshotTime
	}
	if t.IsZero() {
		return propfile.Property{}, ErrPropNotFound
	}
	return textValue(PropLastModified, t.UTC().Format(http.TimeFormat)), nil
}

func getResourceType(_ context.Context, _ *Call, n *Node) (propfile.Property, error) {
	if v, ok := n.Props().Get(PropResourceType); ok {
		return v, nil
	}
	if n.Collection {
		return value(PropResourceType, elem(DAVName("collection"))), nil
	}
	return value(PropResourceType), nil
}

func getContentType(_ context.Context, _ *Call, n *Node) (propfile.Property, error) {
	if v, ok := n.Props().Get(PropContentType); ok {
		return v, nil
	}
	if n.Collection {
		return textValue(PropContentType, "text/directory"), nil
	}
	return textValue(PropContentType, "application/octet-stream"), nil
}

func getSupportedReportSet(_ context.Context, c *Call, n *Node) (propfile.Property, error) {
	var reports []propfile.Node
	for _, name := range c.Server.Registry.reportsFor(n) {
		reports = append(reports, elem(DAVName("supported-report"), elem(DAVName("report"), elem(name))))
	}
	return value(PropSupportedReportSet, reports...), nil
}

func getCurrentUserPrincipal(_ context.Context, c *Call, _ *Node) (propfile.Property, error) {
	if c.User == nil {
		return value(PropCurrentUserPrincipal, elem(DAVName("unauthenticated"))), nil
	}
	return value(PropCurrentUserPrincipal, hrefNode(c.User.Href)), nil
}

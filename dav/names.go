package dav

import (
	"encoding/xml"

	"github.com/gocaldav/gocaldav/dav/propfile"
)

// Namespaces used by the WebDAV, CalDAV and robur properties.
const (
	NS         = propfile.NamespaceDAV    // "DAV:"
	NSCalDAV   = propfile.NamespaceCalDAV // "urn:ietf:params:xml:ns:caldav"
	NSRobur    = propfile.NamespaceRobur  // "io:robur:webdav"
	NSCalServe = "http://calendarserver.org/ns/"
	NSApple    = "http://apple.com/ns/ical/"
)

// Name is a property or element name, namespace by URI.
type Name = xml.Name

// DAVName returns {DAV:}local.
func DAVName(local string) Name { return Name{Space: NS, Local: local} }

// CalDAVName returns {urn:ietf:params:xml:ns:caldav}local.
func CalDAVName(local string) Name { return Name{Space: NSCalDAV, Local: local} }

// RoburName returns {io:robur:webdav}local.
func RoburName(local string) Name { return Name{Space: NSRobur, Local: local} }

// Property names the dav package itself handles.
var (
	PropResourceType          = DAVName("resourcetype")
	PropDisplayName           = DAVName("displayname")
	PropCreationDate          = DAVName("creationdate")
	PropLastModified          = DAVName("getlastmodified")
	PropETag                  = DAVName("getetag")
	PropContentType           = DAVName("getcontenttype")
	PropContentLength         = DAVName("getcontentlength")
	PropContentLanguage       = DAVName("getcontentlanguage")
	PropSupportedReportSet    = DAVName("supported-report-set")
	PropACL                   = DAVName("acl")
	PropCurrentUserPrincipal  = DAVName("current-user-principal")
	PropCurrentUserPrivileges = DAVName("current-user-privilege-set")
	PropLockDiscovery         = DAVName("lockdiscovery")
	PropSupportedLock         = DAVName("supportedlock")
	PropPropVersion           = RoburName("prop_version")
	PropPassword              = RoburName("password")
	PropSalt                  = RoburName("salt")
)

// clark returns the name in Clark notation, {space}local, for messages.
func clark(n Name) string { return "{" + n.Space + "}" + n.Local }

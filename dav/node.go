package dav

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/gocaldav/gocaldav/dav/propfile"
	"github.com/gocaldav/gocaldav/gitstore"
	"github.com/gocaldav/gocaldav/internal/gencache"
)

// Reader is the read side of the store: a snapshot, or a batch in
// progress (which sees its own writes).
type Reader interface {
	Stat(p string) (gitstore.Entry, error)
	Read(p string) ([]byte, error)
	List(dir string) ([]gitstore.Entry, error)
}

// fileReader is a Reader that can read a file by the blob id a lookup
// or listing gave (a snapshot; a batch's files may change meanwhile).
type fileReader interface {
	ReadFile(p, id string) ([]byte, error)
}

// childStater is a Reader that can look up an entry of a directory whose
// tree id a lookup or listing gave.
type childStater interface {
	StatIn(dir, dirID, name string) (gitstore.Entry, error)
}

// unsizedLister is a Reader that can list without file sizes.
type unsizedLister interface {
	ListUnsized(dir string) ([]gitstore.Entry, error)
}

// ContentLength is the byte length of an object, looked up on first use
// when the listing that made the node left it out.
func (n *Node) ContentLength() (int64, error) {
	if n.Size >= 0 {
		return n.Size, nil
	}
	e, err := n.rd.Stat(n.Path())
	if err != nil {
		return 0, fmt.Errorf("dav: size of /%s: %w", n.Path(), err)
	}
	n.Size = e.Size
	return n.Size, nil
}

// Node is one resource in the tree: a collection (a directory with a
// .prop file) or an object (a file with a FILE.prop beside it).
type Node struct {
	// Segs are the path segments, decoded.
	Segs []string
	// Collection is true for a collection.
	Collection bool
	// Hash is the git object id: the blob id of an object, the tree id of
	// a collection. It is the ETag.
	Hash string
	// Size is the byte length of an object; -1 until ContentLength
	// looks it up.
	Size int64

	props    *propfile.Props
	propHash string // blob id of the property file, when known
	href     string // the escaped href, when made with the listing
	etag     string // the quoted Hash, when made with the listing
	rd       Reader
	log      *slog.Logger
}

// Href is the node's escaped href; collections end in "/".
func (n *Node) Href() string {
	if n.href != "" {
		return n.href
	}
	return hrefOf(n.Segs, n.Collection)
}

// ETag is the node's entity tag: its Hash, quoted.
func (n *Node) ETag() string {
	if n.etag != "" {
		return n.etag
	}
	return `"` + n.Hash + `"`
}

// Path is the node's repository path.
func (n *Node) Path() string { return repoPath(n.Segs) }

// Name is the last path segment ("" for the root).
func (n *Node) Name() string {
	if len(n.Segs) == 0 {
		return ""
	}
	return n.Segs[len(n.Segs)-1]
}

// PropPath is the repository path of the node's property file.
func (n *Node) PropPath() string { return propPathOf(n.Segs, n.Collection) }

// Props returns the node's stored properties, read on first use. A missing
// or unreadable property file gives an empty map (robur does the same);
// an old prop_version is migrated.
func (n *Node) Props() *propfile.Props {
	if n.props != nil {
		return n.props
	}
	if n.propHash == "" {
		e, err := n.rd.Stat(n.PropPath())
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				n.log.Warn("dav: reading property file", "path", n.PropPath(), "err", err)
			}
			n.props = propfile.NewProps()
			return n.props
		}
		n.propHash = e.Hash
	}
	p, err := parsedPropsOf(n.rd, n.PropPath(), n.propHash)
	if err != nil {
		n.log.Warn("dav: property file", "path", n.PropPath(), "err", err)
		p = propfile.NewProps()
	}
	n.props = p
	return p
}

// SharedProps returns the properties in the property file at path, nil
// when there is none. Each content is parsed once, through the
// process-wide cache keyed by blob id (an old prop_version migrated), so
// the result is shared and must not be modified: Clone it first.
func SharedProps(rd Reader, path string) (*propfile.Props, error) {
	e, err := rd.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("dav: property file %s: %w", path, err)
	}
	return parsedPropsOf(rd, path, e.Hash)
}

// parsedPropsOf returns the parsed property file at path, whose blob id
// is hash, from parsedProps or by reading and parsing it.
func parsedPropsOf(rd Reader, path, hash string) (*propfile.Props, error) {
	if p, ok := parsedProps.Get(hash); ok {
		return p, nil
	}
	data, err := rd.Read(path)
	if err != nil {
		return nil, fmt.Errorf("dav: reading property file %s: %w", path, err)
	}
	p, err := propfile.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("dav: malformed property file %s: %w", path, err)
	}
	p.Migrate(time.Now())
	parsedProps.Put(hash, p)
	return p, nil
}

// parsedProps holds parsed property files by blob id, process-wide (a
// blob id names the same bytes in every repository): about 40,000, the
// property files of a few calendars of 10,000 events. Entries are shared
// and must not be modified: writers Clone first.
var parsedProps = gencache.New[string, *propfile.Props](20_000, nil)

// PropID is the blob id of the node's property file when the listing
// that made the node had it, else "".
func (n *Node) PropID() string { return n.propHash }

// Member returns the node of the file member name of collection n, whose
// blob id and property file id an earlier listing of this same version
// of n gave: no lookup is made.
func (n *Node) Member(name, hash, propID string) *Node {
	segs := append(append(make([]string, 0, len(n.Segs)+1), n.Segs...), name)
	return &Node{Segs: segs, Hash: hash, Size: -1, propHash: propID, rd: n.rd, log: n.log}
}

// Child returns the member name of collection n, read from where n was
// found; nil when it is missing (or a property file). From a snapshot it
// costs one lookup in n's own tree, not one per path segment: a
// calendar-multiget looks up a hundred members of one calendar.
func (n *Node) Child(name string) (*Node, error) {
	segs := append(append(make([]string, 0, len(n.Segs)+1), n.Segs...), name)
	cs, ok := n.rd.(childStater)
	if !ok || !n.Collection || n.Hash == "" || strings.HasSuffix(name, propSuffix) {
		return lookup(n.rd, segs, n.log)
	}
	e, err := cs.StatIn(n.Path(), n.Hash, name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("dav: looking up /%s: %w", repoPath(segs), err)
	}
	return &Node{Segs: segs, Collection: e.Dir, Hash: e.Hash, Size: e.Size, rd: n.rd, log: n.log}, nil
}

// SetProps replaces the node's properties in memory (see writeProps).
func (n *Node) SetProps(p *propfile.Props) { n.props = p }

// Text returns a stored property's text value.
func (n *Node) Text(name Name) (string, bool) {
	p, ok := n.Props().Get(name)
	if !ok {
		return "", false
	}
	return p.Text()
}

// HasType reports whether the stored resourcetype lists an element named t.
func (n *Node) HasType(t Name) bool {
	p, ok := n.Props().Get(PropResourceType)
	if !ok {
		return false
	}
	for _, v := range p.Value {
		if !v.IsText && v.Name == t {
			return true
		}
	}
	return false
}

// Content reads an object's bytes. They may be shared with the store's
// cache and other readers: the caller must not modify them.
func (n *Node) Content() ([]byte, error) {
	var b []byte
	var err error
	if fr, ok := n.rd.(fileReader); ok && n.Hash != "" && !n.Collection {
		b, err = fr.ReadFile(n.Path(), n.Hash) // no second lookup of the path
	} else {
		b, err = n.rd.Read(n.Path())
	}
	if err != nil {
		return nil, fmt.Errorf("dav: reading %s: %w", n.Path(), err)
	}
	return b, nil
}

// LastModified is the stored getlastmodified, or the zero time.
func (n *Node) LastModified() time.Time {
	s, ok := n.Text(PropLastModified)
	if !ok {
		return time.Time{}
	}
	t, err := propfile.ParseTimestamp(s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// lookup finds the node at segs in rd; nil when it does not exist.
func lookup(rd Reader, segs []string, log *slog.Logger) (*Node, error) {
	if log == nil {
		log = slog.Default()
	}
	if len(segs) > 0 && strings.HasSuffix(segs[len(segs)-1], propSuffix) {
		return nil, nil
	}
	e, err := rd.Stat(repoPath(segs))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("dav: looking up /%s: %w", repoPath(segs), err)
	}
	return &Node{Segs: segs, Collection: e.Dir, Hash: e.Hash, Size: e.Size, rd: rd, log: log}, nil
}

// children lists a collection's members, property files left out.
func children(rd Reader, n *Node) ([]*Node, error) {
	ms, err := membersOf(rd, n)
	if err != nil {
		return nil, err
	}
	// The members' nodes and path segments are cut from one allocation
	// each, not made one by one: a calendar may have 10,000 members.
	nodes := make([]Node, len(ms))
	segs := memberSegs(n.Segs, ms)
	hrefs, etags := memberHrefs(n.Segs, ms), memberETags(ms)
	out := make([]*Node, len(ms))
	for j, m := range ms {
		nodes[j] = Node{Segs: segs[j], Collection: m.dir, Hash: m.hash, Size: m.size, propHash: m.propHash,
			href: hrefs[j], etag: etags[j], rd: rd, log: n.log}
		out[j] = &nodes[j]
	}
	return out, nil
}

// memberHrefs returns the escaped hrefs of the members listed in the
// collection at dir: the collection's href, then each member's name.
func memberHrefs(dir []string, listed []member) []string {
	prefix := hrefOf(dir, true)
	return joinedStrings(len(listed), len(listed)*(len(prefix)+1), func(b *strings.Builder, i int) {
		b.WriteString(prefix)
		b.WriteString(url.PathEscape(listed[i].name))
		if listed[i].dir {
			b.WriteByte('/')
		}
	})
}

// memberETags returns the quoted entity tags of the members.
func memberETags(listed []member) []string {
	return joinedStrings(len(listed), len(listed)*42, func(b *strings.Builder, i int) {
		b.WriteByte('"')
		b.WriteString(listed[i].hash)
		b.WriteByte('"')
	})
}

// joinedStrings makes n strings, the i-th written by write, cut from one
// allocation (of about size bytes) rather than n: a listing may make
// 10,000 of them.
func joinedStrings(n, size int, write func(b *strings.Builder, i int)) []string {
	var b strings.Builder
	b.Grow(size)
	ends := make([]int, n)
	for i := range n {
		write(&b, i)
		ends[i] = b.Len()
	}
	all := b.String()
	out := make([]string, n)
	start := 0
	for i, end := range ends {
		out[i], start = all[start:end], end
	}
	return out
}

// member is one member of a listed collection.
type member struct {
	name, hash string
	propHash   string // the blob id of a file's property file, if any
	dir        bool
	size       int64 // -1: not listed
}

// listings holds collections' member lists by tree id, process-wide (a
// tree id names the same entries in every repository): a listing of an
// unchanged collection, such as the PROPFINDs and REPORTs a client
// repeats on a calendar, is made once. Entries are shared and read-only.
var listings = gencache.New[string](listingMembers/2, func(ms []member) int { return len(ms) + 1 })

// listingMembers bounds the members the cached listings hold together.
const listingMembers = 24_000

// listedVersions holds the tree id of the newest listing cached for each
// collection path. A new version of a collection's listing replaces the
// one before in listings: requests read the newest commit, and a large
// calendar's listing after each change (a sync, a batch of PUTs) would
// otherwise keep the one before until both generations turn over, twice
// its memory for nothing.
var listedVersions = gencache.New[string, string](4096, nil)

// cacheListing caches ms as the listing of the collection at path whose
// tree id is hash, in place of the collection's previous listing.
func cacheListing(path, hash string, ms []member) {
	listings.Put(hash, ms)
	if prev, ok := listedVersions.Get(path); ok && prev != hash {
		listings.Remove(prev)
	}
	listedVersions.Put(path, hash)
}

// memberSegs returns the path segments of each listed member of the
// collection at dir, cut from one allocation.
func memberSegs(dir []string, listed []member) [][]string {
	depth := len(dir) + 1
	all := make([]string, len(listed)*depth)
	out := make([][]string, len(listed))
	for i, m := range listed {
		segs := all[i*depth : (i+1)*depth : (i+1)*depth]
		copy(segs, dir)
		segs[depth-1] = m.name
		out[i] = segs
	}
	return out
}

// membersOf lists the members of collection n, from listings when n's
// tree id is known.
func membersOf(rd Reader, n *Node) ([]member, error) {
	if n.Hash != "" {
		if ms, ok := listings.Get(n.Hash); ok {
			return ms, nil
		}
	}
	list := rd.List
	if u, ok := rd.(unsizedLister); ok {
		list = u.ListUnsized // sizes are looked up when asked for (ContentLength)
	}
	entries, err := list(n.Path())
	if err != nil {
		return nil, fmt.Errorf("dav: listing /%s: %w", n.Path(), err)
	}
	count := 0
	for i := range entries {
		if !strings.HasSuffix(entries[i].Name, propSuffix) {
			count++
		}
	}
	ms := make([]member, 0, count)
	var stray map[string]string // property files not listed right after their resource
	for i := 0; i < len(entries); i++ {
		e := &entries[i]
		if strings.HasSuffix(e.Name, propSuffix) {
			if stray == nil {
				stray = map[string]string{}
			}
			stray[e.Name[:len(e.Name)-len(propSuffix)]] = e.Hash
			continue
		}
		m := member{name: e.Name, hash: e.Hash, dir: e.Dir, size: e.Size}
		// In name order a file's property file nearly always comes next.
		if next := i + 1; !m.dir && next < len(entries) && len(entries[next].Name) == len(e.Name)+len(propSuffix) &&
			strings.HasPrefix(entries[next].Name, e.Name) && strings.HasSuffix(entries[next].Name, propSuffix) {
			m.propHash = entries[next].Hash
			i++
		}
		ms = append(ms, m)
	}
	for i := range ms {
		m := &ms[i]
		if h, ok := stray[m.name]; ok && !m.dir && m.propHash == "" {
			m.propHash = h
		}
		// The listing's strings share allocations with each entry's full
		// path; a kept member holds copies of just its own three.
		all := m.name + m.hash + m.propHash
		m.name, m.hash, m.propHash = all[:len(m.name)], all[len(m.name):len(m.name)+len(m.hash)], all[len(m.name)+len(m.hash):]
	}
	if n.Hash != "" {
		cacheListing(n.Path(), n.Hash, ms)
	}
	return ms, nil
}

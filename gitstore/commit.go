package gitstore

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

// Commit describes the commit a Batch creates: who made the change and why.
// Author and committer are both set to AuthorName/AuthorEmail.
type Commit struct {
	// AuthorName names the authenticated user, e.g. "alice (via caldav)".
	AuthorName string
	// AuthorEmail is optional; git shows it between angle brackets.
	AuthorEmail string
	// Message is the commit message, e.g. "PUT /calendars/alice/x.ics".
	Message string
	// Trailers are appended to the message as "Key: value" lines.
	Trailers []Trailer
	// When is the commit time; the zero value means now.
	When time.Time
}

// Trailer is one "Key: value" line at the end of a commit message, such as
// Remote-User or User-Agent.
type Trailer struct {
	Key, Value string
}

// CommitInfo describes one commit of the history.
type CommitInfo struct {
	// ID is the commit's hex id.
	ID string
	// Parents are the hex ids of the parent commits.
	Parents []string
	// AuthorName and AuthorEmail identify the author.
	AuthorName, AuthorEmail string
	// When is the author time.
	When time.Time
	// Message is the full message, trailers included.
	Message string
}

// commitObj is a decoded commit.
type commitObj struct {
	tree    plumbing.Hash
	parents []plumbing.Hash
	info    CommitInfo
}

// clean removes characters git does not allow in an identity or a trailer.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '<', '>', '\n', '\r', 0:
			return -1
		}
		return r
	}, strings.TrimSpace(s))
}

func cleanKey(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return -1
	}, s)
}

// identity formats "Name <email> 1700000000 +0100".
func identity(name, email string, when time.Time) string {
	_, off := when.Zone()
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("%s <%s> %d %c%02d%02d", clean(name), clean(email), when.Unix(), sign, off/3600, off%3600/60)
}

// message builds the full message with its trailer block.
func (c Commit) message() string {
	var b strings.Builder
	msg := strings.TrimRight(strings.ReplaceAll(c.Message, "\r", ""), "\n ")
	if msg == "" {
		msg = "update"
	}
	b.WriteString(msg)
	b.WriteString("\n")
	first := true
	for _, t := range c.Trailers {
		k := cleanKey(t.Key)
		if k == "" {
			continue
		}
		if first {
			b.WriteString("\n")
			first = false
		}
		fmt.Fprintf(&b, "%s: %s\n", k, clean(t.Value))
	}
	return b.String()
}

// encodeCommit builds the commit object for root with an optional parent.
func encodeCommit(c Commit, root, parent plumbing.Hash) rawObject {
	when := c.When
	if when.IsZero() {
		when = time.Now()
	}
	id := identity(c.AuthorName, c.AuthorEmail, when)
	var b bytes.Buffer
	fmt.Fprintf(&b, "tree %s\n", root)
	if !parent.IsZero() {
		fmt.Fprintf(&b, "parent %s\n", parent)
	}
	fmt.Fprintf(&b, "author %s\ncommitter %s\n\n%s", id, id, c.message())
	return newObject(plumbing.CommitObject, b.Bytes())
}

// decodeCommit parses a commit object.
func decodeCommit(h plumbing.Hash, data []byte) (*commitObj, error) {
	c := &commitObj{info: CommitInfo{ID: h.String()}}
	rest := data
	for {
		nl := bytes.IndexByte(rest, '\n')
		if nl < 0 {
			return nil, fmt.Errorf("commit %s: truncated header", h)
		}
		line := string(rest[:nl])
		rest = rest[nl+1:]
		if line == "" {
			break
		}
		key, val, _ := strings.Cut(line, " ")
		switch key {
		case "tree":
			c.tree = plumbing.NewHash(val)
		case "parent":
			p := plumbing.NewHash(val)
			c.parents = append(c.parents, p)
			c.info.Parents = append(c.info.Parents, p.String())
		case "author":
			c.info.AuthorName, c.info.AuthorEmail, c.info.When = parseIdentity(val)
		}
	}
	if c.tree.IsZero() {
		return nil, fmt.Errorf("commit %s: no tree", h)
	}
	c.info.Message = string(rest)
	return c, nil
}

// parseIdentity splits "Name <email> 1700000000 +0100".
func parseIdentity(s string) (name, email string, when time.Time) {
	lt, gt := strings.IndexByte(s, '<'), strings.LastIndexByte(s, '>')
	if lt < 0 || gt < lt {
		return s, "", time.Time{}
	}
	name, email = strings.TrimSpace(s[:lt]), s[lt+1:gt]
	f := strings.Fields(s[gt+1:])
	if len(f) == 2 {
		sec, err1 := strconv.ParseInt(f[0], 10, 64)
		tz, err2 := strconv.Atoi(f[1])
		if err1 == nil && err2 == nil {
			off := (tz/100*3600 + tz%100*60)
			when = time.Unix(sec, 0).In(time.FixedZone("", off))
		}
	}
	return name, email, when
}

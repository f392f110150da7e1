package webmachine

import (
	"fmt"
	"strings"
	"time"
)

// Node names one decision of the webmachine v3 diagram ("b13" … "p11"), or
// one of the WebDAV nodes this package adds ("g7b", "h7b", "o16b").
type Node string

// Call records one callback the graph invoked and what it answered.
type Call struct {
	// Node is the decision that made the call.
	Node Node
	// Callback is the Resource method (or DAV extension) called.
	Callback string
	// Result is the value it returned (nil for callbacks without one).
	Result any
	// Err is the error it returned, if any.
	Err error
}

// Trace is the record of one request's walk through the graph: the nodes in
// the order visited and the callbacks each asked. It is a return value of
// [Serve], never a side channel.
type Trace struct {
	Nodes []Node
	Calls []Call
	// Took is the time the graph took, callbacks included.
	Took time.Duration
}

// String lists the nodes visited, separated by spaces ("b13 b12 … o18").
func (t *Trace) String() string { return t.join(" ") }

// join lists the nodes visited with sep between them.
func (t *Trace) join(sep string) string {
	if t == nil {
		return ""
	}
	var b strings.Builder
	for i, n := range t.Nodes {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(string(n))
	}
	return b.String()
}

// CallsString describes each callback and its answer, one per line, for
// logs and debugging.
func (t *Trace) CallsString() string {
	var b strings.Builder
	for _, c := range t.Calls {
		fmt.Fprintf(&b, "%s %s -> %v", c.Node, c.Callback, c.Result)
		if c.Err != nil {
			fmt.Fprintf(&b, " (error: %v)", c.Err)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// TraceMode selects what happens to the decision trace. The zero value
// records nothing and costs nothing. Modes combine with |.
type TraceMode uint8

const (
	// TraceRecord returns the trace in [Result.Trace].
	TraceRecord TraceMode = 1 << iota
	// TraceLog logs the trace at debug level through [Options.Logger].
	TraceLog
	// TraceHeader returns the node path in the X-Webmachine-Trace response
	// header ("b13,b12,…"). For development and tests only: it reveals how
	// the server decides.
	TraceHeader
)

// TraceHeaderName is the response header [TraceHeader] sets.
const TraceHeaderName = "X-Webmachine-Trace"

// ParseTraceMode reads a mode from its command-line spelling: "off", "log",
// "header", "record" or a comma-separated combination.
func ParseTraceMode(s string) (TraceMode, error) {
	var m TraceMode
	for _, part := range strings.Split(s, ",") {
		switch strings.TrimSpace(part) {
		case "", "off":
		case "log":
			m |= TraceLog
		case "header":
			m |= TraceHeader
		case "record":
			m |= TraceRecord
		default:
			return 0, fmt.Errorf("webmachine: unknown trace mode %q (want off, log, header or record)", part)
		}
	}
	return m, nil
}

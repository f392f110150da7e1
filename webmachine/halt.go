package webmachine

import (
	"errors"
	"fmt"
	"net/http"
)

// HaltError ends the decision graph with Status. A callback returns one
// (made by [Halt] or [HaltWith]) to answer at once; the headers already set
// on the [Request] are kept.
type HaltError struct {
	// Status is the HTTP status to answer with.
	Status int
	// ContentType and Body, when Body is non-nil, replace the response body.
	ContentType string
	Body        []byte
	// Err optionally says why, for logs and traces; it is never sent.
	Err error
}

// Error describes the halt.
func (h *HaltError) Error() string {
	if h.Err != nil {
		return fmt.Sprintf("webmachine: halt %d: %v", h.Status, h.Err)
	}
	return fmt.Sprintf("webmachine: halt %d", h.Status)
}

// Unwrap returns the cause, if any.
func (h *HaltError) Unwrap() error { return h.Err }

// Halt returns an error that ends the request with status.
func Halt(status int) error { return &HaltError{Status: status} }

// HaltWith returns an error that ends the request with status and the given
// body.
func HaltWith(status int, contentType string, body []byte) error {
	if body == nil {
		body = []byte{}
	}
	return &HaltError{Status: status, ContentType: contentType, Body: body}
}

var errNoCreatePath = errors.New("webmachine: PostIsCreate is true but CreatePath is not implemented")

// BasicChallenge returns a WWW-Authenticate challenge for HTTP Basic
// authentication in realm, quoted as RFC 9110 §5.6.4 requires.
func BasicChallenge(realm string) string {
	return "Basic realm=" + quoteString(realm) + `, charset="UTF-8"`
}

// quoteString makes s an RFC 9110 quoted-string.
func quoteString(s string) string {
	b := make([]byte, 0, len(s)+2)
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '"' || c == '\\' {
			b = append(b, '\\')
		}
		if c < 0x20 && c != '\t' || c == 0x7f {
			continue // control characters may not appear in a header
		}
		b = append(b, c)
	}
	return string(append(b, '"'))
}

// StatusText is http.StatusText with the WebDAV codes Go leaves out filled in.
func StatusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return t
	}
	return fmt.Sprintf("Status %d", code)
}

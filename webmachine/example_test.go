package webmachine_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"

	"github.com/gocaldav/gocaldav/webmachine"
)

// note is a tiny REST resource: one text note per name, readable with GET,
// written with PUT and removed with DELETE. The graph handles 404, 405,
// 415, conditional requests and 201 versus 204.
type note struct {
	webmachine.Base
	store *noteStore
	name  string
}

type noteStore struct {
	mu    sync.Mutex
	notes map[string]string
}

func (n *note) AllowedMethods(context.Context, *webmachine.Request) ([]string, error) {
	return []string{"GET", "HEAD", "PUT", "DELETE"}, nil
}

func (n *note) ResourceExists(context.Context, *webmachine.Request) (bool, error) {
	n.store.mu.Lock()
	defer n.store.mu.Unlock()
	_, ok := n.store.notes[n.name]
	return ok, nil
}

func (n *note) ETag(context.Context, *webmachine.Request) (webmachine.ETag, error) {
	n.store.mu.Lock()
	defer n.store.mu.Unlock()
	return webmachine.StrongETag(fmt.Sprintf("%x", len(n.store.notes[n.name]))), nil
}

func (n *note) ContentTypesProvided(context.Context, *webmachine.Request) ([]webmachine.Provider, error) {
	return []webmachine.Provider{{MediaType: "text/plain", Write: func(_ context.Context, r *webmachine.Request) error {
		n.store.mu.Lock()
		defer n.store.mu.Unlock()
		r.SetBody([]byte(n.store.notes[n.name]))
		return nil
	}}}, nil
}

func (n *note) ContentTypesAccepted(context.Context, *webmachine.Request) ([]webmachine.Acceptor, error) {
	return []webmachine.Acceptor{{MediaType: "text/plain", Accept: func(_ context.Context, r *webmachine.Request) error {
		body, err := io.ReadAll(io.LimitReader(r.HTTP.Body, 1<<16))
		if err != nil {
			return err
		}
		n.store.mu.Lock()
		defer n.store.mu.Unlock()
		n.store.notes[n.name] = string(body)
		return nil
	}}}, nil
}

func (n *note) DeleteResource(context.Context, *webmachine.Request) (bool, error) {
	n.store.mu.Lock()
	defer n.store.mu.Unlock()
	delete(n.store.notes, n.name)
	return true, nil
}

func Example() {
	store := &noteStore{notes: map[string]string{}}
	router := &webmachine.Router{Options: webmachine.Options{Trace: webmachine.TraceHeader}}
	router.Handle("/notes/:name", func(_ *http.Request, p map[string]string) webmachine.Resource {
		return &note{store: store, name: p["name"]}
	})
	srv := httptest.NewServer(router)
	defer srv.Close()

	do := func(method, path, contentType, body string, header ...string) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		defer resp.Body.Close()
		got, _ := io.ReadAll(resp.Body)
		fmt.Printf("%s %s -> %d %q\n", method, path, resp.StatusCode, got)
	}
	do("GET", "/notes/todo", "", "")
	do("PUT", "/notes/todo", "text/plain", "buy milk")
	do("PUT", "/notes/todo", "text/plain", "buy oat milk")
	do("PUT", "/notes/todo", "application/json", `{}`)
	do("GET", "/notes/todo", "", "")
	do("GET", "/notes/todo", "", "", "If-None-Match", `"c"`)
	do("PUT", "/notes/todo", "text/plain", "x", "If-Match", `"0"`)
	do("POST", "/notes/todo", "text/plain", "x")
	do("DELETE", "/notes/todo", "", "")
	// Output:
	// GET /notes/todo -> 404 ""
	// PUT /notes/todo -> 201 ""
	// PUT /notes/todo -> 204 ""
	// PUT /notes/todo -> 415 ""
	// GET /notes/todo -> 200 "buy oat milk"
	// GET /notes/todo -> 304 ""
	// PUT /notes/todo -> 412 ""
	// POST /notes/todo -> 405 ""
	// DELETE /notes/todo -> 204 ""
}

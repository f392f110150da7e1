package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gocaldav/gocaldav/dav/davtest"
)

// crashKey is what one object of the crash test may hold: the state its
// client last got a 2xx for, and the state of a request that was in
// flight when the server was killed (unknown outcome). "" is absent.
type crashKey struct {
	acked    string
	pending  string
	inFlight bool
}

// crashClient writes its own objects in a loop until stop is closed or the
// server stops answering; it returns the number of acknowledged writes.
func crashClient(base string, id int, keys []*crashKey, gen *int, stop <-chan struct{}, fail func(string, ...any)) int {
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}}
	defer c.CloseIdleConnections()
	rng := rand.New(rand.NewPCG(uint64(id), uint64(*gen)))
	n := 0
	for {
		select {
		case <-stop:
			return n
		default:
		}
		k := rng.IntN(len(keys))
		key := keys[k]
		path := fmt.Sprintf("/calendars/root/c%d-%d.ics", id, k)
		var req *http.Request
		next := ""
		if key.acked != "" && rng.IntN(3) == 0 {
			req, _ = http.NewRequest("DELETE", base+path, nil)
		} else {
			*gen++
			next = event(fmt.Sprintf("c%d-%d@crash", id, k), fmt.Sprintf("client %d key %d version %d", id, k, *gen))
			req, _ = http.NewRequest("PUT", base+path, strings.NewReader(next))
			req.Header.Set("Content-Type", "text/calendar")
		}
		req.SetBasicAuth("root", "secret")
		key.pending, key.inFlight = next, true
		resp, err := c.Do(req)
		if err != nil {
			return n // the server is gone: the outcome stays unknown
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			fail("%s %s: %d", req.Method, path, resp.StatusCode)
			return n
		}
		key.acked, key.pending, key.inFlight = next, "", false
		n++
	}
}

// crashName matches the objects of the crash test.
var crashName = regexp.MustCompile(`^c\d+-\d+\.ics$`)

// TestCrashSIGKILL runs 8 clients writing and deleting objects against
// the binary and kills it with SIGKILL at random moments, 20 times. After
// each restart every acknowledged write is there with its exact bytes, a
// write in flight at the kill is either wholly there or wholly absent,
// git fsck --strict is clean, and PROPFIND lists exactly the objects git
// holds, with their blob ids as ETags.
func TestCrashSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: skipped with -short")
	}
	t.Parallel()
	bin := buildBinary(t)
	data := filepath.Join(t.TempDir(), "data")
	const clients, perClient, cycles = 8, 4, 20
	keys := make([][]*crashKey, clients)
	gens := make([]int, clients)
	for i := range keys {
		for range perClient {
			keys[i] = append(keys[i], &crashKey{})
		}
		gens[i] = i * 1_000_000
	}
	acked := 0
	for cycle := range cycles {
		args := []string{"--data", data}
		if cycle == 0 {
			args = append(args, "--admin-password", "secret")
		}
		s := start(t, bin, args...)
		crashVerify(t, s, data, keys, cycle)

		var mu sync.Mutex
		var failures []string
		fail := func(f string, a ...any) {
			mu.Lock()
			failures = append(failures, fmt.Sprintf(f, a...))
			mu.Unlock()
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		counts := make([]int, clients)
		for i := range clients {
			wg.Go(func() { counts[i] = crashClient(s.base, i, keys[i], &gens[i], stop, fail) })
		}
		time.Sleep(time.Duration(150+rand.IntN(600)) * time.Millisecond)
		if err := s.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		<-s.done
		close(stop)
		wg.Wait()
		for _, f := range failures {
			t.Errorf("cycle %d: %s", cycle, f)
		}
		n := 0
		for _, c := range counts {
			n += c
		}
		acked += n
		if n == 0 {
			t.Errorf("cycle %d: no write was acknowledged", cycle)
		}
		// The repository as the crash left it is one git reads cleanly.
		gitFsck(t, data, fmt.Sprintf("cycle %d, after SIGKILL", cycle))
	}
	s := start(t, bin, "--data", data)
	crashVerify(t, s, data, keys, cycles)
	t.Logf("%d crash cycles survived, %d acknowledged writes checked", cycles, acked)
}

// crashVerify checks the objects against the model after a restart and
// settles each in-flight write to what the server holds.
func crashVerify(t *testing.T, s *server, data string, keys [][]*crashKey, cycle int) {
	t.Helper()
	present := map[string]bool{}
	for i, ks := range keys {
		for k, key := range ks {
			name := fmt.Sprintf("c%d-%d.ics", i, k)
			resp, body := s.send(t, nil, request{method: "GET", path: "/calendars/root/" + name, user: "root", pass: "secret"})
			got := ""
			switch resp.StatusCode {
			case 200:
				got = body
				if got == "" {
					t.Errorf("cycle %d: %s is empty", cycle, name)
				}
			case 404:
			default:
				t.Fatalf("cycle %d: GET %s: %d\n%s", cycle, name, resp.StatusCode, body)
			}
			switch {
			case got == key.acked:
			case key.inFlight && got == key.pending:
			default:
				t.Errorf("cycle %d: %s holds %q\nwant the acknowledged %q (or the in-flight %q: %v)", cycle, name, got, key.acked, key.pending, key.inFlight)
			}
			key.acked, key.pending, key.inFlight = got, "", false
			if got != "" {
				present[name] = true
			}
		}
	}
	if cycle == 0 {
		return // a new repository's first commit is still in the journal
	}
	// PROPFIND (the index) lists what git holds, with blob ids as ETags:
	// on start the journal was replayed into the repository.
	_, body := s.must(t, 207, request{method: "PROPFIND", path: "/calendars/root/", user: "root", pass: "secret",
		header: map[string]string{"Depth": "1"},
		body:   `<propfind xmlns="DAV:"><prop><getetag/></prop></propfind>`})
	dav := map[string]string{}
	for href, props := range davtest.ParseMultistatus(t, body) {
		if name, ok := strings.CutPrefix(href, "/calendars/root/"); ok && crashName.MatchString(name) {
			dav[name] = strings.Trim(props["{DAV:}getetag"].XML, `"`)
		}
	}
	out, err := exec.Command("git", "--git-dir="+data, "ls-tree", "main", "calendars/root/").CombinedOutput()
	if err != nil {
		t.Fatalf("git ls-tree: %v\n%s", err, out)
	}
	inGit := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		// 100644 blob ID\tcalendars/root/NAME
		f := strings.Fields(l)
		if len(f) == 4 && f[1] == "blob" {
			name := strings.TrimPrefix(f[3], "calendars/root/")
			if crashName.MatchString(name) {
				inGit[name] = f[2]
				if !strings.Contains(string(out), name+".prop") {
					t.Errorf("cycle %d: %s has no .prop in git", cycle, name)
				}
			}
		}
	}
	if fmt.Sprint(dav) != fmt.Sprint(inGit) {
		t.Errorf("cycle %d: PROPFIND and git disagree:\nPROPFIND %v\ngit      %v", cycle, dav, inGit)
	}
	if len(inGit) != len(present) {
		t.Errorf("cycle %d: git holds %d objects, GET found %d", cycle, len(inGit), len(present))
	}
	gitFsck(t, data, fmt.Sprintf("cycle %d, after restart", cycle))
}

// gitFsck runs git fsck --strict on a bare repository.
func gitFsck(t *testing.T, gitDir, when string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", "--git-dir="+gitDir, "fsck", "--strict", "--no-progress", "--no-dangling")
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	out, err := cmd.CombinedOutput()
	var problems []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		// "notice: HEAD points to an unborn branch": a new repository
		// whose first commits are all still in the journal.
		if l != "" && !strings.HasPrefix(l, "notice: ") {
			problems = append(problems, l)
		}
	}
	if err != nil || len(problems) > 0 {
		t.Errorf("%s: git fsck --strict: %v\n%s", when, err, out)
	}
}

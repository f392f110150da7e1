// Command caldav-bench measures a running CalDAV server from the
// outside, as a client would see it. It starts nothing itself: give it
// the server's URL and credentials.
//
// For each calendar size N it creates a fresh calendar under the
// user's calendar home (discovered through current-user-principal and
// calendar-home-set, or given with -home), fills it with N generated
// events (Europe/Berlin and America/New_York with their VTIMEZONEs,
// UTC, all-day; some weekly RRULEs with COUNT, UNTIL or none; alarms,
// attendees; spread over 2025 and 2026) and measures:
//
//   - PUT throughput and latency, one client and -c clients (into a
//     second calendar), and the marginal PUT rate into the filled calendar;
//   - PROPFIND Depth 1 getetag and calendar-multiget of 100 hrefs;
//   - calendar-query over one month (-month): etags only, with
//     calendar-data and with expand, each checked exactly against the
//     client-side expectation (the tool knows which events and which
//     instances fall in the month);
//   - sync-collection, initial and after 10 changes (checked);
//   - GET of one event under its own closed-loop load;
//   - head-of-line blocking: the largest latency of small GETs and
//     PROPFINDs from another client while a whole-calendar REPORT runs;
//   - with -pid, the server's RSS and CPU; with -data-dir, its disk use;
//     and the number of changes it made (to compare with the server's
//     commit count).
//
// It prints a table and writes JSON (-out). With -compare it instead
// reads JSON files and prints them side by side, the last one against
// the best of the others, with the project's targets.
//
// Usage:
//
//	caldav-bench [flags] URL USER PASSWORD
//	caldav-bench -url URL -user USER -password PASSWORD [flags]
//	caldav-bench -compare radicale.json xandikos.json ours.json
//
// The tool sends many thousands of requests: point it only at servers
// you run for the purpose.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config is the command line.
type Config struct {
	URL, User, Password string
	Sizes               []int
	Clients             int
	ParN                int
	AtSizePuts          int
	Reps                int
	MaxOpTime           time.Duration
	Home                string
	PID                 int
	DataDir             string
	Out                 string
	Label               string
	Keep                bool
	FillCmd             string
	FillAbove           int
	GetClients          int
	GetDuration         time.Duration
	HOLReports          int
	Month               string
	Seed                uint64
	Timeout             time.Duration
	Quiet               bool
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the command with its arguments and output, for tests.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("caldav-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c Config
	var sizes, compare string
	fs.StringVar(&c.URL, "url", "", "server URL (or the first argument)")
	fs.StringVar(&c.User, "user", "", "user name (or the second argument)")
	fs.StringVar(&c.Password, "password", "", "password (or the third argument)")
	fs.StringVar(&sizes, "n", "1000", "comma-separated calendar sizes")
	fs.IntVar(&c.Clients, "c", 8, "concurrent clients for the parallel PUT phases")
	fs.IntVar(&c.ParN, "par-n", 0, "events in the parallel PUT phase (0: N)")
	fs.IntVar(&c.AtSizePuts, "at-size-puts", 100, "PUTs into the filled calendar, one client (then twice that with -c clients)")
	fs.IntVar(&c.Reps, "reps", 7, "timed repetitions of each read (after one untimed); a slow read stops after 3 once -max-op-time has passed")
	fs.DurationVar(&c.MaxOpTime, "max-op-time", time.Minute, "stop repeating a read after this long (at least 3 timed runs)")
	fs.StringVar(&c.Home, "home", "", "calendar home path (default: discover)")
	fs.IntVar(&c.PID, "pid", 0, "server process id: RSS and CPU from /proc")
	fs.StringVar(&c.DataDir, "data-dir", "", "server data directory: disk use before and after")
	fs.StringVar(&c.Out, "out", "", "write the JSON results to this file")
	fs.StringVar(&c.Label, "label", "", "name of the server measured, for the table and JSON")
	fs.BoolVar(&c.Keep, "keep", false, "keep the benchmark calendars")
	fs.StringVar(&c.FillCmd, "fill-cmd", "", "bash command that bulk-loads the events instead of PUT (env BENCH_SRC_DIR, BENCH_CAL_URL, BENCH_CAL_PATH, BENCH_CAL_NAME)")
	fs.IntVar(&c.FillAbove, "fill-above", 0, "use -fill-cmd only for sizes above this")
	fs.IntVar(&c.GetClients, "get-clients", 16, "concurrent clients of the GET load")
	fs.DurationVar(&c.GetDuration, "get-duration", 10*time.Second, "length of the GET load")
	fs.IntVar(&c.HOLReports, "hol-reports", 3, "whole-calendar REPORTs during the head-of-line check (more, up to 200, while fewer than 5 probes met one)")
	fs.StringVar(&c.Month, "month", "2026-03", "the month (UTC) of the calendar-query time-range")
	fs.Uint64Var(&c.Seed, "seed", 42, "seed of the generated data")
	fs.DurationVar(&c.Timeout, "timeout", 10*time.Minute, "timeout of one request")
	fs.BoolVar(&c.Quiet, "q", false, "no progress on stderr")
	fs.StringVar(&compare, "compare", "", "compare JSON results: -compare 'a.json b.json ours.json' (or list them as arguments)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: caldav-bench [flags] URL USER PASSWORD\n       caldav-bench -compare A.json [B.json ...] OURS.json\n\nflags:\n")
		fs.PrintDefaults()
	}
	// Positional arguments may come first (URL USER PASS -n …) or last.
	var pos []string
	for len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		pos, args = append(pos, args[0]), args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	pos = append(pos, fs.Args()...)
	if compare != "" {
		return runCompare(append(strings.Fields(compare), pos...), stdout, stderr)
	}
	for i, p := range []*string{&c.URL, &c.User, &c.Password} {
		if i < len(pos) && *p == "" {
			*p = pos[i]
		}
	}
	if c.URL == "" {
		fs.Usage()
		return 2
	}
	for _, s := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 20 {
			fmt.Fprintf(stderr, "caldav-bench: bad size %q (at least 20)\n", s)
			return 2
		}
		c.Sizes = append(c.Sizes, n)
	}
	res, err := Run(context.Background(), c, stderr)
	if res != nil {
		fmt.Fprintf(stderr, "caldav-bench: %d successful changes (MKCALENDAR, PUT, DELETE)\n", res.Writes)
	}
	if res != nil {
		PrintTable(stdout, res)
		if c.Out != "" {
			b, _ := json.MarshalIndent(res, "", "  ")
			if werr := os.WriteFile(c.Out, append(b, '\n'), 0o644); werr != nil {
				fmt.Fprintln(stderr, "caldav-bench:", werr)
				return 1
			}
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "caldav-bench:", err)
		return 1
	}
	return 0
}

// Result is one run, as written to JSON.
type Result struct {
	Label    string        `json:"label"`
	URL      string        `json:"url"`
	Home     string        `json:"home"`
	Started  time.Time     `json:"started"`
	Host     Host          `json:"host"`
	Settings Config        `json:"settings"`
	Sizes    []*SizeResult `json:"sizes"`
	// Writes counts the successful MKCALENDAR, PUT and DELETE requests
	// of the run: a server that commits each change commits this many
	// times (compare git rev-list --count before and after).
	Writes int64 `json:"writes"`
}

// Host describes the machine the client ran on.
type Host struct {
	CPU    string `json:"cpu"`
	CPUs   int    `json:"cpus"`
	Kernel string `json:"kernel"`
	Go     string `json:"go"`
}

// SizeResult is the measurements at one calendar size.
type SizeResult struct {
	N          int    `json:"n"`
	Calendar   string `json:"calendar"`
	FilledBy   string `json:"filled_by"` // "PUT" or "fill-cmd"
	Ops        []*Op  `json:"ops"`
	RSSEmpty   int64  `json:"rss_empty_bytes,omitempty"`
	RSSFilled  int64  `json:"rss_filled_bytes,omitempty"`
	RSSPeak    int64  `json:"rss_peak_bytes,omitempty"`
	HWM        int64  `json:"vm_hwm_bytes,omitempty"`
	DiskBefore int64  `json:"disk_before_bytes,omitempty"`
	DiskAfter  int64  `json:"disk_after_bytes,omitempty"`
	Expect     struct {
		Objects   int `json:"objects"`
		Instances int `json:"instances"`
	} `json:"expected_month"`
}

// Op is one measured operation. Value is its headline figure: a median
// in ms (Better "lower") or a rate per second (Better "higher").
type Op struct {
	Key    string      `json:"key"`
	Name   string      `json:"name"`
	Value  float64     `json:"value"`
	Unit   string      `json:"unit"`
	Better string      `json:"better"`
	Lat    *Lat        `json:"latency,omitempty"`
	Load   *LoadResult `json:"load,omitempty"`
	Check  string      `json:"check,omitempty"`
	OK     *bool       `json:"ok,omitempty"`
	CPU    float64     `json:"server_cpu_s,omitempty"`
	Detail string      `json:"detail,omitempty"`
}

// bench is the state of one run.
type bench struct {
	c    Config
	cl   *Client
	log  io.Writer
	proc *Proc
	home string
	w    Window
}

func (b *bench) logf(format string, a ...any) {
	if !b.c.Quiet {
		fmt.Fprintf(b.log, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, a...)...)
	}
}

// Run measures the server c names, one size after another.
func Run(ctx context.Context, c Config, log io.Writer) (*Result, error) {
	if c.Clients < 1 {
		c.Clients = 1
	}
	if c.Reps < 1 {
		c.Reps = 1
	}
	base, err := url.Parse(c.URL)
	if err != nil {
		return nil, err
	}
	if base.Path == "" {
		base.Path = "/"
	}
	m, err := time.Parse("2006-01", c.Month)
	if err != nil {
		return nil, fmt.Errorf("-month: %w", err)
	}
	b := &bench{c: c, log: log, w: Window{m, m.AddDate(0, 1, 0)},
		cl: NewClient(base, c.User, c.Password, max(c.Clients, c.GetClients), c.Timeout)}
	if c.PID != 0 {
		b.proc = &Proc{PID: c.PID}
	}
	res := &Result{Label: c.Label, URL: c.URL, Started: time.Now().UTC(), Host: host(), Settings: c}
	res.Settings.Password = ""
	b.home = c.Home
	if b.home == "" {
		if b.home, err = b.cl.Discover(ctx); err != nil {
			return res, err
		}
	}
	if !strings.HasSuffix(b.home, "/") {
		b.home += "/"
	}
	res.Home = b.home
	b.logf("calendar home %s", b.home)
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	go b.proc.Sample(sctx, 200*time.Millisecond)
	defer func() { res.Writes = b.cl.Writes.Load() }()
	for _, n := range c.Sizes {
		sr := &SizeResult{N: n}
		res.Sizes = append(res.Sizes, sr)
		if err := b.size(ctx, sr); err != nil {
			return res, fmt.Errorf("N=%d: %w", n, err)
		}
	}
	return res, nil
}

func host() Host {
	h := Host{CPUs: runtime.NumCPU(), Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "model name"); ok {
				h.CPU = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		h.Kernel = strings.TrimSpace(string(b))
	}
	return h
}

// add records op with the server CPU used since cpu0.
func (b *bench) add(sr *SizeResult, op *Op, cpu0 float64) *Op {
	if b.proc != nil {
		op.CPU = b.proc.CPU() - cpu0
	}
	sr.Ops = append(sr.Ops, op)
	mark := ""
	if op.OK != nil && !*op.OK {
		mark = "  MISMATCH"
	}
	b.logf("  %-34s %10.2f %-5s %s%s", op.Name, op.Value, op.Unit, op.Check, mark)
	return op
}

func (b *bench) cpu() float64 {
	if b.proc == nil {
		return 0
	}
	return b.proc.CPU()
}

func boolp(v bool) *bool { return &v }

// putAll PUTs events into coll from clients goroutines and returns the
// latencies and the elapsed time.
func (b *bench) putAll(ctx context.Context, coll string, events []*Event, clients int) ([]time.Duration, time.Duration, error) {
	lats := make([]time.Duration, len(events))
	next := make(chan int)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	t0 := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				r, err := b.cl.Put(ctx, coll, events[i], true)
				if err != nil {
					once.Do(func() { first = err })
					continue
				}
				lats[i] = r.Dur
			}
		}()
	}
	progress := time.Now()
	for i := range events {
		if first != nil {
			break
		}
		if time.Since(progress) > 10*time.Second {
			b.logf("    %d/%d PUTs", i, len(events))
			progress = time.Now()
		}
		next <- i
	}
	close(next)
	wg.Wait()
	return lats, time.Since(t0), first
}

// putOp is the Op of a PUT phase.
func putOp(key, name string, n int, lats []time.Duration, el time.Duration) *Op {
	l := Summarize(lats)
	return &Op{Key: key, Name: name, Value: float64(n) / el.Seconds(), Unit: "/s", Better: "higher", Lat: &l,
		Detail: fmt.Sprintf("%d PUTs in %.1fs, p50 %.1f ms, p99 %.1f ms", n, el.Seconds(), l.Median, l.P99)}
}

// read times a read request: one untimed run, then up to Reps timed
// ones (at least 3 unless MaxOpTime allows more); check judges the last
// answer.
func (b *bench) read(ctx context.Context, sr *SizeResult, key, name string, do func() (Resp, error), check func(Resp) (string, bool, error)) (Resp, error) {
	cpu0 := b.cpu()
	failed := func(err error) (Resp, error) {
		// A server error is a result, not the end of the run.
		msg := strings.Join(strings.Fields(err.Error()), " ")
		if len(msg) > 160 {
			msg = msg[:160] + "…"
		}
		b.add(sr, &Op{Key: key, Name: name, Unit: "ms", Better: "lower", Check: "error: " + msg, OK: boolp(false)}, cpu0)
		return Resp{}, nil
	}
	r, err := do()
	if err != nil {
		return failed(err)
	}
	var lats []time.Duration
	t0 := time.Now()
	for i := 0; i < b.c.Reps; i++ {
		if i >= 3 && time.Since(t0) > b.c.MaxOpTime {
			break
		}
		if r, err = do(); err != nil {
			return failed(err)
		}
		lats = append(lats, r.Dur)
	}
	l := Summarize(lats)
	op := &Op{Key: key, Name: name, Value: l.Median, Unit: "ms", Better: "lower", Lat: &l,
		Detail: fmt.Sprintf("%d runs, min %.1f, max %.1f ms, %d bytes", l.N, l.Min, l.Max, len(r.Body))}
	if check != nil {
		s, ok, err := check(r)
		if err != nil {
			return r, fmt.Errorf("%s: %w", name, err)
		}
		op.Check, op.OK = s, boolp(ok)
	}
	b.add(sr, op, cpu0)
	return r, nil
}

// size runs every phase at one calendar size.
func (b *bench) size(ctx context.Context, sr *SizeResult) error {
	n := sr.N
	stamp := time.Now().Format("20060102-150405")
	name := fmt.Sprintf("bench-%s-%d", stamp, n)
	coll := b.home + name + "/"
	sr.Calendar = coll
	b.logf("N=%d: calendar %s", n, coll)

	b.proc.MaxRSS()
	sr.RSSEmpty = b.proc.RSS()
	sr.DiskBefore = DiskUsage(b.c.DataDir)

	gen := NewGenerator(b.c.Seed, "ev", b.w)
	events := make([]*Event, n)
	for i := range events {
		events[i] = gen.Next()
	}
	x := Expect(events, b.w)
	sr.Expect.Objects, sr.Expect.Instances = x.Objects, x.Instances
	b.logf("  expecting %d objects, %d instances in %s", x.Objects, x.Instances, b.c.Month)

	if err := b.cl.MakeCalendar(ctx, coll, name); err != nil {
		return err
	}
	cleanup := []string{coll}
	defer func() {
		if b.c.Keep {
			return
		}
		for _, c := range cleanup {
			b.cl.Do(context.Background(), "DELETE", c, nil)
		}
	}()

	// (a) fill: PUT, one client, or the bulk-load command.
	cpu0 := b.cpu()
	if b.c.FillCmd != "" && n > b.c.FillAbove {
		sr.FilledBy = "fill-cmd"
		t0 := time.Now()
		if err := b.fill(ctx, coll, name, events); err != nil {
			return err
		}
		b.add(sr, &Op{Key: "fill_cmd", Name: "bulk fill (-fill-cmd)", Value: time.Since(t0).Seconds() * 1000, Unit: "ms", Better: "lower"}, cpu0)
	} else {
		sr.FilledBy = "PUT"
		lats, el, err := b.putAll(ctx, coll, events, 1)
		if err != nil {
			return err
		}
		b.add(sr, putOp("put_seq", "PUT fill, 1 client", n, lats, el), cpu0)
	}

	// (a') PUT with C clients into a second calendar.
	if pn := cmp(b.c.ParN, n); pn > 0 {
		pname := name + "-par"
		pcoll := b.home + pname + "/"
		if err := b.cl.MakeCalendar(ctx, pcoll, pname); err != nil {
			return err
		}
		pg := NewGenerator(b.c.Seed+1, "par", b.w)
		pev := make([]*Event, pn)
		for i := range pev {
			pev[i] = pg.Next()
		}
		cpu0 := b.cpu()
		lats, el, err := b.putAll(ctx, pcoll, pev, b.c.Clients)
		if err != nil {
			return err
		}
		b.add(sr, putOp("put_par", fmt.Sprintf("PUT fill, %d clients", b.c.Clients), pn, lats, el), cpu0)
		if !b.c.Keep {
			b.cl.Do(ctx, "DELETE", pcoll, nil)
		} else {
			cleanup = append(cleanup, pcoll)
		}
	}

	// (b) PROPFIND Depth 1.
	var hrefs []string
	_, err := b.read(ctx, sr, "propfind_d1", "PROPFIND Depth 1 getetag", func() (Resp, error) {
		return b.cl.Want(ctx, []int{207}, "PROPFIND", coll, []byte(propfindETag), "Depth", "1", "Content-Type", "application/xml; charset=utf-8")
	}, func(r Resp) (string, bool, error) {
		m, err := ParseMultistatus(r.Body)
		if err != nil {
			return "", false, err
		}
		hrefs = hrefs[:0]
		for _, x := range Members(m, coll) {
			if p := x.OK(); p != nil && p.ETag != "" {
				hrefs = append(hrefs, strings.TrimSpace(x.Hrefs[0]))
			}
		}
		return fmt.Sprintf("%d of %d members", len(hrefs), n), len(hrefs) == n, nil
	})
	if err != nil {
		return err
	}
	if len(hrefs) == 0 {
		return fmt.Errorf("the calendar lists no members")
	}

	// (c) calendar-multiget of 100 random hrefs, a new sample each time
	// (as the shared benchmark does): mostly objects no request read
	// before, as a client syncing a calendar asks for.
	rng := rand.New(rand.NewPCG(b.c.Seed, 7))
	k := min(100, len(hrefs))
	sample := func() []string {
		pick := make([]string, 0, k)
		for _, i := range rng.Perm(len(hrefs))[:k] {
			pick = append(pick, hrefs[i])
		}
		return pick
	}
	if _, err := b.read(ctx, sr, "multiget_100", "calendar-multiget 100", func() (Resp, error) {
		return b.cl.Want(ctx, []int{207}, "REPORT", coll, multigetBody(sample()), "Depth", "1", "Content-Type", "application/xml; charset=utf-8")
	}, func(r Resp) (string, bool, error) {
		m, err := ParseMultistatus(r.Body)
		if err != nil {
			return "", false, err
		}
		got := 0
		for _, x := range m.Responses {
			if p := x.OK(); p != nil && p.CalendarData != nil && strings.Contains(*p.CalendarData, "BEGIN:VEVENT") {
				got++
			}
		}
		return fmt.Sprintf("%d of %d with data", got, k), got == k, nil
	}); err != nil {
		return err
	}

	// (d) calendar-query over the month.
	for _, q := range []struct {
		key, name string
		mode      int
	}{
		{"query_month_etag", "calendar-query month, etag", dataNone},
		{"query_month_data", "calendar-query month, +data", dataFull},
		{"query_month_expand", "calendar-query month, expand", dataExpand},
	} {
		body := queryBody(&b.w, q.mode)
		if _, err := b.read(ctx, sr, q.key, q.name, func() (Resp, error) {
			return b.cl.Want(ctx, []int{207}, "REPORT", coll, body, "Depth", "1", "Content-Type", "application/xml; charset=utf-8")
		}, func(r Resp) (string, bool, error) {
			return checkQuery(r.Body, coll, x, q.mode)
		}); err != nil {
			return err
		}
	}

	// (e) sync-collection: initial, then after 10 changes.
	var token string
	if _, err := b.read(ctx, sr, "sync_initial", "sync-collection initial", func() (Resp, error) {
		return b.cl.Want(ctx, []int{207}, "REPORT", coll, syncBody(""), "Content-Type", "application/xml; charset=utf-8")
	}, func(r Resp) (string, bool, error) {
		m, err := ParseMultistatus(r.Body)
		if err != nil {
			return "", false, err
		}
		token = m.SyncToken
		k := len(Members(m, coll))
		return fmt.Sprintf("%d of %d members, token %t", k, n, token != ""), k == n && token != "", nil
	}); err != nil {
		return err
	}
	changed, gone := map[string]bool{}, map[string]bool{}
	for i := 0; i < 4; i++ { // modify 4
		e := events[(i*977+13)%n]
		e.Modify()
		if _, err := b.cl.Put(ctx, coll, e, false); err != nil {
			return err
		}
		changed[e.Name()] = true
	}
	for i := 0; i < 3; i++ { // create 3
		e := gen.Next()
		if _, err := b.cl.Put(ctx, coll, e, true); err != nil {
			return err
		}
		events = append(events, e)
		changed[e.Name()] = true
	}
	for i := 0; i < 3; i++ { // delete 3
		j := (i*1361 + 501) % n
		for changed[events[j].Name()] || gone[events[j].Name()] {
			j = (j + 1) % n
		}
		if _, err := b.cl.Want(ctx, []int{200, 204}, "DELETE", coll+events[j].Name(), nil); err != nil {
			return err
		}
		gone[events[j].Name()] = true
	}
	live := events[:0:0]
	for _, e := range events {
		if !gone[e.Name()] {
			live = append(live, e)
		}
	}
	events = live
	if _, err := b.read(ctx, sr, "sync_delta", "sync-collection after 10 changes", func() (Resp, error) {
		return b.cl.Want(ctx, []int{207}, "REPORT", coll, syncBody(token), "Content-Type", "application/xml; charset=utf-8")
	}, func(r Resp) (string, bool, error) {
		m, err := ParseMultistatus(r.Body)
		if err != nil {
			return "", false, err
		}
		okCh, okGone, other := 0, 0, 0
		for _, x := range Members(m, coll) {
			nm := x.Name()
			switch {
			case x.Gone() && gone[nm]:
				okGone++
			case x.OK() != nil && changed[nm]:
				okCh++
			default:
				other++
			}
		}
		ok := okCh == len(changed) && okGone == len(gone) && other == 0
		return fmt.Sprintf("%d/%d changed, %d/%d removed, %d other", okCh, len(changed), okGone, len(gone), other), ok, nil
	}); err != nil {
		return err
	}

	// (f) GET of one event under load.
	target := coll + events[len(events)/2].Name()
	if r, err := b.cl.Want(ctx, []int{200}, "GET", target, nil); err != nil {
		return err
	} else if !strings.Contains(string(r.Body), "BEGIN:VEVENT") {
		return fmt.Errorf("GET %s: no VEVENT", target)
	}
	cpu0 = b.cpu()
	get := func(ctx context.Context) (time.Duration, error) {
		r, err := b.cl.Do(ctx, "GET", target, nil)
		if err == nil && r.Status != 200 {
			err = fmt.Errorf("status %d", r.Status)
		}
		return r.Dur, err
	}
	lr := RunLoad(ctx, b.c.GetClients, b.c.GetDuration, get)
	b.add(sr, &Op{Key: "get_load", Name: fmt.Sprintf("GET one event, %d clients", b.c.GetClients), Value: lr.RPS, Unit: "req/s", Better: "higher",
		Load: &lr, Lat: &lr.Lat, Detail: fmt.Sprintf("p50 %.2f ms, p99 %.2f ms, %d errors", lr.Lat.Median, lr.Lat.P99, lr.Errors),
		Check: fmt.Sprintf("%d errors", lr.Errors), OK: boolp(lr.Errors == 0)}, cpu0)

	// (g) head-of-line blocking.
	if err := b.headOfLine(ctx, sr, coll, target, len(events)); err != nil {
		return err
	}

	// (h) marginal PUTs into the filled calendar.
	if k := b.c.AtSizePuts; k > 0 {
		more := make([]*Event, k)
		for i := range more {
			more[i] = gen.Next()
		}
		cpu0 := b.cpu()
		lats, el, err := b.putAll(ctx, coll, more, 1)
		if err != nil {
			return err
		}
		b.add(sr, putOp("put_at_size", fmt.Sprintf("PUT into the %d, 1 client", n), k, lats, el), cpu0)
		more = make([]*Event, 2*k)
		for i := range more {
			more[i] = gen.Next()
		}
		cpu0 = b.cpu()
		lats, el, err = b.putAll(ctx, coll, more, b.c.Clients)
		if err != nil {
			return err
		}
		b.add(sr, putOp("put_at_size_par", fmt.Sprintf("PUT into the %d, %d clients", n, b.c.Clients), 2*k, lats, el), cpu0)
	}

	// (i) memory and disk.
	sr.RSSFilled = b.proc.RSS()
	sr.RSSPeak = b.proc.MaxRSS()
	sr.HWM = b.proc.HWM()
	sr.DiskAfter = DiskUsage(b.c.DataDir)
	if b.proc != nil {
		b.logf("  RSS empty %s, filled %s (+%s), peak %s", mib(sr.RSSEmpty), mib(sr.RSSFilled), mib(sr.RSSFilled-sr.RSSEmpty), mib(sr.RSSPeak))
	}

	// (j) DELETE the calendar.
	if !b.c.Keep {
		cpu0 := b.cpu()
		r, err := b.cl.Want(ctx, []int{200, 204}, "DELETE", coll, nil)
		if err != nil {
			return err
		}
		cleanup = nil
		b.add(sr, &Op{Key: "delete_calendar", Name: "DELETE the calendar", Value: float64(r.Dur) / 1e6, Unit: "ms", Better: "lower"}, cpu0)
	}
	return nil
}

// cmp is v, or def when v is 0.
func cmp(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// checkQuery compares a calendar-query answer with the expectation.
func checkQuery(body []byte, coll string, x Expectation, mode int) (string, bool, error) {
	m, err := ParseMultistatus(body)
	if err != nil {
		return "", false, err
	}
	found, extra, inst, nodata := 0, 0, 0, 0
	for _, r := range Members(m, coll) {
		p := r.OK()
		if p == nil {
			continue
		}
		if x.Names[r.Name()] {
			found++
		} else {
			extra++
		}
		if mode != dataNone {
			if p.CalendarData == nil || !strings.Contains(*p.CalendarData, "BEGIN:VEVENT") {
				nodata++
			} else {
				inst += strings.Count(*p.CalendarData, "BEGIN:VEVENT")
			}
		}
	}
	s := fmt.Sprintf("%d of %d found", found, x.Objects)
	if extra > 0 {
		s += fmt.Sprintf(", %d extra", extra)
	}
	ok := found == x.Objects && extra == 0
	if mode != dataNone && nodata > 0 {
		s += fmt.Sprintf(", %d without data", nodata)
		ok = false
	}
	if mode == dataExpand {
		s += fmt.Sprintf(", %d of %d instances", inst, x.Instances)
		ok = ok && inst == x.Instances
	}
	return s, ok, nil
}

// fill writes the events as <name>.ics files into a temporary directory
// and runs the -fill-cmd with it.
func (b *bench) fill(ctx context.Context, coll, name string, events []*Event) error {
	dir, err := os.MkdirTemp("", "caldav-bench-fill-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	for _, e := range events {
		if err := os.WriteFile(filepath.Join(dir, e.Name()), e.ICS(), 0o644); err != nil {
			return err
		}
	}
	cmd := exec.CommandContext(ctx, "bash", "-c", b.c.FillCmd)
	cmd.Env = append(os.Environ(), "BENCH_SRC_DIR="+dir, "BENCH_CAL_URL="+b.cl.Resolve(coll),
		"BENCH_CAL_PATH="+coll, "BENCH_CAL_NAME="+name)
	cmd.Stdout, cmd.Stderr = b.log, b.log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("-fill-cmd: %w", err)
	}
	return nil
}

// headOfLine runs whole-calendar REPORTs one after another while a
// second client (its own connections) sends small GETs and PROPFIND
// Depth 0 requests, and records the latencies of those that overlapped
// a REPORT in flight.
func (b *bench) headOfLine(ctx context.Context, sr *SizeResult, coll, target string, n int) error {
	probe := NewClient(b.cl.Base, b.cl.User, b.cl.Pass, 2, b.c.Timeout)
	var busy atomic.Bool        // a REPORT is in flight
	var edges atomic.Int64      // REPORT starts and ends so far
	var overlapped atomic.Int64 // probes that overlapped a REPORT
	stop := make(chan struct{})
	done := make(chan struct{})
	var lats []time.Duration
	var perr error
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			b0, e0 := busy.Load(), edges.Load()
			var r Resp
			var err error
			if i%2 == 0 {
				r, err = probe.Want(ctx, []int{200}, "GET", target, nil)
			} else {
				r, err = probe.Want(ctx, []int{207}, "PROPFIND", coll, []byte(propfindRT), "Depth", "0", "Content-Type", "application/xml; charset=utf-8")
			}
			if err != nil {
				perr = err
				return
			}
			if b0 || busy.Load() || edges.Load() != e0 {
				lats = append(lats, r.Dur)
				overlapped.Add(1)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	cpu0 := b.cpu()
	body := queryBody(nil, dataFull)
	got := 0
	var reports []time.Duration
	var rerr error
	time.Sleep(20 * time.Millisecond)
	// The REPORTs asked for, and more while fewer than minOverlapped
	// probes met one (a small calendar's REPORT can be over before any
	// probe is sent).
	const minOverlapped, maxReports = 5, 200
	for i := 0; i < max(1, b.c.HOLReports) || (overlapped.Load() < minOverlapped && i < maxReports); i++ {
		edges.Add(1)
		busy.Store(true)
		r, err := b.cl.Want(ctx, []int{207}, "REPORT", coll, body, "Depth", "1", "Content-Type", "application/xml; charset=utf-8")
		busy.Store(false)
		edges.Add(1)
		if err != nil {
			rerr = err
			break
		}
		reports = append(reports, r.Dur)
		if m, err := ParseMultistatus(r.Body); err == nil {
			got = len(Members(m, coll))
		}
	}
	close(stop)
	<-done
	if rerr != nil || perr != nil {
		msg := fmt.Sprint("REPORT: ", rerr)
		if perr != nil {
			msg = fmt.Sprint("probe: ", perr)
		}
		msg = strings.Join(strings.Fields(msg), " ")
		if len(msg) > 160 {
			msg = msg[:160] + "…"
		}
		b.add(sr, &Op{Key: "hol_max", Name: "small request during REPORT, max", Unit: "ms", Better: "lower", Check: "error: " + msg, OK: boolp(false)}, cpu0)
		return nil
	}
	l := Summarize(lats)
	rl := Summarize(reports)
	op := &Op{Key: "hol_max", Name: "small request during REPORT, max", Value: l.Max, Unit: "ms", Better: "lower", Lat: &l,
		Detail: fmt.Sprintf("%d probes during %d REPORTs of %d objects (REPORT median %.0f ms), p50 %.1f ms", l.N, rl.N, got, rl.Median, l.Median),
		Check:  fmt.Sprintf("%d probes, p50 %.1f ms", l.N, l.Median), OK: boolp(l.N > 0)}
	b.add(sr, op, cpu0)
	b.add(sr, &Op{Key: "report_all_data", Name: fmt.Sprintf("calendar-query all %d, +data", n), Value: rl.Median, Unit: "ms", Better: "lower", Lat: &rl,
		Check: fmt.Sprintf("%d of %d", got, n), OK: boolp(got == n)}, b.cpu())
	return nil
}

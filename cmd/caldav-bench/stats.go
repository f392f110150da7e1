package main

import (
	"context"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Lat summarises latencies in milliseconds.
type Lat struct {
	N      int     `json:"n"`
	Min    float64 `json:"min_ms"`
	Median float64 `json:"median_ms"`
	P90    float64 `json:"p90_ms"`
	P99    float64 `json:"p99_ms"`
	Max    float64 `json:"max_ms"`
	Mean   float64 `json:"mean_ms"`
}

// Summarize computes Lat of ds.
func Summarize(ds []time.Duration) Lat {
	if len(ds) == 0 {
		return Lat{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	ms := func(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	// Nearest-rank percentiles.
	pct := func(p float64) time.Duration {
		i := int(math.Ceil(p/100*float64(len(s)))) - 1
		return s[max(0, min(i, len(s)-1))]
	}
	return Lat{N: len(s), Min: ms(s[0]), Median: ms(pct(50)), P90: ms(pct(90)), P99: ms(pct(99)), Max: ms(s[len(s)-1]),
		Mean: ms(sum / time.Duration(len(s)))}
}

// LoadResult is the outcome of a closed-loop load run.
type LoadResult struct {
	Clients  int     `json:"clients"`
	Seconds  float64 `json:"seconds"`
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	RPS      float64 `json:"req_per_s"`
	Lat      Lat     `json:"latency"`
}

// RunLoad runs fn from clients goroutines, each calling it again as soon
// as it returns, for d; fn returns its own latency.
func RunLoad(ctx context.Context, clients int, d time.Duration, fn func(ctx context.Context) (time.Duration, error)) LoadResult {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var mu sync.Mutex
	var lats []time.Duration
	errs := 0
	var wg sync.WaitGroup
	t0 := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			bad := 0
			for ctx.Err() == nil {
				l, err := fn(ctx)
				if ctx.Err() != nil {
					break // cut off by the deadline: not counted
				}
				if err != nil {
					bad++
					continue
				}
				mine = append(mine, l)
			}
			mu.Lock()
			lats = append(lats, mine...)
			errs += bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	el := time.Since(t0).Seconds()
	return LoadResult{Clients: clients, Seconds: el, Requests: len(lats), Errors: errs, RPS: float64(len(lats)) / el, Lat: Summarize(lats)}
}

// Proc samples a server process (and its descendants) through /proc.
type Proc struct {
	PID int
	mu  sync.Mutex
	max int64 // highest RSS sum seen by the sampler, bytes
}

// pids returns PID and its descendants.
func (p *Proc) pids() []int {
	ents, _ := os.ReadDir("/proc")
	parent := map[int]int{}
	for _, e := range ents {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if pp := statField(n, 4); pp != "" {
			parent[n], _ = strconv.Atoi(pp)
		}
	}
	out := []int{p.PID}
	for changed := true; changed; {
		changed = false
		for c, pp := range parent {
			if slices.Contains(out, pp) && !slices.Contains(out, c) {
				out = append(out, c)
				changed = true
			}
		}
	}
	return out
}

// statField returns field i (1-based, as in proc(5)) of /proc/pid/stat.
func statField(pid, i int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	s := string(b)
	j := strings.LastIndexByte(s, ')') // the command may hold spaces
	if j < 0 {
		return ""
	}
	f := strings.Fields(s[j+1:])
	if i-3 < 0 || i-3 >= len(f) {
		return ""
	}
	return f[i-3]
}

// statusKB reads a "Name:   N kB" line of /proc/pid/status.
func statusKB(pid int, name string) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, name+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n * 1024
		}
	}
	return 0
}

// RSS is the resident set of the process tree now, in bytes.
func (p *Proc) RSS() int64 {
	if p == nil || p.PID == 0 {
		return 0
	}
	var s int64
	for _, id := range p.pids() {
		s += statusKB(id, "VmRSS")
	}
	p.mu.Lock()
	p.max = max(p.max, s)
	p.mu.Unlock()
	return s
}

// HWM is the process's own peak RSS (VmHWM), in bytes.
func (p *Proc) HWM() int64 {
	if p == nil || p.PID == 0 {
		return 0
	}
	return statusKB(p.PID, "VmHWM")
}

// CPU is the user+system CPU time of the process tree so far.
func (p *Proc) CPU() float64 {
	if p == nil || p.PID == 0 {
		return 0
	}
	var t float64
	for _, id := range p.pids() {
		u, _ := strconv.ParseFloat(statField(id, 14), 64)
		s, _ := strconv.ParseFloat(statField(id, 15), 64)
		t += (u + s) / 100 // USER_HZ is 100 on Linux
	}
	return t
}

// Sample records the RSS every interval until ctx ends.
func (p *Proc) Sample(ctx context.Context, every time.Duration) {
	if p == nil || p.PID == 0 {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			p.RSS()
		}
	}
}

// MaxRSS is the highest sampled RSS, and resets it.
func (p *Proc) MaxRSS() int64 {
	if p == nil {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	m := p.max
	p.max = 0
	return m
}

// DiskUsage is the space allocated to the files under dir, in bytes
// (as du counts it).
func DiskUsage(dir string) int64 {
	if dir == "" {
		return 0
	}
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if fi, err := d.Info(); err == nil {
			if st, ok := fi.Sys().(*syscall.Stat_t); ok {
				n += st.Blocks * 512
			} else {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

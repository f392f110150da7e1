package main

import (
	"io/fs"
	"net/http"
	"net/http/pprof"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gocaldav/gocaldav/gitstore"
)

// metrics are the Prometheus metrics of one server.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	logins   prometheus.Counter
}

// newMetrics registers the request metrics and the store gauges.
func newMetrics(store *gitstore.Store, dataDir string) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "caldav_http_requests_total", Help: "HTTP requests by method and status code.",
	}, []string{"method", "code"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "caldav_http_request_duration_seconds", Help: "Time to answer HTTP requests, by method.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
	}, []string{"method"})
	m.logins = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "caldav_failed_logins_total", Help: "Requests whose credentials were refused.",
	})
	m.reg.MustRegister(m.requests, m.latency, m.logins,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.reg.MustRegister(&storeCollector{store: store, dataDir: dataDir})
	return m
}

// knownMethods bounds the method label, so clients cannot create series.
var knownMethods = map[string]bool{"GET": true, "HEAD": true, "PUT": true, "DELETE": true, "OPTIONS": true,
	"POST": true, "PROPFIND": true, "PROPPATCH": true, "MKCOL": true, "MKCALENDAR": true, "REPORT": true,
	"COPY": true, "MOVE": true, "ACL": true}

// observe counts one answered request.
func (m *metrics) observe(method string, status int, took time.Duration) {
	if m == nil {
		return
	}
	if !knownMethods[method] {
		method = "other"
	}
	m.requests.WithLabelValues(method, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(method).Observe(took.Seconds())
}

// failedLogin counts a refused login.
func (m *metrics) failedLogin() {
	if m != nil {
		m.logins.Inc()
	}
}

// throttledLogins registers the count of login attempts the brute-force
// throttle made wait.
func (m *metrics) throttledLogins(count func() uint64) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "caldav_login_throttled_total", Help: "Login attempts delayed because of earlier failures for the user or from the address.",
	}, func() float64 { return float64(count()) }))
}

// handler serves /metrics and, withProfiles, net/http/pprof at /debug/pprof/.
func (m *metrics) handler(withProfiles bool) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	if withProfiles {
		// Sample contention too (one in 100 mutex waits, blocking events
		// of 1 ms or more), for the mutex and block profiles.
		runtime.SetMutexProfileFraction(100)
		runtime.SetBlockProfileRate(int(time.Millisecond))
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	return mux
}

// storeCollector reports the store's state at each scrape: push lag,
// repository size, users, calendars and objects.
type storeCollector struct {
	store   *gitstore.Store
	dataDir string

	mu     sync.Mutex
	cached []prometheus.Metric
	at     time.Time
}

var (
	descPending  = prometheus.NewDesc("caldav_push_pending_commits", "Local commits the remote does not have yet.", nil, nil)
	descLastPush = prometheus.NewDesc("caldav_push_last_success_timestamp_seconds", "Time of the last successful push (0: never).", nil, nil)
	descPushErr  = prometheus.NewDesc("caldav_push_failing", "1 while the last push or fetch failed.", nil, nil)
	descPushLag  = prometheus.NewDesc("caldav_push_lag_seconds", "Age of the oldest local commit the remote does not have yet (0: none).", nil, nil)
	descAttempts = prometheus.NewDesc("caldav_push_attempts_total", "Pushes tried (retries of a failing push included).", nil, nil)
	descFailures = prometheus.NewDesc("caldav_push_failures_total", "Pushes that failed (remote unreachable, rejected, diverged).", nil, nil)
	descRepo     = prometheus.NewDesc("caldav_repository_bytes", "Size of the data repository on disk.", nil, nil)
	descUsers    = prometheus.NewDesc("caldav_principals", "Principals (users and groups).", nil, nil)
	descCals     = prometheus.NewDesc("caldav_calendars", "Collections under /calendars/.", nil, nil)
	descObjects  = prometheus.NewDesc("caldav_objects", "Objects in those collections.", nil, nil)
)

// Describe implements prometheus.Collector.
func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descPending, descLastPush, descPushErr, descPushLag, descAttempts, descFailures, descRepo, descUsers, descCals, descObjects} {
		ch <- d
	}
}

// Collect implements prometheus.Collector. Counting walks the tree, so
// its results are kept for 30 seconds.
func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.store.PushStatus()
	failing, last, lag := 0.0, 0.0, 0.0
	if st.LastError != "" {
		failing = 1
	}
	if !st.LastPush.IsZero() {
		last = float64(st.LastPush.Unix())
	}
	if !st.Oldest.IsZero() {
		lag = max(0, time.Since(st.Oldest).Seconds())
	}
	ch <- prometheus.MustNewConstMetric(descPending, prometheus.GaugeValue, float64(st.Pending))
	ch <- prometheus.MustNewConstMetric(descLastPush, prometheus.GaugeValue, last)
	ch <- prometheus.MustNewConstMetric(descPushErr, prometheus.GaugeValue, failing)
	ch <- prometheus.MustNewConstMetric(descPushLag, prometheus.GaugeValue, lag)
	ch <- prometheus.MustNewConstMetric(descAttempts, prometheus.CounterValue, float64(st.Attempts))
	ch <- prometheus.MustNewConstMetric(descFailures, prometheus.CounterValue, float64(st.Failures))
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.at) > 30*time.Second {
		c.cached = c.counts()
		c.at = time.Now()
	}
	for _, m := range c.cached {
		ch <- m
	}
}

// counts measures the repository and counts what it holds.
func (c *storeCollector) counts() []prometheus.Metric {
	var size int64
	_ = filepath.WalkDir(c.dataDir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				size += info.Size()
			}
		}
		return nil
	})
	snap := c.store.Head()
	principals, calendars, objects := 0, 0, 0
	if es, err := snap.List("principals"); err == nil {
		for _, e := range es {
			if e.Dir {
				principals++
			}
		}
	}
	if es, err := snap.List("calendars"); err == nil {
		for _, e := range es {
			if !e.Dir {
				continue
			}
			calendars++
			if kids, err := snap.List("calendars/" + e.Name); err == nil {
				for _, k := range kids {
					if !k.Dir && !strings.HasSuffix(k.Name, ".prop") {
						objects++
					}
				}
			}
		}
	}
	return []prometheus.Metric{
		prometheus.MustNewConstMetric(descRepo, prometheus.GaugeValue, float64(size)),
		prometheus.MustNewConstMetric(descUsers, prometheus.GaugeValue, float64(principals)),
		prometheus.MustNewConstMetric(descCals, prometheus.GaugeValue, float64(calendars)),
		prometheus.MustNewConstMetric(descObjects, prometheus.GaugeValue, float64(objects)),
	}
}

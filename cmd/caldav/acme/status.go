package acme

import (
	"slices"

	"github.com/prometheus/client_golang/prometheus"
	"time"
)

// Status is a snapshot of the Manager's certificate and its history in
// this process.
type Status struct {
	// Domains and Challenge are as configured.
	Domains   []string
	Challenge string
	// NotBefore and NotAfter bound the served certificate; zero when
	// there is none yet. Issuer is its issuer's common name.
	NotBefore, NotAfter time.Time
	Issuer              string
	// RenewAt is when the served certificate is due for renewal; zero
	// when there is none.
	RenewAt time.Time
	// LastAttempt, LastSuccess and LastFailure are the times of the last
	// issuance attempt, the last success and the last failure; zero when
	// there was none.
	LastAttempt, LastSuccess, LastFailure time.Time
	// LastError is the error of the last attempt, nil when it succeeded
	// (or none was made).
	LastError error
	// Renewals counts the certificates obtained (the first one included),
	// Failures the failed attempts.
	Renewals, Failures uint64
}

// Status returns the current state.
func (m *Manager) Status() Status {
	m.statMu.Lock()
	s := m.stat
	m.statMu.Unlock()
	s.Domains = slices.Clone(s.Domains)
	if c := m.cert.Load(); c != nil {
		s.NotBefore, s.NotAfter = c.Leaf.NotBefore, c.Leaf.NotAfter
		s.Issuer = c.Leaf.Issuer.CommonName
		s.RenewAt = renewAt(c, m.cfg.RenewBefore)
	}
	return s
}

// Collector returns Prometheus metrics read from Status at each scrape:
//
//	caldav_acme_certificate_not_after_seconds   expiry of the served certificate (Unix time; absent without one)
//	caldav_acme_certificate_renew_at_seconds    when it is due for renewal (Unix time)
//	caldav_acme_last_success_timestamp_seconds  last certificate obtained (Unix time)
//	caldav_acme_last_failure_timestamp_seconds  last failed attempt (Unix time)
//	caldav_acme_last_attempt_ok                 1 if the last attempt succeeded, 0 if it failed
//	caldav_acme_renewals_total                  certificates obtained
//	caldav_acme_failures_total                  failed attempts
//
// Alert on caldav_acme_certificate_not_after_seconds - time() < 7*86400,
// or on caldav_acme_last_attempt_ok == 0.
func (m *Manager) Collector() prometheus.Collector { return collector{m} }

// collector implements prometheus.Collector for a Manager.
type collector struct{ m *Manager }

var (
	descNotAfter    = prometheus.NewDesc("caldav_acme_certificate_not_after_seconds", "Expiry of the served ACME certificate, Unix time.", nil, nil)
	descRenewAt     = prometheus.NewDesc("caldav_acme_certificate_renew_at_seconds", "When the served ACME certificate is due for renewal, Unix time.", nil, nil)
	descLastSuccess = prometheus.NewDesc("caldav_acme_last_success_timestamp_seconds", "Time a certificate was last obtained, Unix time.", nil, nil)
	descLastFailure = prometheus.NewDesc("caldav_acme_last_failure_timestamp_seconds", "Time of the last failed attempt to obtain a certificate, Unix time.", nil, nil)
	descLastOK      = prometheus.NewDesc("caldav_acme_last_attempt_ok", "1 if the last attempt to obtain a certificate succeeded, 0 if it failed.", nil, nil)
	descRenewals    = prometheus.NewDesc("caldav_acme_renewals_total", "Certificates obtained from the ACME CA.", nil, nil)
	descFailures    = prometheus.NewDesc("caldav_acme_failures_total", "Failed attempts to obtain a certificate.", nil, nil)
)

// Describe implements prometheus.Collector.
func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descNotAfter, descRenewAt, descLastSuccess, descLastFailure, descLastOK, descRenewals, descFailures} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c collector) Collect(ch chan<- prometheus.Metric) {
	s := c.m.Status()
	unix := func(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }
	gauge := func(d *prometheus.Desc, t time.Time) {
		if !t.IsZero() {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, unix(t))
		}
	}
	gauge(descNotAfter, s.NotAfter)
	gauge(descRenewAt, s.RenewAt)
	gauge(descLastSuccess, s.LastSuccess)
	gauge(descLastFailure, s.LastFailure)
	if !s.LastAttempt.IsZero() {
		ok := 1.0
		if s.LastError != nil {
			ok = 0
		}
		ch <- prometheus.MustNewConstMetric(descLastOK, prometheus.GaugeValue, ok)
	}
	ch <- prometheus.MustNewConstMetric(descRenewals, prometheus.CounterValue, float64(s.Renewals))
	ch <- prometheus.MustNewConstMetric(descFailures, prometheus.CounterValue, float64(s.Failures))
}

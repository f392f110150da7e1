package recur

import (
	"errors"
	"time"

	"github.com/gocaldav/gocaldav/caldav/recur/rrule"
)

// Default limits, used where a Limits field is zero.
const (
	// DefaultMaxInstances is the most instances one expansion returns.
	DefaultMaxInstances = 10_000
	// DefaultMaxSteps is the most rule periods (days of a FREQ=DAILY
	// rule, seconds of a FREQ=SECONDLY rule, ...) examined per expansion.
	DefaultMaxSteps = rrule.DefaultMaxSteps
	// DefaultHorizonYears: no instance starts later than this many years
	// after DTSTART or after now, whichever is later.
	DefaultHorizonYears = 50
)

// ErrTooManyInstances is returned when the requested window needs more
// instances, or more rule evaluation, than Limits allow.
var ErrTooManyInstances = errors.New("recur: too many recurrence instances")

// Limits bounds an expansion. The zero value means the defaults.
type Limits struct {
	// MaxInstances bounds the instances delivered for one window.
	MaxInstances int
	// MaxSteps bounds the rule periods examined.
	MaxSteps int
	// HorizonYears: instances starting later than HorizonYears after
	// max(DTSTART, Now) are not generated (silently).
	HorizonYears int
	// Now is the reference for HorizonYears; zero means time.Now().
	Now time.Time
}

func (l Limits) withDefaults() Limits {
	if l.MaxInstances <= 0 {
		l.MaxInstances = DefaultMaxInstances
	}
	if l.MaxSteps <= 0 {
		l.MaxSteps = DefaultMaxSteps
	}
	if l.HorizonYears <= 0 {
		l.HorizonYears = DefaultHorizonYears
	}
	if l.Now.IsZero() {
		l.Now = time.Now()
	}
	return l
}

// horizon returns the latest instance start allowed for a set starting at
// dtstart.
func (l Limits) horizon(dtstart time.Time) time.Time {
	base := l.Now
	if dtstart.After(base) {
		base = dtstart
	}
	return base.AddDate(l.HorizonYears, 0, 0)
}

package account

import (
	"context"
	"sync"
	"time"
)

// throttle slows down repeated failed logins, per user name and per
// client address, without ever locking anyone out: after a few failures
// each further attempt waits, doubling up to a cap, and the count fades
// after a quiet period or resets with a successful login.
type throttle struct {
	free     int           // failures without delay
	base     time.Duration // first delay
	max      time.Duration // largest delay
	forget   time.Duration // quiet time after which failures are forgotten
	maxKeys  int
	now      func() time.Time
	sleep    func(context.Context, time.Duration) error
	mu       sync.Mutex
	failures map[string]*failures
}

type failures struct {
	n    int
	last time.Time
}

// newThrottle returns the default policy: five free failures, then
// 250 ms doubling to 8 s, forgotten after 15 quiet minutes.
func newThrottle() *throttle {
	return &throttle{free: 5, base: 250 * time.Millisecond, max: 8 * time.Second, forget: 15 * time.Minute,
		maxKeys: 100_000, now: time.Now, sleep: sleepCtx, failures: map[string]*failures{}}
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// delay is the wait owed before the next attempt for keys.
func (t *throttle) delay(keys ...string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	worst := 0
	now := t.now()
	for _, k := range keys {
		f, ok := t.failures[k]
		if !ok {
			continue
		}
		if now.Sub(f.last) > t.forget {
			delete(t.failures, k)
			continue
		}
		worst = max(worst, f.n)
	}
	if worst < t.free {
		return 0
	}
	d := t.base << min(worst-t.free, 16)
	return min(d, t.max)
}

// wait sleeps the delay owed for keys.
func (t *throttle) wait(ctx context.Context, keys ...string) error {
	if d := t.delay(keys...); d > 0 {
		return t.sleep(ctx, d)
	}
	return nil
}

// failed records a failure for keys.
func (t *throttle) failed(keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.failures) >= t.maxKeys {
		clear(t.failures) // under a flood, forget rather than grow
	}
	for _, k := range keys {
		f := t.failures[k]
		if f == nil {
			f = &failures{}
			t.failures[k] = f
		}
		f.n++
		f.last = t.now()
	}
}

// succeeded forgets the failures of keys. (Guesses at another user's
// password stay slowed by that user's own count.)
func (t *throttle) succeeded(keys ...string) {
	t.mu.Lock()
	for _, k := range keys {
		delete(t.failures, k)
	}
	t.mu.Unlock()
}

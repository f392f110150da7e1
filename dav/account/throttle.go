package account

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// throttle slows down repeated failed logins, per user name and per
// client address, without ever locking anyone out: after a few failures
// each further attempt waits, doubling up to a cap, and the count fades
// after a quiet period or resets with a successful login.
//
// A user who logged in successfully from an address is known there: that
// user's attempts from that address wait only for the user's own
// failures, not the address's. Otherwise everyone behind one address (a
// NAT, a reverse proxy) would wait whenever someone there guesses
// passwords. Being known depends on the user name and the address alone,
// never on the password presented, so it reveals nothing about a guess.
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
	known    map[string]time.Time // user+addr key → last successful login
	// delayed counts the attempts made to wait.
	delayed atomic.Uint64
}

// knownFor is how long a successful login keeps its user known at its
// address.
const knownFor = 30 * 24 * time.Hour

type failures struct {
	n    int
	last time.Time
}

// newThrottle returns the default policy: five free failures, then
// 250 ms doubling to 8 s, forgotten after 15 quiet minutes.
func newThrottle() *throttle {
	return &throttle{free: 5, base: 250 * time.Millisecond, max: 8 * time.Second, forget: 15 * time.Minute,
		maxKeys: 100_000, now: time.Now, sleep: sleepCtx, failures: map[string]*failures{}, known: map[string]time.Time{}}
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
		t.delayed.Add(1)
		return t.sleep(ctx, d)
	}
	return nil
}

// waitLogin sleeps the delay owed before user may try a password from
// addr: for the user's failures, and for the address's unless the user
// is known there.
func (t *throttle) waitLogin(ctx context.Context, user, addr string) error {
	if t.isKnown(user, addr) {
		return t.wait(ctx, "user:"+user)
	}
	return t.wait(ctx, "user:"+user, "addr:"+addr)
}

// isKnown reports whether user logged in from addr recently.
func (t *throttle) isKnown(user, addr string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := user + "\x00" + addr
	at, ok := t.known[k]
	if ok && t.now().Sub(at) > knownFor {
		delete(t.known, k)
		return false
	}
	return ok
}

// loggedIn records a successful login of user from addr: the user's
// failures are forgotten and the user is known at addr. The address's
// failures stay: they may be someone else's.
func (t *throttle) loggedIn(user, addr string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.failures, "user:"+user)
	if len(t.known) >= t.maxKeys {
		clear(t.known)
	}
	t.known[user+"\x00"+addr] = t.now()
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

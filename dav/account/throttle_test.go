package account

import (
	"context"
	"testing"
	"time"
)

func TestThrottlePolicy(t *testing.T) {
	th := newThrottle()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	th.now = func() time.Time { return now }
	for i := 0; i < 5; i++ {
		if d := th.delay("u"); d != 0 {
			t.Fatalf("delay %v after %d failures, want none", d, i)
		}
		th.failed("u")
	}
	var last time.Duration
	for i := 0; i < 12; i++ {
		d := th.delay("u")
		if d <= 0 || d > 8*time.Second || d < last {
			t.Fatalf("failure %d: delay %v (previous %v)", i+5, d, last)
		}
		last = d
		th.failed("u")
	}
	if last != 8*time.Second {
		t.Errorf("delay capped at %v, want 8s", last)
	}
	if th.delay("other") != 0 {
		t.Errorf("another key is delayed")
	}
	now = now.Add(16 * time.Minute)
	if d := th.delay("u"); d != 0 {
		t.Errorf("failures not forgotten after a quiet period: %v", d)
	}
	th.failed("u")
	th.succeeded("u")
	if d := th.delay("u"); d != 0 {
		t.Errorf("a success did not reset: %v", d)
	}
}

// TestBruteForceSlowedNotLocked: wrong passwords for alice make later
// attempts wait, but alice with the right password still gets in.
func TestBruteForceSlowedNotLocked(t *testing.T) {
	e := newEnv(t, false)
	e.users("alice")
	var slept []time.Duration
	e.m.throttle.sleep = func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }
	for i := 0; i < 8; i++ {
		if r := e.AsWith("alice", "guess", "PROPFIND", "/calendars/alice/", ""); r.Status != 401 {
			t.Fatalf("wrong password: %d", r.Status)
		}
	}
	if len(slept) < 3 {
		t.Fatalf("attempts after the free ones were not slowed: %v", slept)
	}
	n := len(slept)
	e.Want(207, "alice", "PROPFIND", "/calendars/alice/", "", "Depth", "0")
	if len(slept) != n+1 {
		t.Errorf("the right password was not delayed like the rest: %v", slept)
	}
	slept = nil
	e.Want(207, "alice", "PROPFIND", "/calendars/alice/", "", "Depth", "0")
	if len(slept) != 0 {
		t.Errorf("after a success alice is still slowed: %v", slept)
	}
}

// TestKnownUserNotSlowedByAddress: someone guessing passwords from an
// address shared with a user who logged in there before (a NAT, a
// reverse proxy) slows that address's unknown logins and the attacked
// user, not the bystander; the delays are counted.
func TestKnownUserNotSlowedByAddress(t *testing.T) {
	e := newEnv(t, false)
	e.users("alice", "bob")
	var slept []time.Duration
	e.m.throttle.sleep = func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }
	e.Want(207, "bob", "PROPFIND", "/calendars/bob/", "", "Depth", "0") // bob is known at the address
	for i := 0; i < 8; i++ {
		e.AsWith("alice", "guess", "PROPFIND", "/calendars/alice/", "")
		e.AsWith("nobody", "guess", "PROPFIND", "/calendars/alice/", "")
	}
	if len(slept) == 0 || e.m.ThrottledLogins() != uint64(len(slept)) {
		t.Fatalf("guesses were not slowed or not counted: %v, counted %d", slept, e.m.ThrottledLogins())
	}
	slept = nil
	e.Want(207, "bob", "PROPFIND", "/calendars/bob/", "", "Depth", "0")
	if len(slept) != 0 {
		t.Errorf("bob, known at the address, was slowed by others' failures: %v", slept)
	}
	e.AsWith("carol", "guess", "PROPFIND", "/calendars/bob/", "")
	if len(slept) != 1 {
		t.Errorf("an unknown name from the guessing address was not slowed: %v", slept)
	}
	slept = nil
	e.Want(207, "alice", "PROPFIND", "/calendars/alice/", "", "Depth", "0")
	if len(slept) != 1 {
		t.Errorf("alice's own failures did not slow her next attempt: %v", slept)
	}
}

package password

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// cheap are parameters fast enough for tests.
var cheap = Params{Time: 1, Memory: 1024, Threads: 1, KeyLen: 32, SaltLen: 16}

func TestHashAndVerify(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(cheap, 2)
	stored, err := h.Hash(ctx, "pa:ss:word")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stored, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Fatalf("PHC string %q", stored)
	}
	if ok, up, err := h.Verify(ctx, stored, "", "pa:ss:word"); !ok || up || err != nil {
		t.Fatalf("right password: ok=%v upgrade=%v err=%v", ok, up, err)
	}
	if ok, _, _ := h.Verify(ctx, stored, "", "pa:ss:wore"); ok {
		t.Fatal("wrong password verified")
	}
	again, _ := h.Hash(ctx, "pa:ss:word")
	if again == stored {
		t.Fatal("two hashes of one password share a salt")
	}
}

// TestRoburHash checks robur's SHA-256 scheme against a value computed by
// an independent computation (openssl dgst -sha256 of "SALT-password",
// base64), and that it
// asks for an upgrade.
func TestRoburHash(t *testing.T) {
	h := NewHasher(cheap, 1)
	salt := "c2FsdHNhbHRzYWx0c2Fs"
	stored := LegacyHash("hunter2", salt)
	if stored != "VuT7o42alIlJdL/RKTussNH+L2sr7lAxPioBpYTskUo=" {
		t.Fatalf("LegacyHash = %s", stored)
	}
	ok, up, err := h.Verify(context.Background(), stored, salt, "hunter2")
	if !ok || !up || err != nil {
		t.Fatalf("robur hash: ok=%v upgrade=%v err=%v", ok, up, err)
	}
	if ok, _, _ := h.Verify(context.Background(), stored, salt, "hunter3"); ok {
		t.Fatal("wrong password verified against a robur hash")
	}
	if ok, _, _ := h.Verify(context.Background(), "", salt, ""); ok {
		t.Fatal("an empty stored hash verified")
	}
}

func TestMalformedStoredHash(t *testing.T) {
	h := NewHasher(cheap, 1)
	for _, s := range []string{"$argon2id$", "$argon2id$v=19$m=1,t=1,p=1$x$y", "$argon2id$v=19$m=99999999,t=1,p=1$c2FsdA$" + strings.Repeat("A", 43),
		"$argon2id$v=18$m=1024,t=1,p=1$c2FsdA$" + strings.Repeat("A", 43)} {
		if _, _, err := h.Verify(context.Background(), s, "", "x"); err == nil {
			t.Errorf("accepted %q", s)
		}
	}
}

// TestConcurrencyCap: never more computations at once than the cap.
func TestConcurrencyCap(t *testing.T) {
	h := NewHasher(cheap, 2)
	var running, peak atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := h.acquire(context.Background()); err != nil {
				t.Error(err)
				return
			}
			n := running.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(5 * time.Millisecond)
			running.Add(-1)
			h.release()
		}()
	}
	wg.Wait()
	if peak.Load() > 2 {
		t.Fatalf("%d computations ran at once, cap is 2", peak.Load())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	full := NewHasher(cheap, 1)
	_ = full.acquire(context.Background())
	if _, err := full.Hash(ctx, "x"); err == nil {
		t.Fatal("Hash did not give up on a cancelled context")
	}
}

func TestCache(t *testing.T) {
	c := NewCache(time.Minute, 4)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c.now = func() time.Time { return now }
	c.Add("alice", "pw", "H1")
	if !c.Valid("alice", "pw", "H1") {
		t.Fatal("fresh entry not valid")
	}
	if c.Valid("alice", "other", "H1") || c.Valid("alice", "pw", "H2") || c.Valid("bob", "pw", "H1") {
		t.Fatal("cache matched other credentials or a changed hash")
	}
	now = now.Add(2 * time.Minute)
	if c.Valid("alice", "pw", "H1") {
		t.Fatal("expired entry still valid")
	}
	for i := 0; i < 20; i++ {
		c.Add("u", string(rune('a'+i)), "H")
	}
	if len(c.entries) > 4 {
		t.Fatalf("cache grew to %d entries, max 4", len(c.entries))
	}
}

// BenchmarkHashDefault measures one login's hash with DefaultParams.
func BenchmarkHashDefault(b *testing.B) {
	h := NewHasher(DefaultParams, 1)
	for b.Loop() {
		if _, err := h.Hash(context.Background(), "correct horse"); err != nil {
			b.Fatal(err)
		}
	}
}

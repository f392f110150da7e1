package password

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"sync"
	"time"
)

// Cache remembers credentials that verified, for a short time, keyed by a
// keyed hash of user, password and the stored hash: a changed password
// invalidates the entry, and the cache itself never holds a password.
type Cache struct {
	ttl time.Duration
	max int
	now func() time.Time

	key     [32]byte
	mu      sync.Mutex
	entries map[[32]byte]time.Time
}

// NewCache returns a cache keeping entries for ttl, at most max of them.
func NewCache(ttl time.Duration, max int) *Cache {
	c := &Cache{ttl: ttl, max: max, now: time.Now, entries: make(map[[32]byte]time.Time)}
	if _, err := rand.Read(c.key[:]); err != nil {
		panic("password: no randomness for the cache key: " + err.Error())
	}
	return c
}

func (c *Cache) id(user, password, stored string) [32]byte {
	m := hmac.New(sha256.New, c.key[:])
	for _, s := range []string{user, password, stored} {
		m.Write([]byte(s))
		m.Write([]byte{0})
	}
	var out [32]byte
	copy(out[:], m.Sum(nil))
	return out
}

// Valid reports whether these credentials verified against stored within
// the last ttl.
func (c *Cache) Valid(user, password, stored string) bool {
	id := c.id(user, password, stored)
	c.mu.Lock()
	defer c.mu.Unlock()
	exp, ok := c.entries[id]
	if ok && c.now().Before(exp) {
		return true
	}
	if ok {
		delete(c.entries, id)
	}
	return false
}

// Add records credentials that just verified.
func (c *Cache) Add(user, password, stored string) {
	id := c.id(user, password, stored)
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		for k, exp := range c.entries {
			if !now.Before(exp) || len(c.entries) >= c.max {
				delete(c.entries, k)
			}
			if len(c.entries) < c.max/2 {
				break
			}
		}
	}
	c.entries[id] = now.Add(c.ttl)
}

// Package password hashes and verifies user passwords: argon2id for new
// hashes, robur's salted SHA-256 for hashes a robur server wrote (verified
// once, then replaced), a cap on concurrent hash computations so a burst
// of logins cannot exhaust memory, and a short-lived cache of verified
// credentials so a client's every request does not pay a full hash.
package password

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's cost parameters.
type Params struct {
	// Time is the number of passes.
	Time uint32
	// Memory is the memory cost in KiB.
	Memory uint32
	// Threads is the parallelism.
	Threads uint8
	// KeyLen and SaltLen are byte lengths of the hash and the salt.
	KeyLen, SaltLen uint32
}

// DefaultParams are OWASP's argon2id recommendation (19 MiB, two passes,
// one lane): about as slow to guess as RFC 9106's 64 MiB variant on a
// small server, with a third of the memory per login, which matters when
// several clients log in at once.
var DefaultParams = Params{Time: 2, Memory: 19 * 1024, Threads: 1, KeyLen: 32, SaltLen: 16}

// maxMemory bounds the memory cost a stored hash may ask for (KiB), so a
// tampered repository cannot make a login allocate without limit.
const maxMemory = 1 << 20

// Hasher computes and verifies hashes, at most a fixed number at a time.
type Hasher struct {
	params Params
	slots  chan struct{}
}

// NewHasher returns a hasher with the given parameters that runs at most
// concurrency computations at once (at least 1).
func NewHasher(p Params, concurrency int) *Hasher {
	if concurrency < 1 {
		concurrency = 1
	}
	return &Hasher{params: p, slots: make(chan struct{}, concurrency)}
}

// acquire waits for a computation slot.
func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("password: waiting to hash: %w", ctx.Err())
	}
}

func (h *Hasher) release() { <-h.slots }

// Hash returns the PHC string of a new argon2id hash of password,
// "$argon2id$v=19$m=…,t=…,p=…$salt$hash".
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, h.params.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: salt: %w", err)
	}
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	p := h.params
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

var b64 = base64.RawStdEncoding

// ErrMalformed is returned for a stored hash that cannot be read.
var ErrMalformed = errors.New("password: malformed stored hash")

// IsArgon2 reports whether stored is an argon2id PHC string.
func IsArgon2(stored string) bool { return strings.HasPrefix(stored, "$argon2id$") }

// Verify checks password against a stored hash. A robur hash (base64
// SHA-256 of salt "-" password, with the salt robur stored beside it)
// verifies too and reports upgrade, so the caller can replace it with an
// argon2id hash. Comparisons are constant-time.
func (h *Hasher) Verify(ctx context.Context, stored, roburSalt, password string) (ok, upgrade bool, err error) {
	if !IsArgon2(stored) {
		if stored == "" {
			return false, false, nil
		}
		want := LegacyHash(password, roburSalt)
		return subtle.ConstantTimeCompare([]byte(want), []byte(stored)) == 1, true, nil
	}
	p, salt, key, err := parsePHC(stored)
	if err != nil {
		return false, false, err
	}
	if err := h.acquire(ctx); err != nil {
		return false, false, err
	}
	defer h.release()
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, false, nil
}

// parsePHC reads an argon2id PHC string.
func parsePHC(s string) (Params, []byte, []byte, error) {
	var p Params
	parts := strings.Split(s, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
	if len(parts) != 6 || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, ErrMalformed
	}
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, _ := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return p, nil, nil, ErrMalformed
		}
		switch k {
		case "m":
			p.Memory = uint32(n)
		case "t":
			p.Time = uint32(n)
		case "p":
			if n > 255 {
				return p, nil, nil, ErrMalformed
			}
			p.Threads = uint8(n)
		default:
			return p, nil, nil, ErrMalformed
		}
	}
	if p.Memory == 0 || p.Memory > maxMemory || p.Time == 0 || p.Time > 16 || p.Threads == 0 {
		return p, nil, nil, ErrMalformed
	}
	salt, err1 := b64.DecodeString(parts[4])
	key, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(key) < 16 || len(key) > 128 {
		return p, nil, nil, ErrMalformed
	}
	return p, salt, key, nil
}

// LegacyHash is robur's password hash: base64 of SHA-256 over the stored
// base64 salt text, "-", and the password (webdav_api.ml hash_password).
func LegacyHash(password, salt string) string {
	sum := sha256.Sum256([]byte(salt + "-" + password))
	return base64.StdEncoding.EncodeToString(sum[:])
}

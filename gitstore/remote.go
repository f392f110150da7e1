package gitstore

import (
	"crypto/ed25519"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// RemoteAuth holds the credentials and trust settings of a remote.
type RemoteAuth struct {
	// SSHKey is "ed25519:<base64 32-byte seed>" (robur's format) or the
	// path of an unencrypted OpenSSH private key file.
	SSHKey string
	// SSHHostKey pins the ssh server's host key: "SHA256:<base64>" as
	// printed by ssh-keygen -lf.
	SSHHostKey string
	// KnownHosts is a known_hosts file used when SSHHostKey is empty.
	KnownHosts string
	// SSHPassword authenticates with a password when SSHKey is empty.
	SSHPassword string
	// CABundle adds PEM certificates trusted for an https remote, on top
	// of the system's roots.
	CABundle []byte
	// TLSAuthenticator, when set, decides alone which certificate an
	// https remote may present: a pinned leaf certificate or key, or
	// its own trust anchors (see TLSAuthenticator). It cannot be
	// combined with CABundle and needs an https remote.
	TLSAuthenticator *TLSAuthenticator
}

// Remote is a parsed remote: where to fetch and push, and how to
// authenticate. Its String form never contains credentials.
type Remote struct {
	url     string // as given to go-git, without credentials
	display string
	branch  string // remote branch; "" means the local branch name
	auth    transport.AuthMethod
	secrets []string
	ca      []byte
}

// String returns the remote's URL without credentials, and its branch.
func (r *Remote) String() string {
	if r.branch != "" {
		return r.display + "#" + r.branch
	}
	return r.display
}

// Branch returns the remote branch named after '#', or "" when the local
// branch name is used.
func (r *Remote) Branch() string { return r.branch }

var scpLike = regexp.MustCompile(`^(?:([^@/:]+)@)?([^@/:]+):(.*)$`)

// ParseRemote parses a remote as robur's --remote does: URL[#branch] with
// git://, http(s)://[user:pass@]host/repo, ssh://[user@]host[:port]/path,
// user@host:path, file:// or a local path. ssh remotes need a key or a
// password and a pinned host key (or a known_hosts file); robur's
// "rsa:<seed>" key format is refused. Errors never contain credentials.
func ParseRemote(raw string, auth RemoteAuth) (*Remote, error) {
	r := &Remote{ca: auth.CABundle}
	if auth.TLSAuthenticator != nil && len(auth.CABundle) > 0 {
		return nil, errors.New("gitstore: remote: give either a CA bundle or a TLS authenticator, not both")
	}
	s := raw
	if i := strings.LastIndexByte(s, '#'); i >= 0 {
		s, r.branch = s[:i], s[i+1:]
	}
	if s == "" {
		return nil, errors.New("gitstore: remote: empty URL")
	}
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil {
			return nil, fmt.Errorf("gitstore: remote %q: malformed URL", redactURL(s))
		}
		switch u.Scheme {
		case "git", "file":
			if u.User != nil {
				return nil, fmt.Errorf("gitstore: remote %s: credentials are not supported for %s://", redactURL(s), u.Scheme)
			}
			r.url = u.String()
		case "http", "https":
			if u.User != nil {
				pass, _ := u.User.Password()
				r.auth = &githttp.BasicAuth{Username: u.User.Username(), Password: pass}
				r.secrets = append(r.secrets, pass)
				u.User = nil
			}
			if a := auth.TLSAuthenticator; a != nil && u.Scheme == "https" {
				var inner transport.AuthMethod
				if r.auth != nil {
					inner = r.auth
				}
				r.auth = newTLSAuth(a, u.Hostname(), inner)
			}
			r.url = u.String()
		case "ssh":
			user := "git"
			if u.User != nil {
				if p, ok := u.User.Password(); ok {
					r.secrets = append(r.secrets, p)
					if auth.SSHPassword == "" {
						auth.SSHPassword = p
					}
				}
				user = u.User.Username()
			}
			if err := r.sshAuth(user, auth); err != nil {
				return nil, err
			}
			u.User = url.User(user)
			r.url = u.String()
		default:
			return nil, fmt.Errorf("gitstore: remote %s: unsupported scheme %q", redactURL(s), u.Scheme)
		}
	} else if m := scpLike.FindStringSubmatch(s); m != nil && !filepath.IsAbs(s) && !strings.HasPrefix(s, ".") {
		user := m[1]
		if user == "" {
			user = "git"
		}
		if err := r.sshAuth(user, auth); err != nil {
			return nil, err
		}
		r.url = user + "@" + m[2] + ":" + m[3]
	} else {
		abs, err := filepath.Abs(s)
		if err != nil {
			return nil, fmt.Errorf("gitstore: remote %q: %w", s, err)
		}
		r.url = "file://" + filepath.ToSlash(abs)
	}
	for _, sec := range []string{auth.SSHPassword} {
		if sec != "" {
			r.secrets = append(r.secrets, sec)
		}
	}
	if _, ok := r.auth.(*tlsAuth); auth.TLSAuthenticator != nil && !ok {
		return nil, fmt.Errorf("gitstore: remote %s: a TLS authenticator needs an https:// remote", redactURL(s))
	}
	r.display = r.url
	return r, nil
}

// sshAuth sets up key or password authentication with host key checking.
func (r *Remote) sshAuth(user string, a RemoteAuth) error {
	hk, err := hostKeyCallback(a)
	if err != nil {
		return err
	}
	switch {
	case a.SSHKey != "":
		signer, err := parseSSHKey(a.SSHKey)
		if err != nil {
			return err
		}
		pk := &gitssh.PublicKeys{User: user, Signer: signer}
		pk.HostKeyCallback = hk
		r.auth = pk
	case a.SSHPassword != "":
		pw := &gitssh.Password{User: user, Password: a.SSHPassword}
		pw.HostKeyCallback = hk
		r.auth = pw
	default:
		return errors.New("gitstore: ssh remote needs a key (ed25519:<seed> or a key file) or a password")
	}
	return nil
}

// parseSSHKey reads robur's "ed25519:<base64 seed>" or an OpenSSH key file.
func parseSSHKey(k string) (ssh.Signer, error) {
	kind, val, ok := strings.Cut(k, ":")
	switch {
	case ok && kind == "ed25519":
		seed, err := base64.StdEncoding.DecodeString(val)
		if err != nil || len(seed) != ed25519.SeedSize {
			return nil, errors.New("gitstore: ssh key: ed25519: expects the base64 encoding of a 32-byte seed")
		}
		return ssh.NewSignerFromKey(ed25519.NewKeyFromSeed(seed))
	case ok && kind == "rsa":
		return nil, errors.New("gitstore: ssh key: rsa:<seed> keys are not supported; use ed25519:<seed> or an OpenSSH private key file")
	}
	b, err := os.ReadFile(k)
	if err != nil {
		return nil, fmt.Errorf("gitstore: ssh key: %w", err)
	}
	signer, err := ssh.ParsePrivateKey(b)
	if err != nil {
		var pe *ssh.PassphraseMissingError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("gitstore: ssh key %s is encrypted; give an unencrypted key", k)
		}
		return nil, fmt.Errorf("gitstore: ssh key %s: %w", k, err)
	}
	return signer, nil
}

// hostKeyCallback pins a host key fingerprint or uses a known_hosts file,
// and refuses to connect otherwise.
func hostKeyCallback(a RemoteAuth) (ssh.HostKeyCallback, error) {
	switch {
	case a.SSHHostKey != "":
		want, ok := strings.CutPrefix(a.SSHHostKey, "SHA256:")
		if !ok {
			return nil, errors.New(`gitstore: ssh host key pin must look like "SHA256:<base64>"`)
		}
		want = strings.TrimRight(want, "=")
		return func(host string, _ net.Addr, key ssh.PublicKey) error {
			got := strings.TrimPrefix(ssh.FingerprintSHA256(key), "SHA256:")
			if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
				return fmt.Errorf("gitstore: ssh host key of %s is SHA256:%s, not the pinned one", host, got)
			}
			return nil
		}, nil
	case a.KnownHosts != "":
		cb, err := knownhosts.New(a.KnownHosts)
		if err != nil {
			return nil, fmt.Errorf("gitstore: known_hosts: %w", err)
		}
		return cb, nil
	}
	return nil, errors.New("gitstore: refusing an unpinned ssh host key: give its SHA256 fingerprint or a known_hosts file")
}

var userinfo = regexp.MustCompile(`://[^/@\s]*@`)

// redactURL hides the user information of a URL.
func redactURL(s string) string { return userinfo.ReplaceAllString(s, "://***@") }

// scrub removes the remote's credentials from a message.
func (r *Remote) scrub(msg string) string {
	for _, s := range r.secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "***")
		}
	}
	return redactURL(msg)
}

package gitstore

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

func TestParseRemote(t *testing.T) {
	seed, _ := seedKey(t)
	pin := "SHA256:" + strings.Repeat("A", 43)
	sshAuth := RemoteAuth{SSHKey: seed, SSHHostKey: pin}
	cases := []struct {
		in      string
		auth    RemoteAuth
		url     string
		branch  string
		wantErr string
	}{
		{in: "git://127.0.0.1/r.git", url: "git://127.0.0.1/r.git"},
		{in: "git://127.0.0.1/r.git#cal", url: "git://127.0.0.1/r.git", branch: "cal"},
		{in: "https://bob:s3cret@example.org/r.git#main", url: "https://example.org/r.git", branch: "main"},
		{in: "http://example.org:8080/r.git", url: "http://example.org:8080/r.git"},
		{in: "ssh://git@example.org:2222/srv/r.git", auth: sshAuth, url: "ssh://git@example.org:2222/srv/r.git"},
		{in: "ssh://example.org/r.git", auth: sshAuth, url: "ssh://git@example.org/r.git"},
		{in: "alice@example.org:repos/r.git#x", auth: sshAuth, url: "alice@example.org:repos/r.git", branch: "x"},
		{in: "example.org:r.git", auth: sshAuth, url: "git@example.org:r.git"},
		{in: "file:///srv/r.git", url: "file:///srv/r.git"},
		{in: "/srv/r.git", url: "file:///srv/r.git"},
		{in: "ssh://example.org/r.git", auth: RemoteAuth{SSHKey: seed}, wantErr: "unpinned"},
		{in: "ssh://example.org/r.git", auth: RemoteAuth{SSHHostKey: pin}, wantErr: "needs a key"},
		{in: "ssh://example.org/r.git", auth: RemoteAuth{SSHKey: "rsa:AAAA", SSHHostKey: pin}, wantErr: "rsa"},
		{in: "ssh://example.org/r.git", auth: RemoteAuth{SSHKey: "ed25519:c2hvcnQ=", SSHHostKey: pin}, wantErr: "32-byte seed"},
		{in: "ssh://example.org/r.git", auth: RemoteAuth{SSHKey: seed, SSHHostKey: "MD5:xx"}, wantErr: "SHA256"},
		{in: "ftp://x/y", wantErr: "unsupported scheme"},
		{in: "#main", wantErr: "empty"},
	}
	for _, c := range cases {
		r, err := ParseRemote(c.in, c.auth)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%s: got %v, want error with %q", c.in, err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if r.url != c.url || r.Branch() != c.branch {
			t.Errorf("%s: url %q branch %q, want %q %q", c.in, r.url, r.Branch(), c.url, c.branch)
		}
		if strings.Contains(r.String(), "s3cret") {
			t.Errorf("%s: String leaks the password: %s", c.in, r)
		}
	}
	r, _ := ParseRemote("https://bob:s3cret@example.org/r.git", RemoteAuth{})
	if got := r.scrub("Get https://bob:s3cret@example.org/x: s3cret"); strings.Contains(got, "s3cret") {
		t.Errorf("scrub: %s", got)
	}
	// An OpenSSH key file works; an encrypted one is refused with a message.
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	blk, _ := ssh.MarshalPrivateKey(priv, "")
	kf := filepath.Join(t.TempDir(), "id_ed25519")
	os.WriteFile(kf, pem.EncodeToMemory(blk), 0o600)
	if _, err := ParseRemote("git@h:r.git", RemoteAuth{SSHKey: kf, SSHHostKey: pin}); err != nil {
		t.Errorf("key file: %v", err)
	}
	blk, _ = ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte("pw"))
	os.WriteFile(kf, pem.EncodeToMemory(blk), 0o600)
	if _, err := ParseRemote("git@h:r.git", RemoteAuth{SSHKey: kf, SSHHostKey: pin}); err == nil || !strings.Contains(err.Error(), "encrypted") {
		t.Errorf("encrypted key file: %v", err)
	}
}

// remoteLog returns the remote's main branch log as "subject" lines.
func remoteLog(t testing.TB, repo string) []string {
	out := strings.TrimSpace(gitCmd(t, repo, "log", "--format=%s", "main"))
	return strings.Split(out, "\n")
}

func commitN(t testing.TB, s *Store, prefix string, n int) {
	for i := range n {
		p := fmt.Sprintf("calendars/alice/%s%d.ics", prefix, i)
		if _, err := s.Batch(context.Background(), who("PUT /"+p), func(tx *Txn) error {
			return tx.Write(p, []byte(p))
		}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRemoteGitDaemon(t *testing.T) {
	needGit(t)
	ctx := context.Background()
	base := t.TempDir()
	repo := bareRepo(t, base, "cal")
	url := startGitDaemon(t, base) + "/cal.git"
	r, err := ParseRemote(url, RemoteAuth{})
	if err != nil {
		t.Fatal(err)
	}
	// An empty remote is fine; async pushes reach it.
	a := openDiskT(t, t.TempDir(), Options{Remote: r})
	commitN(t, a, "a", 3)
	fctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := a.Flush(fctx); err != nil {
		t.Fatal(err)
	}
	if st := a.PushStatus(); st.Pending != 0 || st.LastError != "" || st.LastPush.IsZero() {
		t.Fatalf("status %+v", st)
	}
	if got := remoteLog(t, repo); len(got) != 3 || got[0] != "PUT /calendars/alice/a2.ics" {
		t.Fatalf("remote log %q", got)
	}
	fsck(t, repo)

	// A second server starting from an empty directory fetches everything.
	bdir := t.TempDir()
	b := openDiskT(t, bdir, Options{Remote: r})
	if b.Head().Commit() != a.Head().Commit() || !b.Head().Exists("calendars/alice/a1.ics") {
		t.Fatal("empty directory did not fetch the remote")
	}
	// b moves the remote on; a is rejected, fetches, and reports divergence
	// instead of forcing.
	commitN(t, b, "b", 1)
	if err := b.Flush(fctx); err != nil {
		t.Fatal(err)
	}
	commitN(t, a, "c", 1)
	deadline := time.Now().Add(20 * time.Second)
	for a.PushStatus().LastError == "" && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	st := a.PushStatus()
	if !strings.Contains(st.LastError, "diverged") || st.Pending != 1 {
		t.Fatalf("status after rejected push: %+v", st)
	}
	if got := remoteLog(t, repo); got[0] != "PUT /calendars/alice/b0.ics" {
		t.Fatalf("remote was overwritten: %q", got)
	}
	// Restarting a diverged server is refused with a clear message.
	adir := a.disk.dir
	a.Close()
	if _, err := Open(ctx, adir, Options{Remote: r, Logger: quiet}); !errors.Is(err, ErrDiverged) || !strings.Contains(err.Error(), "Refusing to start") {
		t.Fatalf("diverged open: %v", err)
	}
	// A server behind the remote fast-forwards on start.
	commitN(t, b, "d", 2)
	b.Flush(fctx)
	b.Close()
	cdir := t.TempDir()
	c := openDiskT(t, cdir, Options{})
	c.Close()
	gitCmd(t, cdir, "fetch", "-q", repo, "main:main") // c now holds an older state
	gitCmd(t, cdir, "update-ref", "refs/heads/main", "HEAD~2")
	c = openDiskT(t, cdir, Options{Remote: r})
	if c.Head().Commit() != strings.TrimSpace(gitCmd(t, repo, "rev-parse", "main")) {
		t.Fatal("did not fast-forward to the remote")
	}
}

func TestRemoteSSHSync(t *testing.T) {
	needGit(t)
	ctx := context.Background()
	base := t.TempDir()
	repo := bareRepo(t, base, "cal")
	key, pub := seedKey(t)
	srv := startSSH(t, base, pub, "")
	url := "ssh://git@" + srv.addr + "/cal.git#main"
	r, err := ParseRemote(url, RemoteAuth{SSHKey: key, SSHHostKey: srv.fingerprint})
	if err != nil {
		t.Fatal(err)
	}
	s := openDiskT(t, t.TempDir(), Options{Remote: r, Push: PushSync})
	id, err := s.Batch(ctx, who("PUT x"), func(tx *Txn) error { return tx.Write("x", []byte("1")) })
	if err != nil {
		t.Fatal(err)
	}
	// PushSync: the remote has the commit as soon as Batch returns.
	if got := strings.TrimSpace(gitCmd(t, repo, "rev-parse", "main")); got != id {
		t.Fatalf("remote at %s, want %s", got, id)
	}
	fsck(t, repo)

	// A wrong host key pin is refused (and so is starting empty then).
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	osig, _ := ssh.NewSignerFromKey(other)
	bad, _ := ParseRemote(url, RemoteAuth{SSHKey: key, SSHHostKey: ssh.FingerprintSHA256(osig.PublicKey())})
	_, err = Open(ctx, t.TempDir(), Options{Remote: bad, Logger: quiet})
	if err == nil || !strings.Contains(err.Error(), "not the pinned one") {
		t.Fatalf("wrong pin: %v", err)
	}
	// A key the server does not know is refused.
	wrong, _ := seedKey(t)
	bad, _ = ParseRemote(url, RemoteAuth{SSHKey: wrong, SSHHostKey: srv.fingerprint})
	if _, err := Open(ctx, t.TempDir(), Options{Remote: bad, Logger: quiet}); err == nil {
		t.Fatal("unknown client key accepted")
	}
	// known_hosts works instead of a pin.
	kh := filepath.Join(t.TempDir(), "known_hosts")
	host, port, _ := strings.Cut(srv.addr, ":")
	hostPub := sshHostKey(t, srv.addr, key)
	os.WriteFile(kh, fmt.Appendf(nil, "[%s]:%s %s", host, port, ssh.MarshalAuthorizedKey(hostPub)), 0o644)
	viaKH, err := ParseRemote(url, RemoteAuth{SSHKey: key, KnownHosts: kh})
	if err != nil {
		t.Fatal(err)
	}
	s2 := openDiskT(t, t.TempDir(), Options{Remote: viaKH})
	if s2.Head().Commit() != id {
		t.Fatal("known_hosts clone failed")
	}
}

// sshHostKey fetches the server's host key (test helper for known_hosts).
func sshHostKey(t testing.TB, addr, key string) ssh.PublicKey {
	var got ssh.PublicKey
	signer, _ := parseSSHKey(key)
	cfg := &ssh.ClientConfig{User: "git", Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: func(_ string, _ net.Addr, k ssh.PublicKey) error { got = k; return nil }}
	c, err := ssh.Dial("tcp", addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	return got
}

func TestRemoteSSHPassword(t *testing.T) {
	needGit(t)
	base := t.TempDir()
	repo := bareRepo(t, base, "cal")
	srv := startSSH(t, base, nil, "hunter2")
	// (scp-like syntax has no port: the URL form reaches the test server.)
	r, err := ParseRemote("ssh://git@"+srv.addr+"/cal.git", RemoteAuth{SSHPassword: "hunter2", SSHHostKey: srv.fingerprint})
	if err != nil {
		t.Fatal(err)
	}
	s := openDiskT(t, t.TempDir(), Options{Remote: r, Push: PushSync})
	id := put(t, s, "a", "1")
	if got := strings.TrimSpace(gitCmd(t, repo, "rev-parse", "main")); got != id {
		t.Fatalf("remote at %s", got)
	}
}

func TestRemoteHTTPBasicAuth(t *testing.T) {
	needGit(t)
	ctx := context.Background()
	base := t.TempDir()
	repo := bareRepo(t, base, "cal")
	srvURL := startHTTP(t, base, "bob", "s3cret-pw")
	good, err := ParseRemote(strings.Replace(srvURL, "http://", "http://bob:s3cret-pw@", 1)+"/cal.git", RemoteAuth{})
	if err != nil {
		t.Fatal(err)
	}
	s := openDiskT(t, t.TempDir(), Options{Remote: good, Push: PushSync})
	commitN(t, s, "h", 2)
	if got := remoteLog(t, repo); len(got) != 2 {
		t.Fatalf("remote log %q", got)
	}
	fsck(t, repo)
	// Wrong credentials: refused, and the password is in no message.
	bad, _ := ParseRemote(strings.Replace(srvURL, "http://", "http://bob:wrong-pw-123@", 1)+"/cal.git", RemoteAuth{})
	_, err = Open(ctx, t.TempDir(), Options{Remote: bad, Logger: quiet})
	if err == nil || strings.Contains(err.Error(), "wrong-pw-123") {
		t.Fatalf("bad credentials: %v", err)
	}
	// With local data the server starts anyway; sync pushes fail without leaking.
	dir := t.TempDir()
	l := openDiskT(t, dir, Options{})
	put(t, l, "z", "1")
	l.Close()
	var logs strings.Builder
	s2 := openDiskT(t, dir, Options{Remote: bad, Push: PushSync, Logger: slogTo(&logs)})
	_, err = s2.Batch(ctx, who("PUT y"), func(tx *Txn) error { return tx.Write("y", nil) })
	if !errors.Is(err, ErrPush) || strings.Contains(err.Error(), "wrong-pw-123") {
		t.Fatalf("sync push with bad credentials: %v", err)
	}
	if !s2.Head().Exists("y") {
		t.Fatal("commit lost after failed sync push")
	}
	st := s2.PushStatus()
	if st.LastError == "" || st.Pending != 2 || strings.Contains(st.LastError, "wrong-pw-123") {
		t.Fatalf("status %+v", st)
	}
	if strings.Contains(logs.String(), "wrong-pw-123") {
		t.Fatalf("password in logs:\n%s", logs.String())
	}
}

func TestRemoteAsyncRetriesUntilReachable(t *testing.T) {
	needGit(t)
	ctx := context.Background()
	dir := t.TempDir()
	l := openDiskT(t, dir, Options{})
	put(t, l, "a", "1")
	l.Close()
	base := t.TempDir()
	missing := filepath.Join(base, "later.git")
	r, _ := ParseRemote(missing, RemoteAuth{})
	s := openDiskT(t, dir, Options{Remote: r, PushRetryMax: 100 * time.Millisecond})
	commitN(t, s, "r", 3)
	deadline := time.Now().Add(20 * time.Second)
	for s.PushStatus().LastError == "" && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if st := s.PushStatus(); st.Pending != 4 || st.LastError == "" {
		t.Fatalf("unreachable: %+v", st)
	}
	bareRepo(t, base, "later") // the remote comes back
	fctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := s.Flush(fctx); err != nil {
		t.Fatal(err)
	}
	if st := s.PushStatus(); st.Pending != 0 || st.LastError != "" {
		t.Fatalf("after recovery: %+v", st)
	}
	if got := remoteLog(t, missing); len(got) != 4 {
		t.Fatalf("remote log %q", got)
	}
}

func TestMemoryStoreWithRemote(t *testing.T) {
	needGit(t)
	base := t.TempDir()
	repo := bareRepo(t, base, "m")
	r, _ := ParseRemote(repo, RemoteAuth{})
	s, err := OpenMemory(Options{Remote: r, Push: PushSync, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	id := put(t, s, "a", "1")
	if got := strings.TrimSpace(gitCmd(t, repo, "rev-parse", "main")); got != id {
		t.Fatalf("remote at %s", got)
	}
}

// TestFlushCutsBackoffShort: after failed pushes the pusher waits before
// retrying; a Flush (graceful shutdown) must push at once.
func TestFlushCutsBackoffShort(t *testing.T) {
	dir, missing, r := storeWithMissingRemote(t)
	defer func(d time.Duration) { firstRetry = d }(firstRetry)
	firstRetry = time.Hour // the next retry would be an hour away
	s, err := Open(context.Background(), dir, Options{Remote: r, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	put(t, s, "b", "2")
	deadline := time.Now().Add(20 * time.Second)
	for s.PushStatus().LastError == "" && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if s.PushStatus().LastError == "" {
		t.Fatal("push did not fail while the remote was missing")
	}
	bareRepo(t, filepath.Dir(missing), "later")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := s.Flush(ctx); err != nil {
		t.Fatalf("Flush waited for the backoff: %v", err)
	}
	if got := remoteLog(t, missing); len(got) != 2 {
		t.Fatalf("remote log %q", got)
	}
}

// storeWithMissingRemote makes a repository with one commit in a new
// directory and a remote at a path with no repository (yet).
func storeWithMissingRemote(t *testing.T) (dir, missing string, r *Remote) {
	t.Helper()
	needGit(t)
	dir = t.TempDir()
	l := openDiskT(t, dir, Options{})
	put(t, l, "a", "1")
	l.Close()
	missing = filepath.Join(t.TempDir(), "later.git")
	r, err := ParseRemote(missing, RemoteAuth{})
	if err != nil {
		t.Fatal(err)
	}
	return dir, missing, r
}

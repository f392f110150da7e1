package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/gocaldav/gocaldav/webmachine"
)

// config is the server's command line, validated.
type config struct {
	dataDir       string
	adminPassword string
	httpAddr      string
	remote        string
	sshKey        string
	sshHostKey    string
	sshKnownHosts string
	push          string
	tofu          bool
	trace         webmachine.TraceMode
	logLevel      string
	logFormat     string
}

// parseConfig reads the command line args (without the program name).
// Every flag may also be given as an environment variable CALDAV_NAME
// (upper case, dashes as underscores); the command line wins.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("caldav", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported in one line by main
	fs.Usage = func() {}     // the flag package calls it on every error
	usage := func() {
		fmt.Fprintf(stderr, "usage: caldav --data DIR --admin-password P --http [ADDR:]PORT [flags]\n\nflags (each also as CALDAV_NAME in the environment):\n")
		fs.SetOutput(stderr)
		fs.PrintDefaults()
	}
	var traceMode, adminPasswordFile string
	fs.StringVar(&c.dataDir, "data", "./caldav-data", "data directory: a bare git repository, created when missing")
	fs.StringVar(&c.adminPassword, "admin-password", "", "password of user root, required on first start")
	fs.StringVar(&adminPasswordFile, "admin-password-file", "", "file holding the password of user root")
	fs.StringVar(&c.httpAddr, "http", "", "listen for plain HTTP on [ADDR:]PORT")
	fs.StringVar(&c.remote, "remote", "", "git remote to push to: URL[#branch]")
	fs.StringVar(&c.sshKey, "ssh-key", "", "ssh key for the remote: ed25519:BASE64 seed or a private key file")
	fs.StringVar(&c.sshHostKey, "ssh-authenticator", "", "pinned ssh host key of the remote: SHA256:BASE64")
	fs.StringVar(&c.sshHostKey, "authenticator", "", "alias of --ssh-authenticator (robur's older name)")
	fs.StringVar(&c.sshKnownHosts, "ssh-known-hosts", "", "known_hosts file for the remote's ssh host key")
	fs.StringVar(&c.push, "push", "async", "push mode: async (in the background) or sync (before answering)")
	fs.BoolVar(&c.tofu, "tofu", false, "trust on first use: create unknown users at their first login")
	fs.StringVar(&traceMode, "trace", "off", "webmachine decision trace: off, log or header")
	fs.StringVar(&c.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&c.logFormat, "log-format", "text", "log format: text or json")
	if err := applyEnv(fs, getenv); err != nil {
		return nil, err
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage()
		}
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if adminPasswordFile != "" {
		b, err := os.ReadFile(adminPasswordFile)
		if err != nil {
			return nil, fmt.Errorf("--admin-password-file: %w", err)
		}
		c.adminPassword = strings.TrimRight(string(b), "\r\n")
	}
	var err error
	if c.trace, err = webmachine.ParseTraceMode(traceMode); err != nil {
		return nil, fmt.Errorf("--trace: %w", err)
	}
	if c.httpAddr == "" {
		return nil, errors.New("no listener: give --http [ADDR:]PORT")
	}
	if c.httpAddr, err = listenAddr(c.httpAddr); err != nil {
		return nil, fmt.Errorf("--http: %w", err)
	}
	switch c.push {
	case "async", "sync":
	default:
		return nil, fmt.Errorf("--push must be async or sync, not %q", c.push)
	}
	switch c.logFormat {
	case "text", "json":
	default:
		return nil, fmt.Errorf("--log-format must be text or json, not %q", c.logFormat)
	}
	if strings.HasPrefix(c.sshKey, "rsa:") {
		return nil, errors.New("--ssh-key rsa:SEED is robur's own key derivation and is not supported: use ed25519:BASE64 or a private key file")
	}
	return c, nil
}

// applyEnv sets each flag from CALDAV_NAME when that variable is set.
func applyEnv(fs *flag.FlagSet, getenv func(string) string) error {
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		name := "CALDAV_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(name); v != "" && err == nil {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s: %w", name, e)
			}
		}
	})
	return err
}

// listenAddr accepts robur's bare port ("8080") and ADDR:PORT.
func listenAddr(s string) (string, error) {
	if _, err := strconv.ParseUint(s, 10, 16); err == nil {
		return ":" + s, nil
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", fmt.Errorf("%q is not [ADDR:]PORT", s)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return "", fmt.Errorf("%q: bad port", s)
	}
	return net.JoinHostPort(host, port), nil
}

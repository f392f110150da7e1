// Command caldav is the gocaldav server: CalDAV and WebDAV over a git
// repository, one commit per change.
//
//	caldav --data DIR --admin-password P --http [ADDR:]PORT
//	caldav passwd --data DIR USER
//	caldav import --data DIR --calendar NAME --user USER FILE.ics
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// defaultGCPercent is the server's garbage-collection target unless GOGC
// says otherwise: the heap may grow 70% past the data in use between
// collections, not Go's 100%. At 10,000 events that keeps the resident
// size some 20 MiB lower for a few percent more CPU (docs/performance.md).
const defaultGCPercent = 70

func main() {
	args := os.Args[1:]
	if len(args) > 0 {
		switch args[0] {
		case "passwd":
			os.Exit(runPasswd(args[1:]))
		case "import":
			os.Exit(runImport(args[1:]))
		}
	}
	cfg, err := parseConfig(args, os.Getenv, os.Stdout)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "caldav:", err)
		os.Exit(2)
	}
	log, sys, err := newLogger(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "caldav:", err)
		os.Exit(2)
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first signal the default action returns: a second one
	// ends a shutdown that takes too long.
	context.AfterFunc(ctx, stop)
	if err := run(ctx, cfg, log); err != nil {
		// One line on stderr; syslog, which does not see stderr, gets it too.
		if sys != nil {
			sys.Error("caldav stopped", "err", err)
		}
		fmt.Fprintln(os.Stderr, "caldav:", err)
		os.Exit(1)
	}
}

// newLogger builds the slog logger the flags ask for: text or JSON on
// stderr, and RFC 5424 syslog when --syslog is set. sys logs to syslog
// alone (nil without --syslog).
func newLogger(cfg *config) (log, sys *slog.Logger, err error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.logLevel)); err != nil {
		return nil, nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(os.Stderr, opts)
	if cfg.logFormat == "json" {
		h = slog.NewJSONHandler(os.Stderr, opts)
	}
	if cfg.syslog != "" {
		sh, err := newSyslogHandler(cfg.syslog, level)
		if err != nil {
			return nil, nil, err
		}
		h = fanout{h, sh}
		sys = slog.New(sh)
	}
	return slog.New(h), sys, nil
}

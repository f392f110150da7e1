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
	"syscall"
)

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
	cfg, err := parseConfig(args, os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "caldav:", err)
		os.Exit(2)
	}
	log, err := newLogger(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "caldav:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, log); err != nil {
		log.Error("caldav stopped", "err", err)
		fmt.Fprintln(os.Stderr, "caldav:", err)
		os.Exit(1)
	}
}

// newLogger builds the slog logger the flags ask for: text or JSON on
// stderr, and RFC 5424 syslog when --syslog is set.
func newLogger(cfg *config) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(os.Stderr, opts)
	if cfg.logFormat == "json" {
		h = slog.NewJSONHandler(os.Stderr, opts)
	}
	if cfg.syslog != "" {
		sh, err := newSyslogHandler(cfg.syslog, level)
		if err != nil {
			return nil, err
		}
		h = fanout{h, sh}
	}
	return slog.New(h), nil
}

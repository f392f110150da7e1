// Command caldav is the gocaldav server: CalDAV and WebDAV over a git
// repository, one commit per change.
//
//	caldav --data DIR --admin-password P --http [ADDR:]PORT
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gocaldav/gocaldav/dav"
	"github.com/gocaldav/gocaldav/dav/account"
	"github.com/gocaldav/gocaldav/gitstore"
	"github.com/gocaldav/gocaldav/webmachine"
)

func main() {
	cfg, err := parseConfig(os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "caldav:", err)
		os.Exit(2)
	}
	log := newLogger(cfg)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, log); err != nil {
		log.Error("caldav stopped", "err", err)
		os.Exit(1)
	}
}

// newLogger builds the slog logger the flags ask for.
func newLogger(cfg *config) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.logLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

// run opens the store, serves until ctx ends, then shuts down gracefully.
func run(ctx context.Context, cfg *config, log *slog.Logger) error {
	store, err := gitstore.Open(ctx, cfg.dataDir, gitstore.Options{Logger: log})
	if err != nil {
		return fmt.Errorf("opening %s: %w", cfg.dataDir, err)
	}
	defer store.Close()
	accounts := account.New(store, account.Options{Logger: log})
	matches, err := accounts.Bootstrap(ctx, cfg.adminPassword)
	if err != nil {
		return err
	}
	if !matches {
		log.Warn("--admin-password differs from root's stored password; the stored one stays (use 'caldav passwd root' to reset it)")
	}
	srv := &dav.Server{Store: store, Logger: log, Auth: accounts.Authenticator(cfg.tofu), Access: &dav.ACLAccess{},
		DAVClasses: "1, 3, access-control, extended-mkcol"}
	rt := &webmachine.Router{Options: webmachine.Options{Trace: cfg.trace, Logger: log}}
	rt.Handle("/healthz", func(*http.Request, map[string]string) webmachine.Resource { return healthz{store: store} })
	accounts.Routes(rt)
	srv.Routes(rt)

	ln, err := net.Listen("tcp", cfg.httpAddr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.httpAddr, err)
	}
	hs := &http.Server{
		Handler:           rt,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("caldav listening", "http", ln.Addr().String(), "data", cfg.dataDir)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("caldav shutting down")
	shutdown, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdown); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := store.Flush(shutdown); err != nil {
		return fmt.Errorf("flushing pushes: %w", err)
	}
	return nil
}

// healthz answers GET /healthz: 200 while the store is readable.
type healthz struct {
	webmachine.Base
	store *gitstore.Store
}

func (h healthz) ContentTypesProvided(context.Context, *webmachine.Request) ([]webmachine.Provider, error) {
	return []webmachine.Provider{{MediaType: "text/plain", Write: func(_ context.Context, rq *webmachine.Request) error {
		st := h.store.PushStatus()
		rq.SetBody([]byte(fmt.Sprintf("ok\ncommit %s\npush pending %d\n", h.store.Head().Commit(), st.Pending)))
		return nil
	}}}, nil
}

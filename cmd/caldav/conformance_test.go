package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// knownFailures are the conformance steps allowed to fail: none. (The
// sync-token steps failed until sync-collection landed.)
var knownFailures = map[string]bool{}

// TestConformance runs the shared third-party conformance suite
// (../shared/conformance/conformance.sh: litmus, python-caldav and
// vdirsyncer) against the real binary. It is skipped only outside CI when
// the suite or its tools are missing; in CI their absence fails.
func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("conformance suite skipped in -short mode")
	}
	script, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "conformance", "conformance.sh"))
	if err != nil {
		t.Fatal(err)
	}
	missing := ""
	if _, err := os.Stat(script); err != nil {
		missing = script
	}
	for _, tool := range []string{"litmus", "vdirsyncer", "/usr/bin/python3"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = tool
		}
	}
	if missing == "" {
		if err := exec.Command("/usr/bin/python3", "-c", "import caldav").Run(); err != nil {
			missing = "python3-caldav"
		}
	}
	if missing != "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("conformance needs %s (CI must install litmus python3-caldav vdirsyncer)", missing)
		}
		t.Skipf("conformance needs %s", missing)
	}
	bin := buildBinary(t)
	s := start(t, bin, "--data", filepath.Join(t.TempDir(), "data"), "--admin-password", "secret")
	out := t.TempDir()
	cmd := exec.Command(script, s.base+"/", "root", "secret", "/calendars/")
	cmd.Env = append(os.Environ(), "OUTDIR="+out, "LITMUS_SUITES=basic copymove props http")
	cmd.Dir = out
	done := make(chan struct{})
	var log []byte
	go func() { log, _ = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(8 * time.Minute):
		_ = cmd.Process.Kill()
		t.Fatal("conformance suite did not finish in 8 minutes")
	}
	f, err := os.Open(filepath.Join(out, "results.tsv"))
	if err != nil {
		t.Fatalf("no results.tsv: %v\n%s", err, log)
	}
	defer f.Close()
	passed, failed, skipped := 0, 0, 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.SplitN(sc.Text(), "\t", 4)
		if len(fields) < 3 {
			continue
		}
		section, name, status := fields[0], fields[1], fields[2]
		switch status {
		case "PASS":
			passed++
		case "SKIP":
			skipped++
			if !knownFailures[name] {
				t.Errorf("%s %s skipped", section, name)
			}
		default:
			failed++
			if !knownFailures[name] {
				t.Errorf("%s %s: %s", section, name, strings.Join(fields[2:], " "))
			}
		}
	}
	t.Logf("conformance: %d passed, %d failed, %d skipped", passed, failed, skipped)
	if passed < 30 {
		t.Errorf("only %d steps passed; the suite did not run fully\n%s", passed, log)
	}
}

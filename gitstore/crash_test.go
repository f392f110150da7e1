package gitstore

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const crashEnv = "GITSTORE_CRASH_CHILD_DIR"

// TestMain lets the test binary act as the crash test's child process.
func TestMain(m *testing.M) {
	if dir := os.Getenv(crashEnv); dir != "" {
		crashChild(dir)
		return
	}
	os.Exit(m.Run())
}

// crashChild commits from 4 goroutines forever, printing "done <path>
// <commit>" after each Batch returns, until it is killed.
func crashChild(dir string) {
	journalCheckpoint = 64 << 10 // rotate often: replay of both journals is exercised
	s, err := Open(context.Background(), dir, Options{Logger: quiet, MaxPacks: 3, PackInterval: 20 * time.Millisecond})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(2)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				p := fmt.Sprintf("cal/p%d-w%d/e%05d.ics", os.Getpid(), w, i)
				id, err := s.Batch(context.Background(), who("PUT "+p), func(tx *Txn) error {
					return tx.Write(p, []byte(p+strings.Repeat(".", i%300)))
				})
				mu.Lock()
				if err != nil {
					fmt.Println("error:", err)
				} else {
					fmt.Println("done", p, id)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

func TestCrashKill9(t *testing.T) {
	needGit(t)
	rounds := 3
	if testing.Short() {
		rounds = 1
	}
	dir := t.TempDir()
	acked := map[string]bool{}
	for round := range rounds {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		n := 0
		stopAt := 150 + 97*round
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) != 3 || f[0] != "done" {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("child: %s", sc.Text())
			}
			acked[f[1]] = true
			if n++; n == stopAt {
				cmd.Process.Kill() // SIGKILL, in the middle of the next commits
			}
		}
		cmd.Wait()
		if n < stopAt {
			t.Fatalf("child stopped after %d commits", n)
		}
		if round%2 == 1 {
			simulatePowerLoss(t, dir)
		}
		// The killed repository opens cleanly and holds every acked batch.
		s := openDiskT(t, dir, Options{})
		h := s.Head()
		for p := range acked {
			b, err := h.Read(p)
			if err != nil || !strings.HasPrefix(string(b), p) {
				t.Fatalf("round %d: acknowledged %s lost: %v", round, p, err)
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		fsck(t, dir)
	}
	t.Logf("%d acknowledged batches survived %d kills", len(acked), rounds)
}

// simulatePowerLoss destroys what a power cut could destroy after a kill:
// the files written without their own fsync (the ref file and the reflog;
// packs and the journal are synced).
func simulatePowerLoss(t *testing.T, dir string) {
	b, err := os.ReadFile(filepath.Join(dir, journalName))
	if err != nil || len(b) == 0 {
		t.Fatalf("no journal to replay (%v)", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "refs", "heads", "main"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, "logs", "refs", "heads", "main"))
	t.Logf("power loss: emptied the ref, removed the reflog, %d journal bytes to replay", len(b))
}

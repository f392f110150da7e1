package gitstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/gocaldav/gocaldav/internal/gencache"
)

func TestDiskReopenAndGitCLI(t *testing.T) {
	needGit(t)
	dir := filepath.Join(t.TempDir(), "data") // missing: created
	s := openDiskT(t, dir, Options{})
	c := who("PUT /calendars/alice/x.ics")
	if _, err := s.Batch(context.Background(), c, func(tx *Txn) error {
		return tx.Write("calendars/alice/x.ics", []byte("BEGIN:VCALENDAR\r\n"))
	}); err != nil {
		t.Fatal(err)
	}
	var kv []string
	for i := range 40 {
		kv = append(kv, fmt.Sprintf("calendars/bob/%02d.ics", i), strings.Repeat("x", i*100))
	}
	last := put(t, s, kv...)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	fsck(t, dir)
	log := gitCmd(t, dir, "log", "--format=%an <%ae>|%cn|%s|%(trailers:key=Remote-User,valueonly)", "main")
	if !strings.Contains(log, "alice (via caldav) <alice@example.org>|alice (via caldav)|PUT /calendars/alice/x.ics|alice") {
		t.Fatalf("git log:\n%s", log)
	}
	if got := strings.TrimSpace(gitCmd(t, dir, "rev-parse", "main")); got != last {
		t.Fatalf("rev-parse %s, want %s", got, last)
	}
	if got := gitCmd(t, dir, "show", "main:calendars/alice/x.ics"); got != "BEGIN:VCALENDAR\r\n" {
		t.Fatalf("git show: %q", got)
	}
	if ls := gitCmd(t, dir, "ls-tree", "-r", "--name-only", "main"); strings.Count(ls, "\n") != 41 {
		t.Fatalf("ls-tree:\n%s", ls)
	}
	if refl := gitCmd(t, dir, "reflog", "main"); strings.Count(refl, "\n") != 2 {
		t.Fatalf("reflog:\n%s", refl)
	}
	s2 := openDiskT(t, dir, Options{})
	if s2.Head().Commit() != last {
		t.Fatal("head lost on reopen")
	}
	if b, _ := s2.Head().Read("calendars/bob/39.ics"); len(b) != 3900 {
		t.Fatal("content lost on reopen")
	}
	// A commit made by the git command line is read back.
	gitCmd(t, dir, "-c", "user.name=cli", "-c", "user.email=cli@x", "update-ref", "refs/heads/other", "main")
	if _, err := s2.At(last); err != nil {
		t.Fatal(err)
	}
}

func TestDiskRefusesForeignDirectoryAndSecondOpener(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644)
	if _, err := Open(context.Background(), dir, Options{Logger: quiet}); err == nil || !strings.Contains(err.Error(), "not a bare git repository") {
		t.Fatalf("foreign dir: %v", err)
	}
	dir2 := t.TempDir()
	openDiskT(t, dir2, Options{})
	if _, err := Open(context.Background(), dir2, Options{Logger: quiet}); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second open: %v", err)
	}
}

func TestDiskRecoversDamagedRef(t *testing.T) {
	needGit(t)
	for _, damage := range []string{"garbage", "empty", "missing-commit"} {
		t.Run(damage, func(t *testing.T) {
			dir := t.TempDir()
			s := openDiskT(t, dir, Options{})
			put(t, s, "a", "1")
			good := put(t, s, "b", "2")
			s.Close()
			ref := filepath.Join(dir, "refs", "heads", "main")
			switch damage {
			case "garbage":
				os.WriteFile(ref, []byte("\x00\x00garbage"), 0o644)
			case "empty":
				os.WriteFile(ref, nil, 0o644)
			case "missing-commit":
				// The ref names a commit whose object never reached the disk.
				os.WriteFile(ref, []byte(strings.Repeat("ab", 20)+"\n"), 0o644)
			}
			// Leftovers of an interrupted write.
			os.WriteFile(ref+".lock", []byte("x"), 0o644)
			os.WriteFile(filepath.Join(dir, "objects", good[:2], "tmp_obj_123"), []byte("partial"), 0o644)
			s2 := openDiskT(t, dir, Options{})
			if s2.Head().Commit() != good {
				t.Fatalf("recovered %q, want %s", s2.Head().Commit(), good)
			}
			if _, err := os.Stat(ref + ".lock"); !os.IsNotExist(err) {
				t.Fatal("stale lock kept")
			}
			put(t, s2, "c", "3")
			s2.Close()
			fsck(t, dir)
		})
	}
	t.Run("packed-refs", func(t *testing.T) {
		dir := t.TempDir()
		s := openDiskT(t, dir, Options{})
		good := put(t, s, "a", "1")
		s.Close()
		gitCmd(t, dir, "pack-refs", "--all")
		if _, err := os.Stat(filepath.Join(dir, "refs", "heads", "main")); !os.IsNotExist(err) {
			t.Fatal("pack-refs left the loose ref")
		}
		s2 := openDiskT(t, dir, Options{})
		if s2.Head().Commit() != good {
			t.Fatalf("packed ref: %q", s2.Head().Commit())
		}
		next := put(t, s2, "b", "2")
		s2.Close()
		if got := strings.TrimSpace(gitCmd(t, dir, "rev-parse", "main")); got != next {
			t.Fatalf("loose ref after packed: %s", got)
		}
	})
}

func TestMaintainMergesPacks(t *testing.T) {
	needGit(t)
	dir := t.TempDir()
	s := openDiskT(t, dir, Options{NoAutoMaintain: true, MaxPacks: 3})
	ctx := context.Background()
	round := func(r int) { // more objects per pack than a merge rewrites: merges copy
		for i := range 150 {
			put(t, s, fmt.Sprintf("cal/e%03d.ics", i), fmt.Sprintf("round %d event %d", r, i))
		}
		if err := s.disk.materialize(); err != nil { // one pack per round
			t.Fatal(err)
		}
	}
	for r := range 5 {
		round(r)
	}
	// Loose objects written by another git tool are packed too.
	cmd := exec.Command("git", "hash-object", "-w", "--stdin")
	cmd.Dir, cmd.Stdin = dir, strings.NewReader("written by git")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	packs, _ := s.disk.packs()
	loose, _ := s.disk.looseObjects()
	if len(packs) != 5 || len(loose) != 1 {
		t.Fatalf("before: %d packs, %d loose", len(packs), len(loose))
	}
	var before int64
	var count int
	for _, p := range packs {
		before += p.size
		count += p.count
	}
	hist, _ := s.History(ctx, "cal/e007.ics", 0)
	if err := s.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	// The loose object went into a pack of its own; the five packs were
	// merged by copying (so the merged one holds every byte of theirs).
	packs, _ = s.disk.packs()
	loose, _ = s.disk.looseObjects()
	if len(packs) != 2 || len(loose) != 0 {
		t.Fatalf("after: %d packs, %d loose", len(packs), len(loose))
	}
	slices.SortFunc(packs, func(a, b packInfo) int { return cmp.Compare(b.size, a.size) })
	if want := before - 4*(12+20); packs[0].size != want || packs[0].count != count {
		t.Fatalf("merged pack %d bytes with %d objects, want %d bytes with %d", packs[0].size, packs[0].count, want, count)
	}
	// Everything stays readable, from the head and from history.
	if h2, _ := s.History(ctx, "cal/e007.ics", 0); len(h2) != len(hist) || len(hist) != 5 {
		t.Fatalf("history %d then %d", len(hist), len(h2))
	}
	old, err := s.At(hist[4].ID)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := old.Read("cal/e007.ics"); string(b) != "round 0 event 7" {
		t.Fatalf("old content %q", b)
	}
	put(t, s, "after", "x")
	s.Close()
	fsck(t, dir)
	gitCmd(t, dir, "verify-pack", filepath.Join(dir, "objects", "pack", "pack-"+packs[0].id.String()+".idx"))
	if n := strings.Count(gitCmd(t, dir, "rev-list", "main"), "\n"); n != 751 {
		t.Fatalf("rev-list %d", n)
	}
}

func TestMemoryMaintainIsNoop(t *testing.T) {
	s, _ := OpenMemory(Options{Logger: quiet})
	defer s.Close()
	put(t, s, "a", "1")
	if err := s.Maintain(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestReadersDuringMaintenance(t *testing.T) {
	needGit(t)
	dir := t.TempDir()
	s := openDiskT(t, dir, Options{MaxPacks: 2, PackInterval: 2 * time.Millisecond})
	ctx := context.Background()
	done := make(chan struct{})
	errs := make(chan error, 1)
	go func() {
		defer close(errs)
		for {
			select {
			case <-done:
				return
			default:
			}
			h := s.Head()
			l, err := h.List("cal")
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs <- err
				return
			}
			for _, e := range l {
				if _, err := h.Read(e.Path); err != nil {
					errs <- err
					return
				}
			}
		}
	}()
	n := 120
	if testing.Short() {
		n = 40
	}
	for i := range n {
		put(t, s, fmt.Sprintf("cal/e%03d.ics", i%50), fmt.Sprint(i))
		if i%20 == 0 {
			if err := s.Maintain(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	close(done)
	if err := <-errs; err != nil {
		t.Fatalf("reader failed during maintenance: %v", err)
	}
	if err := s.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	packs, _ := s.disk.packs()
	if len(packs) > 3 {
		t.Fatalf("%d packs with MaxPacks 2", len(packs))
	}
	s.Close()
	fsck(t, dir)
}

// Merging packs that hold the same object twice (a file set back to an
// earlier content makes the same blob and trees again) keeps a repository
// git accepts, and the object readable.
func TestMergePacksWithDuplicates(t *testing.T) {
	needGit(t)
	dir := t.TempDir()
	s := openDiskT(t, dir, Options{NoAutoMaintain: true, MaxPacks: 1})
	for _, v := range []string{"1", "2", "1"} {
		put(t, s, "cal/a.ics", v)
		if err := s.disk.materialize(); err != nil {
			t.Fatal(err)
		}
	}
	packs, _ := s.disk.packs()
	if len(packs) != 3 {
		t.Fatalf("%d packs before", len(packs))
	}
	copies := 0
	for _, p := range packs {
		es, err := s.disk.packEntries(p.id)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			if e.hash.String() == blobID("1") {
				copies++
			}
		}
	}
	if copies != 1 {
		t.Fatalf("blob packed %d times", copies)
	}
	// A pack repeating an object, as one written by another tool may:
	// these packs are rewritten rather than copied.
	again, err := s.disk.get(plumbing.NewHash(blobID("1")))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.disk.writePack([]rawObject{again}); err != nil {
		t.Fatal(err)
	}
	if err := s.disk.reload(); err != nil {
		t.Fatal(err)
	}
	if err := s.Maintain(context.Background()); err != nil {
		t.Fatal(err)
	}
	packs, _ = s.disk.packs()
	if len(packs) != 1 {
		t.Fatalf("%d packs after", len(packs))
	}
	if b, err := s.Head().Read("cal/a.ics"); err != nil || string(b) != "1" {
		t.Fatalf("read %q %v", b, err)
	}
	s.Close()
	fsck(t, dir)
	gitCmd(t, dir, "verify-pack", filepath.Join(dir, "objects", "pack", "pack-"+packs[0].id.String()+".idx"))
}

// TestJournalRecordGrowsWithTheChange: a commit into a 1,000-entry
// directory that also rewrites a file with its own content (as a PUT
// rewrites its calendar's unchanged property file) journals a splice of
// the change, not the directory's whole tree.
func TestJournalRecordGrowsWithTheChange(t *testing.T) {
	s := openDiskT(t, t.TempDir(), Options{NoAutoMaintain: true})
	importEvents(t, s, 1000)
	for i := range 5 {
		before := s.disk.j.size
		if _, err := s.Batch(context.Background(), who("PUT"), func(tx *Txn) error {
			if err := tx.Write("calendars/alice/home/.prop", []byte("()")); err != nil { // unchanged
				return err
			}
			return tx.Write(fmt.Sprintf("calendars/alice/home/zz%d.ics", i), []byte("new"))
		}); err != nil {
			t.Fatal(err)
		}
		if grew := s.disk.j.size - before; grew > 2048 {
			t.Fatalf("commit %d journalled %d bytes", i, grew)
		}
	}
}

// TestPendingVersionsHeldAsDeltas: of many pending versions of a large
// tree only the newest is held whole; every older commit still reads
// back exactly, before and after the pack is written, and git accepts
// the pack.
func TestPendingVersionsHeldAsDeltas(t *testing.T) {
	needGit(t)
	dir := t.TempDir()
	s := packedCalendar(t, dir)
	var commits []string
	for i := range 100 {
		commits = append(commits, put(t, s, fmt.Sprintf("calendars/alice/home/zz%03d.ics", i), fmt.Sprint(i)))
	}
	head, _ := s.tree(s.Head().root)
	s.disk.pendMu.Lock()
	held := s.disk.pendBytes
	s.disk.pendMu.Unlock()
	if held > 4*int64(head.size())+(1<<20) {
		t.Errorf("%d bytes pending for 100 versions of a %d-byte tree", held, head.size())
	}
	check := func(when string) {
		for i, id := range commits {
			sn, err := s.At(id)
			if err != nil {
				t.Fatal(err)
			}
			es, err := sn.List("calendars/alice/home")
			if err != nil {
				t.Fatalf("%s: commit %d: %v", when, i, err)
			}
			if want := 2000 + 1 + i + 1; len(es) != want {
				t.Fatalf("%s: commit %d lists %d entries, want %d", when, i, len(es), want)
			}
		}
	}
	s.trees = gencache.New[plumbing.Hash](1, func(*tree) int { return 1 }) // read through the deltas, not the cache
	check("pending")
	if err := s.disk.materialize(); err != nil {
		t.Fatal(err)
	}
	check("packed")
	s.Close()
	fsck(t, dir)
}

// TestSteadyWritesMakeFewPacks: under steady concurrent writes into a
// large directory, journalled objects are packed once per full delta
// chain of its tree, not in a small pack after each (a stale wake-up of
// the packer, or the maintainer writing out what was pending, made one).
func TestSteadyWritesMakeFewPacks(t *testing.T) {
	dir := t.TempDir()
	s := openDiskT(t, dir, Options{MaxPacks: 3, PackInterval: time.Hour})
	importEvents(t, s, 2000)
	if err := s.disk.materialize(); err != nil {
		t.Fatal(err)
	}
	packsBefore, _ := filepath.Glob(filepath.Join(dir, "objects", "pack", "*.pack"))
	var written atomic.Int64
	maintainer := s.disk.onPack.Load()
	counted := func() {
		written.Add(1)
		(*maintainer)()
	}
	s.disk.onPack.Store(&counted)
	const writers, each = 4, maxPendChain
	errs := make(chan error, writers)
	for w := range writers {
		go func() {
			for i := range each {
				_, err := s.Batch(context.Background(), who("PUT"), func(tx *Txn) error {
					return tx.Write(fmt.Sprintf("calendars/alice/home/w%d-%03d.ics", w, i), []byte("x"))
				})
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range writers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	// writers*each commits fill 4 delta chains: 4 packs, and at most one
	// more for a chain cut short when a pack was written.
	if n := written.Load(); n > writers*each/maxPendChain+1 {
		t.Errorf("%d commits were written in %d packs (%d before)", writers*each, n, len(packsBefore))
	}
}

// TestChainRestartsAfterPack: versions of a tree committed while a pack
// is written start a new delta chain once the pack holds their older
// versions, so the next pack again waits for a full chain. (Counting on
// from the packed versions kept the chain at its limit under steady
// writes: every newer version stayed whole, and packs followed each
// other after a few commits.)
func TestChainRestartsAfterPack(t *testing.T) {
	dir := t.TempDir()
	s := packedCalendar(t, dir)
	n := 0
	next := func() { put(t, s, fmt.Sprintf("calendars/alice/home/zz%04d.ics", n), fmt.Sprint(n)); n++ }
	for range maxPendChain {
		next()
	}
	const during = 10 // commits made while the pack is being written
	hook := func() {
		for range during {
			next()
		}
	}
	s.disk.onPack.Store(&hook)
	if err := s.disk.materialize(); err != nil {
		t.Fatal(err)
	}
	s.disk.onPack.Store(nil)
	// chain reports the longest pending delta chain and how many versions
	// of the calendar's directory (the only large tree) are held whole.
	chain := func() (longest, whole int) {
		s.disk.pendMu.Lock()
		defer s.disk.pendMu.Unlock()
		for _, o := range s.disk.pend {
			longest = max(longest, o.chain)
			if o.typ == plumbing.TreeObject && o.delta == nil && o.size() > 10000 {
				whole++
			}
		}
		return longest, whole
	}
	if c, whole := chain(); c != during-1 || whole != 1 || s.disk.pendChain >= maxPendChain {
		t.Fatalf("after the pack: chain %d, %d whole, deep %v; want %d, 1, false", c, whole, s.disk.pendChain >= maxPendChain, during-1)
	}
	for range maxPendChain - during - 1 {
		next()
	}
	if c, whole := chain(); c != maxPendChain-2 || whole != 1 || s.disk.pendChain >= maxPendChain {
		t.Errorf("chain %d, %d whole, deep %v; want %d, 1, false", c, whole, s.disk.pendChain >= maxPendChain, maxPendChain-2)
	}
}

// TestPackWaitsForAPause: a pack due only for its delta chain waits while
// commits keep coming, up to pendChainHard, and is written once they
// pause.
func TestPackWaitsForAPause(t *testing.T) {
	defer func(q time.Duration) { packQuiet = q }(packQuiet)
	packQuiet = 300 * time.Millisecond
	dir := t.TempDir()
	s := packedCalendar(t, dir)
	var packs atomic.Int64
	count := func() { packs.Add(1) }
	s.disk.onPack.Store(&count)
	n := 0
	next := func() { put(t, s, fmt.Sprintf("calendars/alice/home/zz%04d.ics", n), fmt.Sprint(n)); n++ }
	for range maxPendChain + 20 { // a burst: each commit well within packQuiet of the last
		next()
	}
	if got := packs.Load(); got != 0 {
		t.Fatalf("%d packs written during the burst", got)
	}
	for deadline := time.Now().Add(10 * time.Second); packs.Load() == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no pack after the burst")
		}
	}
	packQuiet = time.Hour // never a pause from here on
	for range pendChainHard + 5 {
		next()
	}
	for deadline := time.Now().Add(10 * time.Second); packs.Load() < 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("a chain of %d versions was not packed during a burst", pendChainHard+5)
		}
	}
}

// TestPackKeepsPendingDeltas: a pending chain that grew past maxPendChain
// while the packer was busy goes into a pack delta by delta, without
// rebuilding any version's content (which costs a delta applied per
// newer version).
func TestPackKeepsPendingDeltas(t *testing.T) {
	dir := t.TempDir()
	s := packedCalendar(t, dir)
	s.disk.matMu.Lock() // the packer is busy
	for i := range maxDeltaDepth + 10 {
		put(t, s, fmt.Sprintf("calendars/alice/home/zz%04d.ics", i), fmt.Sprint(i))
	}
	s.disk.pendMu.Lock()
	var objs []rawObject
	longest := 0
	for _, o := range s.disk.pend {
		objs = append(objs, o)
		longest = max(longest, o.chain)
	}
	s.disk.pendMu.Unlock()
	s.disk.matMu.Unlock()
	if longest != maxDeltaDepth {
		t.Errorf("longest pending chain %d, want %d", longest, maxDeltaDepth)
	}
	rebuilt := 0
	entries, err := orderForPack(objs, func(o rawObject) (rawObject, error) {
		if o.delta != nil {
			rebuilt++
		}
		return s.disk.whole(o)
	})
	if err != nil {
		t.Fatal(err)
	}
	if rebuilt != 0 {
		t.Errorf("%d pending versions were rebuilt to be packed", rebuilt)
	}
	deepest := make([]int, len(entries))
	for i, e := range entries {
		if e.delta != nil {
			deepest[i] = deepest[e.base] + 1
			if deepest[i] > maxDeltaDepth {
				t.Fatalf("entry %d is %d deltas deep", i, deepest[i])
			}
		}
	}
}

// TestReplayOfALongJournal: a journal of more versions of a large tree
// than one delta chain holds (as after a crash under steady writes) is
// replayed in several packs, not all in memory at once, and yields
// exactly the commits the crashed process made.
func TestReplayOfALongJournal(t *testing.T) {
	needGit(t)
	dir, crashed := t.TempDir(), t.TempDir()
	s := openDiskT(t, dir, Options{NoAutoMaintain: true, PackInterval: time.Hour})
	importEvents(t, s, 2000)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(crashed, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(crashed, "gocaldav.lock"))
	s = openDiskT(t, dir, Options{NoAutoMaintain: true, PackInterval: time.Hour})
	const versions = maxPendChain*2 + 50
	var commits []string
	for i := range versions {
		commits = append(commits, put(t, s, fmt.Sprintf("calendars/alice/home/zz%03d.ics", i), fmt.Sprint(i)))
	}
	// The crash: the copy has the journal but none of the packs written since.
	journal, err := os.ReadFile(filepath.Join(dir, journalName))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(crashed, journalName), journal, 0o644); err != nil {
		t.Fatal(err)
	}
	packsBefore, _ := filepath.Glob(filepath.Join(crashed, "objects", "pack", "*.pack"))
	r := openDiskT(t, crashed, Options{NoAutoMaintain: true, PackInterval: time.Hour})
	if got := r.Head().Commit(); got != commits[len(commits)-1] {
		t.Fatalf("replayed head %s, want %s", got, commits[len(commits)-1])
	}
	packsAfter, _ := filepath.Glob(filepath.Join(crashed, "objects", "pack", "*.pack"))
	if added := len(packsAfter) - len(packsBefore); added < 3 {
		t.Errorf("replay of %d versions wrote %d packs, want one per delta chain (3)", versions, added)
	}
	for i, id := range commits {
		sn, err := r.At(id)
		if err != nil {
			t.Fatalf("commit %d: %v", i, err)
		}
		if b, err := sn.Read(fmt.Sprintf("calendars/alice/home/zz%03d.ics", i)); err != nil || string(b) != fmt.Sprint(i) {
			t.Fatalf("commit %d: read %q, %v", i, b, err)
		}
	}
	r.Close()
	fsck(t, crashed)
}

// TestMaintainRedeltasSmallPacks: packs written one commit at a time
// (a low commit rate, or a push after each) each hold a whole copy of
// the large directory; merging them rewrites the trees as deltas, so the
// merged pack is a fraction of their sum, and git accepts it.
func TestMaintainRedeltasSmallPacks(t *testing.T) {
	needGit(t)
	dir := t.TempDir()
	s := openDiskT(t, dir, Options{NoAutoMaintain: true, MaxPacks: 1})
	ids := smallPacks(t, s, 20)
	packs, _ := s.disk.packs()
	slices.SortFunc(packs, func(a, b packInfo) int { return cmp.Compare(a.size, b.size) })
	var small int64
	for _, p := range packs[:len(packs)-1] { // all but the import
		small += p.size
	}
	for range 5 {
		if err := s.Maintain(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	after, _ := s.disk.packs()
	var total int64
	for _, p := range after {
		total += p.size
	}
	if grew := total - packs[len(packs)-1].size; len(after) > 2 || grew > small/4 {
		t.Fatalf("%d packs of %d bytes after maintenance; the 20 small packs held %d bytes", len(after), total, small)
	}
	checkSmallPacks(t, s, ids)
	s.Close()
	fsck(t, dir)
}

// TestParseHex accepts exactly git's lower-case 40-digit object names.
func TestParseHex(t *testing.T) {
	const id = "0123456789abcdef00112233445566778899aabb"
	if h, ok := parseHex(id); !ok || h.String() != id {
		t.Errorf("parseHex(%s) = %s, %v", id, h, ok)
	}
	for _, bad := range []string{"", id[:39], id + "0", strings.ToUpper(id), "g" + id[1:], strings.Repeat("0", 40)} {
		if h, ok := parseHex(bad); ok {
			t.Errorf("parseHex(%q) = %s, want refused", bad, h)
		}
	}
}

// TestRewriteKeepsToItsBudget: a merge that rewrites small packs reads
// only as many as inflate to rewriteBytes (and at least two), so its
// memory does not grow with the size of the directories they hold; the
// rest are merged by later runs, and every commit stays readable.
func TestRewriteKeepsToItsBudget(t *testing.T) {
	dir := t.TempDir()
	s := openDiskT(t, dir, Options{NoAutoMaintain: true, MaxPacks: 1})
	ids := smallPacks(t, s, 12)
	tree, err := s.Head().Stat("calendars/alice/home")
	if err != nil {
		t.Fatal(err)
	}
	treeSize, err := s.blobSize(parseHexT(t, tree.Hash))
	if err != nil {
		t.Fatal(err)
	}
	old := rewriteBytes
	rewriteBytes = int(3 * treeSize) // a pack per commit holds one version: three fit
	defer func() { rewriteBytes = old }()
	packs, _ := s.disk.packs()
	small := packs[:0:0]
	for _, p := range packs {
		if p.count <= rewriteObjects/2 {
			small = append(small, p)
		}
	}
	if len(small) < 12 {
		t.Fatalf("%d small packs, want 12", len(small))
	}
	merged, err := s.mergeSmallestPacks(context.Background(), packs)
	if err != nil {
		t.Fatal(err)
	}
	if len(merged) < 2 || len(merged) > 4 {
		t.Fatalf("one run rewrote %d packs; the budget holds three or four", len(merged))
	}
	for range 10 {
		if err := s.Maintain(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if after, _ := s.disk.packs(); len(after) > 3 {
		t.Errorf("%d packs left after maintenance", len(after))
	}
	checkSmallPacks(t, s, ids)
}

func parseHexT(t *testing.T, s string) plumbing.Hash {
	t.Helper()
	h, ok := parseHex(s)
	if !ok {
		t.Fatalf("bad id %q", s)
	}
	return h
}

// TestMaintenanceWaitsForQuiet: background maintenance does not merge
// packs while commits keep coming (unless they pile up), and does once
// the writes stop.
func TestMaintenanceWaitsForQuiet(t *testing.T) {
	s, count := fourPacks(t)
	before := count()
	if before <= 2 {
		t.Fatalf("%d packs; the writes should have made 4", before)
	}
	start, last, longestGap := time.Now(), time.Now(), time.Duration(0)
	for i := 0; time.Since(start) < time.Second; i++ {
		put(t, s, fmt.Sprintf("calendars/alice/home/w%d.ics", i), "x")
		longestGap = max(longestGap, time.Since(last))
		last = time.Now()
		time.Sleep(20 * time.Millisecond)
	}
	if during := count(); during < before && longestGap < maintainQuiet*3/4 {
		t.Errorf("packs merged during the writes: %d -> %d", before, during)
	}
	deadline := time.Now().Add(10 * time.Second)
	for count() > 2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := count(); n > 2 {
		t.Errorf("%d packs left after the writes stopped", n)
	}
}

// TestBackgroundWorkWaitsForRequests: while a request is being served
// (Store.Serving), packs are not merged nor a pack due for its chain
// written; both happen once it ends.
func TestBackgroundWorkWaitsForRequests(t *testing.T) {
	s, count := fourPacks(t)
	done := s.Serving()
	for i := range maxPendChain + 5 { // a chain due for a pack
		put(t, s, fmt.Sprintf("calendars/alice/home/w%d.ics", i), "x")
	}
	time.Sleep(3 * maintainQuiet)
	if n := count(); n != 4 {
		t.Errorf("%d packs while a request was served, want the 4 there were", n)
	}
	done()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		s.disk.pendMu.Lock()
		pending := len(s.disk.pend)
		s.disk.pendMu.Unlock()
		if pending == 0 && count() <= 2 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("after the request: %d packs", count())
}

// fourPacks opens a disk store with MaxPacks 2 and four packs (past
// MaxPacks, not past twice it), and a function counting its packs.
func fourPacks(t *testing.T) (*Store, func() int) {
	t.Helper()
	s := openDiskT(t, t.TempDir(), Options{MaxPacks: 2, PackInterval: time.Hour})
	for i := range 4 {
		put(t, s, fmt.Sprintf("calendars/alice/home/p%d.ics", i), "x")
		if err := s.disk.materialize(); err != nil {
			t.Fatal(err)
		}
	}
	return s, func() int {
		packs, err := s.disk.packs()
		if err != nil {
			t.Fatal(err)
		}
		return len(packs)
	}
}

// smallPacks imports 1,000 events into s and writes them out, then makes
// n commits of one file each, each written out to its own small pack.
// It returns the commits' ids.
func smallPacks(t *testing.T, s *Store, n int) []string {
	t.Helper()
	importEvents(t, s, 1000)
	if err := s.disk.materialize(); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range n {
		ids = append(ids, put(t, s, fmt.Sprintf("calendars/alice/home/zz%02d.ics", i), fmt.Sprint(i)))
		if err := s.disk.materialize(); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

// checkSmallPacks reads each commit smallPacks made back, with its file.
func checkSmallPacks(t *testing.T, s *Store, ids []string) {
	t.Helper()
	for i, id := range ids {
		sn, err := s.At(id)
		if err != nil {
			t.Fatal(err)
		}
		if b, err := sn.Read(fmt.Sprintf("calendars/alice/home/zz%02d.ics", i)); err != nil || string(b) != fmt.Sprint(i) {
			t.Fatalf("commit %d: %q %v", i, b, err)
		}
	}
}

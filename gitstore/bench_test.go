package gitstore

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// event returns a realistic ~500-byte iCalendar object.
func event(i, rev int) []byte {
	return fmt.Appendf(nil, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//gocaldav//bench//EN\r\nBEGIN:VEVENT\r\n"+
		"UID:%08d-4f1c-11ee-be56-0242ac120002@example.org\r\nDTSTAMP:20240101T000000Z\r\n"+
		"DTSTART:20240101T%02d0000Z\r\nDTEND:20240101T%02d3000Z\r\nSUMMARY:Meeting number %d revision %d\r\n"+
		"DESCRIPTION:Some description text for the benchmark event so that the object has a realistic size.\r\n"+
		"LOCATION:Room %d\r\nSEQUENCE:%d\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", i, i%24, i%24, i, rev, i%50, rev)
}

func eventPath(i int) string {
	return fmt.Sprintf("calendars/alice/home/%08d-4f1c-11ee-be56-0242ac120002.ics", i)
}

// importEvents writes n events in one batch.
func importEvents(b testing.TB, s *Store, n int) {
	if _, err := s.Batch(context.Background(), who("import"), func(tx *Txn) error {
		tx.Write("calendars/alice/home/.prop", []byte("()"))
		for i := range n {
			if err := tx.Write(eventPath(i), event(i, 0)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkFsyncFloor measures this machine's cost of the smallest durable
// step: write 4 KiB to a new file, fsync it, rename it, fsync the directory.
func BenchmarkFsyncFloor(b *testing.B) {
	dir := b.TempDir()
	buf := make([]byte, 4096)
	for i := 0; b.Loop(); i++ {
		p := filepath.Join(dir, fmt.Sprint(i))
		if err := writeFileSync(p+".tmp", buf); err != nil {
			b.Fatal(err)
		}
		if err := os.Rename(p+".tmp", p); err != nil {
			b.Fatal(err)
		}
		if err := syncPath(dir); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFsyncAppend measures the floor of this store's commit path:
// append 1 KiB to an existing file and fsync it (what the journal does).
func BenchmarkFsyncAppend(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "log"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 1024)
	for b.Loop() {
		if _, err := f.Write(buf); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCommit measures a durable one-file commit (modify one event)
// into a calendar of 1,000 and 10,000 events.
func BenchmarkCommit(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("dir=%d", n), func(b *testing.B) {
			s := openDiskT(b, b.TempDir(), Options{NoAutoMaintain: true})
			importEvents(b, s, n)
			ctx := context.Background()
			f0 := fsyncs.Load()
			for i := 0; b.Loop(); i++ {
				k := (i * 7919) % n
				if _, err := s.Batch(ctx, who("PUT"), func(tx *Txn) error {
					return tx.Write(eventPath(k), event(k, i+1))
				}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(fsyncs.Load()-f0)/float64(b.N), "fsyncs/op")
		})
	}
}

// BenchmarkCommitParallel measures throughput with concurrent writers,
// where group commit shares fsyncs.
// With 10,000 events each commit carries a new 20,000-entry tree, as a
// PUT into a large robur-layout calendar does.
func BenchmarkCommitParallel(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("dir=%d", n), func(b *testing.B) {
			s := openDiskT(b, b.TempDir(), Options{NoAutoMaintain: true})
			importEvents(b, s, n)
			ctx := context.Background()
			b.SetParallelism(4) // 8 writers on 2 cores
			var next atomic.Int64
			f0 := fsyncs.Load()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					k := int(next.Add(1))
					if _, err := s.Batch(ctx, who("PUT"), func(tx *Txn) error {
						return tx.Write(eventPath(k%n), event(k, k))
					}); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.ReportMetric(float64(fsyncs.Load()-f0)/float64(b.N), "fsyncs/op")
		})
	}
}

// benchStore imports n events and writes them out to a pack, so reads
// come from disk (through the OS page cache), not from the journal buffer.
func benchStore(b *testing.B, n int) *Store {
	s := openDiskT(b, b.TempDir(), Options{NoAutoMaintain: true})
	importEvents(b, s, n)
	if err := s.disk.materialize(); err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkSnapshotRead reads one event (from the pack) from the head
// snapshot of a 10,000-event calendar.
func BenchmarkSnapshotRead(b *testing.B) {
	s := benchStore(b, 10000)
	for i := 0; b.Loop(); i++ {
		if _, err := s.Head().Read(eventPath(i % 10000)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkList10k lists a 10,000-event calendar (names, ids and sizes).
func BenchmarkList10k(b *testing.B) {
	s := benchStore(b, 10000)
	for b.Loop() {
		l, err := s.Head().List("calendars/alice/home")
		if err != nil || len(l) != 10001 {
			b.Fatal(len(l), err)
		}
	}
}

func duSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// BenchmarkRepoBytesPerEvent makes 10,000 commits, each adding one event
// to one calendar, and reports repository bytes per stored event before
// and after Maintain. Run with -benchtime=1x.
func BenchmarkRepoBytesPerEvent(b *testing.B) {
	const n = 10000
	for b.Loop() {
		dir := b.TempDir()
		s := openDiskT(b, dir, Options{NoAutoMaintain: true, MaxPacks: 1})
		ctx := context.Background()
		start := time.Now()
		for i := range n {
			if _, err := s.Batch(ctx, who("PUT"), func(tx *Txn) error {
				return tx.Write(eventPath(i), event(i, 0))
			}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(time.Since(start).Seconds(), "s-commits")
		if err := s.disk.materialize(); err != nil {
			b.Fatal(err)
		}
		before := duSize(dir)
		packs, _ := s.disk.packs()
		// Maintain merges up to a memory budget per run: run it until the
		// pack count stops falling.
		for range 20 {
			k := len(packs)
			if err := s.Maintain(ctx); err != nil {
				b.Fatal(err)
			}
			if packs, _ = s.disk.packs(); len(packs) >= k {
				break
			}
		}
		b.ReportMetric(time.Since(start).Seconds(), "s-total")
		after := duSize(dir)
		b.ReportMetric(float64(before)/n, "bytes/event-before")
		b.ReportMetric(float64(after)/n, "bytes/event-after")
		b.ReportMetric(float64(len(packs)), "packs-after")
		s.Close()
	}
}

// BenchmarkStatIn looks up members of a 10,000-event calendar by the
// calendar's tree id (what a calendar-multiget does per href).
func BenchmarkStatIn(b *testing.B) {
	s := benchStore(b, 10000)
	sn := s.Head()
	dir, err := sn.Stat("calendars/alice/home")
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; b.Loop(); i++ {
		p := eventPath((i * 7919) % 10000)
		if _, err := sn.StatIn(dir.Path, dir.Hash, p[strings.LastIndexByte(p, '/')+1:]); err != nil {
			b.Fatal(err)
		}
	}
}

package gitstore

import (
	"context"
	"os"
	"testing"
	"time"
)

func TestZZProbe(t *testing.T) {
	dir := os.Getenv("PROBE_DIR")
	if dir == "" {
		t.Skip()
	}
	s := openDiskT(t, dir, Options{NoAutoMaintain: true, MaxPacks: 1})
	for i := range 3000 {
		if _, err := s.Batch(context.Background(), who("PUT"), func(tx *Txn) error {
			return tx.Write(eventPath(i), event(i, 0))
		}); err != nil {
			t.Fatal(err)
		}
	}
	s.disk.materialize()
	packs, _ := s.disk.packs()
	st := time.Now()
	err := s.Maintain(context.Background())
	p2, _ := s.disk.packs()
	t.Logf("maintain %v: %d -> %d packs, %v", err, len(packs), len(p2), time.Since(st))
	s.Close()
}

package readahead

import (
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

func TestSeqYieldsEveryResultInOrder(t *testing.T) {
	for _, loaders := range []int{0, 1, 2, 3, 100} {
		for _, count := range []int{0, 1, 2, Window - 1, Window, Window + 1, 1000} {
			var got []int
			for v := range Seq(count, loaders, func(i int) int {
				if i%7 == 0 {
					runtime.Gosched() // loads finish out of order
				}
				return i * i
			}) {
				got = append(got, v)
			}
			want := make([]int, count)
			for i := range want {
				want[i] = i * i
			}
			if !slices.Equal(got, want) {
				t.Errorf("%d loaders, count %d: got %v, want %v", loaders, count, got, want)
			}
		}
	}
}

func TestSeqStaysWithinTheWindow(t *testing.T) {
	var started atomic.Int64
	consumed := 0
	for range Seq(10*Window, 3, func(i int) int {
		started.Add(1)
		return i
	}) {
		consumed++
		// Claimed: those consumed and at most Window more.
		if s := started.Load(); s > int64(consumed+Window) {
			t.Fatalf("%d loads started with %d consumed: more than the window of %d ahead", s, consumed, Window)
		}
	}
}

func TestSeqStopsLoadingWhenTheConsumerStops(t *testing.T) {
	var started atomic.Int64
	for v := range Seq(100*Window, 2, func(i int) int {
		started.Add(1)
		return i
	}) {
		if v == 3 {
			break
		}
	}
	after := started.Load() // the loaders have ended: Seq waited for them
	if after > 4+Window {
		t.Errorf("%d loads started for 4 consumed", after)
	}
	for range 1000 {
		if started.Load() != after {
			t.Fatal("a load ran after the loop ended")
		}
	}
}

func TestSeqRaisesALoadPanicInTheConsumer(t *testing.T) {
	defer func() {
		if r := recover(); r != "boom" {
			t.Errorf("recovered %v, want the load's panic", r)
		}
	}()
	consumed := 0
	for range Seq(10, 2, func(i int) int {
		if i == 5 {
			panic("boom")
		}
		return i
	}) {
		consumed++
	}
	t.Errorf("the loop ended normally after %d items", consumed)
}

// With two loaders, two loads run at once.
func TestSeqLoadsInParallel(t *testing.T) {
	var running, most atomic.Int64
	release := make(chan struct{})
	go func() { // lets the first two go once both run, or after a while
		deadline := time.Now().Add(5 * time.Second)
		for most.Load() < 2 && time.Now().Before(deadline) {
			runtime.Gosched()
		}
		close(release)
	}()
	for range Seq(4, 2, func(i int) int {
		n := running.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		if i < 2 {
			<-release // the first two wait for each other
		}
		running.Add(-1)
		return i
	}) {
	}
	if most.Load() < 2 {
		t.Errorf("at most %d loads ran at once", most.Load())
	}
}

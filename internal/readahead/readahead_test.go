package readahead

import (
	"slices"
	"sync/atomic"
	"testing"
)

func TestSeqYieldsEveryResultInOrder(t *testing.T) {
	for _, count := range []int{0, 1, 2, Window - 1, Window, Window + 1, 1000} {
		var got []int
		for v := range Seq(count, func(i int) int { return i * i }) {
			got = append(got, v)
		}
		want := make([]int, count)
		for i := range want {
			want[i] = i * i
		}
		if !slices.Equal(got, want) {
			t.Errorf("count %d: got %v, want %v", count, got, want)
		}
	}
}

func TestSeqStaysWithinTheWindow(t *testing.T) {
	var started atomic.Int64
	consumed := 0
	for range Seq(10*Window, func(i int) int {
		started.Add(1)
		return i
	}) {
		consumed++
		// Loaded: those consumed, Window waiting in the channel, and
		// one in the loader's hands.
		if s := started.Load(); s > int64(consumed+Window+1) {
			t.Fatalf("%d loads started with %d consumed: more than the window of %d ahead", s, consumed, Window)
		}
	}
}

func TestSeqStopsLoadingWhenTheConsumerStops(t *testing.T) {
	var started atomic.Int64
	for v := range Seq(100*Window, func(i int) int {
		started.Add(1)
		return i
	}) {
		if v == 3 {
			break
		}
	}
	after := started.Load() // the loader has ended: Seq waited for it
	if after > 4+Window+1 {
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
	for range Seq(10, func(i int) int {
		if i == 5 {
			panic("boom")
		}
		return i
	}) {
		consumed++
	}
	t.Errorf("the loop ended normally after %d items", consumed)
}

// Package readahead loads a sequence of items on goroutines of its own
// while the caller consumes the ones already loaded, in order. A report
// that answers many objects spends its time in two parts of about equal
// weight, reading the objects and encoding the answer; with the reads
// done ahead, and shared between loaders, the parts overlap on a machine
// with more than one core.
package readahead

import (
	"iter"
	"sync"
	"sync/atomic"
)

// Window is how many loaded items may wait for the consumer: it bounds
// the memory the loads hold beyond what the consumer keeps.
const Window = 16

// Seq returns the results of load(0), load(1), …, load(count-1), in that
// order. The loads run on up to loaders goroutines of their own (at
// least one), at most Window items ahead of the consumer; load must
// therefore be safe to call concurrently with itself (when loaders > 1)
// and with what the consumer does. When the consumer stops early the
// loading stops too, and Seq returns only after the loaders have ended,
// so no load runs once the loop is over. A panic in load is raised again
// in the consumer's goroutine, where a server's recovery sees it. A
// sequence of fewer than two items is loaded inline.
func Seq[T any](count, loaders int, load func(i int) T) iter.Seq[T] {
	return func(yield func(T) bool) {
		if count < 2 {
			for i := range count {
				if !yield(load(i)) {
					return
				}
			}
			return
		}
		r := newRun(count, load)
		for range min(max(loaders, 1), count) {
			r.wg.Add(1)
			go r.loader()
		}
		defer r.end()
		for i := range count {
			var v T
			select {
			case v = <-r.slots[i%Window]:
			case <-r.failed:
				r.end()
				panic(r.failure)
			}
			if !yield(v) {
				return
			}
			r.tokens <- struct{}{}
		}
	}
}

// run is one Seq's loading. Item i goes to slot i mod Window; a loader
// takes a token before it claims an item and the consumer gives one
// back for each item it has taken, so at most Window items are claimed
// and not yet consumed, and a claimed item's slot is always empty.
type run[T any] struct {
	count   int
	load    func(int) T
	next    atomic.Int64   // the next item to claim
	slots   [Window]chan T // each with room for one item
	tokens  chan struct{}  // items that may be claimed
	stop    chan struct{}  // closed when the consumer is done
	failed  chan struct{}  // closed when a load panicked
	failure any            // that panic's value
	once    sync.Once      // closes failed
	wg      sync.WaitGroup // the loaders
	ended   bool           // end has run
}

func newRun[T any](count int, load func(int) T) *run[T] {
	r := &run[T]{count: count, load: load, tokens: make(chan struct{}, Window),
		stop: make(chan struct{}), failed: make(chan struct{})}
	for i := range r.slots {
		r.slots[i] = make(chan T, 1)
		r.tokens <- struct{}{}
	}
	return r
}

// loader claims and loads items until there are none left or the
// consumer is done.
func (r *run[T]) loader() {
	defer r.wg.Done()
	defer func() {
		if p := recover(); p != nil {
			r.once.Do(func() {
				r.failure = p
				close(r.failed)
			})
		}
	}()
	for {
		select {
		case <-r.tokens:
		case <-r.stop:
			return
		}
		i := int(r.next.Add(1) - 1)
		if i >= r.count {
			return
		}
		r.slots[i%Window] <- r.load(i) // the slot is empty: see run
	}
}

// end stops the loaders and waits for them, once.
func (r *run[T]) end() {
	if r.ended {
		return
	}
	r.ended = true
	close(r.stop)
	r.wg.Wait()
}

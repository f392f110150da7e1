// Package readahead loads a sequence of items on a second goroutine while
// the caller consumes the ones already loaded, in order. A report that
// answers many objects spends its time in two halves of about equal
// weight, reading the objects and encoding the answer; with the reads
// done ahead the two overlap on a machine with more than one core.
package readahead

import "iter"

// Window is how many loaded items may wait for the consumer: it bounds
// the memory the loads hold beyond what the consumer keeps.
const Window = 16

// Seq returns the results of load(0), load(1), …, load(count-1), in that
// order. The loads run on one goroutine of their own, at most Window
// ahead of the consumer; load must therefore be safe to call
// concurrently with what the consumer does. When the consumer stops
// early the loading stops too, and Seq returns only after the goroutine
// has ended, so no load runs once the loop is over. A panic in load is
// raised again in the consumer's goroutine, where a server's recovery
// sees it. A sequence of fewer than two items is loaded inline.
func Seq[T any](count int, load func(i int) T) iter.Seq[T] {
	return func(yield func(T) bool) {
		if count < 2 {
			for i := range count {
				if !yield(load(i)) {
					return
				}
			}
			return
		}
		loaded := make(chan T, Window)
		stop := make(chan struct{})
		done := make(chan struct{})
		var failure any // a panic of load's
		go func() {
			defer close(done)
			defer close(loaded)
			defer func() { failure = recover() }()
			for i := range count {
				select {
				case <-stop:
					return
				default:
				}
				v := load(i)
				select {
				case loaded <- v:
				case <-stop:
					return
				}
			}
		}()
		defer func() {
			close(stop)
			<-done
		}()
		for v := range loaded {
			if !yield(v) {
				return
			}
		}
		<-done
		if failure != nil {
			panic(failure)
		}
	}
}

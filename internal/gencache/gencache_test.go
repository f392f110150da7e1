package gencache

import "testing"

func TestBudgetAndPromotion(t *testing.T) {
	c := New[int, string](3, nil)
	for i := range 3 {
		c.Add(i, "v")
	}
	// The fourth entry overflows the budget: 0..3 become the old generation.
	c.Add(3, "v")
	if _, ok := c.Get(0); !ok { // promoted to the new generation
		t.Fatal("0 lost after one rotation")
	}
	for i := 10; i < 14; i++ { // rotate again: the old generation (1, 2, 3) is dropped
		c.Add(i, "v")
	}
	if _, ok := c.Get(1); ok {
		t.Error("1 survived two rotations without a hit")
	}
	if _, ok := c.Get(0); !ok {
		t.Error("0, hit after the first rotation, was dropped by the second")
	}
	if n := c.Len(); n > 2*3+2 {
		t.Errorf("%d entries held, budget 3 per generation", n)
	}
}

func TestCostAndPut(t *testing.T) {
	c := New[string, []byte](10, func(b []byte) int { return len(b) })
	c.Add("a", make([]byte, 6))
	c.Put("a", make([]byte, 2)) // replaces, and the cost follows
	c.Add("b", make([]byte, 7))
	if v, ok := c.Get("a"); !ok || len(v) != 2 {
		t.Fatalf("a = %d bytes, %v", len(v), ok)
	}
	c.Add("a", make([]byte, 9)) // Add keeps the current value
	if v, _ := c.Get("a"); len(v) != 2 {
		t.Errorf("Add replaced a value: %d bytes", len(v))
	}
}

// TestLargeEntryKeepsOthers: an entry larger than the budget does not
// turn the generations over at each hit on it (moving it forward from
// the previous one), which dropped the entries used beside it once it
// was hit twice in a row.
func TestLargeEntryKeepsOthers(t *testing.T) {
	c := New[string, int](100, func(v int) int { return v })
	c.Add("large", 1000)
	c.Add("a", 1)
	for round := range 5 {
		for _, k := range []string{"large", "large", "a"} {
			if _, ok := c.Get(k); !ok {
				t.Fatalf("round %d: %s was dropped", round, k)
			}
		}
	}
}

// TestRemove: a removed entry is gone from either generation, and its
// cost no longer counts against the budget.
func TestRemove(t *testing.T) {
	c := New[string, []byte](10, func(b []byte) int { return len(b) })
	c.Add("old", make([]byte, 4))
	c.Add("big", make([]byte, 8)) // rotates: "old" and "big" are the old generation
	c.Add("cur", make([]byte, 5))
	c.Remove("old")
	c.Remove("cur")
	for _, k := range []string{"old", "cur"} {
		if _, ok := c.Get(k); ok {
			t.Errorf("%s is still cached", k)
		}
	}
	c.Add("next", make([]byte, 9)) // fits only if "cur" no longer counts
	if _, ok := c.Get("big"); !ok {
		t.Error("the generations turned over: a removed entry still counted")
	}
}

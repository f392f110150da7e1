package caldav

import (
	"fmt"
	"math/rand"
	"slices"
	"testing"
)

// TestUIDIndexSetRemove: under random sets and removes over few UIDs (so
// that members share them, as in a robur repository), the index names,
// for every UID, exactly the members that have it, one of them first.
func TestUIDIndexSetRemove(t *testing.T) {
	r := rand.New(rand.NewSource(4791))
	idx := &uidIndex{byName: map[string]string{}, byUID: map[string]string{}}
	model := map[string]string{} // name → UID
	for step := 0; step < 20000; step++ {
		name := fmt.Sprintf("m%d.ics", r.Intn(40))
		if r.Intn(3) == 0 {
			idx.remove(name)
			delete(model, name)
		} else {
			uid := fmt.Sprintf("u%d", r.Intn(8))
			idx.set(name, uid)
			model[name] = uid
		}
		want := map[string][]string{}
		for n, u := range model {
			want[u] = append(want[u], n)
		}
		for u, names := range want {
			first, ok := idx.byUID[u]
			got := append([]string{first}, idx.others[u]...)
			slices.Sort(got)
			slices.Sort(names)
			if !ok || !slices.Equal(got, names) {
				t.Fatalf("step %d: UID %s held by %v, index says %v", step, u, names, got)
			}
		}
		if len(idx.byUID) != len(want) || len(idx.others) > len(want) || len(idx.byName) != len(model) {
			t.Fatalf("step %d: index keeps %d UIDs (%d with others) and %d names, want %d and %d", step, len(idx.byUID), len(idx.others), len(idx.byName), len(want), len(model))
		}
	}
}

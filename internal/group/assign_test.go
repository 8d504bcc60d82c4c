package group

import (
	"fmt"
	"testing"
)

func TestAssignors(t *testing.T) {
	topics := map[string]topicMeta{
		"a": {name: "a", id: [16]byte{1}, partitions: 5},
		"b": {name: "b", id: [16]byte{2}, partitions: 3},
	}
	for n := 1; n <= 9; n++ {
		var ms []memberSub
		for i := 0; i < n; i++ {
			ms = append(ms, memberSub{id: fmt.Sprintf("m%d", i), topics: []string{"a", "b"}})
		}
		for name, got := range map[string]map[string]assignment{
			"uniform": assignUniform(ms, topics, nil),
			"range":   assignRange(ms, topics),
		} {
			seen := map[tpart]string{}
			minSz, maxSz := 1<<30, 0
			for id, a := range got {
				for tid, ps := range a {
					for _, p := range ps {
						if o, dup := seen[tpart{tid, p}]; dup {
							t.Fatalf("%s n=%d: partition %v/%d assigned to %s and %s", name, n, tid[0], p, o, id)
						}
						seen[tpart{tid, p}] = id
					}
				}
				minSz, maxSz = min(minSz, a.size()), max(maxSz, a.size())
			}
			if len(seen) != 8 {
				t.Fatalf("%s n=%d: %d partitions assigned, want 8", name, n, len(seen))
			}
			if name == "uniform" && maxSz-minSz > 1 {
				t.Fatalf("uniform n=%d: sizes from %d to %d", n, minSz, maxSz)
			}
		}
	}
	// Stickiness: adding a member moves only what it must.
	ms := []memberSub{{id: "x", topics: []string{"a", "b"}}, {id: "y", topics: []string{"a", "b"}}}
	prev := assignUniform(ms, topics, nil)
	ms = append(ms, memberSub{id: "z", topics: []string{"a", "b"}})
	next := assignUniform(ms, topics, prev)
	moved := 0
	for _, id := range []string{"x", "y"} {
		moved += prev[id].minus(next[id]).size()
	}
	if moved > 3 || next["z"].size() < 2 {
		t.Fatalf("uniform moved %d partitions; z got %d", moved, next["z"].size())
	}
	// Range co-partitions: member i gets the same partition numbers of a and b.
	r := assignRange([]memberSub{{id: "p", topics: []string{"a", "b"}}, {id: "q", topics: []string{"a", "b"}}}, topics)
	if fmt.Sprint(r["p"][[16]byte{1}]) != "[0 1 2]" || fmt.Sprint(r["p"][[16]byte{2}]) != "[0 1]" {
		t.Fatalf("range: p got %v", r["p"])
	}
}

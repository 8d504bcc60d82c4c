package group

import (
	"fmt"
	"testing"
	"time"
)

// A JoinGroup storm hands out at most maxPendingMembers ids per group: the
// oldest are forgotten first, so memory stays bounded.
func TestPendingMembersBounded(t *testing.T) {
	c := &Coordinator{cfg: Config{}}
	g := newGroup(&shard{c: c}, "g")
	base := time.Now()
	for i := 0; i < 3*maxPendingMembers; i++ {
		g.addPendingLocked(fmt.Sprintf("m%d", i), base.Add(time.Duration(i)*time.Millisecond))
	}
	if len(g.pending) != maxPendingMembers {
		t.Fatalf("%d pending ids, want %d", len(g.pending), maxPendingMembers)
	}
	if _, ok := g.pending["m0"]; ok {
		t.Fatal("the oldest pending id was kept")
	}
	if _, ok := g.pending[fmt.Sprintf("m%d", 3*maxPendingMembers-1)]; !ok {
		t.Fatal("the newest pending id was dropped")
	}
}

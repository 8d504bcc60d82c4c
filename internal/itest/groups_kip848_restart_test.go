package itest

// A KIP-848 group survives a broker restart: the group epoch, members, their
// epochs and assignments are replayed from __consumer_offsets, so franz-go
// consumers keep going with their member ids and epochs (no
// UNKNOWN_MEMBER_ID, no rebalance) and do not re-read committed records.

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/testutil"
)

// describedMember is what must not change across the restart.
type describedMember struct {
	ID       string
	Epoch    int32
	Assigned string
}

// describeConsumerGroup returns the group epoch, the assignment epoch and
// the members (sorted by id), or an error while the group is not Stable.
func describeConsumerGroup(ctx context.Context, cl *kgo.Client, group string) (int32, int32, []describedMember, error) {
	req := kmsg.NewPtrConsumerGroupDescribeRequest()
	req.Groups = []string{group}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return 0, 0, nil, err
	}
	if len(resp.Groups) != 1 {
		return 0, 0, nil, fmt.Errorf("%d groups described", len(resp.Groups))
	}
	g := resp.Groups[0]
	if g.ErrorCode != 0 {
		return 0, 0, nil, fmt.Errorf("describe: error code %d", g.ErrorCode)
	}
	if g.State != "Stable" {
		return 0, 0, nil, fmt.Errorf("group state %s", g.State)
	}
	var ms []describedMember
	for _, m := range g.Members {
		var parts []string
		for _, tp := range m.Assignment.TopicPartitions {
			for _, p := range tp.Partitions {
				parts = append(parts, fmt.Sprintf("%s/%d", tp.Topic, p))
			}
		}
		sort.Strings(parts)
		ms = append(ms, describedMember{ID: m.MemberID, Epoch: m.MemberEpoch, Assigned: strings.Join(parts, ",")})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].ID < ms[j].ID })
	return g.Epoch, g.AssignmentEpoch, ms, nil
}

func TestGroupKIP848SurvivesRestart(t *testing.T) {
	b := groupBroker(t)
	const topic, group = "kip848-restart", "kip848-restart-group"
	createTopic(t, b.Admin(t), topic, 4, nil)
	produceValues(t, b, topic, "a", 40)

	var mu sync.Mutex
	seen := map[string]int{} // value -> times consumed
	var fenced []string      // errors that mean the member was thrown out
	mk := func() *kgo.Client {
		return b.Client(t, kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic), kgo.ServerSideBalancer(),
			kgo.Balancers(kgo.CooperativeStickyBalancer()),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableAutoCommit(),
			kgo.FetchMaxWait(200*time.Millisecond),
			kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, lost map[string][]int32) {
				mu.Lock()
				defer mu.Unlock()
				fenced = append(fenced, fmt.Sprintf("lost %v", lost))
			}))
	}
	c1, c2 := mk(), mk()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	for _, cl := range []*kgo.Client{c1, c2} {
		cl := cl
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				fs := cl.PollFetches(ctx)
				mu.Lock()
				fs.EachRecord(func(r *kgo.Record) { seen[string(r.Value)]++ })
				mu.Unlock()
				if ctx.Err() == nil {
					// Commit what was polled, as an at-least-once
					// consumer does; errors during the restart are retried
					// on the next poll.
					_ = cl.CommitUncommittedOffsets(ctx)
				}
			}
		}()
	}
	count := func(prefix string) int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for v := range seen {
			if strings.HasPrefix(v, prefix+"-") {
				n++
			}
		}
		return n
	}
	testutil.Eventually(t, 60*time.Second, func() error {
		if n := count("a"); n != 40 {
			return fmt.Errorf("consumed %d of 40", n)
		}
		return nil
	})
	admin := b.Client(t)
	var epochBefore int32
	var before []describedMember
	testutil.Eventually(t, 30*time.Second, func() error {
		e, ae, ms, err := describeConsumerGroup(ctxT(t, 10*time.Second), admin, group)
		if err != nil {
			return err
		}
		if len(ms) != 2 || ms[0].Assigned == "" || ms[1].Assigned == "" || ae != e {
			return fmt.Errorf("epoch %d/%d members %+v", e, ae, ms)
		}
		epochBefore, before = e, ms
		return nil
	})
	checkCommittedAtEndAddr(t, b.Addr(), group, topic)

	b.Restart()

	// The same members, epochs and assignments come back from the log.
	testutil.Eventually(t, 30*time.Second, func() error {
		e, _, ms, err := describeConsumerGroup(ctxT(t, 10*time.Second), admin, group)
		if err != nil {
			return err
		}
		if e != epochBefore || !reflect.DeepEqual(ms, before) {
			return fmt.Errorf("after restart: epoch %d members %+v; before: epoch %d members %+v", e, ms, epochBefore, before)
		}
		return nil
	})

	produceValues(t, b, topic, "b", 20)
	testutil.Eventually(t, 60*time.Second, func() error {
		if n := count("b"); n != 20 {
			return fmt.Errorf("consumed %d of 20 after the restart", n)
		}
		return nil
	})
	mu.Lock()
	for v, n := range seen {
		if n != 1 {
			t.Errorf("%s consumed %d times: the consumers re-read records across the restart", v, n)
		}
	}
	if len(fenced) > 0 {
		t.Errorf("members lost their partitions across the restart: %v", fenced)
	}
	mu.Unlock()

	// Still the same members and epoch: the restart caused no rebalance.
	e, _, ms, err := describeConsumerGroup(ctxT(t, 10*time.Second), admin, group)
	if err != nil || e != epochBefore || !reflect.DeepEqual(ms, before) {
		t.Fatalf("at the end: epoch %d members %+v err %v; before: epoch %d members %+v", e, ms, err, epochBefore, before)
	}
	checkCommittedAtEndAddr(t, b.Addr(), group, topic)

	// Once the members left, deleting the group tombstones its records: it
	// does not come back with the next restart.
	cancel()
	wg.Wait()
	c1.LeaveGroup()
	c2.LeaveGroup()
	adm := b.Admin(t)
	testutil.Eventually(t, 30*time.Second, func() error {
		resp, err := adm.DeleteGroups(ctxT(t, 10*time.Second), group)
		if err != nil {
			return err
		}
		return resp[group].Err
	})
	b.Restart()
	testutil.Eventually(t, 30*time.Second, func() error {
		req := kmsg.NewPtrConsumerGroupDescribeRequest()
		req.Groups = []string{group}
		resp, err := req.RequestWith(ctxT(t, 10*time.Second), admin)
		if err != nil {
			return err
		}
		if code := resp.Groups[0].ErrorCode; code != kerr.GroupIDNotFound.Code {
			return fmt.Errorf("deleted group after a restart: error code %d, state %q", code, resp.Groups[0].State)
		}
		return nil
	})
	listed, err := adm.ListGroups(ctxT(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := listed[group]; ok {
		t.Fatalf("deleted group listed after a restart: %+v", listed[group])
	}
}

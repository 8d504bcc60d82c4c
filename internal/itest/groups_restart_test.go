package itest

// A group survives a SIGKILL of its broker: committed offsets and the
// group's membership are replayed from __consumer_offsets on restart, and
// consumers continue without re-reading committed records.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/gregor-streaming/gregor/internal/testutil"
)

func TestGroupSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("child-process crash test")
	}
	props := filepath.Join(t.TempDir(), "gregor.properties")
	if err := os.WriteFile(props, []byte("group.initial.rebalance.delay.ms=0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	proc := testutil.StartProcess(t, t.TempDir(), "--config", props)
	adm := newAdmin(t, proc.Addr)
	const topic, group = "restart", "restart-group"
	createTopic(t, adm, topic, 3, nil)

	produce := func(prefix string, n int) {
		cl, err := kgo.NewClient(kgo.SeedBrokers(proc.Addr), kgo.DefaultProduceTopic(topic), kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		var recs []*kgo.Record
		for i := 0; i < n; i++ {
			recs = append(recs, &kgo.Record{Value: []byte(fmt.Sprintf("%s-%d", prefix, i))})
		}
		if err := cl.ProduceSync(ctxT(t, 30*time.Second), recs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	member := func() *kgo.Client {
		cl, err := kgo.NewClient(kgo.SeedBrokers(proc.Addr), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableAutoCommit(), kgo.FetchMaxWait(200*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		return cl
	}
	pollValues := func(cl *kgo.Client, n int) []string {
		ctx := ctxT(t, 60*time.Second)
		var vs []string
		for len(vs) < n {
			fs := cl.PollFetches(ctx)
			if ctx.Err() != nil {
				t.Fatalf("consumed %d of %d: %v", len(vs), n, ctx.Err())
			}
			fs.EachRecord(func(r *kgo.Record) { vs = append(vs, string(r.Value)) })
		}
		return vs
	}

	produce("a", 30)
	c1 := member()
	defer c1.Close()
	pollValues(c1, 30)
	if err := c1.CommitUncommittedOffsets(ctxT(t, 30*time.Second)); err != nil {
		t.Fatal(err)
	}
	before, err := adm.DescribeGroups(ctxT(t, 10*time.Second), group)
	if err != nil || before[group].State != "Stable" || len(before[group].Members) != 1 {
		t.Fatalf("before the kill: %+v %v", before[group], err)
	}
	memberID := before[group].Members[0].MemberID

	proc.Kill()
	proc.Start()

	// Membership is replayed: the same member, Stable.
	testutil.Eventually(t, 30*time.Second, func() error {
		d, err := adm.DescribeGroups(ctxT(t, 10*time.Second), group)
		if err != nil {
			return err
		}
		g := d[group]
		if g.Err != nil {
			return g.Err
		}
		if g.State != "Stable" || len(g.Members) != 1 || g.Members[0].MemberID != memberID {
			return fmt.Errorf("after restart: state %s members %+v", g.State, g.Members)
		}
		return nil
	})
	checkCommittedAtEndAddr(t, proc.Addr, group, topic)

	// A new member of the group resumes from the committed offsets.
	c1.Close()
	produce("b", 12)
	c2 := member()
	defer c2.Close()
	for _, v := range pollValues(c2, 12) {
		if !strings.HasPrefix(v, "b-") {
			t.Fatalf("after the crash the group re-read %q", v)
		}
	}
}

func checkCommittedAtEndAddr(t *testing.T, addr, group, topic string) {
	t.Helper()
	testutil.Eventually(t, 30*time.Second, func() error {
		adm := newAdmin(t, addr)
		ctx := ctxT(t, 10*time.Second)
		ends, err := adm.ListEndOffsets(ctx, topic)
		if err != nil {
			return err
		}
		committed, err := adm.FetchOffsets(ctx, group)
		if err != nil {
			return err
		}
		var bad []string
		ends.Each(func(o kadm.ListedOffset) {
			c, ok := committed.Lookup(topic, o.Partition)
			if !ok || c.At != o.Offset {
				bad = append(bad, fmt.Sprintf("%d: committed %d, end %d", o.Partition, c.At, o.Offset))
			}
		})
		if len(bad) > 0 {
			return fmt.Errorf("committed offsets not at the end: %v", bad)
		}
		return nil
	})
}

package itest

// Bad input to the group coordinator: unknown member ids, stale
// generations, oversize metadata, a member that never heartbeats, and a
// JoinGroup storm from one client. Each gets the right error code, and other
// groups keep working.

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/testutil"
)

// joinMember joins group as a one-member "consumer" group at JoinGroup v5
// (KIP-394 two-step) and syncs; it returns the member id and generation.
func joinMember(t *testing.T, cl *kgo.Client, group string, sessionMs int32) (string, int32) {
	t.Helper()
	ctx := ctxT(t, 30*time.Second)
	join := kmsg.NewPtrJoinGroupRequest()
	join.Version = 5
	join.Group = group
	join.SessionTimeoutMillis = sessionMs
	join.RebalanceTimeoutMillis = sessionMs
	join.ProtocolType = "consumer"
	p := kmsg.NewJoinGroupRequestProtocol()
	p.Name = "range"
	p.Metadata = []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	join.Protocols = append(join.Protocols, p)
	resp, err := join.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	if resp.ErrorCode != kerr.MemberIDRequired.Code || resp.MemberID == "" {
		t.Fatalf("first join: code %d member %q, want MEMBER_ID_REQUIRED with an id", resp.ErrorCode, resp.MemberID)
	}
	join.MemberID = resp.MemberID
	resp, err = join.RequestWith(ctx, cl)
	if err != nil || resp.ErrorCode != 0 {
		t.Fatalf("second join: %v code %d", err, resp.ErrorCode)
	}
	if resp.LeaderID != resp.MemberID || len(resp.Members) != 1 {
		t.Fatalf("lone member is not leader with itself as the member: %+v", resp)
	}
	sync := kmsg.NewPtrSyncGroupRequest()
	sync.Group = group
	sync.MemberID = resp.MemberID
	sync.Generation = resp.Generation
	a := kmsg.NewSyncGroupRequestGroupAssignment()
	a.MemberID = resp.MemberID
	a.MemberAssignment = []byte("assignment")
	sync.GroupAssignment = append(sync.GroupAssignment, a)
	sresp, err := sync.RequestWith(ctx, cl)
	if err != nil || sresp.ErrorCode != 0 || string(sresp.MemberAssignment) != "assignment" {
		t.Fatalf("sync: %v %+v", err, sresp)
	}
	return resp.MemberID, resp.Generation
}

func heartbeat(t *testing.T, cl *kgo.Client, group, member string, gen int32) int16 {
	t.Helper()
	hb := kmsg.NewPtrHeartbeatRequest()
	hb.Group, hb.MemberID, hb.Generation = group, member, gen
	resp, err := hb.RequestWith(ctxT(t, 10*time.Second), cl)
	if err != nil {
		t.Fatal(err)
	}
	return resp.ErrorCode
}

func TestGroupBadInput(t *testing.T) {
	b := groupBroker(t, testutil.WithProps(map[string]string{"group.min.session.timeout.ms": "500"}))
	cl := b.Client(t)
	createTopic(t, b.Admin(t), "bad", 2, nil)
	member, gen := joinMember(t, cl, "bad", 30000)

	t.Run("unknown member", func(t *testing.T) {
		if code := heartbeat(t, cl, "bad", "nobody", gen); code != kerr.UnknownMemberID.Code {
			t.Errorf("heartbeat: code %d, want UNKNOWN_MEMBER_ID", code)
		}
		if code := heartbeat(t, cl, "no-such-group", "nobody", 1); code != kerr.UnknownMemberID.Code {
			t.Errorf("heartbeat to an unknown group: code %d, want UNKNOWN_MEMBER_ID", code)
		}
		sync := kmsg.NewPtrSyncGroupRequest()
		sync.Group, sync.MemberID, sync.Generation = "bad", "nobody", gen
		if resp, err := sync.RequestWith(ctxT(t, 10*time.Second), cl); err != nil || resp.ErrorCode != kerr.UnknownMemberID.Code {
			t.Errorf("sync: %v code %d", err, resp.ErrorCode)
		}
		leave := kmsg.NewPtrLeaveGroupRequest()
		leave.Group = "bad"
		lm := kmsg.NewLeaveGroupRequestMember()
		lm.MemberID = "nobody"
		leave.Members = append(leave.Members, lm)
		if resp, err := leave.RequestWith(ctxT(t, 10*time.Second), cl); err != nil || len(resp.Members) != 1 || resp.Members[0].ErrorCode != kerr.UnknownMemberID.Code {
			t.Errorf("leave: %v %+v", err, resp)
		}
		join := kmsg.NewPtrJoinGroupRequest()
		join.Group, join.MemberID, join.SessionTimeoutMillis, join.ProtocolType = "bad", "nobody", 30000, "consumer"
		join.Protocols = []kmsg.JoinGroupRequestProtocol{{Name: "range"}}
		if resp, err := join.RequestWith(ctxT(t, 10*time.Second), cl); err != nil || resp.ErrorCode != kerr.UnknownMemberID.Code {
			t.Errorf("join with an unknown id: %v code %d", err, resp.ErrorCode)
		}
	})

	t.Run("stale generation", func(t *testing.T) {
		if code := heartbeat(t, cl, "bad", member, gen-1); code != kerr.IllegalGeneration.Code {
			t.Errorf("heartbeat: code %d, want ILLEGAL_GENERATION", code)
		}
		commit := kmsg.NewPtrOffsetCommitRequest()
		commit.Group, commit.MemberID, commit.Generation = "bad", member, gen+5
		ct := kmsg.NewOffsetCommitRequestTopic()
		ct.Topic = "bad"
		ct.Partitions = []kmsg.OffsetCommitRequestTopicPartition{{Partition: 0, Offset: 1, LeaderEpoch: -1}}
		commit.Topics = append(commit.Topics, ct)
		resp, err := commit.RequestWith(ctxT(t, 10*time.Second), cl)
		if err != nil || resp.Topics[0].Partitions[0].ErrorCode != kerr.IllegalGeneration.Code {
			t.Errorf("commit: %v %+v", err, resp)
		}
		if code := heartbeat(t, cl, "bad", member, gen); code != 0 {
			t.Errorf("the member is still fine: heartbeat code %d", code)
		}
	})

	t.Run("metadata and unknown partitions", func(t *testing.T) {
		commit := kmsg.NewPtrOffsetCommitRequest()
		commit.Group, commit.MemberID, commit.Generation = "bad", member, gen
		big := strings.Repeat("m", 5000)
		ok := "fine"
		ct := kmsg.NewOffsetCommitRequestTopic()
		ct.Topic = "bad"
		ct.Partitions = []kmsg.OffsetCommitRequestTopicPartition{
			{Partition: 0, Offset: 7, LeaderEpoch: 3, Metadata: &big},
			{Partition: 1, Offset: 9, LeaderEpoch: 4, Metadata: &ok},
		}
		missing := kmsg.NewOffsetCommitRequestTopic()
		missing.Topic = "does-not-exist"
		missing.Partitions = []kmsg.OffsetCommitRequestTopicPartition{{Partition: 0, Offset: 1, LeaderEpoch: -1}}
		commit.Topics = append(commit.Topics, ct, missing)
		resp, err := commit.RequestWith(ctxT(t, 10*time.Second), cl)
		if err != nil {
			t.Fatal(err)
		}
		got := []int16{resp.Topics[0].Partitions[0].ErrorCode, resp.Topics[0].Partitions[1].ErrorCode, resp.Topics[1].Partitions[0].ErrorCode}
		want := []int16{kerr.OffsetMetadataTooLarge.Code, 0, kerr.UnknownTopicOrPartition.Code}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("codes %v, want %v", got, want)
		}
		// Metadata and leader epoch round-trip; the oversize one was not stored.
		fetch := kmsg.NewPtrOffsetFetchRequest()
		fetch.Group = "bad"
		fetch.Topics = []kmsg.OffsetFetchRequestTopic{{Topic: "bad", Partitions: []int32{0, 1}}}
		fresp, err := fetch.RequestWith(ctxT(t, 10*time.Second), cl)
		if err != nil {
			t.Fatal(err)
		}
		ps := fresp.Topics[0].Partitions
		if ps[0].Offset != -1 || ps[0].LeaderEpoch != -1 || ps[1].Offset != 9 || ps[1].LeaderEpoch != 4 || ps[1].Metadata == nil || *ps[1].Metadata != "fine" {
			t.Fatalf("fetched %+v", ps)
		}
	})

	t.Run("member that never heartbeats", func(t *testing.T) {
		joinMember(t, cl, "silent", 1000)
		testutil.Eventually(t, 20*time.Second, func() error {
			d, err := b.Admin(t).DescribeGroups(ctxT(t, 10*time.Second), "silent")
			if err != nil {
				return err
			}
			if g := d["silent"]; g.State != "Empty" || len(g.Members) != 0 {
				return fmt.Errorf("state %s with %d members", g.State, len(g.Members))
			}
			return nil
		})
	})

	t.Run("join storm", func(t *testing.T) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		codes := map[int16]int{}
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 400; i++ {
					join := kmsg.NewPtrJoinGroupRequest()
					join.Version = 5
					join.Group, join.SessionTimeoutMillis, join.ProtocolType = "storm", 30000, "consumer"
					join.Protocols = []kmsg.JoinGroupRequestProtocol{{Name: "range"}}
					resp, err := join.RequestWith(context.Background(), cl)
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					codes[resp.ErrorCode]++
					mu.Unlock()
				}
			}()
		}
		// Another group keeps working during the storm.
		other, ogen := joinMember(t, b.Client(t), "bystander", 30000)
		wg.Wait()
		if codes[kerr.MemberIDRequired.Code] != 3200 {
			t.Errorf("storm answers: %v, want 3200 MEMBER_ID_REQUIRED", codes)
		}
		if code := heartbeat(t, cl, "bystander", other, ogen); code != 0 {
			t.Errorf("bystander heartbeat: code %d", code)
		}
		// The stormed group still serves a real member once the ids
		// handed out expire.
		d, err := b.Admin(t).DescribeGroups(ctxT(t, 10*time.Second), "storm")
		if err != nil || len(d["storm"].Members) != 0 {
			t.Errorf("storm group gained members from ids never used: %+v %v", d["storm"], err)
		}
	})

	t.Run("mixed protocols", func(t *testing.T) {
		req := kmsg.NewPtrConsumerGroupHeartbeatRequest()
		req.Group, req.MemberID, req.MemberEpoch = "bad", "kip848-member", 0
		req.SubscribedTopicNames = []string{"bad"}
		req.Topics = []kmsg.ConsumerGroupHeartbeatRequestTopic{}
		req.RebalanceTimeoutMillis = 30000
		resp, err := req.RequestWith(ctxT(t, 10*time.Second), cl)
		if err != nil || resp.ErrorCode != kerr.GroupIDNotFound.Code {
			t.Errorf("KIP-848 heartbeat into a classic group: %v code %d, want GROUP_ID_NOT_FOUND", err, resp.ErrorCode)
		}
		req.Group = "new-848"
		resp, err = req.RequestWith(ctxT(t, 10*time.Second), cl)
		if err != nil || resp.ErrorCode != 0 || resp.MemberEpoch < 1 {
			t.Fatalf("KIP-848 join: %v %+v", err, resp)
		}
		join := kmsg.NewPtrJoinGroupRequest()
		join.Group, join.SessionTimeoutMillis, join.ProtocolType = "new-848", 30000, "consumer"
		join.Protocols = []kmsg.JoinGroupRequestProtocol{{Name: "range"}}
		jresp, err := join.RequestWith(ctxT(t, 10*time.Second), cl)
		if err != nil || jresp.ErrorCode != kerr.InconsistentGroupProtocol.Code {
			t.Errorf("classic join into a KIP-848 group: %v code %d, want INCONSISTENT_GROUP_PROTOCOL", err, jresp.ErrorCode)
		}
		req.ServerAssignor = kmsg.StringPtr("nonsense")
		req.MemberEpoch = resp.MemberEpoch
		resp, err = req.RequestWith(ctxT(t, 10*time.Second), cl)
		if err != nil || resp.ErrorCode != kerr.UnsupportedAssignor.Code {
			t.Errorf("unknown assignor: %v code %d", err, resp.ErrorCode)
		}
		req.ServerAssignor = nil
		req.MemberEpoch = 999
		resp, err = req.RequestWith(ctxT(t, 10*time.Second), cl)
		if err != nil || resp.ErrorCode != kerr.FencedMemberEpoch.Code {
			t.Errorf("wrong epoch: %v code %d, want FENCED_MEMBER_EPOCH", err, resp.ErrorCode)
		}
	})
}

package main

// group_view.go describes a consumer group whichever protocol it uses and
// computes its lag, for "group describe" and "group reset-offsets".
//
// Kafka has two group protocols: classic (JoinGroup/SyncGroup, described by
// DescribeGroups) and consumer (KIP-848, ConsumerGroupHeartbeat, described by
// ConsumerGroupDescribe). A broker answers ConsumerGroupDescribe for a
// classic group with GROUP_ID_NOT_FOUND, and DescribeGroups for a KIP-848
// group with GROUP_ID_NOT_FOUND (Kafka 4) or an empty member list (older
// brokers, kfake), so we ask ConsumerGroupDescribe first and fall back to
// DescribeGroups. A broker without ConsumerGroupDescribe has only classic
// groups.

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// groupView is one group as the group commands show it.
type groupView struct {
	Name         string
	Exists       bool   // false: the coordinator does not know the group
	Protocol     string // "classic" or "consumer" (KIP-848)
	State        string
	ProtocolType string // "consumer", "connect", ...; "-" if unknown
	Assignor     string // partition assignor (classic: the chosen protocol)
	Coordinator  int32
	Members      []groupMember
}

// groupMember is one member of a group and its current assignment.
type groupMember struct {
	ID, InstanceID, ClientID, Host string
	Assigned                       map[string][]int32 // topic -> sorted partitions
}

// active reports whether the group has members or is rebalancing: its
// offsets must not be reset under it.
func (g *groupView) active() bool {
	if !g.Exists {
		return false
	}
	return len(g.Members) > 0 || (g.State != "Empty" && g.State != "Dead" && g.State != "")
}

// owner returns the member assigned topic/partition, or nil.
func (g *groupView) owner(topic string, partition int32) *groupMember {
	for i := range g.Members {
		if slices.Contains(g.Members[i].Assigned[topic], partition) {
			return &g.Members[i]
		}
	}
	return nil
}

// describeGroupView describes group. A group the coordinator does not know
// is returned with Exists false and a nil error; errors are request failures
// and Kafka errors other than GROUP_ID_NOT_FOUND.
func describeGroupView(ctx context.Context, cl *kgo.Client, adm *kadm.Client, group string) (groupView, error) {
	if v, ok, err := describeConsumerProtocolGroup(ctx, cl, adm, group); err != nil || ok {
		return v, err
	}
	described, err := adm.DescribeGroups(ctx, group)
	if err != nil {
		return groupView{}, fmt.Errorf("describing group %q: %w", group, err)
	}
	d, ok := described[group]
	if !ok {
		return groupView{}, fmt.Errorf("describing group %q: %w", group, errMissingFromResponse)
	}
	v := groupView{
		Name:         group,
		Protocol:     "classic",
		State:        d.State,
		ProtocolType: dashIfEmpty(d.ProtocolType),
		Assignor:     dashIfEmpty(d.Protocol),
		Coordinator:  d.Coordinator.NodeID,
	}
	if groupMissing(d.State, d.Err) {
		return v, nil
	}
	if d.Err != nil {
		return v, fmt.Errorf("describing group %q: %s", group, kafkaErrText(d.Err, d.ErrMessage))
	}
	v.Exists = true
	for _, m := range d.Members {
		gm := groupMember{ID: m.MemberID, ClientID: m.ClientID, Host: m.ClientHost, Assigned: map[string][]int32{}}
		if m.InstanceID != nil {
			gm.InstanceID = *m.InstanceID
		}
		if c, ok := m.Assigned.AsConsumer(); ok {
			for _, t := range c.Topics {
				gm.Assigned[t.Topic] = append(gm.Assigned[t.Topic], t.Partitions...)
			}
		}
		v.Members = append(v.Members, gm)
	}
	v.sortMembers()
	return v, nil
}

// describeConsumerProtocolGroup asks ConsumerGroupDescribe. ok is false if
// group is not a KIP-848 group (or the broker does not know the API), in
// which case the caller falls back to DescribeGroups.
func describeConsumerProtocolGroup(ctx context.Context, cl *kgo.Client, adm *kadm.Client, group string) (v groupView, ok bool, err error) {
	req := kmsg.NewPtrConsumerGroupDescribeRequest()
	req.Groups = []string{group}
	var rg *kmsg.ConsumerGroupDescribeResponseGroup
	var coordinator int32 = -1
	for _, sh := range cl.RequestSharded(ctx, req) {
		if sh.Err != nil {
			// Old brokers do not have the API; a coordinator problem shows
			// up again, with a clearer error, on DescribeGroups.
			continue
		}
		resp, isResp := sh.Resp.(*kmsg.ConsumerGroupDescribeResponse)
		if !isResp {
			continue
		}
		for i := range resp.Groups {
			if resp.Groups[i].Group == group {
				rg, coordinator = &resp.Groups[i], sh.Meta.NodeID
			}
		}
	}
	if rg == nil || rg.ErrorCode != 0 || rg.State == "" || rg.State == "Dead" {
		if rg != nil && isKafkaErr(kerr.ErrorForCode(rg.ErrorCode), kerr.GroupAuthorizationFailed) {
			return v, false, fmt.Errorf("describing group %q: %s", group, kafkaErrText(kerr.GroupAuthorizationFailed, deref(rg.ErrorMessage)))
		}
		// GROUP_ID_NOT_FOUND (a classic group or none), UNSUPPORTED_VERSION
		// and the like: DescribeGroups decides.
		return v, false, nil
	}

	// Assignments name topics by ID (and, from Kafka, by name too).
	names := map[[16]byte]string{}
	needNames := false
	for _, m := range rg.Members {
		for _, tp := range m.Assignment.TopicPartitions {
			needNames = needNames || tp.Topic == ""
		}
	}
	if needNames {
		md, err := adm.Metadata(ctx)
		if err != nil {
			return v, false, fmt.Errorf("resolving topic ids of group %q: %w", group, err)
		}
		for name, td := range md.Topics {
			names[td.ID] = name
		}
	}

	v = groupView{
		Name:         group,
		Exists:       true,
		Protocol:     "consumer",
		State:        rg.State,
		ProtocolType: "consumer",
		Assignor:     dashIfEmpty(rg.AssignorName),
		Coordinator:  coordinator,
	}
	for _, m := range rg.Members {
		gm := groupMember{ID: m.MemberID, ClientID: m.ClientID, Host: m.ClientHost, InstanceID: deref(m.InstanceID), Assigned: map[string][]int32{}}
		for _, tp := range m.Assignment.TopicPartitions {
			name := tp.Topic
			if name == "" {
				name = names[tp.TopicID]
			}
			if name == "" {
				name = fmt.Sprintf("(topic id %x)", tp.TopicID)
			}
			gm.Assigned[name] = append(gm.Assigned[name], tp.Partitions...)
		}
		v.Members = append(v.Members, gm)
	}
	v.sortMembers()
	return v, true, nil
}

func (g *groupView) sortMembers() {
	for _, m := range g.Members {
		for t := range m.Assigned {
			slices.Sort(m.Assigned[t])
		}
	}
	sort.Slice(g.Members, func(i, j int) bool { return g.Members[i].ID < g.Members[j].ID })
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// lagRow is one partition of "group describe".
type lagRow struct {
	Topic     string
	Partition int32
	Commit    int64 // -1: nothing committed
	Start     int64 // -1 if unknown
	End       int64 // high watermark, -1 if unknown
	Lag       int64 // -1 if unknown (then Err is set)
	Err       error
	Member    *groupMember
}

// groupLag returns a row for every partition of every topic the group has
// committed offsets for or is assigned, sorted by topic and partition. Lag is
// the high watermark minus the committed offset, or minus the log start
// offset when nothing is committed (everything still to read).
func groupLag(ctx context.Context, adm *kadm.Client, g *groupView) ([]lagRow, error) {
	committed, err := adm.FetchOffsets(ctx, g.Name)
	if err != nil && !isKafkaErr(err, kerr.GroupIDNotFound) {
		return nil, fmt.Errorf("fetching offsets of group %q: %w", g.Name, err)
	}
	topicSet := map[string]bool{}
	for t := range committed {
		topicSet[t] = true
	}
	for _, m := range g.Members {
		for t := range m.Assigned {
			topicSet[t] = true
		}
	}
	if len(topicSet) == 0 {
		return nil, nil
	}
	topics := make([]string, 0, len(topicSet))
	for t := range topicSet {
		topics = append(topics, t)
	}
	slices.Sort(topics)
	// Per-partition errors are shown in their rows; only a failure of the
	// whole request is fatal.
	starts, err := adm.ListStartOffsets(ctx, topics...)
	if err != nil && starts == nil {
		return nil, fmt.Errorf("listing start offsets: %w", err)
	}
	ends, err := adm.ListEndOffsets(ctx, topics...)
	if err != nil && ends == nil {
		return nil, fmt.Errorf("listing end offsets: %w", err)
	}

	seen := map[string]map[int32]bool{}
	var rows []lagRow
	add := func(t string, p int32) {
		if seen[t] == nil {
			seen[t] = map[int32]bool{}
		}
		if p < 0 || seen[t][p] {
			return
		}
		seen[t][p] = true
		r := lagRow{Topic: t, Partition: p, Commit: -1, Start: -1, End: -1, Lag: -1, Member: g.owner(t, p)}
		if c, ok := committed.Lookup(t, p); ok && c.Err == nil {
			r.Commit = c.At
		}
		s, sok := starts.Lookup(t, p)
		e, eok := ends.Lookup(t, p)
		if !eok {
			// The whole topic failed to list (deleted?): its error is
			// stored under partition -1.
			e, eok = ends.Lookup(t, -1)
		}
		switch {
		case !eok:
			r.Err = errMissingFromResponse
		case e.Err != nil:
			r.Err = e.Err
		default:
			r.End = e.Offset
		}
		if sok && s.Err == nil {
			r.Start = s.Offset
		}
		if r.Err == nil {
			switch {
			case r.Commit >= 0:
				r.Lag = max(0, r.End-r.Commit)
			case r.Start >= 0:
				r.Lag = r.End - r.Start
			}
		}
		rows = append(rows, r)
	}
	for _, t := range topics {
		for p := range ends[t] {
			add(t, p)
		}
		for p := range committed[t] {
			add(t, p)
		}
		for _, m := range g.Members {
			for _, p := range m.Assigned[t] {
				add(t, p)
			}
		}
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Topic != rows[j].Topic {
			return rows[i].Topic < rows[j].Topic
		}
		return rows[i].Partition < rows[j].Partition
	})
	return rows, nil
}

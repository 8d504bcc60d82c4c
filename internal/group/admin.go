package group

// DescribeGroups, ListGroups and DeleteGroups.

import (
	"errors"
	"sort"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// DescribeGroup describes one classic group (DescribeGroups v0-6). An
// unknown group is state Dead with no error, like Kafka; a KIP-848 group is
// GROUP_ID_NOT_FOUND (with a message for v6).
func (c *Coordinator) DescribeGroup(id string) kmsg.DescribeGroupsResponseGroup {
	out := kmsg.NewDescribeGroupsResponseGroup()
	out.Group = id
	out.State = string(StateDead)
	err := c.withGroup(id, false, func(g *group) error {
		if g.kind == kindConsumer {
			msg := "Group " + id + " is not a classic group."
			out.ErrorMessage = &msg
			return kerr.GroupIDNotFound
		}
		out.State = string(g.state)
		out.ProtocolType = g.protocolType
		if g.state == StateStable || g.state == StateCompletingRebalance {
			out.Protocol = g.protocol
		}
		for _, m := range g.sortedMembersLocked() {
			dm := kmsg.NewDescribeGroupsResponseGroupMember()
			dm.MemberID = m.id
			dm.InstanceID = m.instanceID
			dm.ClientID = m.clientID
			dm.ClientHost = m.clientHost
			if g.protocol != "" {
				dm.ProtocolMetadata = m.metadataFor(g.protocol)
			}
			if g.state == StateStable {
				dm.MemberAssignment = m.assignment
			}
			out.Members = append(out.Members, dm)
		}
		return nil
	})
	if err != nil && !errors.Is(err, errGroupNotFound) {
		out.ErrorCode = kerrCode(err)
	}
	return out
}

// ListGroups lists the groups of every partition led here, filtered by state
// (case-insensitive) and type ("classic", "consumer"); empty filters match
// all. A partition still loading makes the answer COORDINATOR_LOAD_IN_PROGRESS.
func (c *Coordinator) ListGroups(states, types []string) ([]kmsg.ListGroupsResponseGroup, error) {
	var out []kmsg.ListGroupsResponseGroup
	match := func(filter []string, v string) bool {
		if len(filter) == 0 {
			return true
		}
		for _, f := range filter {
			if strings.EqualFold(f, v) {
				return true
			}
		}
		return false
	}
	var loadErr error
	for _, s := range c.shards() {
		if !s.loaded.Load() {
			loadErr = errLoading
			continue
		}
		now := c.now()
		for _, g := range s.groups() {
			g.mu.Lock()
			if !g.dead.Load() {
				g.tickLocked(now) // as withGroup: the state as of now
			}
			if !g.dead.Load() {
				st := g.stateLocked()
				typ := g.kind.String()
				if match(states, string(st)) && match(types, typ) {
					lg := kmsg.NewListGroupsResponseGroup()
					lg.Group = g.id
					lg.ProtocolType = g.protocolType
					if g.kind == kindConsumer {
						lg.ProtocolType = "consumer"
					}
					lg.GroupState = string(st)
					lg.GroupType = typ
					out = append(out, lg)
				}
			}
			g.mu.Unlock()
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Group < out[j].Group })
	return out, loadErr
}

// stateLocked is the state reported to clients.
func (g *group) stateLocked() State {
	if g.kind == kindConsumer && g.cg != nil {
		return g.consumerStateLocked()
	}
	return g.state
}

// DeleteGroup deletes an empty group and its offsets (DeleteGroups):
// GROUP_ID_NOT_FOUND if absent, NON_EMPTY_GROUP if it has members.
func (c *Coordinator) DeleteGroup(id string) error {
	var last int64 = -1
	var g *group
	err := c.withGroup(id, false, func(gr *group) error {
		g = gr
		if !gr.emptyLocked() {
			return kerr.NonEmptyGroup
		}
		var recs []record
		for t, ps := range gr.offsets {
			for p := range ps {
				recs = append(recs, offsetTombstone(id, t, p))
			}
		}
		recs = append(recs, groupTombstone(id))
		recs = append(recs, gr.consumerTombstonesLocked()...)
		var err error
		if last, err = gr.s.appendLocked(recs); err != nil {
			return err
		}
		gr.offsets = map[string]map[int32]Offset{}
		gr.setStateLocked(StateDead)
		gr.dead.Store(true)
		return nil
	})
	if errors.Is(err, errGroupNotFound) {
		return kerr.GroupIDNotFound
	}
	if err != nil {
		return err
	}
	g.s.remove(g)
	c.log.Info("deleted group", "group", id)
	return g.s.waitCommitted(last)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedPartitions[V any](m map[int32]V) []int32 {
	out := make([]int32, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

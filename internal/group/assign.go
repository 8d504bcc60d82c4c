package group

// Server-side assignors of KIP-848 groups. Both are deterministic functions
// of their input (members sorted by id, topics by name).
//
//	uniform  spreads all subscribed partitions evenly (sizes differ by at most
//	         one for members with the same subscription) and sticks to the
//	         previous target where it can (Kafka's default).
//	range    per topic, members subscribed to it (sorted by id) get contiguous
//	         ranges, the first n%m one partition more: co-partitioned topics
//	         line up.

import (
	"sort"
)

// Assignor names (ConsumerGroupHeartbeat ServerAssignor).
const (
	AssignorUniform = "uniform"
	AssignorRange   = "range"
)

type topicMeta struct {
	name       string
	id         [16]byte
	partitions int32
}

// tpart is one topic partition by topic id.
type tpart struct {
	topic [16]byte
	part  int32
}

// assignment maps topic id to sorted partitions. Nil and empty are the same.
type assignment map[[16]byte][]int32

func (a assignment) has(t [16]byte, p int32) bool {
	for _, x := range a[t] {
		if x == p {
			return true
		}
	}
	return false
}

// clone returns a copy sharing nothing with a.
func (a assignment) clone() assignment {
	out := make(assignment, len(a))
	for t, ps := range a {
		out[t] = append([]int32(nil), ps...)
	}
	return out
}

func (a assignment) size() int {
	n := 0
	for _, ps := range a {
		n += len(ps)
	}
	return n
}

func (a assignment) add(t [16]byte, p int32) {
	ps := append(a[t], p)
	sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
	a[t] = ps
}

func (a assignment) equal(b assignment) bool {
	if a.size() != b.size() {
		return false
	}
	for t, ps := range a {
		for _, p := range ps {
			if !b.has(t, p) {
				return false
			}
		}
	}
	return true
}

// minus returns the partitions of a not in b.
func (a assignment) minus(b assignment) assignment {
	out := assignment{}
	for t, ps := range a {
		for _, p := range ps {
			if !b.has(t, p) {
				out.add(t, p)
			}
		}
	}
	return out
}

// intersect returns the partitions in both.
func (a assignment) intersect(b assignment) assignment {
	out := assignment{}
	for t, ps := range a {
		for _, p := range ps {
			if b.has(t, p) {
				out.add(t, p)
			}
		}
	}
	return out
}

func (a assignment) overlaps(b assignment) bool {
	for t, ps := range a {
		for _, p := range ps {
			if b.has(t, p) {
				return true
			}
		}
	}
	return false
}

// memberSub is one member's resolved subscription.
type memberSub struct {
	id     string
	topics []string // sorted names of existing subscribed topics
}

// assignRange is the range assignor.
func assignRange(members []memberSub, topics map[string]topicMeta) map[string]assignment {
	out := make(map[string]assignment, len(members))
	subs := map[string][]string{}
	for _, m := range members {
		out[m.id] = assignment{}
		for _, t := range m.topics {
			subs[t] = append(subs[t], m.id)
		}
	}
	for t, ids := range subs {
		tm := topics[t]
		sort.Strings(ids)
		n, k := int(tm.partitions), len(ids)
		p := 0
		for i, id := range ids {
			cnt := n / k
			if i < n%k {
				cnt++
			}
			for j := 0; j < cnt; j++ {
				out[id].add(tm.id, int32(p))
				p++
			}
		}
	}
	return out
}

// assignUniform is the uniform assignor: sticky to prev, balanced.
func assignUniform(members []memberSub, topics map[string]topicMeta, prev map[string]assignment) map[string]assignment {
	out := make(map[string]assignment, len(members))
	if len(members) == 0 {
		return out
	}
	sorted := append([]memberSub(nil), members...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].id < sorted[j].id })
	subscribed := map[string]map[[16]byte]bool{}
	var all []tpart
	seenTopic := map[string]bool{}
	for _, m := range sorted {
		out[m.id] = assignment{}
		subscribed[m.id] = map[[16]byte]bool{}
		for _, t := range m.topics {
			tm := topics[t]
			subscribed[m.id][tm.id] = true
			if !seenTopic[t] {
				seenTopic[t] = true
				for p := int32(0); p < tm.partitions; p++ {
					all = append(all, tpart{tm.id, p})
				}
			}
		}
	}
	valid := map[tpart]bool{}
	for _, tp := range all {
		valid[tp] = true
	}
	// Quotas for the homogeneous case: base each, the first `extra`
	// members (those keeping the most) one more.
	base, extra := len(all)/len(sorted), len(all)%len(sorted)
	taken := map[tpart]bool{}
	// Keep previous partitions, up to base+1 each.
	for _, m := range sorted {
		for t, ps := range prev[m.id] {
			for _, p := range ps {
				tp := tpart{t, p}
				if !valid[tp] || taken[tp] || !subscribed[m.id][t] || out[m.id].size() >= base+1 {
					continue
				}
				out[m.id].add(t, p)
				taken[tp] = true
			}
		}
	}
	// Only `extra` members may hold base+1: trim the others.
	big := 0
	for _, m := range sorted {
		if out[m.id].size() > base {
			big++
			if big > extra {
				a := out[m.id]
				for t, ps := range a {
					if a.size() <= base {
						break
					}
					last := ps[len(ps)-1]
					a[t] = ps[:len(ps)-1]
					if len(a[t]) == 0 {
						delete(a, t)
					}
					delete(taken, tpart{t, last})
				}
			}
		}
	}
	// Hand out the rest, each to the least loaded subscribed member.
	sort.Slice(all, func(i, j int) bool {
		ti, tj := topicName(topics, all[i].topic), topicName(topics, all[j].topic)
		if ti != tj {
			return ti < tj
		}
		return all[i].part < all[j].part
	})
	for _, tp := range all {
		if taken[tp] {
			continue
		}
		var best string
		for _, m := range sorted {
			if !subscribed[m.id][tp.topic] {
				continue
			}
			if best == "" || out[m.id].size() < out[best].size() {
				best = m.id
			}
		}
		if best != "" {
			out[best].add(tp.topic, tp.part)
			taken[tp] = true
		}
	}
	return out
}

func topicName(topics map[string]topicMeta, id [16]byte) string {
	for n, t := range topics {
		if t.id == id {
			return n
		}
	}
	return ""
}

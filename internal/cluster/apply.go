package cluster

// Applying commands to an image. Everything here must be deterministic: the
// same image and entry give the same result on every node (no clocks, no
// randomness, no map iteration order leaking into results). Each apply function
// validates completely before it mutates the builder.

import (
	"fmt"
	"math"
	"slices"
	"strconv"
)

// apply applies one decoded command at Raft index index.
func (b *builder) apply(index uint64, cmd Command) Result {
	var r Result
	before := b.mutations
	switch c := cmd.(type) {
	case InitCluster:
		r.Err = b.initCluster(c)
	case RegisterBroker:
		r.BrokerEpoch, r.Err = b.registerBroker(index, c)
	case UnregisterBroker:
		r.Err = b.unregisterBroker(c)
	case FenceBroker:
		r.Err = b.fenceBroker(c)
	case CreateTopic:
		r.TopicID, r.Err = b.createTopic(index, c)
	case DeleteTopic:
		r.TopicID, r.Err = b.deleteTopic(c)
	case CreatePartitions:
		r.Err = b.createPartitions(index, c)
	case AlterConfigs:
		r.Err = b.alterConfigs(c)
	case AllocateProducerIDs:
		r.FirstProducerID, r.Err = b.allocateProducerIDs(c)
	case ChangePartition:
		r.Err = b.changePartition(c)
	default:
		r.Err = fmt.Errorf("%w: command %T", ErrUnsupportedVersion, cmd)
	}
	r.Index = index
	if b.mutations != before {
		b.img.Index = index
	}
	return r
}

func (b *builder) initCluster(c InitCluster) error {
	if c.ClusterID == "" || len(c.ClusterID) > 64 {
		return fmt.Errorf("%w: cluster id %q must be 1-64 bytes", ErrInvalidRequest, c.ClusterID)
	}
	if b.img.ClusterID == "" {
		b.img.ClusterID = c.ClusterID
		b.mutations++
	}
	return nil
}

func (b *builder) registerBroker(index uint64, c RegisterBroker) (int64, error) {
	if c.ID < 0 {
		return 0, fmt.Errorf("%w: broker id %d must be >= 0", ErrInvalidRequest, c.ID)
	}
	if c.Host == "" || c.Port <= 0 || c.Port > 65535 {
		return 0, fmt.Errorf("%w: broker %d endpoint %s:%d needs a host and a port in 1-65535", ErrInvalidRequest, c.ID, c.Host, c.Port)
	}
	for _, ep := range c.Endpoints {
		if ep.Host == "" || ep.Port <= 0 || ep.Port > 65535 {
			return 0, fmt.Errorf("%w: broker %d listener %q endpoint %s:%d needs a host and a port in 1-65535",
				ErrInvalidRequest, c.ID, ep.Name, ep.Host, ep.Port)
		}
	}
	if c.Incarnation == ([16]byte{}) {
		return 0, fmt.Errorf("%w: broker %d registration without an incarnation id", ErrInvalidRequest, c.ID)
	}
	info := BrokerInfo{ID: c.ID, Host: c.Host, Port: c.Port, Rack: c.Rack, Incarnation: c.Incarnation,
		Endpoints: slices.Clone(c.Endpoints), Epoch: int64(index)}
	if old, ok := b.img.Brokers[c.ID]; ok && old.Incarnation == c.Incarnation {
		// The same process registering again (a retry): keep its epoch and fence state.
		info.Epoch, info.Fenced = old.Epoch, old.Fenced
		if brokerInfoEqual(old, info) {
			return old.Epoch, nil
		}
	}
	b.brokers()[c.ID] = info
	return info.Epoch, nil
}

func brokerInfoEqual(a, b BrokerInfo) bool {
	return a.ID == b.ID && a.Host == b.Host && a.Port == b.Port && a.Rack == b.Rack && a.Fenced == b.Fenced &&
		a.Epoch == b.Epoch && a.Incarnation == b.Incarnation && slices.Equal(a.Endpoints, b.Endpoints)
}

func (b *builder) unregisterBroker(c UnregisterBroker) error {
	if _, ok := b.img.Brokers[c.ID]; !ok {
		return fmt.Errorf("%w: %d", ErrUnknownBroker, c.ID)
	}
	delete(b.brokers(), c.ID)
	return nil
}

func (b *builder) fenceBroker(c FenceBroker) error {
	info, ok := b.img.Brokers[c.ID]
	if !ok {
		return fmt.Errorf("%w: %d", ErrUnknownBroker, c.ID)
	}
	if c.Epoch >= 0 && c.Epoch != info.Epoch {
		return fmt.Errorf("%w: broker %d epoch is %d, command names %d", ErrStaleBrokerEpoch, c.ID, info.Epoch, c.Epoch)
	}
	if info.Fenced != c.Fenced {
		info.Fenced = c.Fenced
		b.brokers()[c.ID] = info
	}
	return nil
}

// validTopicName applies Kafka's rule: 1-249 characters of [a-zA-Z0-9._-],
// not "." or "..".
func validTopicName(name string) error {
	if name == "" || len(name) > maxNameLen {
		return fmt.Errorf("%w: topic name %q must be 1-%d characters", ErrInvalidTopic, name, maxNameLen)
	}
	if name == "." || name == ".." {
		return fmt.Errorf("%w: topic name %q is not allowed", ErrInvalidTopic, name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("%w: topic name %q has an illegal character %q (legal: a-z A-Z 0-9 . _ -)", ErrInvalidTopic, name, c)
		}
	}
	return nil
}

// collisionKey maps '.' to '_': Kafka refuses topics that differ only there,
// because metric names cannot tell them apart.
func collisionKey(name string) string {
	out := []byte(name)
	for i, c := range out {
		if c == '.' {
			out[i] = '_'
		}
	}
	return string(out)
}

func validConfigName(k string) error {
	if k == "" || len(k) > maxConfigNameLen {
		return fmt.Errorf("%w: config name %q must be 1-%d characters", ErrInvalidConfig, k, maxConfigNameLen)
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("%w: config name %q has an illegal character %q", ErrInvalidConfig, k, c)
		}
	}
	return nil
}

func (b *builder) createTopic(index uint64, c CreateTopic) ([16]byte, error) {
	if err := validTopicName(c.Name); err != nil {
		return [16]byte{}, err
	}
	if b.img.Topics[c.Name] != nil {
		return [16]byte{}, fmt.Errorf("%w: %q", ErrTopicExists, c.Name)
	}
	if c.ID == ([16]byte{}) {
		return [16]byte{}, fmt.Errorf("%w: topic %q has no id", ErrInvalidRequest, c.Name)
	}
	if t := b.img.TopicsByID[c.ID]; t != nil {
		return [16]byte{}, fmt.Errorf("%w: topic id of %q is already used by %q", ErrTopicExists, c.Name, t.Name)
	}
	if key := collisionKey(c.Name); key != c.Name || containsByte(c.Name, '_') {
		for name := range b.img.Topics {
			if collisionKey(name) == key {
				return [16]byte{}, fmt.Errorf("%w: topic %q collides with existing topic %q ('.' and '_' are the same in metric names)",
					ErrInvalidTopic, c.Name, name)
			}
		}
	}
	var assign [][]int32
	if len(c.Assignments) > 0 {
		if c.Partitions > 0 && int(c.Partitions) != len(c.Assignments) {
			return [16]byte{}, fmt.Errorf("%w: %d partitions requested but %d assigned", ErrInvalidReplicaAssignment, c.Partitions, len(c.Assignments))
		}
		if len(c.Assignments) > MaxPartitionsPerTopic {
			return [16]byte{}, fmt.Errorf("%w: %d partitions, at most %d", ErrInvalidPartitions, len(c.Assignments), MaxPartitionsPerTopic)
		}
		rf := len(c.Assignments[0])
		if c.ReplicationFactor > 0 && int(c.ReplicationFactor) != rf {
			return [16]byte{}, fmt.Errorf("%w: replication factor %d requested but partition 0 has %d replicas",
				ErrInvalidReplicaAssignment, c.ReplicationFactor, rf)
		}
		if err := b.checkAssignments(c.Assignments, rf, 0); err != nil {
			return [16]byte{}, err
		}
		assign = c.Assignments
	} else {
		if c.Partitions < 1 || c.Partitions > MaxPartitionsPerTopic {
			return [16]byte{}, fmt.Errorf("%w: %d partitions, need 1-%d", ErrInvalidPartitions, c.Partitions, MaxPartitionsPerTopic)
		}
		var err error
		if assign, err = b.placeReplicas(index, 0, c.Partitions, int(c.ReplicationFactor)); err != nil {
			return [16]byte{}, err
		}
	}
	for k := range c.Configs {
		if err := validConfigName(k); err != nil {
			return [16]byte{}, fmt.Errorf("topic %q: %w", c.Name, err)
		}
	}
	parts := make([]PartitionImage, len(assign))
	for i, reps := range assign {
		p, err := b.newPartition(int32(i), reps)
		if err != nil {
			return [16]byte{}, fmt.Errorf("topic %q: %w", c.Name, err)
		}
		parts[i] = p
	}
	t := &TopicImage{Name: c.Name, ID: c.ID, Partitions: parts}
	if len(c.Configs) > 0 {
		t.Configs = cloneMap(c.Configs)
	}
	b.addTopic(t)
	return c.ID, nil
}

func containsByte(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}

// checkAssignments checks explicit assignments: every list has rf replicas,
// no duplicates, and only registered brokers.
func (b *builder) checkAssignments(a [][]int32, rf int, firstPartition int) error {
	if rf < 1 {
		return fmt.Errorf("%w: partition %d has no replicas", ErrInvalidReplicaAssignment, firstPartition)
	}
	for i, reps := range a {
		p := firstPartition + i
		if len(reps) != rf {
			return fmt.Errorf("%w: partition %d has %d replicas, expected %d like the others",
				ErrInvalidReplicaAssignment, p, len(reps), rf)
		}
		for j, id := range reps {
			if _, ok := b.img.Brokers[id]; !ok {
				return fmt.Errorf("%w: partition %d names unknown broker %d", ErrInvalidReplicaAssignment, p, id)
			}
			if slices.Contains(reps[:j], id) {
				return fmt.Errorf("%w: partition %d lists broker %d twice", ErrInvalidReplicaAssignment, p, id)
			}
		}
	}
	return nil
}

// placeReplicas assigns count partitions, numbered from firstPartition, with
// rf replicas each over the unfenced brokers. It is Kafka's rack-unaware
// placement (AdminUtils.assignReplicasToBrokersRackUnaware): partition i's
// first replica is broker (i+start) mod n, the followers follow at a shift that
// grows every n partitions. Kafka draws start and shift at random; we derive
// them from the Raft index so that every node computes the same placement.
func (b *builder) placeReplicas(index uint64, firstPartition, count int32, rf int) ([][]int32, error) {
	brokers := b.img.BrokerIDs(true)
	n := len(brokers)
	if rf < 1 || rf > n {
		return nil, fmt.Errorf("%w: replication factor %d, need 1-%d (unfenced brokers)", ErrInvalidReplicationFactor, rf, n)
	}
	start := int(index % uint64(n))
	shift := int((index / uint64(n)) % uint64(n))
	out := make([][]int32, count)
	for i := range out {
		p := int(firstPartition) + i
		if p > 0 && p%n == 0 {
			shift++
		}
		first := (p + start) % n
		reps := make([]int32, 0, rf)
		reps = append(reps, brokers[first])
		for j := 0; j < rf-1; j++ {
			reps = append(reps, brokers[(first+1+(shift+j)%(n-1))%n])
		}
		out[i] = reps
	}
	return out, nil
}

// newPartition builds a new partition: ISR = the unfenced replicas, leader =
// the first of them.
func (b *builder) newPartition(p int32, replicas []int32) (PartitionImage, error) {
	isr := make([]int32, 0, len(replicas))
	for _, id := range replicas {
		if info, ok := b.img.Brokers[id]; ok && !info.Fenced {
			isr = append(isr, id)
		}
	}
	if len(isr) == 0 {
		return PartitionImage{}, fmt.Errorf("%w: every replica of partition %d (%v) is fenced", ErrInvalidReplicaAssignment, p, replicas)
	}
	return PartitionImage{Partition: p, Leader: isr[0], Replicas: slices.Clone(replicas), ISR: isr}, nil
}

func (b *builder) lookupTopic(name string, id [16]byte) (*TopicImage, error) {
	if id != ([16]byte{}) {
		t := b.img.TopicsByID[id]
		if t == nil {
			return nil, fmt.Errorf("%w: %x", ErrUnknownTopicID, id)
		}
		if name != "" && name != t.Name {
			return nil, fmt.Errorf("%w: topic id %x belongs to %q, not %q", ErrInvalidRequest, id, t.Name, name)
		}
		return t, nil
	}
	t := b.img.Topics[name]
	if t == nil {
		return nil, fmt.Errorf("%w: %q", ErrUnknownTopic, name)
	}
	return t, nil
}

func (b *builder) deleteTopic(c DeleteTopic) ([16]byte, error) {
	t, err := b.lookupTopic(c.Name, c.ID)
	if err != nil {
		return [16]byte{}, err
	}
	b.removeTopic(t)
	return t.ID, nil
}

func (b *builder) createPartitions(index uint64, c CreatePartitions) error {
	t := b.img.Topics[c.Topic]
	if t == nil {
		return fmt.Errorf("%w: %q", ErrUnknownTopic, c.Topic)
	}
	cur := int32(len(t.Partitions))
	if c.Count <= cur {
		return fmt.Errorf("%w: topic %q has %d partitions, requested %d (must increase)", ErrInvalidPartitions, c.Topic, cur, c.Count)
	}
	if c.Count > MaxPartitionsPerTopic {
		return fmt.Errorf("%w: %d partitions, at most %d", ErrInvalidPartitions, c.Count, MaxPartitionsPerTopic)
	}
	rf := len(t.Partitions[0].Replicas)
	var assign [][]int32
	if len(c.Assignments) > 0 {
		if len(c.Assignments) != int(c.Count-cur) {
			return fmt.Errorf("%w: %d new partitions but %d assignments", ErrInvalidReplicaAssignment, c.Count-cur, len(c.Assignments))
		}
		if err := b.checkAssignments(c.Assignments, rf, int(cur)); err != nil {
			return err
		}
		assign = c.Assignments
	} else {
		var err error
		if assign, err = b.placeReplicas(index, cur, c.Count-cur, rf); err != nil {
			return err
		}
	}
	parts := make([]PartitionImage, len(assign))
	for i, reps := range assign {
		p, err := b.newPartition(cur+int32(i), reps)
		if err != nil {
			return fmt.Errorf("topic %q: %w", c.Topic, err)
		}
		parts[i] = p
	}
	mt := b.mutableTopic(t)
	mt.Partitions = append(mt.Partitions, parts...)
	return nil
}

func (b *builder) alterConfigs(c AlterConfigs) error {
	for k, v := range c.Set {
		if err := validConfigName(k); err != nil {
			return err
		}
		if c.Replace && v == nil {
			return fmt.Errorf("%w: %q has no value (AlterConfigs replaces the whole set)", ErrInvalidConfig, k)
		}
	}
	switch c.Resource {
	case ResourceTopic:
		t := b.img.Topics[c.Name]
		if t == nil {
			return fmt.Errorf("%w: %q", ErrUnknownTopic, c.Name)
		}
		next := mergeConfigs(t.Configs, c.Set, c.Replace)
		if mapsEqual(next, t.Configs) {
			return nil
		}
		b.mutableTopic(t).Configs = next
	case ResourceBroker:
		if c.Name != "" {
			id, err := strconv.ParseInt(c.Name, 10, 32)
			if err != nil || id < 0 || strconv.FormatInt(id, 10) != c.Name {
				return fmt.Errorf("%w: broker resource name %q is not a broker id", ErrInvalidRequest, c.Name)
			}
		}
		old := b.img.BrokerConfigs[c.Name]
		next := mergeConfigs(old, c.Set, c.Replace)
		if mapsEqual(next, old) {
			return nil
		}
		if next == nil {
			delete(b.brokerConfigs(), c.Name)
		} else {
			b.brokerConfigs()[c.Name] = next
		}
	case ResourceGroup:
		if c.Name == "" {
			return fmt.Errorf("%w: a group config resource needs a group id", ErrInvalidRequest)
		}
		old := b.img.GroupConfigs[c.Name]
		next := mergeConfigs(old, c.Set, c.Replace)
		if mapsEqual(next, old) {
			return nil
		}
		if next == nil {
			delete(b.groupConfigs(), c.Name)
		} else {
			b.groupConfigs()[c.Name] = next
		}
	default:
		return fmt.Errorf("%w: config resource type %d", ErrInvalidRequest, c.Resource)
	}
	return nil
}

// mergeConfigs returns a new map (nil if empty); old is not modified.
func mergeConfigs(old map[string]string, set map[string]*string, replace bool) map[string]string {
	next := map[string]string{}
	if !replace {
		for k, v := range old {
			next[k] = v
		}
	}
	for k, v := range set {
		if v == nil {
			delete(next, k)
		} else {
			next[k] = *v
		}
	}
	if len(next) == 0 {
		return nil
	}
	return next
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func (b *builder) allocateProducerIDs(c AllocateProducerIDs) (int64, error) {
	if c.Count < 1 || c.Count > MaxProducerIDBlock {
		return 0, fmt.Errorf("%w: producer id block of %d, need 1-%d", ErrInvalidRequest, c.Count, MaxProducerIDBlock)
	}
	first := b.img.NextProducerID
	if first > math.MaxInt64-c.Count {
		return 0, fmt.Errorf("%w: producer ids exhausted", ErrInvalidRequest)
	}
	b.img.NextProducerID = first + c.Count
	b.mutations++
	return first, nil
}

func (b *builder) changePartition(c ChangePartition) error {
	t := b.img.Topics[c.Topic]
	if t == nil {
		return fmt.Errorf("%w: %q", ErrUnknownTopic, c.Topic)
	}
	if c.Partition < 0 || int(c.Partition) >= len(t.Partitions) {
		return fmt.Errorf("%w: %q partition %d", ErrUnknownPartition, c.Topic, c.Partition)
	}
	old := t.Partitions[c.Partition]
	if c.PartitionEpoch != old.PartitionEpoch {
		return fmt.Errorf("%w: %q partition %d is at partition epoch %d, command names %d",
			ErrInvalidUpdateVersion, c.Topic, c.Partition, old.PartitionEpoch, c.PartitionEpoch)
	}
	next := old
	if c.ISR != nil {
		for j, id := range c.ISR {
			if !slices.Contains(old.Replicas, id) {
				return fmt.Errorf("%w: ISR member %d is not a replica of %q partition %d %v", ErrInvalidRequest, id, c.Topic, c.Partition, old.Replicas)
			}
			if slices.Contains(c.ISR[:j], id) {
				return fmt.Errorf("%w: ISR lists %d twice", ErrInvalidRequest, id)
			}
		}
		next.ISR = slices.Clone(c.ISR)
	}
	if c.Leader != nil {
		next.Leader = *c.Leader
	}
	if next.Leader < -1 || next.Leader >= 0 && !slices.Contains(next.ISR, next.Leader) {
		return fmt.Errorf("%w: leader %d of %q partition %d is not in the ISR %v", ErrInvalidRequest, next.Leader, c.Topic, c.Partition, next.ISR)
	}
	leaderChanged := next.Leader != old.Leader
	if !leaderChanged && slices.Equal(next.ISR, old.ISR) {
		return nil
	}
	if leaderChanged {
		next.LeaderEpoch++
	}
	next.PartitionEpoch++
	b.mutableTopic(t).Partitions[c.Partition] = next
	return nil
}

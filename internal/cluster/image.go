package cluster

import (
	"slices"

	"github.com/google/uuid"
)

// Image is the metadata as of one point of the log. An Image is immutable once
// published: readers share it without locks and must not modify it or any map,
// slice or TopicImage reachable from it. A new image shares every map and
// topic that the commands behind it did not change (copy-on-write): a topic
// change copies the topic maps (O(topics)) and that topic's partition slice,
// never the other topics' partitions.
type Image struct {
	// Index is the Raft index of the last entry that changed the image; it is
	// the same on every node for the same content. Entries that change nothing
	// (rejected commands, retries) publish no image, so the log's applied index
	// can be ahead of Index.
	Index uint64
	// ClusterID is fixed once, by the first controller (InitCluster).
	ClusterID string
	// ControllerID is the Raft leader as this node last saw it, -1 if unknown.
	// It is the only field not derived from the log.
	ControllerID int32
	// Brokers holds the registered brokers by id.
	Brokers map[int32]BrokerInfo
	// Topics and TopicsByID index the same *TopicImage values.
	Topics     map[string]*TopicImage
	TopicsByID map[[16]byte]*TopicImage
	// BrokerConfigs holds dynamic broker configs: "" = cluster-wide defaults,
	// "1" = broker 1. Inner maps are never empty (empty ones are removed).
	BrokerConfigs map[string]map[string]string
	// GroupConfigs holds group configs (KIP-848) by group id. Inner maps
	// are never empty.
	GroupConfigs map[string]map[string]string
	// NextProducerID is the first producer id not yet allocated.
	NextProducerID int64

	// changed is closed when a newer image replaces this one on its node.
	changed chan struct{}
}

// BrokerInfo is one broker registration.
type BrokerInfo struct {
	ID          int32
	Host        string
	Port        int32
	Rack        string // "" = none
	Fenced      bool
	Epoch       int64 // broker epoch: Raft index of the registration of this incarnation
	Incarnation uuid.UUID
	Endpoints   []Endpoint
}

// TopicImage is one topic. Partitions[i].Partition == i.
type TopicImage struct {
	Name       string
	ID         [16]byte
	Partitions []PartitionImage
	Configs    map[string]string // overrides only; nil or non-empty
}

// PartitionImage is one partition's replication state.
type PartitionImage struct {
	Partition      int32
	Leader         int32 // -1 = no leader
	LeaderEpoch    int32
	PartitionEpoch int32
	Replicas       []int32
	ISR            []int32
}

// emptyImage is the image before anything is applied.
func emptyImage() *Image {
	return &Image{
		ControllerID:  -1,
		Brokers:       map[int32]BrokerInfo{},
		Topics:        map[string]*TopicImage{},
		TopicsByID:    map[[16]byte]*TopicImage{},
		BrokerConfigs: map[string]map[string]string{},
		GroupConfigs:  map[string]map[string]string{},
		changed:       make(chan struct{}),
	}
}

// Changed returns a channel that is closed when a newer image replaces this one
// on the node that published it (a new log entry applied, a snapshot restored,
// or a controller change). Waiting on it coalesces changes: after it fires,
// load Node.Image() again. The channel of an image not published by a node is
// nil (it blocks forever).
func (img *Image) Changed() <-chan struct{} { return img.changed }

// Topic returns the topic named name, or nil.
func (img *Image) Topic(name string) *TopicImage { return img.Topics[name] }

// TopicByID returns the topic with that id, or nil.
func (img *Image) TopicByID(id [16]byte) *TopicImage { return img.TopicsByID[id] }

// Partition returns a partition of a topic; ok is false if either is unknown.
func (img *Image) Partition(topic string, partition int32) (p PartitionImage, ok bool) {
	t := img.Topics[topic]
	if t == nil || partition < 0 || int(partition) >= len(t.Partitions) {
		return PartitionImage{}, false
	}
	return t.Partitions[partition], true
}

// TopicNames returns the topic names sorted. The slice is new.
func (img *Image) TopicNames() []string { return sortedKeys(img.Topics) }

// BrokerIDs returns the registered broker ids sorted; if unfencedOnly, only
// the unfenced ones. The slice is new.
func (img *Image) BrokerIDs(unfencedOnly bool) []int32 {
	ids := make([]int32, 0, len(img.Brokers))
	for id, b := range img.Brokers {
		if !unfencedOnly || !b.Fenced {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// builder derives a new image from a base one, copying each map at most once
// and each topic at most once however many commands it applies. Commands
// validate completely before they call a mutating method, so a failed command
// leaves no trace.
type builder struct {
	base, img                                                           *Image
	brokersOwned, topicsOwned, byIDOwned, brokerCfgOwned, groupCfgOwned bool
	ownedTopics                                                         map[*TopicImage]bool
	// mutations counts calls that change img; apply compares it around each
	// command to tell whether the command changed anything.
	mutations int
}

func newBuilder(base *Image) *builder {
	img := *base
	img.changed = nil
	return &builder{base: base, img: &img}
}

// dirty reports whether any change was made.
func (b *builder) dirty() bool { return b.mutations > 0 }

func (b *builder) brokers() map[int32]BrokerInfo {
	b.mutations++
	if !b.brokersOwned {
		b.img.Brokers = cloneMap(b.img.Brokers)
		b.brokersOwned = true
	}
	return b.img.Brokers
}

func (b *builder) brokerConfigs() map[string]map[string]string {
	b.mutations++
	if !b.brokerCfgOwned {
		b.img.BrokerConfigs = cloneMap(b.img.BrokerConfigs)
		b.brokerCfgOwned = true
	}
	return b.img.BrokerConfigs
}

func (b *builder) groupConfigs() map[string]map[string]string {
	b.mutations++
	if !b.groupCfgOwned {
		b.img.GroupConfigs = cloneMap(b.img.GroupConfigs)
		b.groupCfgOwned = true
	}
	return b.img.GroupConfigs
}

func (b *builder) topicMaps() (map[string]*TopicImage, map[[16]byte]*TopicImage) {
	b.mutations++
	if !b.topicsOwned {
		b.img.Topics = cloneMap(b.img.Topics)
		b.topicsOwned = true
	}
	if !b.byIDOwned {
		b.img.TopicsByID = cloneMap(b.img.TopicsByID)
		b.byIDOwned = true
	}
	return b.img.Topics, b.img.TopicsByID
}

// addTopic inserts a topic built by this builder (so it is owned).
func (b *builder) addTopic(t *TopicImage) {
	byName, byID := b.topicMaps()
	byName[t.Name], byID[t.ID] = t, t
	b.own(t)
}

func (b *builder) removeTopic(t *TopicImage) {
	byName, byID := b.topicMaps()
	delete(byName, t.Name)
	delete(byID, t.ID)
}

func (b *builder) own(t *TopicImage) {
	if b.ownedTopics == nil {
		b.ownedTopics = map[*TopicImage]bool{}
	}
	b.ownedTopics[t] = true
}

// mutableTopic returns a copy of t that this builder may change: the struct
// and its Partitions slice are new; Configs and each partition's Replicas/ISR
// stay shared and must be replaced, never written in place.
func (b *builder) mutableTopic(t *TopicImage) *TopicImage {
	b.mutations++
	if b.ownedTopics[t] {
		return t
	}
	c := *t
	c.Partitions = slices.Clone(t.Partitions)
	b.addTopic(&c)
	return &c
}

func cloneMap[K comparable, V any](m map[K]V) map[K]V {
	c := make(map[K]V, len(m)+1)
	for k, v := range m {
		c[k] = v
	}
	return c
}

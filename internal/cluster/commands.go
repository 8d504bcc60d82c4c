package cluster

import "github.com/google/uuid"

// Command is one change to the metadata, proposed with Node.Propose. The
// concrete types below are the whole set; their content follows Kafka's KRaft
// records (KAFKA-NOTES 8.2), their bytes are ours (codec.go). Commands are
// values: Propose does not retain or modify the caller's maps and slices.
type Command interface {
	cmdType() cmdType
}

// InitCluster fixes the cluster id. The first controller proposes it when it
// finds the image without one; later ones are no-ops (first wins).
type InitCluster struct {
	ClusterID string
}

// RegisterBroker registers (or re-registers) a broker. A new Incarnation (a
// random UUID per broker process start) gives a new broker epoch, the Raft
// index of the registration entry; re-sending the same incarnation is
// idempotent and keeps the epoch. The broker registers unfenced: Gregor brokers
// register only after Node.WaitReady, i.e. once caught up with the metadata
// log, which is the condition Kafka unfences on.
type RegisterBroker struct {
	ID          int32
	Host        string // advertised client host
	Port        int32  // advertised client port
	Rack        string // "" = no rack
	Incarnation uuid.UUID
	Endpoints   []Endpoint // all listeners (optional; Host/Port is the primary one)
}

// Endpoint is one advertised listener of a broker.
type Endpoint struct {
	Name             string // listener name, e.g. "PLAINTEXT"
	Host             string
	Port             int32
	SecurityProtocol int16 // Kafka's ids: 0 PLAINTEXT, 1 SSL, 2 SASL_PLAINTEXT, 3 SASL_SSL
}

// UnregisterBroker removes a broker registration. Partitions that name it as
// a replica keep doing so (as in Kafka); moving them is a reassignment.
type UnregisterBroker struct {
	ID int32
}

// FenceBroker fences or unfences a registered broker. Epoch, if >= 0, must be
// the broker's current epoch (else ErrStaleBrokerEpoch), so that a decision
// about an older incarnation does not hit a newer one. The controller's
// follow-up (moving leadership off a fenced broker) is separate ChangePartition
// commands.
type FenceBroker struct {
	ID     int32
	Epoch  int64
	Fenced bool
}

// CreateTopic creates a topic. Handlers resolve defaults (num.partitions,
// default.replication.factor) and validate config names and values with
// internal/config before proposing; the FSM checks structure only.
//
// Without Assignments, Partitions >= 1 and 1 <= ReplicationFactor <= unfenced
// brokers; replicas are spread round-robin over the unfenced brokers with a
// start offset and shift like Kafka's rack-unaware placement, seeded from the
// Raft index (so every node computes the same). With Assignments, Partitions
// and ReplicationFactor must be <= 0 or agree with them; every list has the
// same length, no duplicates and only registered brokers.
//
// Every partition starts with leader = first unfenced replica, leader epoch 0,
// partition epoch 0, ISR = the unfenced replicas.
type CreateTopic struct {
	Name              string
	ID                [16]byte // zero: Propose assigns a new random non-zero id
	Partitions        int32
	ReplicationFactor int16
	Assignments       [][]int32
	Configs           map[string]string // overrides only
}

// DeleteTopic deletes a topic by name, or by id when ID is non-zero (then a
// non-empty Name must match). Result.TopicID is the deleted topic's id.
type DeleteTopic struct {
	Name string
	ID   [16]byte
}

// CreatePartitions grows a topic to Count partitions (Count must exceed the
// current count). Assignments, if given, has Count-current entries of the
// topic's replication factor; otherwise placement continues Kafka's
// round-robin from the current partition count.
type CreatePartitions struct {
	Topic       string
	Count       int32
	Assignments [][]int32
}

// ResourceType is the kind of config resource, with Kafka's ConfigResource ids.
type ResourceType int8

const (
	ResourceTopic  ResourceType = 2
	ResourceBroker ResourceType = 4
	ResourceGroup  ResourceType = 32 // KIP-848 group configs
)

// AlterConfigs changes dynamic configs. Name is the topic name for
// ResourceTopic, the broker id in decimal for ResourceBroker, or "" for the
// cluster-wide broker defaults, the group id for ResourceGroup (the group
// need not exist, as in Kafka). Set maps a name to its new value, nil deleting
// it (IncrementalAlterConfigs). Replace replaces the whole set with the non-nil
// entries of Set (legacy AlterConfigs).
type AlterConfigs struct {
	Resource ResourceType
	Name     string
	Set      map[string]*string
	Replace  bool
}

// AllocateProducerIDs reserves Count (1..MaxProducerIDBlock) producer ids;
// Result.FirstProducerID is the first of the block. Ids are never reused.
type AllocateProducerIDs struct {
	Count int64
}

// ChangePartition changes a partition's leader and/or ISR, like Kafka's
// AlterPartition / PartitionChangeRecord. PartitionEpoch must equal the
// current partition epoch (else ErrInvalidUpdateVersion). Leader nil keeps the
// leader (-1 = no leader); ISR nil keeps the ISR. A new leader must be a
// replica in the resulting ISR. Any change bumps the partition epoch; a leader
// change also bumps the leader epoch.
type ChangePartition struct {
	Topic          string
	Partition      int32
	Leader         *int32
	ISR            []int32
	PartitionEpoch int32
}

// Limits the FSM enforces so that no single entry can make every node
// allocate without bound.
const (
	MaxPartitionsPerTopic = 200_000
	MaxProducerIDBlock    = 1 << 20
	maxNameLen            = 249 // Kafka's topic name limit
	maxConfigNameLen      = 255
)

// Result is the outcome of a command, identical on every node.
type Result struct {
	// Err is nil or one of the package's sentinel errors, wrapped with detail.
	Err error
	// FirstProducerID is set by AllocateProducerIDs.
	FirstProducerID int64
	// TopicID is set by CreateTopic and DeleteTopic.
	TopicID [16]byte
	// BrokerEpoch is set by RegisterBroker.
	BrokerEpoch int64
	// Index is the Raft index of the entry.
	Index uint64
}

func (InitCluster) cmdType() cmdType         { return cmdInitCluster }
func (RegisterBroker) cmdType() cmdType      { return cmdRegisterBroker }
func (UnregisterBroker) cmdType() cmdType    { return cmdUnregisterBroker }
func (FenceBroker) cmdType() cmdType         { return cmdFenceBroker }
func (CreateTopic) cmdType() cmdType         { return cmdCreateTopic }
func (DeleteTopic) cmdType() cmdType         { return cmdDeleteTopic }
func (CreatePartitions) cmdType() cmdType    { return cmdCreatePartitions }
func (AlterConfigs) cmdType() cmdType        { return cmdAlterConfigs }
func (AllocateProducerIDs) cmdType() cmdType { return cmdAllocateProducerIDs }
func (ChangePartition) cmdType() cmdType     { return cmdChangePartition }

package cluster

import (
	"errors"
	"fmt"
)

// Validation errors. The FSM returns them (wrapped with detail via %w) in
// Result.Err; every node computes the same one for the same entry. Handlers
// map them to Kafka error codes with errors.Is.
var (
	// ErrTopicExists: a topic with that name (or id) already exists (TOPIC_ALREADY_EXISTS).
	ErrTopicExists = errors.New("cluster: topic already exists")
	// ErrUnknownTopic: no topic with that name (UNKNOWN_TOPIC_OR_PARTITION).
	ErrUnknownTopic = errors.New("cluster: unknown topic")
	// ErrUnknownTopicID: no topic with that id (UNKNOWN_TOPIC_ID).
	ErrUnknownTopicID = errors.New("cluster: unknown topic id")
	// ErrUnknownPartition: the topic exists but not that partition (UNKNOWN_TOPIC_OR_PARTITION).
	ErrUnknownPartition = errors.New("cluster: unknown partition")
	// ErrInvalidPartitions: partition count < 1, too large, or not increasing (INVALID_PARTITIONS).
	ErrInvalidPartitions = errors.New("cluster: invalid partition count")
	// ErrInvalidReplicationFactor: RF < 1 or more than the live brokers (INVALID_REPLICATION_FACTOR).
	ErrInvalidReplicationFactor = errors.New("cluster: invalid replication factor")
	// ErrInvalidReplicaAssignment: explicit assignment is inconsistent or names unknown brokers (INVALID_REPLICA_ASSIGNMENT).
	ErrInvalidReplicaAssignment = errors.New("cluster: invalid replica assignment")
	// ErrInvalidTopic: illegal topic name, or one colliding with another by '.'/'_' (INVALID_TOPIC_EXCEPTION).
	ErrInvalidTopic = errors.New("cluster: invalid topic")
	// ErrInvalidConfig: malformed config name or value (INVALID_CONFIG).
	ErrInvalidConfig = errors.New("cluster: invalid config")
	// ErrInvalidRequest: a command that is well-formed bytes but semantically invalid (INVALID_REQUEST).
	ErrInvalidRequest = errors.New("cluster: invalid request")
	// ErrUnknownBroker: no registered broker with that id.
	ErrUnknownBroker = errors.New("cluster: unknown broker")
	// ErrStaleBrokerEpoch: the command names an older broker epoch than the registration (STALE_BROKER_EPOCH).
	ErrStaleBrokerEpoch = errors.New("cluster: stale broker epoch")
	// ErrInvalidUpdateVersion: ChangePartition with a partition epoch that is not current (INVALID_UPDATE_VERSION).
	ErrInvalidUpdateVersion = errors.New("cluster: partition epoch mismatch")
)

// Errors about the node and the log rather than the command.
var (
	// ErrNotController: this node (or the node a request was forwarded to) is not
	// the Raft leader; the command was not appended and may be retried (NOT_CONTROLLER).
	ErrNotController = errors.New("cluster: not the controller")
	// ErrOutcomeUnknown: the command was handed to the log but leadership was lost,
	// the context ended or the connection broke before the result was known; it may
	// or may not be applied (REQUEST_TIMED_OUT). Re-read the image before retrying.
	ErrOutcomeUnknown = errors.New("cluster: command outcome unknown")
	// ErrClosed: the node is closed or closing.
	ErrClosed = errors.New("cluster: node closed")
	// ErrCorrupt: bytes from disk or network (a log entry, a snapshot, an RPC
	// frame) do not decode. It is a class of its own: never retried, always logged.
	ErrCorrupt = errors.New("cluster: corrupt metadata encoding")
	// ErrClusterIDMismatch: Config.ClusterID names another cluster than the
	// metadata log in Config.Dir belongs to (Kafka's INCONSISTENT_CLUSTER_ID).
	ErrClusterIDMismatch = errors.New("cluster: cluster id mismatch")
	// ErrUnsupportedVersion: an entry, snapshot or RPC frame of a format version this
	// binary does not know (written by a newer Gregor).
	ErrUnsupportedVersion = errors.New("cluster: unsupported format version")
)

// errorCodes is the wire table for errors sent between nodes by the forwarding
// RPC (forward.go). Part of the RPC format: append only, never reorder.
var errorCodes = []error{
	nil, // 0: no error
	ErrTopicExists,
	ErrUnknownTopic,
	ErrUnknownTopicID,
	ErrUnknownPartition,
	ErrInvalidPartitions,
	ErrInvalidReplicationFactor,
	ErrInvalidReplicaAssignment,
	ErrInvalidTopic,
	ErrInvalidConfig,
	ErrInvalidRequest,
	ErrUnknownBroker,
	ErrStaleBrokerEpoch,
	ErrInvalidUpdateVersion,
	ErrNotController,
	ErrOutcomeUnknown,
	ErrClosed,
	ErrCorrupt,
	ErrUnsupportedVersion,
}

// errCodeOther marks an error that is none of errorCodes; only its text travels.
const errCodeOther = 0xffff

func errorCode(err error) uint16 {
	if err == nil {
		return 0
	}
	for i, e := range errorCodes[1:] {
		if errors.Is(err, e) {
			return uint16(i + 1)
		}
	}
	return errCodeOther
}

// remoteError is an error received from another node: its text is the remote
// text, and errors.Is matches the sentinel it carried.
type remoteError struct {
	sentinel error
	msg      string
}

func (e *remoteError) Error() string { return e.msg }
func (e *remoteError) Unwrap() error { return e.sentinel }

func errorFromCode(code uint16, msg string) error {
	if code == 0 {
		return nil
	}
	if int(code) < len(errorCodes) {
		return &remoteError{sentinel: errorCodes[code], msg: msg}
	}
	return fmt.Errorf("cluster: remote error (code %d): %s", code, msg)
}

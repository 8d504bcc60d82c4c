package handler

import (
	"context"
	"errors"
	"log/slog"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/gregor-streaming/gregor/internal/cluster"
	"github.com/gregor-streaming/gregor/internal/replica"
	"github.com/gregor-streaming/gregor/internal/storage"
)

// errorCode maps a domain error to the Kafka error code a client acts on
// correctly (KAFKA-NOTES section 7). An error with no mapping is logged and
// answered UNKNOWN_SERVER_ERROR, which clients treat as fatal for the request.
func errorCode(log *slog.Logger, err error) int16 {
	if err == nil {
		return 0
	}
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return ke.Code
	}
	for _, m := range errorMap {
		if errors.Is(err, m.err) {
			return m.code.Code
		}
	}
	log.Error("unexpected error answered UNKNOWN_SERVER_ERROR", "err", err)
	return kerr.UnknownServerError.Code
}

var errorMap = []struct {
	err  error
	code *kerr.Error
}{
	{storage.ErrCorrupt, kerr.CorruptMessage},
	{storage.ErrInvalidRecord, kerr.InvalidRecord},
	{storage.ErrMessageTooLarge, kerr.MessageTooLarge},
	{storage.ErrRecordListTooLarge, kerr.RecordListTooLarge},
	{storage.ErrOffsetOutOfRange, kerr.OffsetOutOfRange},
	{storage.ErrDiskFull, kerr.KafkaStorageError},
	{storage.ErrReadOnly, kerr.KafkaStorageError},
	{storage.ErrClosed, kerr.NotLeaderForPartition},
	{replica.ErrNotLeader, kerr.NotLeaderForPartition},
	{replica.ErrClosed, kerr.NotLeaderForPartition},
	{replica.ErrFencedLeaderEpoch, kerr.FencedLeaderEpoch},
	{replica.ErrUnknownLeaderEpoch, kerr.UnknownLeaderEpoch},
	{replica.ErrOutOfOrderSequence, kerr.OutOfOrderSequenceNumber},
	{replica.ErrInvalidProducerEpoch, kerr.InvalidProducerEpoch},
	{replica.ErrInvalidTimestamp, kerr.InvalidTimestamp},
	{cluster.ErrTopicExists, kerr.TopicAlreadyExists},
	{cluster.ErrUnknownTopic, kerr.UnknownTopicOrPartition},
	{cluster.ErrUnknownTopicID, kerr.UnknownTopicID},
	{cluster.ErrUnknownPartition, kerr.UnknownTopicOrPartition},
	{cluster.ErrInvalidReplicaAssignment, kerr.InvalidReplicaAssignment},
	{cluster.ErrInvalidRequest, kerr.InvalidRequest},
	{cluster.ErrOutcomeUnknown, kerr.RequestTimedOut},
	{cluster.ErrClosed, kerr.NotController},
	{cluster.ErrInvalidPartitions, kerr.InvalidPartitions},
	{cluster.ErrInvalidReplicationFactor, kerr.InvalidReplicationFactor},
	{cluster.ErrInvalidTopic, kerr.InvalidTopicException},
	{cluster.ErrInvalidConfig, kerr.InvalidConfig},
	{cluster.ErrNotController, kerr.NotController},
	{context.DeadlineExceeded, kerr.RequestTimedOut},
	{context.Canceled, kerr.RequestTimedOut},
}

// errMessage is the message for error-message fields: nil on success.
func errMessage(err error) *string {
	if err == nil {
		return nil
	}
	s := err.Error()
	return &s
}

package group

import (
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// FormatRecord renders one __consumer_offsets record (key and value as
// stored; a nil value is a tombstone) as one line of text, for dump tools
// such as `gregor debug`. Errors wrap ErrCorruptRecord or name an unknown
// key or value version; key and value are not retained.
func FormatRecord(key, value []byte) (string, error) {
	k, err := parseKey(key)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	switch k.kind {
	case keyKindOffset:
		fmt.Fprintf(&b, "OffsetCommit group=%q topic=%q partition=%d", k.group, k.topic, k.partition)
		if value == nil {
			break
		}
		var v kmsg.OffsetCommitValue
		if err := v.ReadFrom(value); err != nil {
			return "", fmt.Errorf("%w: offset commit value: %v", ErrCorruptRecord, err)
		}
		fmt.Fprintf(&b, " -> v%d offset=%d leader_epoch=%d metadata=%q commit_ms=%d", v.Version, v.Offset, v.LeaderEpoch, v.Metadata, v.CommitTimestamp)
		if v.Version == 1 {
			fmt.Fprintf(&b, " expire_ms=%d", v.ExpireTimestamp)
		}
	case keyKindGroup:
		fmt.Fprintf(&b, "GroupMetadata group=%q", k.group)
		if value == nil {
			break
		}
		var v kmsg.GroupMetadataValue
		if err := v.ReadFrom(value); err != nil {
			return "", fmt.Errorf("%w: group metadata value: %v", ErrCorruptRecord, err)
		}
		fmt.Fprintf(&b, " -> v%d type=%q generation=%d protocol=%s leader=%s members=[", v.Version, v.ProtocolType, v.Generation, optStr(v.Protocol), optStr(v.Leader))
		for i, m := range v.Members {
			if i > 0 {
				b.WriteString(" ")
			}
			fmt.Fprintf(&b, "%s(instance=%s client=%s session_ms=%d assignment=%dB)", m.MemberID, optStr(m.InstanceID), m.ClientID, m.SessionTimeoutMillis, len(m.Assignment))
		}
		b.WriteString("]")
	case keyKindConsumer:
		if err := formatConsumerRecord(&b, k.consumer, value); err != nil {
			return "", err
		}
	default:
		// A type Gregor does not read (share and streams groups of newer
		// Kafka versions): shown, not decoded.
		fmt.Fprintf(&b, "UnknownType%d key=%dB value=%dB", k.version, len(key), len(value))
	}
	if value == nil {
		b.WriteString(" -> tombstone")
	}
	return b.String(), nil
}

func optStr(s *string) string {
	if s == nil {
		return "null"
	}
	return fmt.Sprintf("%q", *s)
}

func formatTPs(ts []cgTopicPartitions) string {
	var parts []string
	for _, t := range ts {
		parts = append(parts, fmt.Sprintf("%s:%v", uuid.UUID(t.TopicID), t.Partitions))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func formatConsumerRecord(b *strings.Builder, k consumerKey, value []byte) error {
	names := map[int16]string{
		keyConsumerGroupMetadata:                 "ConsumerGroupMetadata",
		keyConsumerGroupPartitionMetadata:        "ConsumerGroupPartitionMetadata",
		keyConsumerGroupMemberMetadata:           "ConsumerGroupMemberMetadata",
		keyConsumerGroupTargetAssignmentMetadata: "ConsumerGroupTargetAssignmentMetadata",
		keyConsumerGroupTargetAssignmentMember:   "ConsumerGroupTargetAssignmentMember",
		keyConsumerGroupCurrentMemberAssignment:  "ConsumerGroupCurrentMemberAssignment",
	}
	fmt.Fprintf(b, "%s group=%q", names[k.typ], k.group)
	if k.hasMember() {
		fmt.Fprintf(b, " member=%q", k.member)
	}
	if value == nil {
		return nil
	}
	switch k.typ {
	case keyConsumerGroupMetadata:
		var v cgMetadataValue
		if err := v.ReadFrom(value); err != nil {
			return err
		}
		fmt.Fprintf(b, " -> epoch=%d", v.Epoch)
	case keyConsumerGroupPartitionMetadata:
		var v cgPartitionMetadataValue
		if err := v.ReadFrom(value); err != nil {
			return err
		}
		b.WriteString(" -> topics=[")
		for i, t := range v.Topics {
			if i > 0 {
				b.WriteString(" ")
			}
			fmt.Fprintf(b, "%s(%s):%d", t.TopicName, uuid.UUID(t.TopicID), t.NumPartitions)
		}
		b.WriteString("]")
	case keyConsumerGroupMemberMetadata:
		var v cgMemberMetadataValue
		if err := v.ReadFrom(value); err != nil {
			return err
		}
		fmt.Fprintf(b, " -> instance=%s rack=%s client=%q host=%q topics=%v regex=%s rebalance_ms=%d assignor=%s",
			optStr(v.InstanceID), optStr(v.RackID), v.ClientID, v.ClientHost, v.SubscribedTopicNames, optStr(v.SubscribedTopicRegex), v.RebalanceTimeoutMs, optStr(v.ServerAssignor))
	case keyConsumerGroupTargetAssignmentMetadata:
		var v cgTargetAssignmentMetadataValue
		if err := v.ReadFrom(value); err != nil {
			return err
		}
		fmt.Fprintf(b, " -> assignment_epoch=%d", v.AssignmentEpoch)
	case keyConsumerGroupTargetAssignmentMember:
		var v cgTargetAssignmentMemberValue
		if err := v.ReadFrom(value); err != nil {
			return err
		}
		fmt.Fprintf(b, " -> target=%s", formatTPs(v.Topics))
	case keyConsumerGroupCurrentMemberAssignment:
		var v cgCurrentMemberAssignmentValue
		if err := v.ReadFrom(value); err != nil {
			return err
		}
		fmt.Fprintf(b, " -> epoch=%d previous_epoch=%d state=%d assigned=%s pending_revocation=%s",
			v.MemberEpoch, v.PreviousMemberEpoch, v.State, formatTPs(v.Assigned), formatTPs(v.PendingRevocation))
	}
	return nil
}

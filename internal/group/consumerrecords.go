package group

// The KIP-848 consumer group records of __consumer_offsets (key types 3-8),
// in Apache Kafka's layout (group-coordinator/src/main/resources/common/
// message/ConsumerGroup*.json as of Kafka 4.0) so that Kafka's own tools and
// a Kafka broker reading the topic understand them. kmsg has no schemas for
// them; they are encoded here with kbin primitives.
//
// Every key starts with an int16 record type and is non-flexible (strings are
// int16 length + bytes). Every value starts with an int16 version (always 0)
// and is flexible: strings are compact (uvarint length+1, 0 = null), arrays
// are compact (uvarint count+1), and every struct ends with a tagged-field
// section (uvarint count, then per field: uvarint tag, uvarint size, bytes).
//
//	key:   type int16 | group int16-len string [| member int16-len string]
//
//	type 3 ConsumerGroupMetadataKey {group}
//	       ConsumerGroupMetadataValue v0
//	         epoch int32 | tags {0: metadataHash int64, 1: creationTimeMs int64}
//	type 4 ConsumerGroupPartitionMetadataKey {group}
//	       ConsumerGroupPartitionMetadataValue v0
//	         topics [topicId uuid(16) | topicName cstring | numPartitions int32 |
//	                 partitionMetadata [partition int32 | racks [cstring] | tags] |
//	                 tags] | tags
//	type 5 ConsumerGroupMemberMetadataKey {group, member}
//	       ConsumerGroupMemberMetadataValue v0
//	         instanceId cnstring | rackId cnstring | clientId cstring |
//	         clientHost cstring | subscribedTopicNames [cstring] |
//	         subscribedTopicRegex cnstring | rebalanceTimeoutMs int32 |
//	         serverAssignor cnstring |
//	         tags {0: classicMemberMetadata {sessionTimeoutMs int32 |
//	               supportedProtocols [name cstring | metadata cbytes | tags] | tags}}
//	type 6 ConsumerGroupTargetAssignmentMetadataKey {group}
//	       ConsumerGroupTargetAssignmentMetadataValue v0
//	         assignmentEpoch int32 | tags {0: assignmentTimestamp int64}
//	type 7 ConsumerGroupTargetAssignmentMemberKey {group, member}
//	       ConsumerGroupTargetAssignmentMemberValue v0
//	         topicPartitions [topicId uuid | partitions [int32] | tags] | tags
//	type 8 ConsumerGroupCurrentMemberAssignmentKey {group, member}
//	       ConsumerGroupCurrentMemberAssignmentValue v0
//	         memberEpoch int32 | previousMemberEpoch int32 | state int8 |
//	         assignedPartitions [topicPartitions] |
//	         partitionsPendingRevocation [topicPartitions] | tags
//	         where topicPartitions = topicId uuid | partitions [int32] |
//	                                 tags {0: assignmentEpochs nullable [int32]}
//
// For example the value of a type 3 record with epoch 5 and no tags is the
// seven bytes 00 00 | 00 00 00 05 | 00.
//
// Gregor writes every field above except the classic member metadata (it
// never converts groups between protocols) and the tagged metadataHash,
// creationTimeMs and assignmentTimestamp (their defaults); unknown tags are
// skipped on read. A null value is a tombstone, as for every record type.

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kbin"
)

// KIP-848 record types: the int16 that starts the key (part of the format).
const (
	keyConsumerGroupMetadata                 int16 = 3
	keyConsumerGroupPartitionMetadata        int16 = 4
	keyConsumerGroupMemberMetadata           int16 = 5
	keyConsumerGroupTargetAssignmentMetadata int16 = 6
	keyConsumerGroupTargetAssignmentMember   int16 = 7
	keyConsumerGroupCurrentMemberAssignment  int16 = 8

	// consumerValueVersion is the only value version of types 3-8.
	consumerValueVersion int16 = 0
)

// Member states of ConsumerGroupCurrentMemberAssignmentValue.State (Kafka's
// MemberState; part of the format).
const (
	memberStateStable               int8 = 0
	memberStateUnrevokedPartitions  int8 = 1
	memberStateUnreleasedPartitions int8 = 2
	memberStateUnknown              int8 = 127
)

// errUnknownValueVersion: a KIP-848 record value of a version Gregor cannot
// read (written by a newer Kafka); the record is skipped with a log line.
var errUnknownValueVersion = errors.New("group: unknown __consumer_offsets value version")

// consumerKey is the key of a type 3-8 record. member is empty for the
// group-level types 3, 4 and 6.
type consumerKey struct {
	typ    int16
	group  string
	member string
}

func (k consumerKey) hasMember() bool {
	return k.typ == keyConsumerGroupMemberMetadata || k.typ == keyConsumerGroupTargetAssignmentMember ||
		k.typ == keyConsumerGroupCurrentMemberAssignment
}

func (k consumerKey) appendTo(dst []byte) []byte {
	dst = kbin.AppendInt16(dst, k.typ)
	dst = kbin.AppendString(dst, k.group)
	if k.hasMember() {
		dst = kbin.AppendString(dst, k.member)
	}
	return dst
}

// parseConsumerKey decodes the key of a type 3-8 record; b aliases nothing
// afterwards. Errors wrap ErrCorruptRecord.
func parseConsumerKey(b []byte) (consumerKey, error) {
	r := kbin.Reader{Src: b}
	k := consumerKey{typ: r.Int16()}
	if k.typ < keyConsumerGroupMetadata || k.typ > keyConsumerGroupCurrentMemberAssignment {
		return consumerKey{}, fmt.Errorf("%w: key type %d is not a consumer group record", ErrCorruptRecord, k.typ)
	}
	k.group = r.String()
	if k.hasMember() {
		k.member = r.String()
	}
	if err := r.Complete(); err != nil {
		return consumerKey{}, fmt.Errorf("%w: consumer group key type %d: truncated", ErrCorruptRecord, k.typ)
	}
	if len(r.Src) != 0 {
		return consumerKey{}, fmt.Errorf("%w: consumer group key type %d: %d trailing bytes", ErrCorruptRecord, k.typ, len(r.Src))
	}
	return k, nil
}

// cgMetadataValue is ConsumerGroupMetadataValue v0.
type cgMetadataValue struct {
	Epoch          int32
	MetadataHash   int64 // tag 0, default 0 (Kafka 4.1+, KIP-1101)
	CreationTimeMs int64 // tag 1, default -1
}

func newCGMetadataValue() cgMetadataValue { return cgMetadataValue{CreationTimeMs: -1} }

// cgTopicMetadata is one topic of ConsumerGroupPartitionMetadataValue.
type cgTopicMetadata struct {
	TopicID       [16]byte
	TopicName     string
	NumPartitions int32
	Partitions    []cgPartitionRacks // deprecated after Kafka 4.0; Gregor writes none
}

type cgPartitionRacks struct {
	Partition int32
	Racks     []string
}

// cgPartitionMetadataValue is ConsumerGroupPartitionMetadataValue v0: the
// metadata of the topics the group subscribes to when its epoch last moved.
type cgPartitionMetadataValue struct {
	Topics []cgTopicMetadata
}

// cgClassicProtocol is one protocol of a classic member in a consumer group.
type cgClassicProtocol struct {
	Name     string
	Metadata []byte
}

// cgClassicMemberMetadata is the tagged ClassicMemberMetadata of a member.
type cgClassicMemberMetadata struct {
	SessionTimeoutMs   int32
	SupportedProtocols []cgClassicProtocol
}

// cgMemberMetadataValue is ConsumerGroupMemberMetadataValue v0.
type cgMemberMetadataValue struct {
	InstanceID           *string
	RackID               *string
	ClientID             string
	ClientHost           string
	SubscribedTopicNames []string
	SubscribedTopicRegex *string
	RebalanceTimeoutMs   int32 // default -1
	ServerAssignor       *string
	Classic              *cgClassicMemberMetadata // tag 0, default null
}

// cgTopicPartitions is the TopicPartitions struct of assignment values.
type cgTopicPartitions struct {
	TopicID          [16]byte
	Partitions       []int32
	AssignmentEpochs []int32 // tag 0 of the current assignment (KIP-1251), default null; nil in type 7
}

// cgTargetAssignmentMetadataValue is ConsumerGroupTargetAssignmentMetadataValue v0.
type cgTargetAssignmentMetadataValue struct {
	AssignmentEpoch     int32
	AssignmentTimestamp int64 // tag 0, default 0 (Kafka 4.3, KIP-1263)
}

// cgTargetAssignmentMemberValue is ConsumerGroupTargetAssignmentMemberValue v0.
type cgTargetAssignmentMemberValue struct {
	Topics []cgTopicPartitions
}

// cgCurrentMemberAssignmentValue is ConsumerGroupCurrentMemberAssignmentValue v0.
type cgCurrentMemberAssignmentValue struct {
	MemberEpoch         int32
	PreviousMemberEpoch int32
	State               int8
	Assigned            []cgTopicPartitions
	PendingRevocation   []cgTopicPartitions
}

// ---- encoding ----

// tag is one tagged field to write: its number and encoded bytes.
type tag struct {
	n   uint32
	val []byte
}

func appendTags(dst []byte, tags ...tag) []byte {
	dst = kbin.AppendUvarint(dst, uint32(len(tags)))
	for _, t := range tags {
		dst = kbin.AppendUvarint(dst, t.n)
		dst = kbin.AppendUvarint(dst, uint32(len(t.val)))
		dst = append(dst, t.val...)
	}
	return dst
}

func appendCompactStrings(dst []byte, ss []string) []byte {
	dst = kbin.AppendCompactArrayLen(dst, len(ss))
	for _, s := range ss {
		dst = kbin.AppendCompactString(dst, s)
	}
	return dst
}

func appendCompactInt32s(dst []byte, vs []int32) []byte {
	dst = kbin.AppendCompactArrayLen(dst, len(vs))
	for _, v := range vs {
		dst = kbin.AppendInt32(dst, v)
	}
	return dst
}

func (v *cgMetadataValue) AppendTo(dst []byte) []byte {
	dst = kbin.AppendInt16(dst, consumerValueVersion)
	dst = kbin.AppendInt32(dst, v.Epoch)
	var tags []tag
	if v.MetadataHash != 0 {
		tags = append(tags, tag{0, kbin.AppendInt64(nil, v.MetadataHash)})
	}
	if v.CreationTimeMs != -1 {
		tags = append(tags, tag{1, kbin.AppendInt64(nil, v.CreationTimeMs)})
	}
	return appendTags(dst, tags...)
}

func (v *cgPartitionMetadataValue) AppendTo(dst []byte) []byte {
	dst = kbin.AppendInt16(dst, consumerValueVersion)
	dst = kbin.AppendCompactArrayLen(dst, len(v.Topics))
	for _, t := range v.Topics {
		dst = kbin.AppendUuid(dst, t.TopicID)
		dst = kbin.AppendCompactString(dst, t.TopicName)
		dst = kbin.AppendInt32(dst, t.NumPartitions)
		dst = kbin.AppendCompactArrayLen(dst, len(t.Partitions))
		for _, p := range t.Partitions {
			dst = kbin.AppendInt32(dst, p.Partition)
			dst = appendCompactStrings(dst, p.Racks)
			dst = appendTags(dst)
		}
		dst = appendTags(dst)
	}
	return appendTags(dst)
}

func (v *cgMemberMetadataValue) AppendTo(dst []byte) []byte {
	dst = kbin.AppendInt16(dst, consumerValueVersion)
	dst = kbin.AppendCompactNullableString(dst, v.InstanceID)
	dst = kbin.AppendCompactNullableString(dst, v.RackID)
	dst = kbin.AppendCompactString(dst, v.ClientID)
	dst = kbin.AppendCompactString(dst, v.ClientHost)
	dst = appendCompactStrings(dst, v.SubscribedTopicNames)
	dst = kbin.AppendCompactNullableString(dst, v.SubscribedTopicRegex)
	dst = kbin.AppendInt32(dst, v.RebalanceTimeoutMs)
	dst = kbin.AppendCompactNullableString(dst, v.ServerAssignor)
	if v.Classic == nil {
		return appendTags(dst)
	}
	var c []byte
	c = kbin.AppendInt32(c, v.Classic.SessionTimeoutMs)
	c = kbin.AppendCompactArrayLen(c, len(v.Classic.SupportedProtocols))
	for _, p := range v.Classic.SupportedProtocols {
		c = kbin.AppendCompactString(c, p.Name)
		c = kbin.AppendCompactBytes(c, p.Metadata)
		c = appendTags(c)
	}
	c = appendTags(c)
	return appendTags(dst, tag{0, c})
}

func (v *cgTargetAssignmentMetadataValue) AppendTo(dst []byte) []byte {
	dst = kbin.AppendInt16(dst, consumerValueVersion)
	dst = kbin.AppendInt32(dst, v.AssignmentEpoch)
	if v.AssignmentTimestamp != 0 {
		return appendTags(dst, tag{0, kbin.AppendInt64(nil, v.AssignmentTimestamp)})
	}
	return appendTags(dst)
}

func appendTopicPartitions(dst []byte, ts []cgTopicPartitions) []byte {
	dst = kbin.AppendCompactArrayLen(dst, len(ts))
	for _, t := range ts {
		dst = kbin.AppendUuid(dst, t.TopicID)
		dst = appendCompactInt32s(dst, t.Partitions)
		if t.AssignmentEpochs != nil {
			dst = appendTags(dst, tag{0, appendCompactInt32s(nil, t.AssignmentEpochs)})
		} else {
			dst = appendTags(dst)
		}
	}
	return dst
}

func (v *cgTargetAssignmentMemberValue) AppendTo(dst []byte) []byte {
	dst = kbin.AppendInt16(dst, consumerValueVersion)
	dst = appendTopicPartitions(dst, v.Topics)
	return appendTags(dst)
}

func (v *cgCurrentMemberAssignmentValue) AppendTo(dst []byte) []byte {
	dst = kbin.AppendInt16(dst, consumerValueVersion)
	dst = kbin.AppendInt32(dst, v.MemberEpoch)
	dst = kbin.AppendInt32(dst, v.PreviousMemberEpoch)
	dst = kbin.AppendInt8(dst, v.State)
	dst = appendTopicPartitions(dst, v.Assigned)
	dst = appendTopicPartitions(dst, v.PendingRevocation)
	return appendTags(dst)
}

// ---- decoding ----
//
// Every ReadFrom copies what it keeps (the input may alias a read buffer)
// and returns an error wrapping ErrCorruptRecord for bytes that do not
// decode (truncated, a null where the schema has none, trailing bytes), or
// errUnknownValueVersion. Allocation is bounded by the input size: an array
// count larger than the bytes left is rejected before anything is allocated.

// vreader wraps kbin.Reader with the checks kbin leaves to its caller.
type vreader struct {
	kbin.Reader
	err error
}

func (r *vreader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: "+format, append([]any{ErrCorruptRecord}, args...)...)
	}
	r.Src = nil
}

// arrayLen reads a compact, non-nullable array count, each element at least
// minSize bytes.
func (r *vreader) arrayLen(what string, minSize int) int {
	n := r.CompactArrayLen()
	switch {
	case !r.Ok():
		r.fail("%s: truncated", what)
		return 0
	case n < 0:
		r.fail("%s: null array", what)
		return 0
	case int(n)*minSize > len(r.Src):
		r.fail("%s: %d elements in %d bytes", what, n, len(r.Src))
		return 0
	}
	return int(n)
}

func (r *vreader) str(what string) string {
	s := r.CompactNullableString()
	if r.Ok() && s == nil {
		r.fail("%s: null string", what)
		return ""
	}
	if s == nil {
		return ""
	}
	return *s
}

func (r *vreader) strings(what string) []string {
	n := r.arrayLen(what, 1)
	out := make([]string, 0, n)
	for i := 0; i < n && r.err == nil; i++ {
		out = append(out, r.str(what))
	}
	return out
}

func (r *vreader) int32s(what string) []int32 {
	n := r.arrayLen(what, 4)
	out := make([]int32, 0, n)
	for i := 0; i < n && r.err == nil; i++ {
		out = append(out, r.Int32())
	}
	return out
}

// tags reads a tagged-field section, calling fn with each field's number
// and bytes; fields fn does not know are skipped.
func (r *vreader) tags(what string, fn func(n uint32, b []byte) error) {
	count := r.Uvarint()
	if !r.Ok() {
		r.fail("%s tags: truncated", what)
		return
	}
	if int(count) > len(r.Src) {
		r.fail("%s tags: %d fields in %d bytes", what, count, len(r.Src))
		return
	}
	for i := uint32(0); i < count && r.err == nil; i++ {
		n := r.Uvarint()
		size := r.Uvarint()
		if !r.Ok() || int(size) < 0 || int(size) > len(r.Src) {
			r.fail("%s tag: truncated", what)
			return
		}
		b := r.Span(int(size))
		if fn != nil {
			if err := fn(n, b); err != nil {
				r.fail("%s tag %d: %v", what, n, err)
			}
		}
	}
}

// done reports the first error, a truncation, or trailing bytes.
func (r *vreader) done(what string) error {
	if r.err == nil && !r.Ok() {
		r.fail("%s: truncated", what)
	}
	if r.err == nil && len(r.Src) != 0 {
		r.fail("%s: %d trailing bytes", what, len(r.Src))
	}
	return r.err
}

// start checks the value version.
func (r *vreader) start(what string) bool {
	v := r.Int16()
	if !r.Ok() {
		r.fail("%s: truncated version", what)
		return false
	}
	if v != consumerValueVersion {
		r.err = fmt.Errorf("%w: %s version %d", errUnknownValueVersion, what, v)
		return false
	}
	return true
}

func int64Tag(b []byte) (int64, error) {
	if len(b) != 8 {
		return 0, fmt.Errorf("int64 of %d bytes", len(b))
	}
	return int64(binary.BigEndian.Uint64(b)), nil
}

func (v *cgMetadataValue) ReadFrom(b []byte) error {
	const what = "ConsumerGroupMetadataValue"
	*v = newCGMetadataValue()
	r := vreader{Reader: kbin.Reader{Src: b}}
	if !r.start(what) {
		return r.err
	}
	v.Epoch = r.Int32()
	r.tags(what, func(n uint32, b []byte) (err error) {
		switch n {
		case 0:
			v.MetadataHash, err = int64Tag(b)
		case 1:
			v.CreationTimeMs, err = int64Tag(b)
		}
		return err
	})
	return r.done(what)
}

func (v *cgPartitionMetadataValue) ReadFrom(b []byte) error {
	const what = "ConsumerGroupPartitionMetadataValue"
	*v = cgPartitionMetadataValue{}
	r := vreader{Reader: kbin.Reader{Src: b}}
	if !r.start(what) {
		return r.err
	}
	n := r.arrayLen(what+" topics", 16+1+4+1+1)
	v.Topics = make([]cgTopicMetadata, 0, n)
	for i := 0; i < n && r.err == nil; i++ {
		var t cgTopicMetadata
		t.TopicID = r.Uuid()
		t.TopicName = r.str("topic name")
		t.NumPartitions = r.Int32()
		np := r.arrayLen("partition metadata", 4+1+1)
		t.Partitions = make([]cgPartitionRacks, 0, np)
		for j := 0; j < np && r.err == nil; j++ {
			var p cgPartitionRacks
			p.Partition = r.Int32()
			p.Racks = r.strings("racks")
			r.tags("partition metadata", nil)
			t.Partitions = append(t.Partitions, p)
		}
		r.tags("topic metadata", nil)
		v.Topics = append(v.Topics, t)
	}
	r.tags(what, nil)
	return r.done(what)
}

func readClassicMember(b []byte) (*cgClassicMemberMetadata, error) {
	const what = "ClassicMemberMetadata"
	r := vreader{Reader: kbin.Reader{Src: b}}
	c := &cgClassicMemberMetadata{SessionTimeoutMs: r.Int32()}
	n := r.arrayLen("supported protocols", 1+1+1)
	c.SupportedProtocols = make([]cgClassicProtocol, 0, n)
	for i := 0; i < n && r.err == nil; i++ {
		var p cgClassicProtocol
		p.Name = r.str("protocol name")
		md := r.CompactNullableBytes()
		if r.Ok() && md == nil {
			r.fail("protocol metadata: null bytes")
		}
		p.Metadata = append([]byte{}, md...)
		r.tags("classic protocol", nil)
		c.SupportedProtocols = append(c.SupportedProtocols, p)
	}
	r.tags(what, nil)
	if err := r.done(what); err != nil {
		return nil, err
	}
	return c, nil
}

func (v *cgMemberMetadataValue) ReadFrom(b []byte) error {
	const what = "ConsumerGroupMemberMetadataValue"
	*v = cgMemberMetadataValue{}
	r := vreader{Reader: kbin.Reader{Src: b}}
	if !r.start(what) {
		return r.err
	}
	v.InstanceID = r.CompactNullableString()
	v.RackID = r.CompactNullableString()
	v.ClientID = r.str("client id")
	v.ClientHost = r.str("client host")
	v.SubscribedTopicNames = r.strings("subscribed topic names")
	v.SubscribedTopicRegex = r.CompactNullableString()
	v.RebalanceTimeoutMs = r.Int32()
	v.ServerAssignor = r.CompactNullableString()
	r.tags(what, func(n uint32, b []byte) (err error) {
		if n == 0 {
			v.Classic, err = readClassicMember(b)
		}
		return err
	})
	return r.done(what)
}

func (v *cgTargetAssignmentMetadataValue) ReadFrom(b []byte) error {
	const what = "ConsumerGroupTargetAssignmentMetadataValue"
	*v = cgTargetAssignmentMetadataValue{}
	r := vreader{Reader: kbin.Reader{Src: b}}
	if !r.start(what) {
		return r.err
	}
	v.AssignmentEpoch = r.Int32()
	r.tags(what, func(n uint32, b []byte) (err error) {
		if n == 0 {
			v.AssignmentTimestamp, err = int64Tag(b)
		}
		return err
	})
	return r.done(what)
}

func (r *vreader) topicPartitions(what string) []cgTopicPartitions {
	n := r.arrayLen(what, 16+1+1)
	out := make([]cgTopicPartitions, 0, n)
	for i := 0; i < n && r.err == nil; i++ {
		var t cgTopicPartitions
		t.TopicID = r.Uuid()
		t.Partitions = r.int32s(what + " partitions")
		r.tags(what, func(num uint32, b []byte) error {
			if num != 0 {
				return nil
			}
			// Nullable: a count of -1 (uvarint 0) is the default, null.
			if cnt, used := kbin.Uvarint(b); used > 0 && cnt == 0 {
				tr := vreader{Reader: kbin.Reader{Src: b[used:]}}
				return tr.done("assignment epochs")
			}
			tr := vreader{Reader: kbin.Reader{Src: b}}
			t.AssignmentEpochs = tr.int32s("assignment epochs")
			return tr.done("assignment epochs")
		})
		out = append(out, t)
	}
	return out
}

func (v *cgTargetAssignmentMemberValue) ReadFrom(b []byte) error {
	const what = "ConsumerGroupTargetAssignmentMemberValue"
	*v = cgTargetAssignmentMemberValue{}
	r := vreader{Reader: kbin.Reader{Src: b}}
	if !r.start(what) {
		return r.err
	}
	v.Topics = r.topicPartitions("target topic partitions")
	r.tags(what, nil)
	return r.done(what)
}

func (v *cgCurrentMemberAssignmentValue) ReadFrom(b []byte) error {
	const what = "ConsumerGroupCurrentMemberAssignmentValue"
	*v = cgCurrentMemberAssignmentValue{}
	r := vreader{Reader: kbin.Reader{Src: b}}
	if !r.start(what) {
		return r.err
	}
	v.MemberEpoch = r.Int32()
	v.PreviousMemberEpoch = r.Int32()
	v.State = r.Int8()
	v.Assigned = r.topicPartitions("assigned partitions")
	v.PendingRevocation = r.topicPartitions("partitions pending revocation")
	r.tags(what, nil)
	return r.done(what)
}

package group

// OffsetsTopic is the internal compacted topic holding group state and
// committed offsets.
const OffsetsTopic = "__consumer_offsets"

// JavaStringHash is Java's String.hashCode over the UTF-16 code units of s:
// h = 31*h + c with int32 overflow. Kafka places groups with it, so the same
// group lands on the same __consumer_offsets partition as on Kafka (tools
// that read the topic and compute the partition agree).
func JavaStringHash(s string) int32 {
	var h int32
	for _, r := range s {
		if r >= 0x10000 {
			// A supplementary character is two UTF-16 code units.
			r -= 0x10000
			h = 31*h + int32(0xD800+(r>>10))
			h = 31*h + int32(0xDC00+(r&0x3FF))
			continue
		}
		h = 31*h + int32(r)
	}
	return h
}

// PartitionFor is the __consumer_offsets partition of a group:
// Utils.abs(hash) % n, where Kafka's Utils.abs maps MinInt32 to 0 (it masks
// the sign bit) rather than overflowing like Math.abs. n must be positive.
func PartitionFor(group string, n int32) int32 {
	return (JavaStringHash(group) & 0x7fffffff) % n
}

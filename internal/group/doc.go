// Package group is the group coordinator: consumer groups of the classic
// protocol (JoinGroup, SyncGroup, Heartbeat, LeaveGroup) and of the KIP-848
// consumer protocol (ConsumerGroupHeartbeat), committed offsets, and the
// admin operations on groups. Handlers in internal/handler translate Kafka
// requests to calls on a Coordinator and answer with what it returns; the
// broker tells it which __consumer_offsets partitions this broker leads
// (Coordinator.Reconcile).
//
// # Files
//
//	coordinator.go     Coordinator, Config, shards (one per led partition), the
//	                   ticker, appending and waiting for commits, replay on load
//	group.go           group: the state shared by both protocols, offsets, expiry
//	classic.go         the classic state machine (Empty, PreparingRebalance,
//	                   CompletingRebalance, Stable, Dead), parked Join/Sync futures
//	consumer.go        KIP-848: heartbeats, epochs, reconciliation, describe
//	consumerstate.go   KIP-848 state to records and back (persist, replay)
//	consumerrecords.go codec of the KIP-848 record types 3-8 (byte layout inside)
//	records.go         offset and classic group records (kmsg schemas), batches
//	assign.go          server-side assignors: uniform and range
//	offsets.go         OffsetCommit, OffsetFetch, OffsetDelete
//	admin.go           DescribeGroups, ListGroups, DeleteGroups
//	hash.go            group id -> __consumer_offsets partition (Java hashCode)
//
// # Storage
//
// All state lives in __consumer_offsets, in Kafka's record layout so that
// Kafka's tools can read it: offsets (key types 0-1), classic groups (2),
// KIP-848 groups (3-8). In memory, a shard holds the groups of one led
// partition; it is built by replaying the partition when leadership starts
// and answers COORDINATOR_LOAD_IN_PROGRESS until then. State changes are
// appended while the group's lock is held (so the log has them in order)
// and waited for without it; responses that depend on a write (SyncGroup,
// OffsetCommit, ConsumerGroupHeartbeat, DeleteGroups) are sent after it
// commits.
//
// # Concurrency
//
// Every exported method is safe for concurrent use. Lock order:
// Coordinator.mu, then shard.mu, then group.mu; no lock is held while
// waiting for a commit. Goroutines start through Coordinator.goTracked and
// Close waits for them. Timers (sessions, rebalance, sync and revocation
// deadlines, pending member ids, offset expiry) are deadlines checked by one
// ticker goroutine on the coordinator's clock (Config.Now).
//
// # Invariants
//
//   - A partition has at most one owner in a group at any time: classic
//     assignments change only at a generation, KIP-848 partitions move to a
//     new owner only after the old owner reported releasing them.
//   - A group is either classic or KIP-848, never both; converting an empty
//     group writes tombstones for the other protocol's records, so replay
//     cannot see both.
//   - A committed offset is applied in memory only after its record
//     commits, and an older commit that finishes late never overwrites a
//     newer one (records carry their log offset).
//   - Nothing read from the log panics. A record whose key or value does
//     not decode is skipped with a log line; a batch that fails its CRC or a
//     read error fails the load, which is retried (serving a group from half
//     its records would hand out wrong offsets).
package group

// Package cluster is Gregor's metadata quorum: a Raft-replicated log of
// metadata commands (hashicorp/raft, raft-boltdb/v2 on bbolt) that every node
// applies into an immutable Image. Handlers read Node.Image() without locks;
// topic, partition, config, broker and producer-id changes go through
// Node.Propose. A single broker is a quorum of one voter; more brokers add
// voters without changing this API. The Raft leader is the controller.
//
// # Using it
//
//	n, err := cluster.Start(cfg)           // opens <data>/meta, listens on the controller port
//	err = n.WaitReady(ctx)                 // controller known, image caught up (restart: all committed topics present)
//	res, err := n.Propose(ctx, cluster.RegisterBroker{...})
//	res, err = n.Propose(ctx, cluster.CreateTopic{Name: "t", Partitions: 3, ReplicationFactor: 1})
//	if errors.Is(res.Err, cluster.ErrTopicExists) { ... }   // the command's outcome
//	img := n.Image()                        // immutable; <-img.Changed() when replaced
//
// Propose's error is about the proposal (ErrNotController, ErrOutcomeUnknown,
// ErrClosed, ctx); Result.Err is the command's outcome, computed by the FSM and
// identical on every node. Both use the sentinel errors in errors.go.
//
// # Files
//
//	config.go     Config, DefaultConfig, Validate, Voter, ParseVoters (--voters)
//	commands.go   the commands (KRaft's record content) and Result
//	codec.go      log entry format v1 (drawn at the top), encoder/decoder
//	image.go      Image, TopicImage, PartitionImage, BrokerInfo; copy-on-write builder
//	apply.go      deterministic validation and application of each command
//	fsm.go        raft.BatchingFSM: applies batches, publishes images, snapshots
//	snapshot.go   image snapshot format v1 (drawn at the top)
//	node.go       Node: Start, WaitReady, Propose, leadership tracking, Close
//	transport.go  controller listener mux: raft traffic and the forwarding RPC on one port
//	forward.go    forwarding RPC format and client/server (followers -> controller)
//	raftlog.go    hclog -> slog adapter (raft quiet at info level)
//	errors.go     sentinel errors and their wire codes
//
// On disk (<data>/meta): raft.db (raft-boltdb's bbolt log and stable store;
// entry data is codec.go's format) and snapshots/<term>-<index>-<ms>/ (raft's
// file snapshots; state.bin is snapshot.go's format).
//
// # Invariants that matter
//
//   - Apply is deterministic: no clocks, no randomness, no map order in
//     results. Randomness (topic ids, cluster id) is drawn by the proposer and
//     carried in the entry; replica placement is seeded by the Raft index.
//   - A command validates completely before it mutates the builder; a rejected
//     command leaves no trace and publishes no image.
//   - Published images, and every map, slice and TopicImage reachable from
//     them, are never written again. Changes copy the topic maps and the
//     changed topic only.
//   - Image.Index is the index of the last entry that changed the image, so it
//     is the same on every node whatever the apply batching.
//   - Propose returns only after this node's image includes the entry (on a
//     follower it waits for its own FSM to reach the controller's index).
//   - A lone voter elects itself at start without waiting for its election
//     timer (node.go explains how); multi-voter clusters use normal timeouts.
//
// # Not yet
//
// Controller duties that react to time (fencing brokers that stop
// heartbeating, electing leaders off fenced brokers, ISR expansion) and
// adding/removing voters at runtime are later issues; the record set
// (FenceBroker, ChangePartition, epochs) is already here for them.
package cluster

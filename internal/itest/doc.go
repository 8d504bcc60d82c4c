// Package itest holds Gregor's integration tests: real Kafka clients
// (franz-go, sarama, segmentio/kafka-go, kcat) against brokers started in
// process by internal/testutil, or as child processes for crash tests.
package itest

// Package handler serves the Kafka APIs: one file per API, named after it,
// each opening with the versions it serves and how they differ, and
// registering itself in the API table. The table feeds both ApiVersions and
// the server's version gate, so nothing is advertised that has no handler.
//
// Handlers hold no state of their own: they translate kmsg requests into calls
// on the broker's services (metadata, partitions, coordinators) and the
// results into kmsg responses. Kafka error codes are chosen here, at the edge
// (errors.go); below, errors are Go errors.
package handler

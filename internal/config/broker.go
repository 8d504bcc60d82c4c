package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
)

// Broker is the static configuration of one broker: what flags, GREGOR_*
// environment variables and the --config file set. Build it with
// DefaultBroker, change it with Apply / ApplyEnv (or by setting fields), then
// call Validate before use. A Broker is not safe for concurrent mutation;
// once validated and handed to the broker it is treated as read-only.
type Broker struct {
	// Gregor's own settings; each also has a Kafka property (in brackets).
	NodeID           int32  // --node-id [node.id, broker.id]
	Listen           string // --listen, Kafka client listener host:port [listeners]
	Advertise        string // --advertise, host:port given to clients, port 0 = the bound port [advertised.listeners]
	DataDir          string // --data-dir [log.dirs, log.dir]
	HTTP             string // --http, host:port for /metrics, /healthz, /readyz; "" disables
	ControllerListen string // --controller-listen, Raft host:port [listeners, CONTROLLER entry]
	Voters           string // --voters, "1@host:9093,..." [controller.quorum.voters]; "" = this node alone

	// ListenerName names the client listener in listeners and
	// advertised.listeners (PLAINTEXT); ControllerListenerName names the Raft
	// one [controller.listener.names].
	ListenerName           string
	ControllerListenerName string

	// Props holds every Kafka broker property that was set through Apply or
	// ApplyEnv, normalized (see Def.Normalize). It says what was configured
	// explicitly; the typed fields below hold the values in use.
	Props map[string]string

	// Logger receives warnings about ignored properties; nil uses
	// slog.Default().
	Logger *slog.Logger

	// Topics.
	NumPartitions             int32 // num.partitions (1)
	DefaultReplicationFactor  int16 // default.replication.factor (1)
	AutoCreateTopics          bool  // auto.create.topics.enable (true)
	DeleteTopicEnable         bool  // delete.topic.enable (true)
	AutoLeaderRebalanceEnable bool  // auto.leader.rebalance.enable (true)
	BrokerRack                string

	// Connections.
	SocketRequestMaxBytes int32 // socket.request.max.bytes (104857600)
	ConnectionsMaxIdleMs  int64 // connections.max.idle.ms (600000)
	// MaxConnections is max.connections. Kafka's default is Int.MaxValue,
	// i.e. no limit; Gregor's is 65536 (as nats-server's), which is beyond
	// what a typical file descriptor limit allows anyway but still stops a
	// connection leak from exhausting memory.
	MaxConnections    int
	QueuedMaxRequests int32 // queued.max.requests (500)

	// Fetch.
	FetchMaxBytes                        int32 // fetch.max.bytes (57671680)
	MaxIncrementalFetchSessionCacheSlots int32 // max.incremental.fetch.session.cache.slots (1000)

	// Topic defaults (log.*). These are the STATIC_BROKER_CONFIG layer of
	// ResolveTopic; the millisecond fields derived from synonym groups hold
	// the effective value (log.retention.ms, else .minutes, else .hours).
	MessageMaxBytes                int64   // message.max.bytes (1048588)
	LogCleanupPolicy               string  // log.cleanup.policy (delete)
	CompressionType                string  // compression.type (producer)
	CompressionGzipLevel           int32   // compression.gzip.level (-1)
	CompressionLz4Level            int32   // compression.lz4.level (9)
	CompressionZstdLevel           int32   // compression.zstd.level (3)
	LogCleanerDeleteRetentionMs    int64   // log.cleaner.delete.retention.ms (86400000)
	LogSegmentDeleteDelayMs        int64   // log.segment.delete.delay.ms (60000)
	LogFlushIntervalMessages       int64   // log.flush.interval.messages (Long.MAX)
	LogFlushIntervalMs             int64   // log.flush.interval.ms, else log.flush.scheduler.interval.ms
	LogFlushSchedulerIntervalMs    int64   // log.flush.scheduler.interval.ms (Long.MAX)
	LogFlushOffsetCheckpointMs     int64   // log.flush.offset.checkpoint.interval.ms (60000)
	LogIndexIntervalBytes          int64   // log.index.interval.bytes (4096)
	LogIndexSizeMaxBytes           int64   // log.index.size.max.bytes (10485760)
	LogCleanerMaxCompactionLagMs   int64   // log.cleaner.max.compaction.lag.ms (Long.MAX)
	LogCleanerMinCompactionLagMs   int64   // log.cleaner.min.compaction.lag.ms (0)
	LogCleanerMinCleanableRatio    float64 // log.cleaner.min.cleanable.ratio (0.5)
	LogCleanerEnable               bool    // log.cleaner.enable (true)
	LogCleanerThreads              int32   // log.cleaner.threads (1)
	LogCleanerBackoffMs            int64   // log.cleaner.backoff.ms (15000)
	LogMessageTimestampType        string  // log.message.timestamp.type (CreateTime)
	LogMessageTimestampBeforeMaxMs int64   // log.message.timestamp.before.max.ms (Long.MAX)
	LogMessageTimestampAfterMaxMs  int64   // log.message.timestamp.after.max.ms (Long.MAX)
	LogMessageTimestampDiffMaxMs   int64   // log.message.timestamp.difference.max.ms (Long.MAX)
	LogMessageDownconversion       bool    // log.message.downconversion.enable (true)
	LogMessageFormatVersion        string  // log.message.format.version (3.0-IV1), ignored
	LogPreallocate                 bool    // log.preallocate (false)
	LogRetentionBytes              int64   // log.retention.bytes (-1)
	LogRetentionMs                 int64   // log.retention.ms, else .minutes, else .hours (168 h)
	LogRetentionCheckIntervalMs    int64   // log.retention.check.interval.ms (300000)
	LogSegmentBytes                int64   // log.segment.bytes (1073741824)
	LogRollMs                      int64   // log.roll.ms, else log.roll.hours (168 h)
	LogRollJitterMs                int64   // log.roll.jitter.ms, else log.roll.jitter.hours (0)
	LogLocalRetentionMs            int64   // log.local.retention.ms (-2)
	LogLocalRetentionBytes         int64   // log.local.retention.bytes (-2)
	MinInsyncReplicas              int32   // min.insync.replicas (1)
	UncleanLeaderElectionEnable    bool    // unclean.leader.election.enable (false)

	// Groups and offsets.
	OffsetsTopicNumPartitions       int32 // offsets.topic.num.partitions (50)
	OffsetsTopicReplicationFactor   int16 // offsets.topic.replication.factor (3; see CapReplicationFactor)
	OffsetsTopicSegmentBytes        int32 // offsets.topic.segment.bytes (104857600)
	OffsetsRetentionMinutes         int64 // offsets.retention.minutes (10080)
	OffsetsRetentionCheckIntervalMs int64 // offsets.retention.check.interval.ms (600000)
	GroupInitialRebalanceDelayMs    int64 // group.initial.rebalance.delay.ms (3000)
	GroupMinSessionTimeoutMs        int64 // group.min.session.timeout.ms (6000)
	GroupMaxSessionTimeoutMs        int64 // group.max.session.timeout.ms (1800000)
	GroupMaxSize                    int32 // group.max.size (Int.MAX)
	GroupCoordinatorProtocols       string
	GroupConsumerSessionTimeoutMs   int64 // group.consumer.session.timeout.ms (45000)
	GroupConsumerMinSessionTimeout  int64 // group.consumer.min.session.timeout.ms (45000)
	GroupConsumerMaxSessionTimeout  int64 // group.consumer.max.session.timeout.ms (60000)
	GroupConsumerHeartbeatMs        int64 // group.consumer.heartbeat.interval.ms (5000)
	GroupConsumerMinHeartbeatMs     int64 // group.consumer.min.heartbeat.interval.ms (5000)
	GroupConsumerMaxHeartbeatMs     int64 // group.consumer.max.heartbeat.interval.ms (15000)
	GroupConsumerMaxSize            int32 // group.consumer.max.size (Int.MAX)

	// Producers and transactions.
	TransactionMaxTimeoutMs                int64 // transaction.max.timeout.ms (900000)
	TransactionalIDExpirationMs            int64 // transactional.id.expiration.ms (604800000)
	ProducerIDExpirationMs                 int64 // producer.id.expiration.ms (86400000)
	ProducerIDExpirationCheckIntervalMs    int64 // producer.id.expiration.check.interval.ms (600000)
	TransactionStateLogNumPartitions       int32 // transaction.state.log.num.partitions (50)
	TransactionStateLogReplicationFactor   int16 // transaction.state.log.replication.factor (3)
	TransactionStateLogMinISR              int32 // transaction.state.log.min.isr (2)
	TransactionStateLogSegmentBytes        int32 // transaction.state.log.segment.bytes (104857600)
	TransactionAbortTimedOutIntervalMs     int64 // transaction.abort.timed.out.transaction.cleanup.interval.ms (10000)
	TransactionRemoveExpiredIntervalMs     int64 // transaction.remove.expired.transaction.cleanup.interval.ms (3600000)
	TransactionPartitionVerificationEnable bool  // transaction.partition.verification.enable (true)

	// Replication and cluster membership.
	ReplicaLagTimeMaxMs                    int64 // replica.lag.time.max.ms (30000)
	ReplicaFetchMaxBytes                   int32 // replica.fetch.max.bytes (1048576)
	ReplicaFetchMinBytes                   int32 // replica.fetch.min.bytes (1)
	ReplicaFetchWaitMaxMs                  int64 // replica.fetch.wait.max.ms (500)
	ReplicaFetchResponseMaxBytes           int32 // replica.fetch.response.max.bytes (10485760)
	ReplicaFetchBackoffMs                  int64 // replica.fetch.backoff.ms (1000)
	NumReplicaFetchers                     int32 // num.replica.fetchers (1)
	ReplicaHighWatermarkCheckpointInterval int64 // replica.high.watermark.checkpoint.interval.ms (5000)
	BrokerHeartbeatIntervalMs              int64 // broker.heartbeat.interval.ms (2000)
	BrokerSessionTimeoutMs                 int64 // broker.session.timeout.ms (9000)
}

// Defaults of Gregor's own settings: `gregor serve` with no flags.
const (
	DefaultNodeID           = 1
	DefaultListen           = ":9092"
	DefaultAdvertise        = "localhost:9092"
	DefaultDataDir          = "./gregor-data"
	DefaultHTTP             = ":8080"
	DefaultControllerListen = ":9093"
)

// DefaultBroker returns the configuration of `gregor serve` with no flags:
// node 1, Kafka listener :9092 advertised as localhost:9092, data in
// ./gregor-data, HTTP on :8080, Raft on :9093, this node the only voter, and
// Kafka's default for every broker property (the documented exceptions:
// node.id 1, max.connections 65536, log.dir ./gregor-data, listeners with a
// CONTROLLER entry). The returned Broker is the caller's.
func DefaultBroker() *Broker {
	b := &Broker{
		NodeID:                 DefaultNodeID,
		Listen:                 DefaultListen,
		Advertise:              DefaultAdvertise,
		DataDir:                DefaultDataDir,
		HTTP:                   DefaultHTTP,
		ControllerListen:       DefaultControllerListen,
		ListenerName:           "PLAINTEXT",
		ControllerListenerName: "CONTROLLER",
		Props:                  map[string]string{},
	}
	// Typed fields take their defaults from the table, so the numbers live
	// in one place.
	for _, bd := range brokerTable {
		if bd.set != nil && !bd.NullDefault && bd.derive == nil {
			bd.set(b, bd.Default)
		}
		if bd.derive != nil {
			bd.set(b, bd.derive(nil))
		}
	}
	return b
}

// defaultBroker is DefaultBroker computed once, for comparisons. Never
// modified.
var defaultBroker = DefaultBroker()

func (b *Broker) logger() *slog.Logger {
	if b.Logger != nil {
		return b.Logger
	}
	return slog.Default()
}

// ownSetting is one of Gregor's own names (flag names): listen, data-dir, ...
type ownSetting struct {
	name      string
	normalize func(string) (string, error)
	set       func(b *Broker, v string)
}

// ownSettings lists Gregor's own names in the order Apply applies them.
// Read-only.
var ownSettings = []ownSetting{
	{"node-id", intNorm("node-id", Int, 0, maxInt, ""), func(b *Broker, v string) { b.NodeID = int32(parseInt(v)) }},
	{"listen", addrNorm("listen", false), func(b *Broker, v string) { b.Listen = v }},
	{"advertise", addrNorm("advertise", true), func(b *Broker, v string) { b.Advertise = v }},
	{"data-dir", nonEmptyNorm("data-dir"), func(b *Broker, v string) { b.DataDir = v }},
	{"http", httpNorm("http"), func(b *Broker, v string) { b.HTTP = v }},
	{"controller-listen", addrNorm("controller-listen", false), func(b *Broker, v string) { b.ControllerListen = v }},
	{"voters", votersNorm("voters"), func(b *Broker, v string) { b.Voters = v }},
}

func lookupOwn(name string) (ownSetting, bool) {
	for _, o := range ownSettings {
		if o.name == name {
			return o, true
		}
	}
	return ownSetting{}, false
}

// addrNorm validates host:port; advertised addresses need a host (their
// port may be 0: the port the listener gets).
func addrNorm(name string, advertised bool) func(string) (string, error) {
	return func(v string) (string, error) {
		s := strings.TrimSpace(v)
		host, _, err := splitHostPort(s)
		if err != nil {
			return "", &ValueError{Name: name, Value: v, Reason: err.Error()}
		}
		if advertised && host == "" {
			return "", &ValueError{Name: name, Value: v, Reason: "an advertised address needs a host, as clients connect to it (port 0 means the port the listener gets)"}
		}
		return s, nil
	}
}

func httpNorm(name string) func(string) (string, error) {
	addr := addrNorm(name, false)
	return func(v string) (string, error) {
		if strings.TrimSpace(v) == "" {
			return "", nil // HTTP disabled
		}
		return addr(v)
	}
}

func nonEmptyNorm(name string) func(string) (string, error) {
	return func(v string) (string, error) {
		s := strings.TrimSpace(v)
		if s == "" {
			return "", &ValueError{Name: name, Value: v, Reason: "must not be empty"}
		}
		return s, nil
	}
}

func votersNorm(name string) func(string) (string, error) {
	return func(v string) (string, error) {
		vs, err := ParseVoters(v)
		if err != nil {
			return "", &ValueError{Name: name, Value: v, Reason: err.Error()}
		}
		parts := make([]string, len(vs))
		for i, x := range vs {
			parts[i] = x.String()
		}
		return strings.Join(parts, ","), nil
	}
}

// ignoredProps are Kafka broker properties that a Kafka server.properties
// commonly sets and that have no meaning in Gregor. Apply logs and skips them
// instead of failing, so an existing file can be reused. Read-only.
var ignoredProps = map[string]string{
	"process.roles":                                    "Gregor is always broker and controller",
	"inter.broker.listener.name":                       "replication uses the client listener",
	"listener.security.protocol.map":                   "listener names map to protocols by name",
	"num.network.threads":                              "Go schedules connections itself",
	"num.io.threads":                                   "Go schedules requests itself",
	"background.threads":                               "Go schedules background work itself",
	"num.recovery.threads.per.data.dir":                "recovery parallelism is automatic",
	"socket.send.buffer.bytes":                         "the OS default is used",
	"socket.receive.buffer.bytes":                      "the OS default is used",
	"socket.listen.backlog.size":                       "the OS default is used",
	"controller.quorum.bootstrap.servers":              "use controller.quorum.voters",
	"share.coordinator.state.topic.replication.factor": "share groups are not supported",
	"share.coordinator.state.topic.min.isr":            "share groups are not supported",
	"zookeeper.connect":                                "Gregor has no ZooKeeper",
	"zookeeper.connection.timeout.ms":                  "Gregor has no ZooKeeper",
	"group.share.enable":                               "share groups are not supported",
	"metadata.log.dir":                                 "metadata lives under the data directory",
	"log.cleaner.dedupe.buffer.size":                   "the cleaner sizes its own buffers",
	"log.cleaner.io.buffer.size":                       "the cleaner sizes its own buffers",
}

// Apply sets broker properties. Keys are Kafka broker property names
// (node.id, listeners, advertised.listeners, log.dirs, controller.quorum.voters,
// num.partitions, ...) or Gregor's own names (listen, advertise, data-dir,
// http, node-id, controller-listen, voters). Within one call Gregor's own
// names win over the Kafka properties they correspond to.
//
// Apply checks every entry before changing anything: on error b is
// unchanged and the error (errors.Join, sorted by name) holds an
// *UnknownError for each unknown name and a *ValueError for each bad value.
// Kafka properties that mean nothing to Gregor (process.roles,
// num.network.threads, ...) are logged at warn level and skipped. Kafka
// properties that were set are recorded, normalized, in b.Props. The map is
// not retained.
func (b *Broker) Apply(props map[string]string) error {
	type pending struct {
		own *ownSetting
		bd  *brokerDef
		val string
	}
	var errs []error
	var kafka, own []pending
	for _, name := range sortedKeys(props) {
		v := props[name]
		if o, ok := lookupOwn(name); ok {
			n, err := o.normalize(v)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			own = append(own, pending{own: &o, val: n})
			continue
		}
		bd, ok := lookupBrokerDef(name)
		if !ok {
			if why, ok := ignoredProps[name]; ok {
				b.logger().Warn("ignoring Kafka broker property", "name", name, "value", v, "reason", why)
				continue
			}
			errs = append(errs, &UnknownError{Name: name, Resource: "broker"})
			continue
		}
		n, err := bd.Normalize(v)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		kafka = append(kafka, pending{bd: bd, val: n})
	}
	// Cross-property checks within this call.
	if a, ok := props["node.id"]; ok {
		if c, ok := props["broker.id"]; ok && strings.TrimSpace(a) != strings.TrimSpace(c) {
			errs = append(errs, &ValueError{Name: "broker.id", Value: c, Reason: "must equal node.id (" + strings.TrimSpace(a) + ")"})
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	// listeners and advertised.listeners refer to controller.listener.names;
	// check them against the names this call leaves in place.
	ctrlName := b.ControllerListenerName
	clientName := b.ListenerName
	for _, p := range kafka {
		if p.bd.Name == "controller.listener.names" {
			ctrlName = p.val
		}
	}
	for _, p := range kafka {
		if p.bd.Name == "listeners" {
			ls, _ := ParseListeners(p.val)
			c, _, err := splitClientController(ls, ctrlName)
			if err != nil {
				errs = append(errs, &ValueError{Name: "listeners", Value: props["listeners"], Reason: err.Error()})
				continue
			}
			if c != nil {
				clientName = c.Name
			}
		}
	}
	for _, p := range kafka {
		if p.bd.Name == "advertised.listeners" {
			ls, _ := ParseListeners(p.val)
			if len(ls) != 1 || ls[0].Name != clientName {
				errs = append(errs, &ValueError{Name: "advertised.listeners", Value: props["advertised.listeners"],
					Reason: "must name exactly the client listener (" + clientName + "://host:port)"})
			}
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}

	if b.Props == nil {
		b.Props = map[string]string{}
	}
	// Like Kafka without advertised.listeners, the advertised address
	// follows the listen address until it is set explicitly.
	following := b.Advertise == followAdvertise(b.Listen)
	// Apply in table order (controller.listener.names before listeners, so
	// the split uses the new name), recomputing derived fields of the groups
	// this call touched.
	touched := map[string]bool{}
	for _, bd := range brokerTable {
		for _, p := range kafka {
			if p.bd.Name != bd.Name {
				continue
			}
			b.Props[bd.Name] = p.val
			if bd.set != nil && bd.derive == nil {
				bd.set(b, p.val)
			}
			if g := groupPrimary(bd.Name); g != "" {
				touched[g] = true
			}
		}
	}
	for g := range touched {
		bd, _ := lookupBrokerDef(g)
		bd.set(b, bd.derive(b.Props))
	}
	advertised := false
	for _, p := range kafka {
		advertised = advertised || p.bd.Name == "advertised.listeners"
	}
	for _, o := range ownSettings {
		for _, p := range own {
			if p.own.name == o.name {
				o.set(b, p.val)
				advertised = advertised || o.name == "advertise"
			}
		}
	}
	if following && !advertised {
		b.Advertise = followAdvertise(b.Listen)
	}
	return nil
}

// followAdvertise is the address advertised for listen when none is set:
// the listen address, with "localhost" for a wildcard host. A zero port
// stays zero; see AdvertisedAddr.
func followAdvertise(listen string) string {
	host, port, err := splitHostPort(listen)
	if err != nil {
		return ""
	}
	switch host {
	case "", "0.0.0.0", "::":
		host = "localhost"
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// AdvertisedAddr returns the host:port to give clients once the client
// listener is bound to boundPort: Advertise, with its port replaced by
// boundPort when it is 0 (an explicit "host:0", or listen port 0 without an
// explicit advertised address).
func (b *Broker) AdvertisedAddr(boundPort int) string {
	host, port, err := splitHostPort(b.Advertise)
	if err != nil || port != 0 {
		return b.Advertise
	}
	return net.JoinHostPort(host, strconv.Itoa(boundPort))
}

// splitClientController finds the controller listener (named ctrlName) and
// the one client listener in ls.
func splitClientController(ls []Listener, ctrlName string) (client, ctrl *Listener, err error) {
	for i := range ls {
		if ls[i].Name == ctrlName {
			ctrl = &ls[i]
			continue
		}
		if client != nil {
			return nil, nil, fmt.Errorf("Gregor serves clients on one listener; got %s and %s", client.Name, ls[i].Name)
		}
		client = &ls[i]
	}
	if client == nil && ctrl == nil {
		return nil, nil, fmt.Errorf("no listener given")
	}
	return client, ctrl, nil
}

// ApplyEnv applies GREGOR_<NAME>=value entries of environ (as os.Environ
// returns it). NAME is a flag name upper-cased with '-' as '_'
// (GREGOR_DATA_DIR for --data-dir) or a Kafka broker property upper-cased
// with '.' as '_' (GREGOR_NUM_PARTITIONS for num.partitions). Flag names are
// tried first. GREGOR_CONFIG and GREGOR_LOG_LEVEL (--config, --log-level)
// are the command's business and skipped here; other GREGOR_ variables that name nothing are logged at
// warn level and skipped, since the command may define variables of its own.
// Errors are as for Apply, naming the variable's config name.
func (b *Broker) ApplyEnv(environ []string) error {
	props := map[string]string{}
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(k, "GREGOR_") {
			continue
		}
		raw := strings.ToLower(strings.TrimPrefix(k, "GREGOR_"))
		if raw == "config" || raw == "log_level" {
			continue // the command's own flags
		}
		if o, ok := lookupOwn(strings.ReplaceAll(raw, "_", "-")); ok {
			props[o.name] = v
			continue
		}
		kname := strings.ReplaceAll(raw, "_", ".")
		if _, ok := lookupBrokerDef(kname); ok {
			props[kname] = v
			continue
		}
		if _, ok := ignoredProps[kname]; ok {
			props[kname] = v // Apply logs it
			continue
		}
		b.logger().Warn("ignoring environment variable that names no setting", "variable", k)
	}
	return b.Apply(props)
}

// Get returns the static value of a Kafka broker property, normalized: what
// was configured, or else the default. ok is false for unknown names and for
// properties whose default is null and that are not set.
func (b *Broker) Get(name string) (value string, ok bool) {
	bd, found := lookupBrokerDef(name)
	if !found {
		return "", false
	}
	if v, ok := b.staticValue(bd); ok {
		return v, true
	}
	if bd.NullDefault {
		return "", false
	}
	return bd.Default, true
}

// staticValue returns the STATIC_BROKER_CONFIG value of bd: the typed field
// if it differs from what Props alone implies (set directly or through a
// Gregor flag), else the Props entry.
func (b *Broker) staticValue(bd *brokerDef) (string, bool) {
	if bd.get != nil {
		cur := bd.get(b)
		var base string
		if bd.derive != nil {
			base = bd.derive(b.Props)
		} else {
			base = bd.get(defaultBroker)
		}
		if cur != base {
			return cur, true
		}
	}
	v, ok := b.Props[bd.Name]
	return v, ok
}

// Validate checks the whole configuration and reports every problem (joined
// with errors.Join); each error names the bad value and what was expected.
// It covers fields set directly as well as through Apply.
func (b *Broker) Validate() error {
	var errs []error
	check := func(name, v string, n func(string) (string, error)) {
		if _, err := n(v); err != nil {
			errs = append(errs, err)
		}
	}
	check("node-id", strconv.Itoa(int(b.NodeID)), intNorm("node-id", Int, 0, maxInt, ""))
	check("listen", b.Listen, addrNorm("listen", false))
	check("advertise", b.Advertise, addrNorm("advertise", true))
	check("data-dir", b.DataDir, nonEmptyNorm("data-dir"))
	check("http", b.HTTP, httpNorm("http"))
	check("controller-listen", b.ControllerListen, addrNorm("controller-listen", false))
	check("voters", b.Voters, votersNorm("voters"))
	if b.ListenerName == "" || b.ListenerName == b.ControllerListenerName {
		errs = append(errs, &ValueError{Name: "controller.listener.names", Value: b.ControllerListenerName,
			Reason: "must differ from the client listener name " + strconv.Quote(b.ListenerName)})
	}
	// The fields behind these were checked above under their flag names.
	coveredAbove := map[string]bool{"node.id": true, "broker.id": true, "listeners": true,
		"advertised.listeners": true, "controller.quorum.voters": true, "log.dirs": true}
	for _, bd := range brokerTable {
		if bd.get == nil || coveredAbove[bd.Name] {
			continue
		}
		if bd.NullDefault && bd.derive == nil && bd.get(b) == "" {
			continue
		}
		if _, err := bd.Normalize(bd.get(b)); err != nil {
			errs = append(errs, err)
		}
	}
	// Addresses this process binds must not collide.
	binds := []struct{ name, addr string }{{"listen", b.Listen}, {"controller-listen", b.ControllerListen}, {"http", b.HTTP}}
	for i := range binds {
		for j := i + 1; j < len(binds); j++ {
			if sameBind(binds[i].addr, binds[j].addr) {
				errs = append(errs, &ValueError{Name: binds[j].name, Value: binds[j].addr,
					Reason: "uses the same port as " + binds[i].name + " (" + binds[i].addr + ")"})
			}
		}
	}
	order := []struct {
		lo, hi         int64
		loName, hiName string
		strict         bool
	}{
		{b.GroupMinSessionTimeoutMs, b.GroupMaxSessionTimeoutMs, "group.min.session.timeout.ms", "group.max.session.timeout.ms", false},
		{b.GroupConsumerMinSessionTimeout, b.GroupConsumerSessionTimeoutMs, "group.consumer.min.session.timeout.ms", "group.consumer.session.timeout.ms", false},
		{b.GroupConsumerSessionTimeoutMs, b.GroupConsumerMaxSessionTimeout, "group.consumer.session.timeout.ms", "group.consumer.max.session.timeout.ms", false},
		{b.GroupConsumerMinHeartbeatMs, b.GroupConsumerHeartbeatMs, "group.consumer.min.heartbeat.interval.ms", "group.consumer.heartbeat.interval.ms", false},
		{b.GroupConsumerHeartbeatMs, b.GroupConsumerMaxHeartbeatMs, "group.consumer.heartbeat.interval.ms", "group.consumer.max.heartbeat.interval.ms", false},
		{b.GroupConsumerHeartbeatMs, b.GroupConsumerSessionTimeoutMs, "group.consumer.heartbeat.interval.ms", "group.consumer.session.timeout.ms", true},
		{b.LogCleanerMinCompactionLagMs, b.LogCleanerMaxCompactionLagMs, "log.cleaner.min.compaction.lag.ms", "log.cleaner.max.compaction.lag.ms", false},
		{b.BrokerHeartbeatIntervalMs, b.BrokerSessionTimeoutMs, "broker.heartbeat.interval.ms", "broker.session.timeout.ms", true},
	}
	for _, o := range order {
		if o.lo > o.hi || (o.strict && o.lo == o.hi) {
			rel := "must not be greater than "
			if o.strict {
				rel = "must be less than "
			}
			errs = append(errs, &ValueError{Name: o.loName, Value: strconv.FormatInt(o.lo, 10),
				Reason: rel + o.hiName + " (" + strconv.FormatInt(o.hi, 10) + ")"})
		}
	}
	if b.MaxConnections < 0 {
		errs = append(errs, &ValueError{Name: "max.connections", Value: strconv.Itoa(b.MaxConnections), Reason: "must be >= 0"})
	}
	return errors.Join(errs...)
}

// sameBind reports whether two listen addresses would fight over a port:
// same non-zero port and the same host, or either binds every interface.
func sameBind(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	ha, pa, err1 := splitHostPort(a)
	hb, pb, err2 := splitHostPort(b)
	if err1 != nil || err2 != nil || pa == 0 || pa != pb {
		return false
	}
	return ha == hb || ha == "" || hb == "" || ha == "0.0.0.0" || hb == "0.0.0.0" || ha == "::" || hb == "::"
}

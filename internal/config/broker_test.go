package config

import (
	"bytes"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
)

func TestDefaultBroker(t *testing.T) {
	b := DefaultBroker()
	if err := b.Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"NodeID", b.NodeID, int32(1)},
		{"Listen", b.Listen, ":9092"},
		{"Advertise", b.Advertise, "localhost:9092"},
		{"DataDir", b.DataDir, "./gregor-data"},
		{"HTTP", b.HTTP, ":8080"},
		{"ControllerListen", b.ControllerListen, ":9093"},
		{"Voters", b.Voters, ""},
		{"NumPartitions", b.NumPartitions, int32(1)},
		{"DefaultReplicationFactor", b.DefaultReplicationFactor, int16(1)},
		{"AutoCreateTopics", b.AutoCreateTopics, true},
		{"SocketRequestMaxBytes", b.SocketRequestMaxBytes, int32(104857600)},
		{"ConnectionsMaxIdleMs", b.ConnectionsMaxIdleMs, int64(600000)},
		{"MaxConnections", b.MaxConnections, 65536},
		{"MessageMaxBytes", b.MessageMaxBytes, int64(1048588)},
		{"LogRetentionCheckIntervalMs", b.LogRetentionCheckIntervalMs, int64(300000)},
		{"OffsetsTopicNumPartitions", b.OffsetsTopicNumPartitions, int32(50)},
		{"OffsetsTopicReplicationFactor", b.OffsetsTopicReplicationFactor, int16(3)},
		{"OffsetsRetentionMinutes", b.OffsetsRetentionMinutes, int64(10080)},
		{"GroupInitialRebalanceDelayMs", b.GroupInitialRebalanceDelayMs, int64(3000)},
		{"GroupMinSessionTimeoutMs", b.GroupMinSessionTimeoutMs, int64(6000)},
		{"GroupMaxSessionTimeoutMs", b.GroupMaxSessionTimeoutMs, int64(1800000)},
		{"GroupMaxSize", b.GroupMaxSize, int32(2147483647)},
		{"TransactionMaxTimeoutMs", b.TransactionMaxTimeoutMs, int64(900000)},
		{"TransactionalIDExpirationMs", b.TransactionalIDExpirationMs, int64(604800000)},
		{"ProducerIDExpirationMs", b.ProducerIDExpirationMs, int64(86400000)},
		{"FetchMaxBytes", b.FetchMaxBytes, int32(57671680)},
		{"MaxIncrementalFetchSessionCacheSlots", b.MaxIncrementalFetchSessionCacheSlots, int32(1000)},
		{"ReplicaLagTimeMaxMs", b.ReplicaLagTimeMaxMs, int64(30000)},
		{"MinInsyncReplicas", b.MinInsyncReplicas, int32(1)},
		{"LogRetentionMs", b.LogRetentionMs, int64(604800000)},
		{"LogRollMs", b.LogRollMs, int64(604800000)},
		{"LogRollJitterMs", b.LogRollJitterMs, int64(0)},
		{"LogFlushIntervalMs", b.LogFlushIntervalMs, int64(maxLong)},
		{"LogSegmentBytes", b.LogSegmentBytes, int64(1073741824)},
		{"LogCleanerMinCleanableRatio", b.LogCleanerMinCleanableRatio, 0.5},
		{"TransactionStateLogReplicationFactor", b.TransactionStateLogReplicationFactor, int16(3)},
		{"TransactionStateLogMinISR", b.TransactionStateLogMinISR, int32(2)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if len(b.Props) != 0 {
		t.Errorf("Props %v", b.Props)
	}
	// Each call is a fresh value.
	b.NumPartitions = 9
	if DefaultBroker().NumPartitions != 1 {
		t.Error("DefaultBroker shares state")
	}
}

func TestApplyKafkaNames(t *testing.T) {
	b := DefaultBroker()
	err := b.Apply(map[string]string{
		"node.id":                               "3",
		"listeners":                             "PLAINTEXT://0.0.0.0:19092, CONTROLLER://0.0.0.0:19093",
		"advertised.listeners":                  "PLAINTEXT://kafka-3.example:19092",
		"log.dirs":                              "/var/lib/gregor",
		"log.dir":                               "/ignored/because/log.dirs",
		"controller.quorum.voters":              "1@a:9093, 2@b:9093,3@c:9093",
		"num.partitions":                        " 6 ",
		"default.replication.factor":            "3",
		"auto.create.topics.enable":             "FALSE",
		"socket.request.max.bytes":              "1048576",
		"log.retention.hours":                   "24",
		"log.segment.bytes":                     "536870912",
		"offsets.topic.replication.factor":      "1",
		"group.coordinator.rebalance.protocols": " classic , consumer ",
	})
	if err != nil {
		t.Fatal(err)
	}
	if b.NodeID != 3 || b.Listen != "0.0.0.0:19092" || b.ControllerListen != "0.0.0.0:19093" ||
		b.Advertise != "kafka-3.example:19092" || b.DataDir != "/var/lib/gregor" ||
		b.Voters != "1@a:9093,2@b:9093,3@c:9093" || b.NumPartitions != 6 || b.DefaultReplicationFactor != 3 ||
		b.AutoCreateTopics || b.SocketRequestMaxBytes != 1048576 || b.LogRetentionMs != 86400000 ||
		b.LogSegmentBytes != 536870912 || b.OffsetsTopicReplicationFactor != 1 {
		t.Errorf("applied: %+v", b)
	}
	if b.Props["num.partitions"] != "6" || b.Props["auto.create.topics.enable"] != "false" ||
		b.GroupCoordinatorProtocols != "classic,consumer" {
		t.Errorf("Props not normalized: %v", b.Props)
	}
	if err := b.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	if v, ok := b.Get("log.retention.hours"); !ok || v != "24" {
		t.Errorf("Get = %q %v", v, ok)
	}
	if v, ok := b.Get("log.retention.ms"); ok {
		t.Errorf("log.retention.ms is unset, Get = %q", v)
	}
	if v, ok := b.Get("fetch.max.bytes"); !ok || v != "57671680" {
		t.Errorf("Get default = %q %v", v, ok)
	}
	if _, ok := b.Get("nope"); ok {
		t.Error("Get unknown")
	}
}

func TestApplyOwnNamesWin(t *testing.T) {
	b := DefaultBroker()
	err := b.Apply(map[string]string{
		"log.dirs": "/from/kafka", "data-dir": "/from/flag",
		"listeners": "PLAINTEXT://:1111", "listen": "127.0.0.1:2222",
		"node-id": "7", "http": "", "voters": "7@h:1", "controller-listen": ":3333", "advertise": "h:2222",
	})
	if err != nil {
		t.Fatal(err)
	}
	if b.DataDir != "/from/flag" || b.Listen != "127.0.0.1:2222" || b.NodeID != 7 || b.HTTP != "" ||
		b.Voters != "7@h:1" || b.ControllerListen != ":3333" || b.Advertise != "h:2222" {
		t.Errorf("%+v", b)
	}
	if err := b.Validate(); err != nil {
		t.Error(err)
	}
	// Own names appear in DescribeBroker under their Kafka names, as static.
	e := entryByName(t, DescribeBroker(7, nil, nil, b), "log.dirs")
	if e.Source != SourceStaticBroker || *e.Value != "/from/flag" {
		t.Errorf("log.dirs entry %s", e)
	}
	e = entryByName(t, DescribeBroker(7, nil, nil, b), "listeners")
	if *e.Value != "PLAINTEXT://127.0.0.1:2222,CONTROLLER://:3333" {
		t.Errorf("listeners entry %s", e)
	}
}

func TestApplyLogDir(t *testing.T) {
	b := DefaultBroker()
	if err := b.Apply(map[string]string{"log.dir": "/only/dir"}); err != nil {
		t.Fatal(err)
	}
	if b.DataDir != "/only/dir" {
		t.Errorf("DataDir %q", b.DataDir)
	}
	err := b.Apply(map[string]string{"log.dirs": "/a,/b"})
	if err == nil || !strings.Contains(err.Error(), `invalid value "/a,/b" for log.dirs: must be one non-empty directory`) {
		t.Errorf("two dirs: %v", err)
	}
}

func TestApplyControllerListenerName(t *testing.T) {
	b := DefaultBroker()
	err := b.Apply(map[string]string{
		"controller.listener.names": "RAFT",
		"listeners":                 "RAFT://:7001,CLIENT://:7000",
		"advertised.listeners":      "CLIENT://h:7000",
	})
	if err != nil {
		t.Fatal(err)
	}
	if b.Listen != ":7000" || b.ControllerListen != ":7001" || b.ListenerName != "CLIENT" || b.ControllerListenerName != "RAFT" {
		t.Errorf("%+v", b)
	}
}

func TestApplyErrorsAndAtomicity(t *testing.T) {
	cases := []struct {
		props map[string]string
		want  []string
		is    error
	}{
		{map[string]string{"num.partitions": "0"}, []string{`invalid value "0" for num.partitions: must be an int >= 1`}, ErrInvalidConfig},
		{map[string]string{"num.partition": "3"}, []string{`unknown broker config "num.partition"`}, ErrUnknownConfig},
		{map[string]string{"listen": "nohost"}, []string{`invalid value "nohost" for listen: want host:port`}, ErrInvalidConfig},
		{map[string]string{"listen": ":99999"}, []string{`invalid value ":99999" for listen`, "[0, 65535]"}, ErrInvalidConfig},
		{map[string]string{"advertise": ":9092"}, []string{`invalid value ":9092" for advertise: an advertised address needs a host`}, ErrInvalidConfig},
		{map[string]string{"advertise": "[::]:x"}, []string{`invalid value "[::]:x" for advertise`}, ErrInvalidConfig},
		{map[string]string{"data-dir": " "}, []string{`for data-dir: must not be empty`}, ErrInvalidConfig},
		{map[string]string{"voters": "1@a:9093,1@b:9093"}, []string{`for voters`, "voter id 1 appears twice"}, ErrInvalidConfig},
		{map[string]string{"voters": "a@b:1"}, []string{`id "a" must be an int >= 0`}, ErrInvalidConfig},
		{map[string]string{"controller.quorum.voters": "1@:9093"}, []string{"needs a host and a non-zero port"}, ErrInvalidConfig},
		{map[string]string{"node.id": "1", "broker.id": "2"}, []string{`invalid value "2" for broker.id: must equal node.id (1)`}, ErrInvalidConfig},
		{map[string]string{"node-id": "-1"}, []string{`invalid value "-1" for node-id: must be an int >= 0`}, ErrInvalidConfig},
		{map[string]string{"listeners": "PLAINTEXT://:1,SSL://:2"}, []string{"Gregor serves clients on one listener"}, ErrInvalidConfig},
		{map[string]string{"listeners": "localhost:9092"}, []string{`want NAME://host:port`}, ErrInvalidConfig},
		{map[string]string{"advertised.listeners": "OTHER://h:1"}, []string{"must name exactly the client listener (PLAINTEXT://host:port)"}, ErrInvalidConfig},
		{map[string]string{"advertised.listeners": "PLAINTEXT://:1"}, []string{"an advertised listener needs a host"}, ErrInvalidConfig},
		{map[string]string{"offsets.topic.replication.factor": "40000"}, []string{`must be a short >= 1`}, ErrInvalidConfig},
		{map[string]string{"log.cleaner.min.cleanable.ratio": "2"}, []string{`must be a double in [0.0, 1.0]`}, ErrInvalidConfig},
		{map[string]string{"group.coordinator.rebalance.protocols": "consumer"}, []string{`invalid value "consumer" for group.coordinator.rebalance.protocols: must include classic`}, ErrInvalidConfig},
		{map[string]string{"group.coordinator.rebalance.protocols": "classic,share"}, []string{`must be a comma-separated list of [classic, consumer]`}, ErrInvalidConfig},
	}
	for _, c := range cases {
		b := DefaultBroker()
		before := *b
		err := b.Apply(c.props)
		if err == nil || !errors.Is(err, c.is) {
			t.Errorf("%v: err %v, want %v", c.props, err, c.is)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v: %q lacks %q", c.props, err, w)
			}
		}
		if b.NodeID != before.NodeID || b.Listen != before.Listen || b.NumPartitions != before.NumPartitions || len(b.Props) != 0 {
			t.Errorf("%v: broker changed on error: %+v", c.props, b)
		}
	}
	// All-or-nothing: one bad entry, nothing applied.
	b := DefaultBroker()
	if err := b.Apply(map[string]string{"num.partitions": "4", "message.max.bytes": "big"}); err == nil {
		t.Fatal("want error")
	}
	if b.NumPartitions != 1 || len(b.Props) != 0 {
		t.Errorf("partial apply: %d %v", b.NumPartitions, b.Props)
	}
}

func TestApplyIgnoredPropsAreLogged(t *testing.T) {
	var buf bytes.Buffer
	b := DefaultBroker()
	b.Logger = slog.New(slog.NewTextHandler(&buf, nil))
	if err := b.Apply(map[string]string{"process.roles": "broker,controller", "num.io.threads": "8", "num.partitions": "2"}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, "name=process.roles") || !strings.Contains(out, "name=num.io.threads") || !strings.Contains(out, "level=WARN") {
		t.Errorf("log: %s", out)
	}
	if _, ok := b.Props["process.roles"]; ok || b.NumPartitions != 2 {
		t.Errorf("props %v", b.Props)
	}
}

func TestApplyEnv(t *testing.T) {
	var buf bytes.Buffer
	b := DefaultBroker()
	b.Logger = slog.New(slog.NewTextHandler(&buf, nil))
	err := b.ApplyEnv([]string{
		"HOME=/root",
		"GREGOR_LISTEN=:19092",
		"GREGOR_DATA_DIR=/data",
		"GREGOR_NODE_ID=4",
		"GREGOR_CONTROLLER_LISTEN=:19093",
		"GREGOR_VOTERS=4@h:19093",
		"GREGOR_HTTP=",
		"GREGOR_NUM_PARTITIONS=12",
		"GREGOR_LOG_RETENTION_MS=1000",
		"GREGOR_CONFIG=/etc/gregor.properties",
		"GREGOR_LOG_LEVEL=debug",
		"GREGOR_SOMETHING_ELSE=1",
		"NOT_GREGOR_LISTEN=:1",
	})
	if err != nil {
		t.Fatal(err)
	}
	if b.Listen != ":19092" || b.DataDir != "/data" || b.NodeID != 4 || b.ControllerListen != ":19093" ||
		b.Voters != "4@h:19093" || b.HTTP != "" || b.NumPartitions != 12 || b.LogRetentionMs != 1000 {
		t.Errorf("%+v", b)
	}
	if !strings.Contains(buf.String(), "GREGOR_SOMETHING_ELSE") || strings.Contains(buf.String(), "GREGOR_CONFIG") || strings.Contains(buf.String(), "GREGOR_LOG_LEVEL") {
		t.Errorf("log: %s", buf.String())
	}
	err = DefaultBroker().ApplyEnv([]string{"GREGOR_NUM_PARTITIONS=zero"})
	if err == nil || !strings.Contains(err.Error(), `invalid value "zero" for num.partitions`) {
		t.Errorf("bad env: %v", err)
	}
}

// TestPrecedenceFileEnvFlags runs the command's order: defaults, file, env,
// flags; later wins.
func TestPrecedenceFileEnvFlags(t *testing.T) {
	b := DefaultBroker()
	file, err := ParseProperties([]byte("node.id=2\nlisteners=PLAINTEXT://:9000\nnum.partitions=3\nlog.dirs=/file\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Apply(file); err != nil {
		t.Fatal(err)
	}
	if err := b.ApplyEnv([]string{"GREGOR_NUM_PARTITIONS=5", "GREGOR_DATA_DIR=/env"}); err != nil {
		t.Fatal(err)
	}
	if err := b.Apply(map[string]string{"data-dir": "/flag"}); err != nil {
		t.Fatal(err)
	}
	if b.NodeID != 2 || b.Listen != ":9000" || b.NumPartitions != 5 || b.DataDir != "/flag" {
		t.Errorf("%+v", b)
	}
	if err := b.Validate(); err != nil {
		t.Error(err)
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		mod  func(b *Broker)
		want string
	}{
		{func(b *Broker) { b.NodeID = -1 }, `invalid value "-1" for node-id`},
		{func(b *Broker) { b.Listen = "bad" }, `invalid value "bad" for listen`},
		{func(b *Broker) { b.Advertise = ":0" }, `invalid value ":0" for advertise: an advertised address needs a host`},
		{func(b *Broker) { b.DataDir = "" }, `for data-dir: must not be empty`},
		{func(b *Broker) { b.ControllerListen = ":9092" }, `invalid value ":9092" for controller-listen: uses the same port as listen (:9092)`},
		{func(b *Broker) { b.HTTP = "127.0.0.1:9093" }, `for http: uses the same port as controller-listen (:9093)`},
		{func(b *Broker) { b.Voters = "x" }, `for voters`},
		{func(b *Broker) { b.NumPartitions = 0 }, `invalid value "0" for num.partitions: must be an int >= 1`},
		{func(b *Broker) { b.MaxConnections = -5 }, `invalid value "-5" for max.connections`},
		{func(b *Broker) { b.CompressionType = "brotli" }, `invalid value "brotli" for compression.type`},
		{func(b *Broker) { b.LogCleanerMinCleanableRatio = 1.5 }, `invalid value "1.5" for log.cleaner.min.cleanable.ratio`},
		{func(b *Broker) { b.GroupMinSessionTimeoutMs = 2000000 }, `invalid value "2000000" for group.min.session.timeout.ms: must not be greater than group.max.session.timeout.ms (1800000)`},
		{func(b *Broker) { b.BrokerHeartbeatIntervalMs = 9000 }, `for broker.heartbeat.interval.ms: must be less than broker.session.timeout.ms (9000)`},
		{func(b *Broker) { b.ControllerListenerName = "PLAINTEXT" }, `for controller.listener.names: must differ from the client listener name`},
		{func(b *Broker) { b.DefaultReplicationFactor = 0 }, `invalid value "0" for default.replication.factor`},
	}
	for _, c := range cases {
		b := DefaultBroker()
		c.mod(b)
		err := b.Validate()
		if err == nil || !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v\nwant %s", err, c.want)
		}
	}
	// Port 0 never collides, and distinct hosts may share a port.
	b := DefaultBroker()
	b.Listen, b.ControllerListen, b.HTTP = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	if err := b.Validate(); err != nil {
		t.Error(err)
	}
	b.Listen, b.ControllerListen = "10.0.0.1:9092", "10.0.0.2:9092"
	if err := b.Validate(); err != nil {
		t.Error(err)
	}
}

func TestValidateBrokerDynamic(t *testing.T) {
	ok := map[string]string{"log.retention.ms": "1000", "min.insync.replicas": "2", "message.max.bytes": "2000000",
		"compression.type": "zstd", "max.connections": "100", "log.cleanup.policy": "compact"}
	if err := ValidateBrokerDynamic(ok); err != nil {
		t.Fatal(err)
	}
	err := ValidateBrokerDynamic(map[string]string{
		"num.partitions": "3", "log.retention.hours": "1", "nope": "1", "log.segment.bytes": "1",
	})
	var ro *ReadOnlyError
	if !errors.As(err, &ro) || !errors.Is(err, ErrReadOnlyConfig) || !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("err %v", err)
	}
	for _, w := range []string{
		"broker config log.retention.hours cannot be updated dynamically",
		"broker config num.partitions cannot be updated dynamically",
		`invalid value "1" for log.segment.bytes: must be an int >= 14`,
	} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%q lacks %q", err, w)
		}
	}
	// A name Gregor does not know is a custom config, kept as given, as
	// Kafka keeps one (librdkafka's admin test sets a SASL setting).
	if strings.Contains(err.Error(), "nope") {
		t.Errorf("custom config refused: %v", err)
	}
	norm, err := NormalizeBrokerDynamic(map[string]string{"sasl.kerberos.min.time.before.relogin": " 58000", "log.retention.ms": " 5"})
	if err != nil || norm["sasl.kerberos.min.time.before.relogin"] != " 58000" || norm["log.retention.ms"] != "5" {
		t.Errorf("custom config: %v %v", norm, err)
	}
	if !IsCustomBroker("nope") || IsCustomBroker("log.retention.ms") {
		t.Error("IsCustomBroker")
	}
	err = ValidateBrokerDynamic(map[string]string{"log.cleaner.min.compaction.lag.ms": "5", "log.cleaner.max.compaction.lag.ms": "4"})
	if !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("lag: %v", err)
	}
	// Only the first name of a synonym group is dynamic, as in Kafka.
	for _, g := range synonymGroups {
		for i, s := range g {
			d, _ := LookupBroker(s.name)
			if (i == 0) == d.ReadOnly {
				t.Errorf("%s read-only = %v", s.name, d.ReadOnly)
			}
		}
	}
	// Every topic config's broker name is dynamic except the ignored
	// message format.
	for _, d := range TopicDefs() {
		if d.BrokerName == "" {
			continue
		}
		bd, _ := LookupBroker(d.BrokerName)
		if bd.ReadOnly != (d.BrokerName == "log.message.format.version") {
			t.Errorf("%s read-only = %v", d.BrokerName, bd.ReadOnly)
		}
	}
}

func TestDescribeBroker(t *testing.T) {
	b := DefaultBroker()
	if err := b.Apply(map[string]string{"log.retention.hours": "24", "num.partitions": "3", "message.max.bytes": "1048588"}); err != nil {
		t.Fatal(err)
	}
	per := map[string]string{"log.retention.ms": "1000", "min.insync.replicas": "bad"}
	def := map[string]string{"log.retention.ms": "2000", "min.insync.replicas": "2"}
	entries := DescribeBroker(5, per, def, b)
	want := map[string]string{
		"log.retention.ms":      "log.retention.ms=1000 (DYNAMIC_BROKER_CONFIG) [log.retention.ms=1000 DYNAMIC_BROKER_CONFIG, log.retention.ms=2000 DYNAMIC_DEFAULT_BROKER_CONFIG, log.retention.hours=24 STATIC_BROKER_CONFIG, log.retention.hours=168 DEFAULT_CONFIG]",
		"log.retention.hours":   "log.retention.hours=24 (STATIC_BROKER_CONFIG) [log.retention.hours=24 STATIC_BROKER_CONFIG, log.retention.hours=168 DEFAULT_CONFIG]",
		"log.retention.minutes": "log.retention.minutes=null (DEFAULT_CONFIG)",
		"num.partitions":        "num.partitions=3 (STATIC_BROKER_CONFIG) [num.partitions=3 STATIC_BROKER_CONFIG, num.partitions=1 DEFAULT_CONFIG]",
		// Set in the file to its default value: still static, as in Kafka.
		"message.max.bytes":   "message.max.bytes=1048588 (STATIC_BROKER_CONFIG) [message.max.bytes=1048588 STATIC_BROKER_CONFIG, message.max.bytes=1048588 DEFAULT_CONFIG]",
		"min.insync.replicas": "min.insync.replicas=2 (DYNAMIC_DEFAULT_BROKER_CONFIG) [min.insync.replicas=2 DYNAMIC_DEFAULT_BROKER_CONFIG, min.insync.replicas=1 DEFAULT_CONFIG]",
		"fetch.max.bytes":     "fetch.max.bytes=57671680 (DEFAULT_CONFIG) [fetch.max.bytes=57671680 DEFAULT_CONFIG]",
		"log.dirs":            "log.dirs=null (DEFAULT_CONFIG)",
	}
	for name, w := range want {
		if got := entryByName(t, entries, name).String(); got != w {
			t.Errorf("\n got %s\nwant %s", got, w)
		}
	}
	e := entryByName(t, entries, "node.id")
	if *e.Value != "5" || !e.ReadOnly || e.Type != Int {
		t.Errorf("node.id %s ro=%v", e, e.ReadOnly)
	}
	if e := entryByName(t, entries, "log.retention.ms"); e.ReadOnly || e.Type != Long || e.IsDefault {
		t.Errorf("log.retention.ms flags %+v", e)
	}
	if len(entries) != len(BrokerDefs()) {
		t.Errorf("%d entries for %d defs", len(entries), len(BrokerDefs()))
	}

	cd := DescribeClusterDefault(map[string]string{"log.retention.ms": " 2000 ", "nope": "1", "min.insync.replicas": "x"})
	if len(cd) != 2 || cd[0].String() != "log.retention.ms=2000 (DYNAMIC_DEFAULT_BROKER_CONFIG) [log.retention.ms=2000 DYNAMIC_DEFAULT_BROKER_CONFIG]" ||
		cd[1].String() != "nope=null (DYNAMIC_DEFAULT_BROKER_CONFIG) [nope=null DYNAMIC_DEFAULT_BROKER_CONFIG]" || !cd[1].Sensitive || cd[1].Type != Unknown {
		t.Errorf("cluster default %v", cd)
	}

	// Custom configs are listed too, sensitive (their type is unknown, as
	// in Kafka), the per-broker value in effect over the cluster default.
	entries = DescribeBroker(5, map[string]string{"custom.a": "1"}, map[string]string{"custom.a": "2", "custom.b": "3"}, b)
	if len(entries) != len(BrokerDefs())+2 || !slices.IsSortedFunc(entries, func(x, y Entry) int { return strings.Compare(x.Name, y.Name) }) {
		t.Fatalf("%d entries for %d defs and 2 custom configs, or not sorted", len(entries), len(BrokerDefs()))
	}
	if e := entryByName(t, entries, "custom.a"); e.String() != "custom.a=null (DYNAMIC_BROKER_CONFIG) [custom.a=null DYNAMIC_BROKER_CONFIG, custom.a=null DYNAMIC_DEFAULT_BROKER_CONFIG]" || !e.Sensitive {
		t.Errorf("custom.a %s", e)
	}
	if e := entryByName(t, entries, "custom.b"); e.Source != SourceDynamicDefaultBroker || e.Value != nil {
		t.Errorf("custom.b %s", e)
	}
}

func TestBrokerDefsConsistent(t *testing.T) {
	defs := BrokerDefs()
	for i, d := range defs {
		if i > 0 && defs[i-1].Name >= d.Name {
			t.Errorf("not sorted or duplicate at %s", d.Name)
		}
		if _, ok := ignoredProps[d.Name]; ok {
			t.Errorf("%s is both known and ignored", d.Name)
		}
		if _, ok := lookupOwn(d.Name); ok {
			t.Errorf("%s is both a Kafka and an own name", d.Name)
		}
	}
	// The typed default of every bound property equals its Def.Default.
	b := DefaultBroker()
	for _, bd := range brokerTable {
		if bd.get == nil || bd.NullDefault {
			continue
		}
		if got := bd.get(b); got != bd.Default {
			t.Errorf("%s: field default %q, table default %q", bd.Name, got, bd.Default)
		}
	}
}

func TestCapReplicationFactor(t *testing.T) {
	for _, c := range []struct {
		rf   int16
		live int
		want int16
	}{{3, 1, 1}, {3, 5, 3}, {3, 0, 1}, {1, 3, 1}, {3, 3, 3}} {
		if got := CapReplicationFactor(c.rf, c.live); got != c.want {
			t.Errorf("Cap(%d, %d) = %d, want %d", c.rf, c.live, got, c.want)
		}
	}
}

func TestParseListenersAndVoters(t *testing.T) {
	ls, err := ParseListeners("plaintext://[::1]:9092,CONTROLLER://:0")
	if err != nil || len(ls) != 2 || ls[0].Name != "PLAINTEXT" || ls[0].Host != "::1" || ls[0].Addr() != "[::1]:9092" || ls[1].Port != 0 {
		t.Errorf("%v %v", ls, err)
	}
	if ls[0].String() != "PLAINTEXT://[::1]:9092" {
		t.Errorf("String %q", ls[0])
	}
	for _, bad := range []string{"PLAINTEXT://:9092,PLAINTEXT://:9093", "://:1", "PLAINTEXT://host", "X://h:-1", "X://h:65536", "X://a b:1"} {
		if _, err := ParseListeners(bad); err == nil {
			t.Errorf("ParseListeners(%q) accepted", bad)
		}
	}
	vs, err := ParseVoters(" 1@a:9093 , 2@[::1]:9093")
	if err != nil || len(vs) != 2 || vs[1].ID != 2 || vs[1].Addr() != "[::1]:9093" || vs[0].String() != "1@a:9093" {
		t.Errorf("%v %v", vs, err)
	}
	if vs, err := ParseVoters(""); err != nil || len(vs) != 0 {
		t.Errorf("empty: %v %v", vs, err)
	}
	for _, bad := range []string{"1", "1@a", "-1@a:1", "1@a:0", "1@:1", "x@a:1", "1@a:1,1@b:1", "1@a:1,"} {
		if _, err := ParseVoters(bad); err == nil {
			t.Errorf("ParseVoters(%q) accepted", bad)
		}
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// TestAdvertiseFollowsListen: without an explicit advertised address the
// broker advertises its listen address, as Kafka does without
// advertised.listeners; once set explicitly it stays.
func TestAdvertiseFollowsListen(t *testing.T) {
	b := DefaultBroker()
	if err := b.Apply(map[string]string{"listen": ":19092"}); err != nil {
		t.Fatal(err)
	}
	if b.Advertise != "localhost:19092" {
		t.Errorf("Advertise %q", b.Advertise)
	}
	if err := b.Apply(map[string]string{"listeners": "PLAINTEXT://10.0.0.5:7000"}); err != nil {
		t.Fatal(err)
	}
	if b.Advertise != "10.0.0.5:7000" {
		t.Errorf("Advertise %q", b.Advertise)
	}
	if err := b.Apply(map[string]string{"advertise": "public.example:443"}); err != nil {
		t.Fatal(err)
	}
	if err := b.Apply(map[string]string{"listen": ":7001"}); err != nil {
		t.Fatal(err)
	}
	if b.Advertise != "public.example:443" {
		t.Errorf("explicit Advertise changed to %q", b.Advertise)
	}

	// Port 0: valid, and the bound port is advertised.
	b = DefaultBroker()
	if err := b.Apply(map[string]string{"listen": "127.0.0.1:0", "controller-listen": "127.0.0.1:0", "http": "127.0.0.1:0"}); err != nil {
		t.Fatal(err)
	}
	if err := b.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := b.AdvertisedAddr(40123); got != "127.0.0.1:40123" {
		t.Errorf("AdvertisedAddr %q", got)
	}
	b.Advertise = "h:1"
	if got := b.AdvertisedAddr(40123); got != "h:1" {
		t.Errorf("explicit AdvertisedAddr %q", got)
	}
	// An explicit advertised port 0 also means the bound port.
	b = DefaultBroker()
	if err := b.Apply(map[string]string{"advertise": "public.example:0"}); err != nil {
		t.Fatal(err)
	}
	if err := b.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := b.AdvertisedAddr(9192); got != "public.example:9192" {
		t.Errorf("AdvertisedAddr %q", got)
	}
}

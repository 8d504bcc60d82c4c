package handler_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/testutil"
)

// topicConfig describes one config of a topic, with synonyms.
func topicConfig(t *testing.T, adm *kadm.Client, topic, name string) kadm.Config {
	t.Helper()
	rcs, err := adm.DescribeTopicConfigs(testCtx(t), topic)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := rcs.On(topic, nil)
	if err != nil || rc.Err != nil {
		t.Fatalf("describe %s: %v / %v", topic, err, rc.Err)
	}
	for _, c := range rc.Configs {
		if c.Key == name {
			return c
		}
	}
	t.Fatalf("topic %s has no config %s", topic, name)
	return kadm.Config{}
}

// wantConfig fails the test unless c has value and source.
func wantConfig(t *testing.T, what string, c kadm.Config, value string, source kmsg.ConfigSource) {
	t.Helper()
	if c.MaybeValue() != value || c.Source != source {
		t.Errorf("%s: %s=%s (%s), want %s (%s)", what, c.Key, c.MaybeValue(), c.Source, value, source)
	}
}

// alterErr is the single resource's outcome of an alter call (or the
// call's own error).
func alterErr(rs kadm.AlterConfigsResponses, err error) (error, string) {
	if err != nil {
		return err, ""
	}
	if len(rs) != 1 {
		return fmt.Errorf("%d answers, want 1", len(rs)), ""
	}
	return rs[0].Err, rs[0].ErrMessage
}

func TestTopicConfigs(t *testing.T) {
	b := testutil.NewBroker(t)
	adm := b.Admin(t)
	ret := "1000"
	createTopic(t, adm, "cfg", 1, map[string]*string{"retention.ms": &ret})
	ctx := testCtx(t)

	c := topicConfig(t, adm, "cfg", "retention.ms")
	wantConfig(t, "override", c, "1000", kmsg.ConfigSourceDynamicTopicConfig)
	if len(c.Synonyms) < 2 || c.Synonyms[0].Source != kmsg.ConfigSourceDynamicTopicConfig || c.Synonyms[len(c.Synonyms)-1].Source != kmsg.ConfigSourceDefaultConfig {
		t.Errorf("retention.ms synonyms %+v: want the override first and the default last", c.Synonyms)
	}
	wantConfig(t, "default", topicConfig(t, adm, "cfg", "segment.bytes"), "1073741824", kmsg.ConfigSourceDefaultConfig)

	// Incremental: SET, APPEND to a list, then DELETE back to the default.
	v2000, compact := "2000", "compact"
	errA, msg := alterErr(adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{
		{Op: kadm.SetConfig, Name: "retention.ms", Value: &v2000},
		{Op: kadm.AppendConfig, Name: "cleanup.policy", Value: &compact},
	}, "cfg"))
	if errA != nil {
		t.Fatalf("incremental alter: %v %s", errA, msg)
	}
	wantConfig(t, "after SET", topicConfig(t, adm, "cfg", "retention.ms"), "2000", kmsg.ConfigSourceDynamicTopicConfig)
	wantConfig(t, "after APPEND", topicConfig(t, adm, "cfg", "cleanup.policy"), "delete,compact", kmsg.ConfigSourceDynamicTopicConfig)
	errA, msg = alterErr(adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Op: kadm.DeleteConfig, Name: "retention.ms"}}, "cfg"))
	if errA != nil {
		t.Fatalf("incremental delete: %v %s", errA, msg)
	}
	wantConfig(t, "after DELETE", topicConfig(t, adm, "cfg", "retention.ms"), "604800000", kmsg.ConfigSourceDefaultConfig)
	wantConfig(t, "untouched by DELETE", topicConfig(t, adm, "cfg", "cleanup.policy"), "delete,compact", kmsg.ConfigSourceDynamicTopicConfig)

	// Validation errors name the bad value; nothing changes.
	bad, unknown := "abc", "1"
	errA, msg = alterErr(adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "segment.bytes", Value: &bad}}, "cfg"))
	if !errors.Is(errA, kerr.InvalidConfig) || !strings.Contains(msg, `"abc"`) || !strings.Contains(msg, "segment.bytes") {
		t.Errorf("bad value: %v %q, want INVALID_CONFIG naming segment.bytes and \"abc\"", errA, msg)
	}
	errA, msg = alterErr(adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "no.such.config", Value: &unknown}}, "cfg"))
	if !errors.Is(errA, kerr.InvalidConfig) || !strings.Contains(msg, "no.such.config") {
		t.Errorf("unknown config: %v %q, want INVALID_CONFIG naming it", errA, msg)
	}
	errA, _ = alterErr(adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Op: kadm.AppendConfig, Name: "retention.ms", Value: &unknown}}, "cfg"))
	if !errors.Is(errA, kerr.InvalidConfig) {
		t.Errorf("APPEND to a non-list: %v, want INVALID_CONFIG", errA)
	}
	errA, _ = alterErr(adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "retention.ms", Value: &unknown}}, "nope"))
	if !errors.Is(errA, kerr.UnknownTopicOrPartition) {
		t.Errorf("unknown topic: %v, want UNKNOWN_TOPIC_OR_PARTITION", errA)
	}
	wantConfig(t, "after refused changes", topicConfig(t, adm, "cfg", "segment.bytes"), "1073741824", kmsg.ConfigSourceDefaultConfig)

	// Validate-only leaves the topic as it is.
	errA, _ = alterErr(adm.ValidateAlterTopicConfigs(ctx, []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "retention.ms", Value: &v2000}}, "cfg"))
	if errA != nil {
		t.Fatal(errA)
	}
	wantConfig(t, "after validate-only", topicConfig(t, adm, "cfg", "retention.ms"), "604800000", kmsg.ConfigSourceDefaultConfig)

	// Legacy AlterConfigs replaces the whole set: cleanup.policy goes back
	// to its default. Values are stored normalized.
	mmb := " +1000 "
	errA, msg = alterErr(adm.AlterTopicConfigsState(ctx, []kadm.AlterConfig{{Name: "max.message.bytes", Value: &mmb}}, "cfg"))
	if errA != nil {
		t.Fatalf("legacy alter: %v %s", errA, msg)
	}
	wantConfig(t, "legacy set", topicConfig(t, adm, "cfg", "max.message.bytes"), "1000", kmsg.ConfigSourceDynamicTopicConfig)
	wantConfig(t, "legacy replaced", topicConfig(t, adm, "cfg", "cleanup.policy"), "delete", kmsg.ConfigSourceDefaultConfig)
	errA, msg = alterErr(adm.AlterTopicConfigsState(ctx, []kadm.AlterConfig{{Name: "max.message.bytes", Value: &bad}}, "cfg"))
	if !errors.Is(errA, kerr.InvalidConfig) || !strings.Contains(msg, `"abc"`) {
		t.Errorf("legacy bad value: %v %q", errA, msg)
	}

	// The partition applies the new limit: a larger batch is refused.
	res := producer(t, b, kgo.ProducerBatchCompression(kgo.NoCompression())).ProduceSync(ctx, &kgo.Record{Topic: "cfg", Value: make([]byte, 3000)})
	if err := res.FirstErr(); !errors.Is(err, kerr.MessageTooLarge) {
		t.Errorf("produce 3000 bytes with max.message.bytes=1000: %v, want MESSAGE_TOO_LARGE", err)
	}
}

func TestBrokerConfigs(t *testing.T) {
	b := testutil.NewBroker(t)
	adm := b.Admin(t)
	createTopic(t, adm, "bc", 1, nil)
	ctx := testCtx(t)

	// Cluster-wide dynamic default, then this broker's own: each shows up
	// as the source of the topic's retention.ms.
	hour, twoHours := "3600000", "7200000"
	errA, msg := alterErr(adm.AlterBrokerConfigs(ctx, []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "log.retention.ms", Value: &hour}}))
	if errA != nil {
		t.Fatalf("set cluster default: %v %s", errA, msg)
	}
	wantConfig(t, "cluster default", topicConfig(t, adm, "bc", "retention.ms"), hour, kmsg.ConfigSourceDynamicDefaultBrokerConfig)
	errA, msg = alterErr(adm.AlterBrokerConfigs(ctx, []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "log.retention.ms", Value: &twoHours}}, 1))
	if errA != nil {
		t.Fatalf("set broker 1: %v %s", errA, msg)
	}
	c := topicConfig(t, adm, "bc", "retention.ms")
	wantConfig(t, "per broker", c, twoHours, kmsg.ConfigSourceDynamicBrokerConfig)
	var srcs []kmsg.ConfigSource
	for _, s := range c.Synonyms {
		srcs = append(srcs, s.Source)
	}
	if len(srcs) < 3 || srcs[0] != kmsg.ConfigSourceDynamicBrokerConfig || srcs[1] != kmsg.ConfigSourceDynamicDefaultBrokerConfig {
		t.Errorf("retention.ms synonym sources %v: want per-broker, then cluster default, ...", srcs)
	}

	// Describing the broker: its own configs, and "" = the dynamic defaults only.
	rcs, err := adm.DescribeBrokerConfigs(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range rcs[0].Configs {
		if c.Key == "log.retention.ms" {
			found = true
			wantConfig(t, "broker 1", c, twoHours, kmsg.ConfigSourceDynamicBrokerConfig)
		}
	}
	if !found || len(rcs[0].Configs) < 20 {
		t.Errorf("broker 1 described with %d configs, log.retention.ms found %v", len(rcs[0].Configs), found)
	}
	// "01" names broker 1 too (Kafka parses the id as an integer).
	req01 := kmsg.NewPtrDescribeConfigsRequest()
	rr01 := kmsg.NewDescribeConfigsRequestResource()
	rr01.ResourceType, rr01.ResourceName, rr01.ConfigNames = 4, "01", []string{"log.retention.ms"}
	req01.Resources = append(req01.Resources, rr01)
	r01 := request[*kmsg.DescribeConfigsResponse](t, b.Client(t), req01).Resources[0]
	if r01.ErrorCode != 0 || len(r01.Configs) != 1 || r01.Configs[0].Value == nil || *r01.Configs[0].Value != twoHours {
		t.Errorf("broker \"01\": %v %+v, want log.retention.ms=%s", kerr.ErrorForCode(r01.ErrorCode), r01.Configs, twoHours)
	}
	rcs, err = adm.DescribeBrokerConfigs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rcs) != 1 || len(rcs[0].Configs) != 1 {
		t.Fatalf("cluster default described as %+v, want exactly log.retention.ms", rcs)
	}
	wantConfig(t, "cluster default resource", rcs[0].Configs[0], hour, kmsg.ConfigSourceDynamicDefaultBrokerConfig)

	// A read-only broker config cannot be set at runtime.
	three := "3"
	errA, msg = alterErr(adm.AlterBrokerConfigs(ctx, []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "num.partitions", Value: &three}}, 1))
	if !errors.Is(errA, kerr.InvalidConfig) || !strings.Contains(msg, "num.partitions") {
		t.Errorf("read-only broker config: %v %q", errA, msg)
	}

	// A broker config Gregor does not know is a custom config, as in Kafka:
	// stored, described as sensitive with its source, deletable; with no
	// type, it cannot be appended to. librdkafka's admin test sets this one.
	relogin := "58000"
	errA, msg = alterErr(adm.AlterBrokerConfigs(ctx, []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "sasl.kerberos.min.time.before.relogin", Value: &relogin}}, 1))
	if errA != nil {
		t.Fatalf("custom broker config: %v %s", errA, msg)
	}
	rcs, err = adm.DescribeBrokerConfigs(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	var custom *kadm.Config
	for i, c := range rcs[0].Configs {
		if c.Key == "sasl.kerberos.min.time.before.relogin" {
			custom = &rcs[0].Configs[i]
		}
	}
	if custom == nil || custom.Value != nil || !custom.Sensitive || custom.Source != kmsg.ConfigSourceDynamicBrokerConfig {
		t.Errorf("custom config described as %+v, want sensitive, no value, DYNAMIC_BROKER_CONFIG", custom)
	}
	errA, msg = alterErr(adm.AlterBrokerConfigs(ctx, []kadm.AlterConfig{{Op: kadm.AppendConfig, Name: "sasl.kerberos.min.time.before.relogin", Value: &relogin}}, 1))
	if !errors.Is(errA, kerr.InvalidConfig) {
		t.Errorf("append to a custom config: %v %q, want INVALID_CONFIG", errA, msg)
	}
	errA, msg = alterErr(adm.AlterBrokerConfigs(ctx, []kadm.AlterConfig{{Op: kadm.DeleteConfig, Name: "sasl.kerberos.min.time.before.relogin"}}, 1))
	if errA != nil {
		t.Fatalf("delete custom broker config: %v %s", errA, msg)
	}
	rcs, _ = adm.DescribeBrokerConfigs(ctx, 1)
	for _, c := range rcs[0].Configs {
		if c.Key == "sasl.kerberos.min.time.before.relogin" {
			t.Errorf("custom config still described after its delete: %+v", c)
		}
	}

	// Raw requests: another broker's id, a non-number, the broker logger,
	// an unknown resource type.
	req := kmsg.NewPtrDescribeConfigsRequest()
	for _, r := range []struct {
		typ  kmsg.ConfigResourceType
		name string
	}{{4, "2"}, {4, "x"}, {8, "1"}, {16, "g"}} {
		rr := kmsg.NewDescribeConfigsRequestResource()
		rr.ResourceType, rr.ResourceName = r.typ, r.name
		req.Resources = append(req.Resources, rr)
	}
	resp := request[*kmsg.DescribeConfigsResponse](t, b.Client(t), req)
	wantCode(t, "other broker", resp.Resources[0].ErrorCode, kerr.InvalidRequest)
	wantCode(t, "non-number broker", resp.Resources[1].ErrorCode, kerr.InvalidRequest)
	wantCode(t, "broker logger", resp.Resources[2].ErrorCode, nil)
	if cs := resp.Resources[2].Configs; len(cs) != 1 || cs[0].Name != "root" || cs[0].Value == nil || *cs[0].Value != "INFO" {
		t.Errorf("broker logger configs %+v, want root=INFO", cs)
	}
	wantCode(t, "unknown resource type", resp.Resources[3].ErrorCode, kerr.InvalidRequest)
}

// TestDescribeConfigsVersions checks the per-version fields: v0 IsDefault,
// v3 documentation and types only when asked, synonyms only when asked.
func TestDescribeConfigsVersions(t *testing.T) {
	b := testutil.NewBroker(t)
	ret := "1000"
	createTopic(t, b.Admin(t), "dcv", 1, map[string]*string{"retention.ms": &ret})

	describe := func(cl *kgo.Client, synonyms, docs bool, names ...string) *kmsg.DescribeConfigsResponse {
		req := kmsg.NewPtrDescribeConfigsRequest()
		req.IncludeSynonyms, req.IncludeDocumentation = synonyms, docs
		rr := kmsg.NewDescribeConfigsRequestResource()
		rr.ResourceType, rr.ResourceName, rr.ConfigNames = 2, "dcv", names
		req.Resources = append(req.Resources, rr)
		return request[*kmsg.DescribeConfigsResponse](t, cl, req)
	}

	v0 := describe(clientAt(t, b, 32, 0), false, false, "retention.ms", "segment.bytes", "not.a.config")
	if v0.Version != 0 || len(v0.Resources[0].Configs) != 2 {
		t.Fatalf("v0 answer: version %d, %d configs; want v0 with 2", v0.Version, len(v0.Resources[0].Configs))
	}
	for _, c := range v0.Resources[0].Configs {
		if want := c.Name == "segment.bytes"; c.IsDefault != want {
			t.Errorf("v0 %s IsDefault %v, want %v", c.Name, c.IsDefault, want)
		}
	}

	cl := b.Client(t)
	plain := describe(cl, false, false, "retention.ms").Resources[0].Configs[0]
	if len(plain.ConfigSynonyms) != 0 || plain.Documentation != nil {
		t.Errorf("unasked synonyms %d / documentation %v", len(plain.ConfigSynonyms), plain.Documentation)
	}
	full := describe(cl, true, true, "retention.ms").Resources[0].Configs[0]
	if len(full.ConfigSynonyms) == 0 || full.Documentation == nil || *full.Documentation == "" {
		t.Errorf("asked synonyms %d / documentation %v", len(full.ConfigSynonyms), full.Documentation)
	}
	if full.ConfigType != kmsg.ConfigTypeLong {
		t.Errorf("retention.ms type %v, want LONG", full.ConfigType)
	}
	all := describe(cl, false, false)
	if n := len(all.Resources[0].Configs); n < 20 {
		t.Errorf("null config names described %d configs, want every topic config", n)
	}
}

// TestAlterConfigsDuplicateResources: a resource named twice in one alter
// request is refused for every copy, and a third resource still applies.
func TestAlterConfigsDuplicateResources(t *testing.T) {
	b := testutil.NewBroker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	adm := b.Admin(t)
	if _, err := adm.CreateTopic(ctx, 1, 1, nil, "d1"); err != nil {
		t.Fatal(err)
	}
	if _, err := adm.CreateTopic(ctx, 1, 1, nil, "d2"); err != nil {
		t.Fatal(err)
	}
	v := "3600000"
	legacy := kmsg.NewPtrAlterConfigsRequest()
	incr := kmsg.NewPtrIncrementalAlterConfigsRequest()
	for _, name := range []string{"d1", "d1", "d2"} {
		r := kmsg.NewAlterConfigsRequestResource()
		r.ResourceType, r.ResourceName = kmsg.ConfigResourceTypeTopic, name
		c := kmsg.NewAlterConfigsRequestResourceConfig()
		c.Name, c.Value = "retention.ms", &v
		r.Configs = append(r.Configs, c)
		legacy.Resources = append(legacy.Resources, r)

		ir := kmsg.NewIncrementalAlterConfigsRequestResource()
		ir.ResourceType, ir.ResourceName = kmsg.ConfigResourceTypeTopic, name
		ic := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
		ic.Name, ic.Value = "retention.ms", &v
		ir.Configs = append(ir.Configs, ic)
		incr.Resources = append(incr.Resources, ir)
	}
	lr := request[*kmsg.AlterConfigsResponse](t, b.Client(t), legacy)
	wantCode(t, "legacy duplicate 1", lr.Resources[0].ErrorCode, kerr.InvalidRequest)
	wantCode(t, "legacy duplicate 2", lr.Resources[1].ErrorCode, kerr.InvalidRequest)
	wantCode(t, "legacy single", lr.Resources[2].ErrorCode, nil)
	ir := request[*kmsg.IncrementalAlterConfigsResponse](t, b.Client(t), incr)
	wantCode(t, "incremental duplicate 1", ir.Resources[0].ErrorCode, kerr.InvalidRequest)
	wantCode(t, "incremental duplicate 2", ir.Resources[1].ErrorCode, kerr.InvalidRequest)
	wantCode(t, "incremental single", ir.Resources[2].ErrorCode, nil)
}

// TestGroupConfigs covers KIP-848 group configs (GROUP resources, Kafka
// 4.0): set for a group that does not exist yet, described with their
// sources, bounded by the broker's group.consumer.* values, and applied to
// the group's members at their next heartbeat.
func TestGroupConfigs(t *testing.T) {
	b := testutil.NewBroker(t)
	createTopic(t, b.Admin(t), "gc", 1, nil)
	cl := b.Client(t)

	alter := func(configs ...kmsg.IncrementalAlterConfigsRequestResourceConfig) (int16, string) {
		t.Helper()
		req := kmsg.NewPtrIncrementalAlterConfigsRequest()
		rr := kmsg.NewIncrementalAlterConfigsRequestResource()
		rr.ResourceType, rr.ResourceName, rr.Configs = kmsg.ConfigResourceTypeGroupConfig, "g848", configs
		req.Resources = append(req.Resources, rr)
		r := request[*kmsg.IncrementalAlterConfigsResponse](t, cl, req).Resources[0]
		msg := ""
		if r.ErrorMessage != nil {
			msg = *r.ErrorMessage
		}
		return r.ErrorCode, msg
	}
	describe := func(name string) []kmsg.DescribeConfigsResponseResourceConfig {
		t.Helper()
		req := kmsg.NewPtrDescribeConfigsRequest()
		rr := kmsg.NewDescribeConfigsRequestResource()
		rr.ResourceType, rr.ResourceName = kmsg.ConfigResourceTypeGroupConfig, name
		req.Resources = append(req.Resources, rr)
		req.IncludeSynonyms = true
		r := request[*kmsg.DescribeConfigsResponse](t, cl, req).Resources[0]
		wantCode(t, "describe group "+name, r.ErrorCode, nil)
		return r.Configs
	}

	// Defaults: the broker's values, DEFAULT_CONFIG.
	for _, c := range describe("g848") {
		want := map[string]string{"consumer.session.timeout.ms": "45000", "consumer.heartbeat.interval.ms": "5000"}[c.Name]
		if c.Value == nil || *c.Value != want || c.Source != kmsg.ConfigSourceDefaultConfig {
			t.Errorf("default %s = %v (%v), want %s", c.Name, c.Value, c.Source, want)
		}
	}
	if code, msg := alter(groupOp("consumer.heartbeat.interval.ms", kmsg.IncrementalAlterConfigOpSet, kmsg.StringPtr("6000")), groupOp("consumer.session.timeout.ms", kmsg.IncrementalAlterConfigOpSet, kmsg.StringPtr("50000"))); code != 0 {
		t.Fatalf("set group configs: %v %s", kerr.ErrorForCode(code), msg)
	}
	for _, c := range describe("g848") {
		want := map[string]string{"consumer.session.timeout.ms": "50000", "consumer.heartbeat.interval.ms": "6000"}[c.Name]
		if c.Value == nil || *c.Value != want || c.Source != kmsg.ConfigSourceGroupConfig {
			t.Errorf("%s = %v (%v), want %s from GROUP_CONFIG", c.Name, c.Value, c.Source, want)
		}
	}
	// Bounds are the broker's; names are Kafka's, share groups excepted.
	if code, msg := alter(groupOp("consumer.session.timeout.ms", kmsg.IncrementalAlterConfigOpSet, kmsg.StringPtr("1000"))); code != kerr.InvalidConfig.Code || !strings.Contains(msg, "group.consumer.min.session.timeout.ms") {
		t.Errorf("session below the minimum: %v %q", kerr.ErrorForCode(code), msg)
	}
	if code, _ := alter(groupOp("share.session.timeout.ms", kmsg.IncrementalAlterConfigOpSet, kmsg.StringPtr("45000"))); code != kerr.InvalidConfig.Code {
		t.Errorf("share group config: %v", kerr.ErrorForCode(code))
	}
	req := kmsg.NewPtrDescribeConfigsRequest()
	rr := kmsg.NewDescribeConfigsRequestResource()
	rr.ResourceType = kmsg.ConfigResourceTypeGroupConfig
	req.Resources = append(req.Resources, rr)
	wantCode(t, "unnamed group", request[*kmsg.DescribeConfigsResponse](t, cl, req).Resources[0].ErrorCode, kerr.InvalidRequest)

	// A member of the group is told the group's heartbeat interval.
	hb := kmsg.NewPtrConsumerGroupHeartbeatRequest()
	hb.Group, hb.MemberID, hb.MemberEpoch = "g848", "m1", 0
	hb.SubscribedTopicNames = []string{"gc"}
	hb.Topics = []kmsg.ConsumerGroupHeartbeatRequestTopic{}
	hb.RebalanceTimeoutMillis = 30000
	fc := kmsg.NewPtrFindCoordinatorRequest()
	fc.CoordinatorKey, fc.CoordinatorKeys = "g848", []string{"g848"}
	request[*kmsg.FindCoordinatorResponse](t, cl, fc) // creates __consumer_offsets
	var resp *kmsg.ConsumerGroupHeartbeatResponse
	for i := 0; ; i++ {
		resp = request[*kmsg.ConsumerGroupHeartbeatResponse](t, cl, hb)
		if (resp.ErrorCode != kerr.CoordinatorNotAvailable.Code && resp.ErrorCode != kerr.CoordinatorLoadInProgress.Code) || i == 100 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if resp.ErrorCode != 0 || resp.HeartbeatIntervalMillis != 6000 {
		t.Errorf("heartbeat: %v interval %d ms, want the group's 6000", kerr.ErrorForCode(resp.ErrorCode), resp.HeartbeatIntervalMillis)
	}
	// Deleting the config brings back the broker's value at once.
	if code, msg := alter(groupOp("consumer.heartbeat.interval.ms", kmsg.IncrementalAlterConfigOpDelete, nil)); code != 0 {
		t.Fatalf("delete: %v %s", kerr.ErrorForCode(code), msg)
	}
	hb.MemberEpoch = resp.MemberEpoch
	hb.SubscribedTopicNames, hb.Topics, hb.RebalanceTimeoutMillis = nil, nil, -1
	if resp = request[*kmsg.ConsumerGroupHeartbeatResponse](t, cl, hb); resp.ErrorCode != 0 || resp.HeartbeatIntervalMillis != 5000 {
		t.Errorf("heartbeat after delete: %v interval %d ms, want the broker's 5000", kerr.ErrorForCode(resp.ErrorCode), resp.HeartbeatIntervalMillis)
	}
}

func groupOp(name string, op kmsg.IncrementalAlterConfigOp, value *string) kmsg.IncrementalAlterConfigsRequestResourceConfig {
	c := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
	c.Name, c.Op, c.Value = name, op, value
	return c
}

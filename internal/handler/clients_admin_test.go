package handler_test

import (
	"errors"
	"testing"
	"time"

	"github.com/IBM/sarama"
	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/testutil"
)

// TestAdvertisedAdminVersions checks that ApiVersions lists the admin APIs
// at exactly the ranges their handlers serve (KAFKA-NOTES 1.2).
func TestAdvertisedAdminVersions(t *testing.T) {
	b := testutil.NewBroker(t)
	resp := request[*kmsg.ApiVersionsResponse](t, b.Client(t), kmsg.NewPtrApiVersionsRequest())
	got := map[int16][2]int16{}
	for _, k := range resp.ApiKeys {
		got[k.ApiKey] = [2]int16{k.MinVersion, k.MaxVersion}
	}
	for key, want := range map[int16][2]int16{
		2: {0, 10}, 20: {0, 6}, 21: {0, 2}, 23: {0, 4}, 29: {0, 3}, 30: {0, 3}, 31: {0, 3}, 32: {0, 4}, 33: {0, 2},
		35: {0, 4}, 37: {0, 3}, 44: {0, 1}, 60: {0, 2}, 61: {0, 0},
	} {
		if got[key] != want {
			t.Errorf("%s advertised %v, want %v", kmsg.NameForKey(key), got[key], want)
		}
	}
}

// TestACLsWithoutAuthorizer: with no authorizer the ACL APIs answer
// SECURITY_DISABLED, as Kafka's do without authorizer.class.name; kadm and
// sarama report that ACLs are off.
func TestACLsWithoutAuthorizer(t *testing.T) {
	b := testutil.NewBroker(t)
	adm := b.Admin(t)
	ctx := testCtx(t)
	acl := kadm.NewACLs().Allow("User:alice").Topics("t").Operations(kadm.OpRead).ResourcePatternType(kadm.ACLPatternLiteral)
	created, err := adm.CreateACLs(ctx, acl)
	if err != nil || len(created) != 1 || !errors.Is(created[0].Err, kerr.SecurityDisabled) {
		t.Errorf("create: %v %+v, want SECURITY_DISABLED", err, created)
	}
	described, err := adm.DescribeACLs(ctx, kadm.NewACLs().Allow("User:alice").AllowHosts("*").Topics("t").Operations(kadm.OpAny).ResourcePatternType(kadm.ACLPatternAny))
	if err != nil || len(described) == 0 || !errors.Is(described[0].Err, kerr.SecurityDisabled) {
		t.Errorf("describe: %v %+v, want SECURITY_DISABLED", err, described)
	}
	deleted, err := adm.DeleteACLs(ctx, kadm.NewACLs().Allow("User:alice").AllowHosts("*").Topics("t").Operations(kadm.OpAny).ResourcePatternType(kadm.ACLPatternAny))
	if err != nil || len(deleted) == 0 || !errors.Is(deleted[0].Err, kerr.SecurityDisabled) {
		t.Errorf("delete: %v %+v, want SECURITY_DISABLED", err, deleted)
	}

	conf := sarama.NewConfig()
	conf.Version = sarama.V3_0_0_0
	sa, err := sarama.NewClusterAdmin([]string{b.Addr()}, conf)
	if err != nil {
		t.Fatal(err)
	}
	defer sa.Close()
	_, err = sa.ListAcls(sarama.AclFilter{ResourceType: sarama.AclResourceAny, Operation: sarama.AclOperationAny,
		PermissionType: sarama.AclPermissionAny, ResourcePatternTypeFilter: sarama.AclPatternAny})
	if !errors.Is(err, sarama.ErrSecurityDisabled) {
		t.Errorf("sarama ListAcls: %v, want SECURITY_DISABLED", err)
	}
}

// TestSaramaAdmin drives the admin handlers with sarama, which speaks other
// versions than franz-go (its ClusterAdmin and offset lookups).
func TestSaramaAdmin(t *testing.T) {
	b := testutil.NewBroker(t)
	createTopic(t, b.Admin(t), "sa", 1, nil)
	for i := 0; i < 4; i++ {
		produceTo(t, producer(t, b), &kgo.Record{Topic: "sa", Value: []byte{byte(i)}})
	}

	conf := sarama.NewConfig()
	conf.Version = sarama.V3_0_0_0
	conf.ClientID = "gregor-handler-test"
	client, err := sarama.NewClient([]string{b.Addr()}, conf)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	admin, err := sarama.NewClusterAdminFromClient(client)
	if err != nil {
		t.Fatal(err)
	}

	if off, err := client.GetOffset("sa", 0, sarama.OffsetNewest); err != nil || off != 4 {
		t.Errorf("sarama newest offset %d, %v; want 4", off, err)
	}
	if off, err := client.GetOffset("sa", 0, sarama.OffsetOldest); err != nil || off != 0 {
		t.Errorf("sarama oldest offset %d, %v; want 0", off, err)
	}

	brokers, controller, err := admin.DescribeCluster()
	if err != nil || len(brokers) != 1 || controller != 1 {
		t.Errorf("sarama describe cluster: %d brokers, controller %d, %v", len(brokers), controller, err)
	}

	v := "86400000"
	if err := admin.IncrementalAlterConfig(sarama.TopicResource, "sa", map[string]sarama.IncrementalAlterConfigsEntry{
		"retention.ms": {Operation: sarama.IncrementalAlterConfigsOperationSet, Value: &v},
	}, false); err != nil {
		t.Fatalf("sarama incremental alter: %v", err)
	}
	entries, err := admin.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: "sa", ConfigNames: []string{"retention.ms"}})
	if err != nil || len(entries) != 1 || entries[0].Value != v || entries[0].Source != sarama.SourceTopic {
		t.Errorf("sarama describe config: %+v, %v; want retention.ms=%s from the topic", entries, err, v)
	}

	if err := admin.CreatePartitions("sa", 2, nil, false); err != nil {
		t.Errorf("sarama create partitions: %v", err)
	}
	if err := admin.DeleteRecords("sa", map[int32]int64{0: 3}); err != nil {
		t.Errorf("sarama delete records: %v", err)
	}
	if off, err := client.GetOffset("sa", 0, sarama.OffsetOldest); err != nil || off != 3 {
		t.Errorf("oldest offset after delete records %d, %v; want 3", off, err)
	}
	if err := admin.DeleteTopic("sa"); err != nil {
		t.Errorf("sarama delete topic: %v", err)
	}
}

// TestKafkaGoAdmin drives the admin handlers with segmentio/kafka-go's
// Client, which negotiates its own (often older) versions.
func TestKafkaGoAdmin(t *testing.T) {
	b := testutil.NewBroker(t)
	createTopic(t, b.Admin(t), "kg", 1, nil)
	at := func(ms int64) *kgo.Record {
		return &kgo.Record{Topic: "kg", Value: []byte("v"), Timestamp: time.UnixMilli(ms)}
	}
	produceTo(t, producer(t, b), at(1000))
	produceTo(t, producer(t, b), at(3000))
	produceTo(t, producer(t, b), at(2000))

	ctx := testCtx(t)
	c := &kafkago.Client{Addr: kafkago.TCP(b.Addr()), Timeout: 30 * time.Second}
	lo, err := c.ListOffsets(ctx, &kafkago.ListOffsetsRequest{Topics: map[string][]kafkago.OffsetRequest{
		"kg": {kafkago.FirstOffsetOf(0), kafkago.LastOffsetOf(0), kafkago.TimeOffsetOf(0, time.UnixMilli(1500))},
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range lo.Topics["kg"] {
		if p.Error != nil || p.FirstOffset != 0 || p.LastOffset != 3 {
			t.Errorf("kafka-go offsets %+v: want first 0, last 3", p)
		}
		if _, ok := p.Offsets[1]; !ok {
			t.Errorf("kafka-go time offsets %v: want offset 1 for 1500 ms", p.Offsets)
		}
	}

	ia, err := c.IncrementalAlterConfigs(ctx, &kafkago.IncrementalAlterConfigsRequest{Resources: []kafkago.IncrementalAlterConfigsRequestResource{{
		ResourceType: kafkago.ResourceTypeTopic, ResourceName: "kg",
		Configs: []kafkago.IncrementalAlterConfigsRequestConfig{{Name: "cleanup.policy", Value: "compact", ConfigOperation: kafkago.ConfigOperationAppend}},
	}}})
	if err != nil || len(ia.Resources) != 1 || ia.Resources[0].Error != nil {
		t.Fatalf("kafka-go incremental alter: %v %+v", err, ia)
	}
	dc, err := c.DescribeConfigs(ctx, &kafkago.DescribeConfigsRequest{Resources: []kafkago.DescribeConfigRequestResource{{
		ResourceType: kafkago.ResourceTypeTopic, ResourceName: "kg", ConfigNames: []string{"cleanup.policy"},
	}}})
	if err != nil || len(dc.Resources) != 1 || len(dc.Resources[0].ConfigEntries) != 1 || dc.Resources[0].ConfigEntries[0].ConfigValue != "delete,compact" {
		t.Errorf("kafka-go describe configs: %v %+v, want cleanup.policy=delete,compact", err, dc)
	}

	cp, err := c.CreatePartitions(ctx, &kafkago.CreatePartitionsRequest{Topics: []kafkago.TopicPartitionsConfig{{Name: "kg", Count: 3}}})
	if err != nil || cp.Errors["kg"] != nil {
		t.Errorf("kafka-go create partitions: %v %v", err, cp.Errors)
	}
	if _, n := topicPartitions(t, b, "kg"); n != 3 {
		t.Errorf("%d partitions after kafka-go create partitions, want 3", n)
	}
	dt, err := c.DeleteTopics(ctx, &kafkago.DeleteTopicsRequest{Topics: []string{"kg"}})
	if err != nil || dt.Errors["kg"] != nil {
		t.Errorf("kafka-go delete topics: %v %v", err, dt.Errors)
	}
}

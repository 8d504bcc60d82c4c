package cluster

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/google/uuid"
	"github.com/hashicorp/raft"
)

// TestFSMDataDriven runs testdata/fsm/*: each directive is one log entry
// applied at the next Raft index, printing its result; "image" prints the
// whole image. Regenerate with -rewrite.
//
//	register id=1 [rack=r] [inc=N]        RegisterBroker (inc: incarnation byte, default id)
//	fence id=1 [epoch=-1] [fenced=false]  FenceBroker
//	unregister id=1
//	create-topic name=a [partitions=3] [rf=2] [assign=(1/2,2/3)] [configs=(k:v)]
//	create-partitions topic=a count=5 [assign=(...)]
//	delete-topic name=a
//	alter type=topic|broker name=a [set=(k:v,k2:)] [delete=(k)] [replace]
//	allocate count=10
//	change topic=a p=0 epoch=0 [leader=2] [isr=(1,2)]
//	image
func TestFSMDataDriven(t *testing.T) {
	datadriven.Walk(t, "testdata/fsm", func(t *testing.T, path string) {
		f := newFSM(testLogger(t))
		index := uint64(0)
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			if d.Cmd == "image" {
				return dumpImage(f.Image())
			}
			cmd := ddCommand(t, d, index+1)
			index++
			data, err := encodeCommand(cmd)
			if err != nil {
				t.Fatal(err)
			}
			r := f.ApplyBatch([]*raft.Log{{Index: index, Type: raft.LogCommand, Data: data}})[0].(Result)
			if r.Err != nil {
				return fmt.Sprintf("index %d: error: %v\n", index, r.Err)
			}
			out := fmt.Sprintf("index %d: ok", index)
			if r.BrokerEpoch != 0 {
				out += fmt.Sprintf(" broker-epoch=%d", r.BrokerEpoch)
			}
			if _, ok := cmd.(AllocateProducerIDs); ok {
				out += fmt.Sprintf(" first-producer-id=%d", r.FirstProducerID)
			}
			return out + "\n"
		})
	})
}

func ddInt(t *testing.T, d *datadriven.TestData, key string, def int64) int64 {
	if !d.HasArg(key) {
		return def
	}
	var s string
	d.ScanArgs(t, key, &s)
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	return v
}

func ddStr(t *testing.T, d *datadriven.TestData, key string) string {
	var s string
	d.MaybeScanArgs(t, key, &s)
	return s
}

func ddVals(d *datadriven.TestData, key string) []string {
	arg, ok := d.Arg(key)
	if !ok {
		return nil
	}
	return arg.Vals
}

func ddIDs(t *testing.T, s string) []int32 {
	out := []int32{}
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == '/' }) {
		v, err := strconv.ParseInt(f, 10, 32)
		if err != nil {
			t.Fatalf("broker list %q: %v", s, err)
		}
		out = append(out, int32(v))
	}
	return out
}

func ddAssign(t *testing.T, d *datadriven.TestData) [][]int32 {
	var out [][]int32
	for _, v := range ddVals(d, "assign") {
		out = append(out, ddIDs(t, v))
	}
	return out
}

func ddCommand(t *testing.T, d *datadriven.TestData, index uint64) Command {
	switch d.Cmd {
	case "register":
		id := int32(ddInt(t, d, "id", 0))
		return RegisterBroker{ID: id, Host: fmt.Sprintf("b%d", id), Port: 9092, Rack: ddStr(t, d, "rack"),
			Incarnation: uuid.UUID{15: byte(ddInt(t, d, "inc", int64(id)))}}
	case "fence":
		return FenceBroker{ID: int32(ddInt(t, d, "id", 0)), Epoch: ddInt(t, d, "epoch", -1), Fenced: ddStr(t, d, "fenced") != "false"}
	case "unregister":
		return UnregisterBroker{ID: int32(ddInt(t, d, "id", 0))}
	case "create-topic":
		c := CreateTopic{Name: ddStr(t, d, "name"), ID: id16(byte(index)), Partitions: int32(ddInt(t, d, "partitions", 0)),
			ReplicationFactor: int16(ddInt(t, d, "rf", 0)), Assignments: ddAssign(t, d)}
		for _, kv := range ddVals(d, "configs") {
			k, v, _ := strings.Cut(kv, ":")
			if c.Configs == nil {
				c.Configs = map[string]string{}
			}
			c.Configs[k] = v
		}
		return c
	case "create-partitions":
		return CreatePartitions{Topic: ddStr(t, d, "topic"), Count: int32(ddInt(t, d, "count", 0)), Assignments: ddAssign(t, d)}
	case "delete-topic":
		return DeleteTopic{Name: ddStr(t, d, "name")}
	case "alter":
		c := AlterConfigs{Resource: ResourceTopic, Name: ddStr(t, d, "name"), Replace: d.HasArg("replace"), Set: map[string]*string{}}
		if ddStr(t, d, "type") == "broker" {
			c.Resource = ResourceBroker
		}
		for _, kv := range ddVals(d, "set") {
			k, v, _ := strings.Cut(kv, ":")
			c.Set[k] = &v
		}
		for _, k := range ddVals(d, "delete") {
			c.Set[k] = nil
		}
		return c
	case "allocate":
		return AllocateProducerIDs{Count: ddInt(t, d, "count", 0)}
	case "change":
		c := ChangePartition{Topic: ddStr(t, d, "topic"), Partition: int32(ddInt(t, d, "p", 0)), PartitionEpoch: int32(ddInt(t, d, "epoch", 0))}
		if d.HasArg("leader") {
			c.Leader = i32p(int32(ddInt(t, d, "leader", 0)))
		}
		if d.HasArg("isr") {
			c.ISR = []int32{}
			for _, v := range ddVals(d, "isr") {
				c.ISR = append(c.ISR, ddIDs(t, v)...)
			}
		}
		return c
	default:
		t.Fatalf("unknown directive %q", d.Cmd)
		return nil
	}
}

// dumpImage prints an image in a stable, readable form.
func dumpImage(img *Image) string {
	var b strings.Builder
	fmt.Fprintf(&b, "index=%d next-producer-id=%d\n", img.Index, img.NextProducerID)
	for _, id := range img.BrokerIDs(false) {
		br := img.Brokers[id]
		fmt.Fprintf(&b, "broker %d %s:%d epoch=%d fenced=%v", id, br.Host, br.Port, br.Epoch, br.Fenced)
		if br.Rack != "" {
			fmt.Fprintf(&b, " rack=%s", br.Rack)
		}
		b.WriteString("\n")
	}
	for _, k := range sortedKeys(img.BrokerConfigs) {
		fmt.Fprintf(&b, "broker-config %q %s\n", k, dumpConfigs(img.BrokerConfigs[k]))
	}
	for _, name := range img.TopicNames() {
		tp := img.Topics[name]
		fmt.Fprintf(&b, "topic %s id=%d", name, tp.ID[15])
		if len(tp.Configs) > 0 {
			fmt.Fprintf(&b, " configs=%s", dumpConfigs(tp.Configs))
		}
		b.WriteString("\n")
		for _, p := range tp.Partitions {
			fmt.Fprintf(&b, "  %d: leader=%d leader-epoch=%d partition-epoch=%d replicas=%v isr=%v\n",
				p.Partition, p.Leader, p.LeaderEpoch, p.PartitionEpoch, p.Replicas, p.ISR)
		}
	}
	return b.String()
}

func dumpConfigs(m map[string]string) string {
	parts := make([]string, 0, len(m))
	for _, k := range sortedKeys(m) {
		parts = append(parts, k+"="+m[k])
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

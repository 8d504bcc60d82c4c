package cluster

// Image snapshot format: the state inside a raft file snapshot
// (<meta>/snapshots/<term>-<index>-<ms>/state.bin; raft adds meta.json and its
// own CRC-64 of the state). Encoding primitives are those of codec.go.
//
//	snapshot = magic:"GRMI" version:u8 body crc:u32
//	version  = 2 (snapshotVersion2); 1 is read too (no group configs)
//	crc      = CRC-32C (Castagnoli) of magic, version and body, big-endian
//	body     = applied:uvarint        FSM applied index when taken (>= index)
//	           index:uvarint          Image.Index
//	           clusterID:string
//	           nextProducerID:varint
//	           brokers:uvarint count, then by ascending id:
//	               id:varint host:string port:varint rack:string fenced:bool
//	               epoch:varint incarnation:[16] endpoints
//	           brokerConfigs:uvarint count, then by ascending key:
//	               key:string configs:map[string]string
//	           topics:uvarint count, then by ascending name:
//	               name:string id:[16] configs:map[string]string
//	               partitions:uvarint count, then for partition 0, 1, ...:
//	                   leader:varint leaderEpoch:varint partitionEpoch:varint
//	                   replicas:[]int32 isr:[]int32
//	           (version 2 on) groupConfigs:uvarint count, then by ascending id:
//	               group:string configs:map[string]string
//
// ControllerID is not stored: it is not part of the log's state.
// A new version adds its fields at the end of the body; decodeImage keeps
// reading the older ones (raft restores the newest snapshot at start-up,
// which may have been written by the previous binary).

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"slices"
)

const (
	snapshotVersion1 = 1
	snapshotVersion2 = 2 // adds group configs
)

var snapshotMagic = []byte("GRMI")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// encodeImage encodes img and the FSM applied index into a new slice.
func encodeImage(img *Image, applied uint64) []byte {
	e := &encoder{b: make([]byte, 0, 256)}
	e.b = append(e.b, snapshotMagic...)
	e.u8(snapshotVersion2)
	e.uvarint(applied)
	e.uvarint(img.Index)
	e.str(img.ClusterID)
	e.varint(img.NextProducerID)
	ids := img.BrokerIDs(false)
	e.uvarint(uint64(len(ids)))
	for _, id := range ids {
		b := img.Brokers[id]
		e.varint(int64(b.ID))
		e.str(b.Host)
		e.varint(int64(b.Port))
		e.str(b.Rack)
		e.bool(b.Fenced)
		e.varint(b.Epoch)
		e.id(b.Incarnation)
		e.endpoints(b.Endpoints)
	}
	keys := sortedKeys(img.BrokerConfigs)
	e.uvarint(uint64(len(keys)))
	for _, k := range keys {
		e.str(k)
		e.strMap(img.BrokerConfigs[k])
	}
	names := img.TopicNames()
	e.uvarint(uint64(len(names)))
	for _, name := range names {
		t := img.Topics[name]
		e.str(t.Name)
		e.id(t.ID)
		e.strMap(t.Configs)
		e.uvarint(uint64(len(t.Partitions)))
		for _, p := range t.Partitions {
			e.varint(int64(p.Leader))
			e.varint(int64(p.LeaderEpoch))
			e.varint(int64(p.PartitionEpoch))
			e.int32s(p.Replicas)
			e.int32s(p.ISR)
		}
	}
	groups := sortedKeys(img.GroupConfigs)
	e.uvarint(uint64(len(groups)))
	for _, g := range groups {
		e.str(g)
		e.strMap(img.GroupConfigs[g])
	}
	e.b = binary.BigEndian.AppendUint32(e.b, crc32Checksum(e.b))
	return e.b
}

// decodeImage decodes a snapshot. Errors wrap ErrCorrupt or
// ErrUnsupportedVersion. The image does not alias b; its changed channel is
// nil (the publisher sets it).
func decodeImage(b []byte) (img *Image, applied uint64, err error) {
	if len(b) < len(snapshotMagic)+1+4 || !bytes.Equal(b[:len(snapshotMagic)], snapshotMagic) {
		return nil, 0, fmt.Errorf("%w: snapshot of %d bytes does not start with %q", ErrCorrupt, len(b), snapshotMagic)
	}
	body, sum := b[:len(b)-4], binary.BigEndian.Uint32(b[len(b)-4:])
	if got := crc32Checksum(body); got != sum {
		return nil, 0, fmt.Errorf("%w: snapshot checksum %08x, stored %08x", ErrCorrupt, got, sum)
	}
	d := &decoder{b: body, off: len(snapshotMagic)}
	version := d.u8()
	if version != snapshotVersion1 && version != snapshotVersion2 {
		return nil, 0, fmt.Errorf("%w: snapshot version %d (this binary knows 1 and 2)", ErrUnsupportedVersion, version)
	}
	img = emptyImage()
	img.changed = nil
	applied = d.uvarint()
	img.Index = d.uvarint()
	img.ClusterID = d.str()
	img.NextProducerID = d.varint()
	nb := d.count(20)
	for i := 0; i < nb && d.err == nil; i++ {
		bi := BrokerInfo{ID: d.int32(), Host: d.str(), Port: d.int32(), Rack: d.str(), Fenced: d.bool(),
			Epoch: d.varint(), Incarnation: d.id(), Endpoints: d.endpoints()}
		if _, dup := img.Brokers[bi.ID]; dup {
			d.fail("broker %d twice", bi.ID)
		}
		img.Brokers[bi.ID] = bi
	}
	nc := d.count(2)
	for i := 0; i < nc && d.err == nil; i++ {
		k, m := d.str(), d.strMap()
		if len(m) == 0 {
			d.fail("empty broker config set %q", k)
		}
		if _, dup := img.BrokerConfigs[k]; dup {
			d.fail("broker config set %q twice", k)
		}
		img.BrokerConfigs[k] = m
	}
	nt := d.count(19)
	for i := 0; i < nt && d.err == nil; i++ {
		t := &TopicImage{Name: d.str(), ID: d.id(), Configs: d.strMap()}
		np := d.count(5)
		if d.err == nil {
			t.Partitions = make([]PartitionImage, np)
		}
		for p := 0; p < np && d.err == nil; p++ {
			t.Partitions[p] = PartitionImage{Partition: int32(p), Leader: d.int32(), LeaderEpoch: d.int32(),
				PartitionEpoch: d.int32(), Replicas: d.int32s(), ISR: d.int32s()}
		}
		if d.err != nil {
			break
		}
		if err := validTopicName(t.Name); err != nil || np == 0 {
			d.fail("topic %q: bad name or no partitions", t.Name)
		}
		if img.Topics[t.Name] != nil || img.TopicsByID[t.ID] != nil {
			d.fail("topic %q or its id twice", t.Name)
		}
		img.Topics[t.Name], img.TopicsByID[t.ID] = t, t
	}
	if version >= snapshotVersion2 {
		ng := d.count(2)
		for i := 0; i < ng && d.err == nil; i++ {
			g, m := d.str(), d.strMap()
			if g == "" || len(m) == 0 {
				d.fail("group config set %q empty or unnamed", g)
			}
			if _, dup := img.GroupConfigs[g]; dup {
				d.fail("group config set %q twice", g)
			}
			img.GroupConfigs[g] = m
		}
	}
	if err := d.finish(); err != nil {
		return nil, 0, fmt.Errorf("snapshot: %w", err)
	}
	if applied < img.Index {
		return nil, 0, fmt.Errorf("%w: snapshot applied index %d below image index %d", ErrCorrupt, applied, img.Index)
	}
	return img, applied, nil
}

// imagesEqual compares the log-derived content of two images (not
// ControllerID). For tests and the snapshot check.
func imagesEqual(a, b *Image) bool {
	if a.Index != b.Index || a.ClusterID != b.ClusterID || a.NextProducerID != b.NextProducerID ||
		len(a.Brokers) != len(b.Brokers) || len(a.Topics) != len(b.Topics) || len(a.TopicsByID) != len(b.TopicsByID) ||
		len(a.BrokerConfigs) != len(b.BrokerConfigs) || len(a.GroupConfigs) != len(b.GroupConfigs) {
		return false
	}
	for k, m := range a.GroupConfigs {
		if !mapsEqual(m, b.GroupConfigs[k]) {
			return false
		}
	}
	for id, x := range a.Brokers {
		if y, ok := b.Brokers[id]; !ok || !brokerInfoEqual(x, y) {
			return false
		}
	}
	for k, m := range a.BrokerConfigs {
		if !mapsEqual(m, b.BrokerConfigs[k]) {
			return false
		}
	}
	for name, x := range a.Topics {
		y := b.Topics[name]
		if y == nil || x.ID != y.ID || !mapsEqual(x.Configs, y.Configs) || len(x.Partitions) != len(y.Partitions) ||
			b.TopicsByID[x.ID] != y {
			return false
		}
		for i, p := range x.Partitions {
			q := y.Partitions[i]
			if p.Partition != q.Partition || p.Leader != q.Leader || p.LeaderEpoch != q.LeaderEpoch ||
				p.PartitionEpoch != q.PartitionEpoch || !slices.Equal(p.Replicas, q.Replicas) || !slices.Equal(p.ISR, q.ISR) {
				return false
			}
		}
	}
	return true
}

func crc32Checksum(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

package cluster

// Metadata log entry format (the Data of every raft LogCommand entry).
//
// Formats only move forward: a node must decode every version it ever wrote.
//
//	entry   = version:u8 type:u8 body
//	version = 1 (entryVersion1)
//	type    = cmdType below (the numbers are part of the format)
//	body    = the command's fields in declaration order, encoded as:
//
//	int32, int64 ........ signed varint (zig-zag, encoding/binary AppendVarint)
//	int16, int8 ......... signed varint
//	uint64 .............. unsigned varint
//	bool ................ u8, 0 or 1
//	string .............. uvarint length, then the bytes
//	[16]byte, UUID ...... 16 raw bytes
//	[]int32 ............. uvarint (count+1), 0 meaning nil, then count varints
//	[][]int32 ........... uvarint count, then count []int32
//	*int32 .............. u8 present (0/1), then the varint if present
//	map[string]string ... uvarint count, then (key, value) strings sorted by key
//	map[string]*string .. uvarint count, then sorted (key string, present u8, [value string])
//	[]Endpoint .......... uvarint count, then (name, host, port, securityProtocol) each
//
// An entry must be consumed exactly: trailing bytes are corruption. Decoding
// never trusts a length: counts are checked against the bytes that remain
// before anything is allocated.
//
// Recipe for a new version N+1: add entryVersionN1, write it for every entry,
// keep decodeCommand accepting N (its decoder stays unchanged), and gate the
// first use on every voter running a binary that knows N+1 (a feature-level
// command, as Kafka's metadata.version, once there are rolling upgrades).
// Adding a command type needs no version bump, but the same gating.

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/google/uuid"
)

const entryVersion1 = 1

// cmdType is the entry's type byte. Part of the format: never renumber.
type cmdType uint8

const (
	cmdInitCluster         cmdType = 1
	cmdRegisterBroker      cmdType = 2
	cmdUnregisterBroker    cmdType = 3
	cmdFenceBroker         cmdType = 4
	cmdCreateTopic         cmdType = 5
	cmdDeleteTopic         cmdType = 6
	cmdCreatePartitions    cmdType = 7
	cmdAlterConfigs        cmdType = 8
	cmdAllocateProducerIDs cmdType = 9
	cmdChangePartition     cmdType = 10
)

// encodeCommand returns the entry bytes of cmd (pointer or value). The result
// is a new slice owned by the caller.
func encodeCommand(cmd Command) ([]byte, error) {
	e := &encoder{b: make([]byte, 0, 64)}
	e.u8(entryVersion1)
	switch c := deref(cmd).(type) {
	case InitCluster:
		e.u8(uint8(cmdInitCluster))
		e.str(c.ClusterID)
	case RegisterBroker:
		e.u8(uint8(cmdRegisterBroker))
		e.varint(int64(c.ID))
		e.str(c.Host)
		e.varint(int64(c.Port))
		e.str(c.Rack)
		e.id(c.Incarnation)
		e.endpoints(c.Endpoints)
	case UnregisterBroker:
		e.u8(uint8(cmdUnregisterBroker))
		e.varint(int64(c.ID))
	case FenceBroker:
		e.u8(uint8(cmdFenceBroker))
		e.varint(int64(c.ID))
		e.varint(c.Epoch)
		e.bool(c.Fenced)
	case CreateTopic:
		e.u8(uint8(cmdCreateTopic))
		e.str(c.Name)
		e.id(c.ID)
		e.varint(int64(c.Partitions))
		e.varint(int64(c.ReplicationFactor))
		e.assignments(c.Assignments)
		e.strMap(c.Configs)
	case DeleteTopic:
		e.u8(uint8(cmdDeleteTopic))
		e.str(c.Name)
		e.id(c.ID)
	case CreatePartitions:
		e.u8(uint8(cmdCreatePartitions))
		e.str(c.Topic)
		e.varint(int64(c.Count))
		e.assignments(c.Assignments)
	case AlterConfigs:
		e.u8(uint8(cmdAlterConfigs))
		e.varint(int64(c.Resource))
		e.str(c.Name)
		e.optStrMap(c.Set)
		e.bool(c.Replace)
	case AllocateProducerIDs:
		e.u8(uint8(cmdAllocateProducerIDs))
		e.varint(c.Count)
	case ChangePartition:
		e.u8(uint8(cmdChangePartition))
		e.str(c.Topic)
		e.varint(int64(c.Partition))
		e.optInt32(c.Leader)
		e.int32s(c.ISR)
		e.varint(int64(c.PartitionEpoch))
	default:
		return nil, fmt.Errorf("%w: unknown command type %T", ErrInvalidRequest, cmd)
	}
	return e.b, nil
}

// deref turns a pointer command into its value; a nil pointer becomes nil.
func deref(cmd Command) Command {
	switch c := cmd.(type) {
	case *InitCluster:
		if c != nil {
			return *c
		}
	case *RegisterBroker:
		if c != nil {
			return *c
		}
	case *UnregisterBroker:
		if c != nil {
			return *c
		}
	case *FenceBroker:
		if c != nil {
			return *c
		}
	case *CreateTopic:
		if c != nil {
			return *c
		}
	case *DeleteTopic:
		if c != nil {
			return *c
		}
	case *CreatePartitions:
		if c != nil {
			return *c
		}
	case *AlterConfigs:
		if c != nil {
			return *c
		}
	case *AllocateProducerIDs:
		if c != nil {
			return *c
		}
	case *ChangePartition:
		if c != nil {
			return *c
		}
	default:
		return cmd
	}
	return nil
}

// decodeCommand decodes entry bytes into a command value (never a pointer).
// Errors wrap ErrCorrupt or ErrUnsupportedVersion. The command does not alias b.
func decodeCommand(b []byte) (Command, error) {
	d := &decoder{b: b}
	ver := d.u8()
	typ := cmdType(d.u8())
	if d.err != nil {
		return nil, fmt.Errorf("%w: entry of %d bytes has no header", ErrCorrupt, len(b))
	}
	if ver != entryVersion1 {
		return nil, fmt.Errorf("%w: entry version %d (this binary knows 1)", ErrUnsupportedVersion, ver)
	}
	var cmd Command
	switch typ {
	case cmdInitCluster:
		cmd = InitCluster{ClusterID: d.str()}
	case cmdRegisterBroker:
		cmd = RegisterBroker{ID: d.int32(), Host: d.str(), Port: d.int32(), Rack: d.str(), Incarnation: d.id(), Endpoints: d.endpoints()}
	case cmdUnregisterBroker:
		cmd = UnregisterBroker{ID: d.int32()}
	case cmdFenceBroker:
		cmd = FenceBroker{ID: d.int32(), Epoch: d.varint(), Fenced: d.bool()}
	case cmdCreateTopic:
		cmd = CreateTopic{Name: d.str(), ID: d.id(), Partitions: d.int32(), ReplicationFactor: d.int16(),
			Assignments: d.assignments(), Configs: d.strMap()}
	case cmdDeleteTopic:
		cmd = DeleteTopic{Name: d.str(), ID: d.id()}
	case cmdCreatePartitions:
		cmd = CreatePartitions{Topic: d.str(), Count: d.int32(), Assignments: d.assignments()}
	case cmdAlterConfigs:
		cmd = AlterConfigs{Resource: ResourceType(d.int8()), Name: d.str(), Set: d.optStrMap(), Replace: d.bool()}
	case cmdAllocateProducerIDs:
		cmd = AllocateProducerIDs{Count: d.varint()}
	case cmdChangePartition:
		cmd = ChangePartition{Topic: d.str(), Partition: d.int32(), Leader: d.optInt32(), ISR: d.int32s(), PartitionEpoch: d.int32()}
	default:
		return nil, fmt.Errorf("%w: unknown command type %d (written by a newer Gregor?)", ErrUnsupportedVersion, typ)
	}
	if err := d.finish(); err != nil {
		return nil, fmt.Errorf("command type %d: %w", typ, err)
	}
	return cmd, nil
}

// encoder appends to b. It cannot fail.
type encoder struct{ b []byte }

func (e *encoder) u8(v uint8)       { e.b = append(e.b, v) }
func (e *encoder) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) varint(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *encoder) id(v [16]byte)    { e.b = append(e.b, v[:]...) }
func (e *encoder) str(s string)     { e.uvarint(uint64(len(s))); e.b = append(e.b, s...) }
func (e *encoder) u16(v uint16)     { e.b = binary.BigEndian.AppendUint16(e.b, v) }
func (e *encoder) bool(v bool)      { e.u8(boolByte(v)) }
func boolByte(v bool) uint8 {
	if v {
		return 1
	}
	return 0
}

func (e *encoder) int32s(v []int32) {
	if v == nil {
		e.uvarint(0)
		return
	}
	e.uvarint(uint64(len(v)) + 1)
	for _, x := range v {
		e.varint(int64(x))
	}
}

func (e *encoder) assignments(a [][]int32) {
	e.uvarint(uint64(len(a)))
	for _, r := range a {
		e.int32s(r)
	}
}

func (e *encoder) optInt32(v *int32) {
	if v == nil {
		e.u8(0)
		return
	}
	e.u8(1)
	e.varint(int64(*v))
}

func (e *encoder) strMap(m map[string]string) {
	e.uvarint(uint64(len(m)))
	for _, k := range sortedKeys(m) {
		e.str(k)
		e.str(m[k])
	}
}

func (e *encoder) optStrMap(m map[string]*string) {
	e.uvarint(uint64(len(m)))
	for _, k := range sortedKeys(m) {
		e.str(k)
		if v := m[k]; v != nil {
			e.u8(1)
			e.str(*v)
		} else {
			e.u8(0)
		}
	}
}

func (e *encoder) endpoints(eps []Endpoint) {
	e.uvarint(uint64(len(eps)))
	for _, ep := range eps {
		e.str(ep.Name)
		e.str(ep.Host)
		e.varint(int64(ep.Port))
		e.varint(int64(ep.SecurityProtocol))
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// decoder reads from b. The first error sticks: later reads return zero
// values, so callers check err once at the end (finish).
type decoder struct {
	b   []byte
	off int
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: at byte %d: %s", ErrCorrupt, d.off, fmt.Sprintf(format, args...))
	}
}

func (d *decoder) remaining() int { return len(d.b) - d.off }

func (d *decoder) finish() error {
	if d.err == nil && d.off != len(d.b) {
		d.fail("%d trailing bytes", len(d.b)-d.off)
	}
	return d.err
}

func (d *decoder) u8() uint8 {
	if d.err != nil {
		return 0
	}
	if d.remaining() < 1 {
		d.fail("truncated")
		return 0
	}
	v := d.b[d.off]
	d.off++
	return v
}

func (d *decoder) u16() uint16 {
	if d.err != nil {
		return 0
	}
	if d.remaining() < 2 {
		d.fail("truncated")
		return 0
	}
	v := binary.BigEndian.Uint16(d.b[d.off:])
	d.off += 2
	return v
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.fail("bad uvarint")
		return 0
	}
	d.off += n
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b[d.off:])
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.off += n
	return v
}

func (d *decoder) int32() int32 {
	v := d.varint()
	if v < math.MinInt32 || v > math.MaxInt32 {
		d.fail("value %d overflows int32", v)
		return 0
	}
	return int32(v)
}

func (d *decoder) int16() int16 {
	v := d.varint()
	if v < math.MinInt16 || v > math.MaxInt16 {
		d.fail("value %d overflows int16", v)
		return 0
	}
	return int16(v)
}

func (d *decoder) int8() int8 {
	v := d.varint()
	if v < math.MinInt8 || v > math.MaxInt8 {
		d.fail("value %d overflows int8", v)
		return 0
	}
	return int8(v)
}

func (d *decoder) bool() bool {
	switch d.u8() {
	case 0:
		return false
	case 1:
		return true
	default:
		d.fail("bool byte is not 0 or 1")
		return false
	}
}

func (d *decoder) id() uuid.UUID {
	var v uuid.UUID
	if d.err != nil {
		return v
	}
	if d.remaining() < 16 {
		d.fail("truncated id")
		return v
	}
	copy(v[:], d.b[d.off:])
	d.off += 16
	return v
}

// count reads a collection length and checks that at least minEach bytes per
// element remain, so a corrupt length cannot make us allocate.
func (d *decoder) count(minEach int) int {
	n := d.uvarint()
	if d.err != nil {
		return 0
	}
	if n > uint64(d.remaining()/minEach) {
		d.fail("count %d exceeds the %d bytes left", n, d.remaining())
		return 0
	}
	return int(n)
}

func (d *decoder) str() string {
	n := d.count(1)
	if d.err != nil {
		return ""
	}
	s := string(d.b[d.off : d.off+n])
	d.off += n
	return s
}

func (d *decoder) int32s() []int32 {
	n := d.uvarint()
	if d.err != nil || n == 0 {
		return nil
	}
	n--
	if n > uint64(d.remaining()) {
		d.fail("count %d exceeds the %d bytes left", n, d.remaining())
		return nil
	}
	v := make([]int32, n)
	for i := range v {
		v[i] = d.int32()
	}
	return v
}

func (d *decoder) assignments() [][]int32 {
	n := d.count(1)
	if n == 0 {
		return nil
	}
	v := make([][]int32, n)
	for i := range v {
		v[i] = d.int32s()
	}
	return v
}

func (d *decoder) optInt32() *int32 {
	if !d.bool() {
		return nil
	}
	v := d.int32()
	return &v
}

func (d *decoder) strMap() map[string]string {
	n := d.count(2)
	if n == 0 {
		return nil
	}
	m := make(map[string]string, n)
	prev := ""
	for i := 0; i < n && d.err == nil; i++ {
		k, v := d.str(), d.str()
		if i > 0 && k <= prev {
			d.fail("map keys not strictly sorted at %q", k)
		}
		m[k], prev = v, k
	}
	return m
}

func (d *decoder) optStrMap() map[string]*string {
	n := d.count(2)
	if n == 0 {
		return nil
	}
	m := make(map[string]*string, n)
	prev := ""
	for i := 0; i < n && d.err == nil; i++ {
		k := d.str()
		if i > 0 && k <= prev {
			d.fail("map keys not strictly sorted at %q", k)
		}
		prev = k
		if d.bool() {
			v := d.str()
			m[k] = &v
		} else {
			m[k] = nil
		}
	}
	return m
}

func (d *decoder) endpoints() []Endpoint {
	n := d.count(4)
	if n == 0 {
		return nil
	}
	v := make([]Endpoint, n)
	for i := range v {
		v[i] = Endpoint{Name: d.str(), Host: d.str(), Port: d.int32(), SecurityProtocol: d.int16()}
	}
	return v
}

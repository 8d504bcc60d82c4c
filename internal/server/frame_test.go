package server

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// encodeRequest frames req the way a client does (without the size prefix).
func encodeRequest(req kmsg.Request, corrID int32) []byte {
	b := kbin.AppendInt16(nil, req.Key())
	b = kbin.AppendInt16(b, req.GetVersion())
	b = kbin.AppendInt32(b, corrID)
	b = kbin.AppendNullableString(b, kmsg.StringPtr("client"))
	if req.IsFlexible() {
		b = append(b, 0)
	}
	return req.AppendTo(b)
}

func seedRequests() []kmsg.Request {
	produce := kmsg.NewPtrProduceRequest()
	produce.Version = 9
	produce.Acks = -1
	pt := kmsg.NewProduceRequestTopic()
	pt.Topic = "t"
	pp := kmsg.NewProduceRequestTopicPartition()
	pp.Records = make([]byte, 70)
	pt.Partitions = append(pt.Partitions, pp)
	produce.Topics = append(produce.Topics, pt)

	fetch := kmsg.NewPtrFetchRequest()
	fetch.Version = 12
	ft := kmsg.NewFetchRequestTopic()
	ft.Topic = "t"
	ft.Partitions = append(ft.Partitions, kmsg.NewFetchRequestTopicPartition())
	fetch.Topics = append(fetch.Topics, ft)

	meta := kmsg.NewPtrMetadataRequest()
	meta.Version = 12
	mt := kmsg.NewMetadataRequestTopic()
	mt.Topic = kmsg.StringPtr("t")
	meta.Topics = append(meta.Topics, mt)

	av := kmsg.NewPtrApiVersionsRequest()
	av.Version = 3
	av.ClientSoftwareName = "x"
	av.ClientSoftwareVersion = "1"

	ct := kmsg.NewPtrCreateTopicsRequest()
	ct.Version = 7
	ctt := kmsg.NewCreateTopicsRequestTopic()
	ctt.Topic = "t"
	ct.Topics = append(ct.Topics, ctt)

	jg := kmsg.NewPtrJoinGroupRequest()
	jg.Version = 9
	jg.Group = "g"
	jg.Protocols = append(jg.Protocols, kmsg.NewJoinGroupRequestProtocol())

	return []kmsg.Request{produce, fetch, meta, av, ct, jg}
}

func TestParseHeaderRoundTrip(t *testing.T) {
	for _, req := range seedRequests() {
		frame := encodeRequest(req, 42)
		h, rest, err := parseHeader(frame)
		if err != nil {
			t.Fatalf("%T: %v", req, err)
		}
		if h.key != req.Key() || h.version != req.GetVersion() || h.corrID != 42 || h.clientID == nil || *h.clientID != "client" {
			t.Fatalf("%T: header %+v", req, h)
		}
		got, err := decodeBody(h, rest)
		if err != nil {
			t.Fatalf("%T: %v", req, err)
		}
		if string(got.AppendTo(nil)) != string(req.AppendTo(nil)) {
			t.Fatalf("%T: body does not round-trip", req)
		}
	}
}

func TestParseHeaderRejectsShortFrames(t *testing.T) {
	for _, frame := range [][]byte{nil, {0}, {0, 3, 0, 1, 0, 0, 0}, {0, 3, 0, 1, 0, 0, 0, 1, 0, 9, 'a'}} {
		if _, _, err := parseHeader(frame); err == nil {
			t.Fatalf("frame %x parsed", frame)
		}
	}
}

// FuzzDecodeRequest feeds arbitrary frames through header parsing and body
// decoding for every API key and version kmsg knows. Invariant: no input
// panics; decoding either fails with an error or yields a request that
// encodes again. kmsg is called without the server's recover, so a decoder
// panic is found here rather than hidden.
func FuzzDecodeRequest(f *testing.F) {
	for _, req := range seedRequests() {
		f.Add(encodeRequest(req, 1))
	}
	f.Add([]byte{0, 18, 0, 99, 0, 0, 0, 1, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, frame []byte) {
		h, rest, err := parseHeader(frame)
		if err != nil {
			return
		}
		req := kmsg.RequestForKey(h.key)
		if req == nil || h.version < 0 || h.version > req.MaxVersion() {
			return
		}
		req.SetVersion(h.version)
		if req.IsFlexible() {
			r := kbin.Reader{Src: rest}
			kmsg.SkipTags(&r)
			if !r.Ok() {
				return
			}
			rest = r.Src
		}
		if err := req.ReadFrom(rest); err != nil {
			return
		}
		req.AppendTo(nil)
	})
}

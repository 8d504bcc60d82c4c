package itest

import (
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/testutil"
)

// recordsBatch builds a valid uncompressed RecordBatch v2 of n records whose
// values are "<tag>/<i>" padded to size bytes.
func recordsBatch(n, size int, tag string) []byte {
	values := make([][]byte, n)
	for i := range values {
		values[i] = make([]byte, size)
		copy(values[i], fmt.Sprintf("%s/%d/", tag, i))
	}
	return valuesBatch(values...)
}

// TestLargeMultiPartitionProduce sends produce requests big enough that the
// broker validates and appends their partitions on several goroutines. Each
// partition must get its own answer (an error for a bad or unknown
// partition does not touch the others), a partition named twice in one
// request keeps its batches in request order, and the next request on the
// connection appends after this one.
func TestLargeMultiPartitionProduce(t *testing.T) {
	b := testutil.NewBroker(t)
	createTopic(t, b.Admin(t), "par", 4, nil)
	c := dialRaw(t, b.Addr())

	const n, size = 400, 300 // about 125 KiB per batch: every request is well over the parallel threshold
	send := func(round int, parts []int32, counts []int) *kmsg.ProduceResponse {
		t.Helper()
		batches := make([][]byte, len(parts))
		for k, p := range parts {
			batches[k] = recordsBatch(counts[k], size, fmt.Sprintf("r%d-k%d-p%d", round, k, p))
		}
		return c.roundTrip(produceRequest("par", parts, batches)).(*kmsg.ProduceResponse)
	}

	// Round 0: every partition once, plus an unknown partition and a batch
	// with a bad CRC.
	parts := []int32{0, 1, 2, 3, 9, 2}
	batches := make([][]byte, len(parts))
	for p := range 4 {
		batches[p] = recordsBatch(n, size, fmt.Sprintf("r0-k%d-p%d", p, p))
	}
	batches[4] = recordsBatch(n, size, "unknown")
	batches[5] = recordsBatch(n, size, "corrupt")
	batches[5][len(batches[5])-1] ^= 0xff
	resp := c.roundTrip(produceRequest("par", parts, batches)).(*kmsg.ProduceResponse)
	got := resp.Topics[0].Partitions
	if len(got) != 6 {
		t.Fatalf("%d partition answers, want 6", len(got))
	}
	for k := range 4 {
		if got[k].Partition != int32(k) || got[k].ErrorCode != 0 || got[k].BaseOffset != 0 {
			t.Fatalf("answer %d: partition %d error %d base offset %d", k, got[k].Partition, got[k].ErrorCode, got[k].BaseOffset)
		}
	}
	if got[4].Partition != 9 || got[4].ErrorCode != kerr.UnknownTopicOrPartition.Code {
		t.Fatalf("unknown partition answered %d with %d", got[4].Partition, got[4].ErrorCode)
	}
	if got[5].Partition != 2 || got[5].ErrorCode != kerr.CorruptMessage.Code {
		t.Fatalf("corrupt batch answered %d with %d", got[5].Partition, got[5].ErrorCode)
	}

	// Rounds 1-3: partition 1 twice in each request, a big batch right
	// before a one-record one, so that appending them concurrently would
	// put the second first.
	parts = []int32{1, 1, 0, 2, 3}
	counts := []int{4 * n, 1, n, n, n}
	for round := 1; round <= 3; round++ {
		resp := send(round, parts, counts)
		for k, sp := range resp.Topics[0].Partitions {
			if sp.ErrorCode != 0 {
				t.Fatalf("round %d answer %d (partition %d): error %d", round, k, sp.Partition, sp.ErrorCode)
			}
		}
		first, second := resp.Topics[0].Partitions[0].BaseOffset, resp.Topics[0].Partitions[1].BaseOffset
		if second != first+int64(counts[0]) {
			t.Fatalf("round %d: partition 1's batches at %d and %d, want the second right after the first", round, first, second)
		}
	}

	// Each partition holds its batches in request order, densely.
	type span struct {
		tag string
		n   int
	}
	want := map[int32][]span{}
	for p := range int32(4) {
		want[p] = append(want[p], span{fmt.Sprintf("r0-k%d-p%d", p, p), n})
	}
	for round := 1; round <= 3; round++ {
		for k, p := range parts {
			want[p] = append(want[p], span{fmt.Sprintf("r%d-k%d-p%d", round, k, p), counts[k]})
		}
	}
	// expect[p][off] is the value prefix at that offset.
	expect := map[int32][]string{}
	total := 0
	for p, spans := range want {
		for _, s := range spans {
			for i := range s.n {
				expect[p] = append(expect[p], fmt.Sprintf("%s/%d/", s.tag, i))
			}
			total += s.n
		}
	}
	recs := consumeN(t, b, "par", total, kgo.FetchMaxBytes(64<<20))
	next := map[int32]int64{}
	for _, r := range recs {
		off := next[r.Partition]
		if r.Offset != off {
			t.Fatalf("partition %d: offset %d, want %d", r.Partition, r.Offset, off)
		}
		next[r.Partition]++
		w := expect[r.Partition][off]
		if string(r.Value[:len(w)]) != w {
			t.Fatalf("partition %d offset %d: value %q, want prefix %q", r.Partition, r.Offset, r.Value[:len(w)], w)
		}
	}
	for p, e := range expect {
		if next[p] != int64(len(e)) {
			t.Fatalf("partition %d: %d records, want %d", p, next[p], len(e))
		}
	}
}

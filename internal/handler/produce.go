package handler

// Produce (key 0), v0-11 advertised; v0-2 are answered UNSUPPORTED_VERSION.
//
// Versions 0-2 carry message formats v0/v1, which Gregor does not store (like
// Kafka 4.0, KIP-724); they stay advertised because librdkafka decides on
// compression support from Produce v0 being listed (KAFKA-18659).
//
//	v3  RecordBatch v2, transactional id
//	v5  log start offset in the response
//	v7  zstd allowed (UNSUPPORTED_COMPRESSION_TYPE below)
//	v8  per-record errors and an error message
//	v9  flexible
//	v10 current leader on NOT_LEADER_OR_FOLLOWER (KIP-951; not filled yet)
//	v11 KIP-890 part 1 error codes (no transactions here yet)
//
// Every partition's batch is validated before anything is appended
// (KAFKA-NOTES 2.2): exactly one v2 batch, sane sizes, CRC, offsets and
// sequences, and the records themselves (counts, offset deltas, null keys on
// compacted topics) for uncompressed batches and compacted topics; the
// idempotence check and the append are atomic per partition.
// acks=0 gets no response, acks=1 is answered after the append, acks=all
// after the high watermark passes the batch, which on a single replica means
// after the group-commit fsync covering it.

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/cluster"
	"github.com/gregor-streaming/gregor/internal/replica"
	"github.com/gregor-streaming/gregor/internal/storage"
)

func init() {
	register(api{key: 0, min: 0, max: 11, handle: handleProduce})
}

// Batch header attribute bits.
const (
	attrCodecMask     = 0x07
	attrLogAppendTime = 0x08
	attrTransactional = 0x10
	attrControl       = 0x20
	codecZstd         = 4
)

func handleProduce(h *Handler, ctx context.Context, r *Request) Reply {
	req := r.Body.(*kmsg.ProduceRequest)
	resp := req.ResponseKind().(*kmsg.ProduceResponse)

	topLevel := int16(0)
	switch {
	case r.Version < 3:
		topLevel = kerr.UnsupportedVersion.Code
	case req.Acks != 0 && req.Acks != 1 && req.Acks != -1:
		topLevel = kerr.InvalidRequiredAcks.Code
	case req.TransactionID != nil:
		// No transaction coordinator yet: InitProducerId refuses
		// transactional ids, so a client cannot legitimately get here.
		topLevel = kerr.InvalidTxnState.Code
	}

	img := h.b.Meta.Image()
	var jobs []produceJob
	resp.Topics = make([]kmsg.ProduceResponseTopic, len(req.Topics))
	for i := range req.Topics {
		rt := &req.Topics[i]
		st := &resp.Topics[i]
		*st = kmsg.NewProduceResponseTopic()
		st.Topic = rt.Topic
		st.Partitions = make([]kmsg.ProduceResponseTopicPartition, len(rt.Partitions))
		for j := range rt.Partitions {
			sp := &st.Partitions[j]
			*sp = kmsg.NewProduceResponseTopicPartition()
			sp.Partition = rt.Partitions[j].Partition
			sp.BaseOffset = -1
			sp.LogAppendTime = -1
			sp.LogStartOffset = -1
			if topLevel != 0 {
				sp.ErrorCode = topLevel
				continue
			}
			jobs = append(jobs, produceJob{topic: rt.Topic, rp: &rt.Partitions[j], sp: sp})
		}
	}
	runProduceJobs(jobs, func(j *produceJob) { h.producePartition(img, r, req.Acks, j) })
	var waits []*produceJob
	for i := range jobs {
		if jobs[i].commit != nil {
			waits = append(waits, &jobs[i])
		}
	}

	switch {
	case req.Acks == 0:
		// No response; but as in Kafka, a failure closes the connection
		// so that the client refreshes its metadata and retries.
		for _, st := range resp.Topics {
			for _, sp := range st.Partitions {
				if sp.ErrorCode != 0 {
					return Reply{Close: true}
				}
			}
		}
		return Reply{}
	case len(waits) == 0:
		return now(resp)
	}
	timeout := time.Duration(req.TimeoutMillis) * time.Millisecond
	return Reply{Wait: func() kmsg.Response {
		// The connection closing does not cut the wait short: the batch is
		// appended, and the answer says whether it became durable in time.
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
		defer cancel()
		for _, j := range waits {
			if err := j.commit.WaitCommitted(wctx, j.last); err != nil {
				j.sp.ErrorCode = errorCode(h.log, err)
				j.sp.ErrorMessage = errMessage(err)
			}
		}
		return resp
	}}
}

// produceJob is one partition of a produce request: its batch, where its
// answer goes, and, for acks=all, the partition whose commit of offset last
// the answer waits for.
type produceJob struct {
	topic  string
	rp     *kmsg.ProduceRequestTopicPartition
	sp     *kmsg.ProduceResponseTopicPartition
	commit *replica.Partition
	last   int64
}

// parallelProduceBytes is the request size from which the partitions of one
// produce request are validated and appended on several goroutines. Below
// it, a goroutine per partition costs more than it saves.
const parallelProduceBytes = 256 << 10

// runProduceJobs runs do for every job. A request that carries several
// partitions and enough bytes spreads them over up to GOMAXPROCS goroutines:
// validation, CRC and the copy into the page cache then use every core
// instead of the one reading the connection, as a broker that shards
// partitions across cores would. It returns when every job is done, so the
// next request on the connection still appends after this one. A partition
// named twice in one request keeps the sequential path, so its two batches
// are appended in request order.
func runProduceJobs(jobs []produceJob, do func(*produceJob)) {
	workers := min(len(jobs), runtime.GOMAXPROCS(0))
	if workers > 1 {
		size := 0
		for i := range jobs {
			size += len(jobs[i].rp.Records)
		}
		if size < parallelProduceBytes || hasDuplicatePartition(jobs) {
			workers = 1
		}
	}
	if workers <= 1 {
		for i := range jobs {
			do(&jobs[i])
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	var panicked atomic.Pointer[any]
	work := func() {
		for {
			i := int(next.Add(1) - 1)
			if i >= len(jobs) {
				return
			}
			do(&jobs[i])
		}
	}
	// A panic is carried back to the connection's goroutine once every
	// worker has stopped (they read the request's bytes), and its recover
	// closes only that connection.
	guarded := func() {
		defer func() {
			if v := recover(); v != nil {
				panicked.Store(&v)
			}
		}()
		work()
	}
	for range workers - 1 {
		wg.Go(guarded)
	}
	guarded()
	wg.Wait()
	if v := panicked.Load(); v != nil {
		panic(*v)
	}
}

func hasDuplicatePartition(jobs []produceJob) bool {
	type tp struct {
		t string
		p int32
	}
	seen := make(map[tp]struct{}, len(jobs))
	for i := range jobs {
		k := tp{jobs[i].topic, jobs[i].rp.Partition}
		if _, ok := seen[k]; ok {
			return true
		}
		seen[k] = struct{}{}
	}
	return false
}

// producePartition validates and appends one partition's batch and fills in
// its answer. It may run concurrently with other partitions of the request.
func (h *Handler) producePartition(img *cluster.Image, r *Request, acks int16, j *produceJob) {
	rp, sp := j.rp, j.sp
	if img.Topics[j.topic] != nil && isInternalTopic(j.topic) {
		sp.ErrorCode = kerr.InvalidTopicException.Code
		return
	}
	p, code := h.hostedPartition(img, j.topic, rp.Partition, true)
	if code != 0 {
		sp.ErrorCode = code
		return
	}
	if acks == -1 && !p.EnoughReplicas() {
		// Checked before appending, as Kafka does: with fewer in-sync
		// replicas than min.insync.replicas an acks=all write could not
		// be made as safe as promised.
		sp.ErrorCode = kerr.NotEnoughReplicas.Code
		return
	}
	b, code, err := validateProduceBatch(r.Version, rp.Records)
	if code != 0 {
		sp.ErrorCode = code
		sp.ErrorMessage = errMessage(err)
		h.log.Debug("produce batch rejected", "topic", j.topic, "partition", rp.Partition, "code", code, "err", err)
		return
	}
	if err := p.CheckTimestamps(b.FirstTimestamp, b.MaxTimestamp, time.Now().UnixMilli()); err != nil {
		sp.ErrorCode = kerr.InvalidTimestamp.Code
		sp.ErrorMessage = errMessage(err)
		return
	}
	// Record-level checks (Kafka's LogValidator): always for uncompressed
	// batches, where they cost a walk over varints; for compressed ones only
	// on compacted topics, which must refuse null keys. Other compressed
	// batches pass through untouched, without being decompressed.
	if compact := p.Log().Config().Compact(); compact || rp.Records[21+1]&attrCodecMask == 0 {
		if err := storage.ValidateRecords(rp.Records, compact); err != nil {
			sp.ErrorCode = errorCode(h.log, err)
			sp.ErrorMessage = errMessage(err)
			var nk *storage.NullKeyError
			if errors.As(err, &nk) {
				fillRecordErrors(sp, nk.Records, fmt.Sprintf("Compacted topic cannot accept message without key in topic partition %s-%d.", j.topic, rp.Partition))
			}
			return
		}
	}
	res, err := p.Append(b)
	if err != nil {
		sp.ErrorCode = errorCode(h.log, err)
		sp.ErrorMessage = errMessage(err)
		if errors.Is(err, storage.ErrCorrupt) {
			h.log.Warn("corrupt batch from client", "topic", j.topic, "partition", rp.Partition, "client", r.ClientID, "err", err)
		}
		return
	}
	if !res.Duplicate {
		metrics := h.b.Metrics
		metrics.BytesIn.WithLabelValues(j.topic).Add(float64(len(rp.Records)))
		metrics.MessagesIn.WithLabelValues(j.topic).Add(float64(res.LastOffset - res.BaseOffset + 1))
	}
	sp.BaseOffset = res.BaseOffset
	sp.LogAppendTime = res.LogAppendTime
	sp.LogStartOffset = res.LogStartOffset
	if acks == -1 {
		j.commit, j.last = p, res.LastOffset
	}
}

// validateProduceBatch checks what can be checked without the log: exactly
// one RecordBatch v2 filling the field, codec allowed at this version, fields
// a client must set correctly. CRC, offsets and size limits are checked by
// the log's append.
func validateProduceBatch(version int16, records []byte) (replica.Batch, int16, error) {
	if len(records) == 0 {
		return replica.Batch{}, kerr.InvalidRecord.Code, errors.New("no record batch")
	}
	if len(records) > 16 && records[16] != 2 {
		return replica.Batch{}, kerr.InvalidRecord.Code, fmt.Errorf("message format v%d is not supported, only v2", int8(records[16]))
	}
	hdr, err := storage.ParseBatchHeader(records)
	if err != nil {
		if errors.Is(err, storage.ErrCorrupt) {
			return replica.Batch{}, kerr.CorruptMessage.Code, err
		}
		return replica.Batch{}, kerr.InvalidRecord.Code, err
	}
	size := int64(hdr.Length) + 12
	switch {
	case hdr.Magic != 2:
		return replica.Batch{}, kerr.InvalidRecord.Code, fmt.Errorf("message format v%d is not supported, only v2", hdr.Magic)
	case size > int64(len(records)):
		return replica.Batch{}, kerr.CorruptMessage.Code, fmt.Errorf("batch length %d exceeds the %d bytes sent", size, len(records))
	case size < int64(len(records)):
		return replica.Batch{}, kerr.InvalidRecord.Code, errors.New("more than one record batch in a partition's records")
	case hdr.Attributes&attrControl != 0:
		return replica.Batch{}, kerr.InvalidRecord.Code, errors.New("clients may not send control batches")
	case hdr.Attributes&attrTransactional != 0:
		return replica.Batch{}, kerr.InvalidTxnState.Code, errors.New("transactional batch without a transaction")
	case hdr.Attributes&attrCodecMask == codecZstd && version < 7:
		return replica.Batch{}, kerr.UnsupportedCompressionType.Code, errors.New("zstd needs Produce v7 or later")
	case hdr.Attributes&attrCodecMask > codecZstd:
		return replica.Batch{}, kerr.CorruptMessage.Code, fmt.Errorf("unknown compression codec %d", hdr.Attributes&attrCodecMask)
	case hdr.Attributes&attrLogAppendTime != 0:
		return replica.Batch{}, kerr.InvalidTimestamp.Code, errors.New("producers may not set the LogAppendTime attribute")
	case hdr.ProducerID >= 0 && hdr.BaseSequence < 0:
		return replica.Batch{}, kerr.InvalidRecord.Code, errors.New("idempotent batch without a base sequence")
	}
	return replica.Batch{
		Bytes:          records,
		ProducerID:     hdr.ProducerID,
		ProducerEpoch:  hdr.ProducerEpoch,
		BaseSequence:   hdr.BaseSequence,
		LastDelta:      hdr.LastOffsetDelta,
		MaxTimestamp:   hdr.MaxTimestamp,
		FirstTimestamp: hdr.BaseTimestamp,
	}, 0, nil
}

// fillRecordErrors names the records that made a batch fail (KIP-467,
// Produce v8+), so that a client can fail those records with the batch's
// error and retry or fail the others separately. The batch-level message
// reads as Kafka's does.
func fillRecordErrors(sp *kmsg.ProduceResponseTopicPartition, records []int32, msg string) {
	shown := make([]string, 0, 3)
	for i, idx := range records {
		e := kmsg.NewProduceResponseTopicPartitionErrorRecord()
		e.RelativeOffset = idx
		e.ErrorMessage = kmsg.StringPtr(msg)
		sp.ErrorRecords = append(sp.ErrorRecords, e)
		if i < 3 {
			shown = append(shown, fmt.Sprintf("RecordError(batchIndex=%d, message='%s')", idx, msg))
		}
	}
	sp.ErrorMessage = kmsg.StringPtr(fmt.Sprintf("One or more records have been rejected due to %d record errors in total, and only showing the first three errors at most: [%s]", len(records), strings.Join(shown, ", ")))
}

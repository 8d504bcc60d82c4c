package handler

// Fetch (key 1), v4-17.
//
// Fetch v0-3 would need message formats v0/v1 (down-conversion), which Kafka
// 4.0 dropped as well; every target client uses v4+ against a 0.11+ broker.
//
//	v4  isolation level, last stable offset, aborted transactions
//	v5  log start offset
//	v7  incremental fetch sessions (KIP-227)
//	v9  current leader epoch per partition (KIP-320 fencing)
//	v11 rack id, preferred read replica (always -1 here)
//	v12 flexible; last fetched epoch
//	v13 topics by id (KIP-516)
//	v15 replica state replaces replica id
//
// Reads stop at the high watermark (read_uncommitted) or the last stable
// offset (read_committed). Partitions are walked in request order; each gets
// at most min(partition max bytes, bytes left); the first partition that has
// data returns at least one whole batch even when it exceeds both limits
// (KIP-74), after which limits are strict. With fewer than min bytes ready
// the request parks on its partitions until one of them moves its high
// watermark, the partition goes away, or max wait passes; the read loop of
// the connection is not blocked meanwhile.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/broker"
	"github.com/gregor-streaming/gregor/internal/cluster"
	"github.com/gregor-streaming/gregor/internal/replica"
	"github.com/gregor-streaming/gregor/internal/storage"
)

func init() {
	register(api{key: 1, min: 4, max: 17, handle: handleFetch})
}

// fetchPart is one partition of a fetch being answered.
type fetchPart struct {
	key      broker.SessionKey
	sp       *broker.SessionPartition // nil when sessionless
	offset   int64
	maxBytes int32
	curEpoch int32
	p        *replica.Partition
	errCode  int16
	// The data read: in memory (records) or as file ranges for sendfile
	// (ranges); size is its length either way.
	records   []byte
	ranges    []storage.Range
	size      int64
	hw, lso   int64
	logStart  int64
	readBytes int
}

type fetchState struct {
	h         *Handler
	version   int16
	committed bool // read_committed
	maxBytes  int32
	minBytes  int32
	parts     []*fetchPart
	session   *broker.FetchSession
	full      bool // the response lists every partition
	respSess  int32
}

func handleFetch(h *Handler, ctx context.Context, r *Request) Reply {
	req := r.Body.(*kmsg.FetchRequest)
	resp := req.ResponseKind().(*kmsg.FetchResponse)

	st := &fetchState{
		h:         h,
		version:   r.Version,
		committed: req.IsolationLevel == 1,
		maxBytes:  req.MaxBytes,
		minBytes:  req.MinBytes,
	}
	if limit := h.b.Config.FetchMaxBytes; limit > 0 && (st.maxBytes <= 0 || st.maxBytes > limit) {
		st.maxBytes = limit
	}
	img := h.b.Meta.Image()
	if code := st.resolveSession(img, req); code != 0 {
		resp.ErrorCode = code
		return now(resp)
	}
	ready := st.read(img)
	wait := time.Duration(req.MaxWaitMillis) * time.Millisecond
	if ready || wait <= 0 {
		out := st.respond(resp)
		if st.session != nil {
			st.session.Mu.Unlock()
		}
		return now(out)
	}
	// Park: the session (if any) stays locked until the answer is built, so
	// a second fetch on the same session waits behind this one.
	if st.session != nil {
		st.session.Mu.Unlock()
	}
	sess := st.session
	st.session = nil
	return Reply{Wait: func() kmsg.Response {
		if sess != nil {
			sess.Mu.Lock()
			defer sess.Mu.Unlock()
			st.session = sess
		}
		deadline := time.Now().Add(wait)
		wake := make(chan struct{}, 1)
		for _, fp := range st.parts {
			if fp.p != nil {
				fp.p.Watch(wake)
				defer fp.p.Unwatch(wake)
			}
		}
		// Data that arrived between the first read and the watches would
		// wake nobody: look once more now that the watches are in place.
		if st.read(h.b.Meta.Image()) {
			return st.respond(resp)
		}
		timer := time.NewTimer(wait)
		defer timer.Stop()
		for {
			select {
			case <-wake:
			case <-timer.C:
				return st.respond(resp)
			case <-ctx.Done():
				return st.respond(resp)
			}
			if st.read(h.b.Meta.Image()) || !time.Now().Before(deadline) {
				return st.respond(resp)
			}
		}
	}}
}

// resolveSession applies KIP-227 to the request and fills st.parts with the
// partitions to read. A non-zero return is a top-level error code.
func (st *fetchState) resolveSession(img *cluster.Image, req *kmsg.FetchRequest) int16 {
	sessions := st.h.b.Sessions
	id, epoch := req.SessionID, req.SessionEpoch
	if st.version < 7 {
		id, epoch = 0, -1
	}
	switch {
	case id == 0 && epoch == -1: // sessionless
		st.full = true
		st.addRequested(img, req, nil)
		return 0
	case epoch == 0: // full request, new session; a non-zero id closes that one first
		if id != 0 {
			sessions.Remove(id)
		}
		st.full = true
		s := sessions.Create()
		if s != nil {
			s.Mu.Lock()
			st.session = s
			st.respSess = s.ID
		}
		st.addRequested(img, req, s)
		return 0
	case id != 0 && epoch == -1: // close the session; this one is full
		sessions.Remove(id)
		st.full = true
		st.addRequested(img, req, nil)
		return 0
	}
	s := sessions.Get(id) // nil for id 0: an incremental request needs a session
	if s == nil {
		return kerr.FetchSessionIDNotFound.Code
	}
	s.Mu.Lock()
	if s.Epoch != epoch {
		s.Mu.Unlock()
		return kerr.InvalidFetchSessionEpoch.Code
	}
	s.Epoch++
	if s.Epoch < 1 {
		s.Epoch = 1
	}
	st.session = s
	st.respSess = s.ID
	// Forget, then add or update, then read every partition of the session.
	for _, ft := range req.ForgottenTopics {
		name, tid := ft.Topic, ft.TopicID
		if st.version >= 13 {
			if t := img.TopicsByID[tid]; t != nil {
				name = t.Name
			}
		}
		for _, p := range ft.Partitions {
			k := broker.SessionKey{Topic: name, TopicID: tid, Partition: p}
			if st.version < 13 {
				k.TopicID = [16]byte{}
			} else {
				k.Topic = ""
			}
			delete(s.Parts, k)
		}
	}
	st.addRequested(img, req, s)
	st.parts = st.parts[:0]
	kept := s.Order[:0]
	for _, k := range s.Order {
		sp := s.Parts[k]
		if sp == nil {
			continue
		}
		kept = append(kept, k)
		st.parts = append(st.parts, st.newPart(img, k, sp.FetchOffset, sp.MaxBytes, sp.CurrentLeaderEpoch, sp))
	}
	s.Order = kept
	return 0
}

// addRequested records the request's partitions in st.parts and, with a
// session, in the session.
func (st *fetchState) addRequested(img *cluster.Image, req *kmsg.FetchRequest, s *broker.FetchSession) {
	for i := range req.Topics {
		rt := &req.Topics[i]
		for j := range rt.Partitions {
			rp := &rt.Partitions[j]
			k := broker.SessionKey{Topic: rt.Topic, Partition: rp.Partition}
			if st.version >= 13 {
				k = broker.SessionKey{TopicID: rt.TopicID, Partition: rp.Partition}
			}
			curEpoch := int32(-1)
			if st.version >= 9 {
				curEpoch = rp.CurrentLeaderEpoch
			}
			var sp *broker.SessionPartition
			if s != nil {
				sp = s.Parts[k]
				if sp == nil {
					sp = &broker.SessionPartition{}
					s.Parts[k] = sp
					s.Order = append(s.Order, k)
				}
				sp.FetchOffset = rp.FetchOffset
				sp.MaxBytes = rp.PartitionMaxBytes
				sp.CurrentLeaderEpoch = curEpoch
				sp.LastFetchedEpoch = rp.LastFetchedEpoch
			}
			st.parts = append(st.parts, st.newPart(img, k, rp.FetchOffset, rp.PartitionMaxBytes, curEpoch, sp))
		}
	}
}

func (st *fetchState) newPart(img *cluster.Image, k broker.SessionKey, offset int64, maxBytes, curEpoch int32, sp *broker.SessionPartition) *fetchPart {
	fp := &fetchPart{key: k, sp: sp, offset: offset, maxBytes: maxBytes, curEpoch: curEpoch, hw: -1, lso: -1, logStart: -1}
	var t *cluster.TopicImage
	if st.version >= 13 {
		t = img.TopicsByID[k.TopicID]
	} else {
		t = img.Topics[k.Topic]
	}
	switch {
	case t == nil && st.version >= 13:
		fp.errCode = kerr.UnknownTopicID.Code
	case t == nil || k.Partition < 0 || int(k.Partition) >= len(t.Partitions):
		fp.errCode = kerr.UnknownTopicOrPartition.Code
	default:
		fp.p = st.h.b.Replicas.Get(t.Name, k.Partition)
		if fp.p == nil || fp.p.TopicID != t.ID || !fp.p.IsLeader() {
			fp.p = nil
			fp.errCode = kerr.NotLeaderForPartition.Code
		}
	}
	return fp
}

// read reads every partition once and reports whether the response should
// go now: min bytes reached, or an error to report.
func (st *fetchState) read(img *cluster.Image) bool {
	remaining := int64(st.maxBytes)
	total := int64(0)
	gotData := false
	anyErr := false
	for _, fp := range st.parts {
		if fp.p == nil {
			anyErr = true
			continue
		}
		if fp.size > 0 {
			// Data from an earlier pass stands; count it.
			total += fp.size
			remaining -= fp.size
			gotData = true
			continue
		}
		fp.errCode = 0
		if err := fp.p.CheckEpoch(fp.curEpoch); err != nil {
			fp.errCode = errorCode(st.h.log, err)
			anyErr = true
			continue
		}
		l := fp.p.Log()
		fp.hw = fp.p.HighWatermark()
		fp.lso = fp.p.LastStableOffset()
		fp.logStart = l.LogStartOffset()
		limit := fp.hw
		if st.committed {
			limit = fp.lso
		}
		if fp.offset < fp.logStart || fp.offset > l.LogEndOffset() {
			fp.errCode = kerr.OffsetOutOfRange.Code
			anyErr = true
			continue
		}
		if fp.offset >= limit {
			continue
		}
		budget := min(int64(fp.maxBytes), remaining)
		if budget <= 0 && gotData {
			continue
		}
		res, err := l.Read(fp.offset, max(budget, 0), limit, !gotData)
		if err == nil && res.Bytes > 0 {
			// Small reads are cheaper copied: sendfile costs a few
			// syscalls per response that a few kilobytes do not repay.
			if res.Bytes >= sendfileMinBytes && sendfileable(res.Ranges) {
				fp.ranges = res.Ranges
			} else {
				fp.records, err = readRanges(res)
			}
		}
		if err != nil {
			if errors.Is(err, storage.ErrOffsetOutOfRange) {
				fp.errCode = kerr.OffsetOutOfRange.Code
			} else {
				fp.errCode = errorCode(st.h.log, err)
			}
			fp.ranges, fp.records = nil, nil
			anyErr = true
			continue
		}
		if res.Bytes > 0 {
			fp.size = res.Bytes
			total += res.Bytes
			remaining -= res.Bytes
			gotData = true
		}
	}
	return anyErr || total >= int64(st.minBytes) || len(st.parts) == 0
}

// respond builds the response from the last read.
func (st *fetchState) respond(resp *kmsg.FetchResponse) kmsg.Response {
	resp.SessionID = st.respSess
	var parts [][]storage.Range
	byTopic := make(map[broker.SessionKey]int) // topic key (partition -1) -> index in resp.Topics
	for _, fp := range st.parts {
		if fp.sp != nil && !st.full {
			sp := fp.sp
			changed := fp.size > 0 || !sp.Sent || sp.HW != fp.hw || sp.LSO != fp.lso || sp.LogStart != fp.logStart || sp.ErrCode != fp.errCode
			if !changed {
				continue
			}
		}
		if fp.sp != nil {
			fp.sp.Sent, fp.sp.HW, fp.sp.LSO, fp.sp.LogStart, fp.sp.ErrCode = true, fp.hw, fp.lso, fp.logStart, fp.errCode
		}
		tk := broker.SessionKey{Topic: fp.key.Topic, TopicID: fp.key.TopicID, Partition: -1}
		ti, ok := byTopic[tk]
		if !ok {
			rt := kmsg.NewFetchResponseTopic()
			rt.Topic = fp.key.Topic
			rt.TopicID = fp.key.TopicID
			resp.Topics = append(resp.Topics, rt)
			ti = len(resp.Topics) - 1
			byTopic[tk] = ti
		}
		rp := kmsg.NewFetchResponseTopicPartition()
		rp.Partition = fp.key.Partition
		rp.ErrorCode = fp.errCode
		rp.HighWatermark = fp.hw
		rp.LastStableOffset = fp.lso
		rp.LogStartOffset = fp.logStart
		rp.PreferredReadReplica = -1
		switch {
		case fp.ranges != nil:
			rp.RecordBatches = placeholder(len(parts))
			parts = append(parts, fp.ranges)
		case fp.records != nil:
			rp.RecordBatches = fp.records
		default:
			// librdkafka rejects a null record set: send an empty one.
			rp.RecordBatches = []byte{}
		}
		if fp.size > 0 && fp.p != nil {
			st.h.b.Metrics.BytesOut.WithLabelValues(fp.p.Topic).Add(float64(fp.size))
		}
		if st.committed {
			rp.AbortedTransactions = []kmsg.FetchResponseTopicPartitionAbortedTransaction{}
		}
		resp.Topics[ti].Partitions = append(resp.Topics[ti].Partitions, rp)
	}
	// Partitions that returned data go to the back of the session's order,
	// so that the next fetch starts with the others (no starvation).
	if st.session != nil {
		returned := make(map[broker.SessionKey]bool)
		for _, fp := range st.parts {
			if fp.size > 0 {
				returned[fp.key] = true
			}
		}
		if len(returned) > 0 {
			front := make([]broker.SessionKey, 0, len(st.session.Order))
			var back []broker.SessionKey
			for _, k := range st.session.Order {
				if returned[k] {
					back = append(back, k)
				} else {
					front = append(front, k)
				}
			}
			st.session.Order = append(front, back...)
		}
	}
	if parts != nil {
		return &FileResponse{Response: resp, Parts: parts}
	}
	return resp
}

// sendfileMinBytes is the partition read size from which records are sent
// with sendfile rather than copied.
const sendfileMinBytes = 16 << 10

// sendfileable reports whether every range is in an OS file the server can
// sendfile from.
func sendfileable(rs []storage.Range) bool {
	for _, r := range rs {
		if _, ok := r.File.(interface{ Fd() uintptr }); !ok {
			return false
		}
	}
	return true
}

// readRanges reads a result's ranges into memory.
func readRanges(res storage.ReadResult) ([]byte, error) {
	buf := make([]byte, 0, res.Bytes)
	for _, r := range res.Ranges {
		n := len(buf)
		buf = buf[:n+int(r.Len)]
		if _, err := r.File.ReadAt(buf[n:], r.Pos); err != nil {
			return nil, fmt.Errorf("reading %s at %d: %w", r.File.Name(), r.Pos, err)
		}
	}
	return buf, nil
}

package handler

// DescribeProducers (key 61), v0.
//
// The idempotent producers a partition's leader remembers (KIP-664), sorted
// by producer id: id, epoch, last sequence and last timestamp. There are no
// transactions yet, so CoordinatorEpoch and CurrentTxnStartOffset are -1
// (kafka-transactions.sh find-hanging reads the latter). Unknown partitions
// are UNKNOWN_TOPIC_OR_PARTITION; partitions this broker does not lead are
// NOT_LEADER_OR_FOLLOWER.

import (
	"context"
	"slices"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/replica"
)

func init() {
	register(api{key: 61, min: 0, max: 0, handle: handleDescribeProducers})
}

func handleDescribeProducers(h *Handler, _ context.Context, r *Request) Reply {
	req := r.Body.(*kmsg.DescribeProducersRequest)
	resp := req.ResponseKind().(*kmsg.DescribeProducersResponse)
	img := h.b.Meta.Image()

	for _, rt := range req.Topics {
		st := kmsg.NewDescribeProducersResponseTopic()
		st.Topic = rt.Topic
		for _, part := range rt.Partitions {
			sp := kmsg.NewDescribeProducersResponseTopicPartition()
			sp.Partition = part
			sp.ActiveProducers = []kmsg.DescribeProducersResponseTopicPartitionActiveProducer{}
			p, code := h.hostedPartition(img, rt.Topic, part, true)
			if code != 0 {
				sp.ErrorCode = code
				st.Partitions = append(st.Partitions, sp)
				continue
			}
			infos := p.Producers()
			slices.SortFunc(infos, func(a, b replica.ProducerInfo) int {
				switch {
				case a.ProducerID < b.ProducerID:
					return -1
				case a.ProducerID > b.ProducerID:
					return 1
				}
				return 0
			})
			for _, pi := range infos {
				ap := kmsg.NewDescribeProducersResponseTopicPartitionActiveProducer()
				ap.ProducerID = pi.ProducerID
				ap.ProducerEpoch = int32(pi.ProducerEpoch)
				ap.LastSequence = pi.LastSequence
				ap.LastTimestamp = pi.LastTimestamp
				ap.CoordinatorEpoch = -1
				ap.CurrentTxnStartOffset = pi.FirstTxnOffset
				sp.ActiveProducers = append(sp.ActiveProducers, ap)
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return now(resp)
}

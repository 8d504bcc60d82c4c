package handler

// DescribeLogDirs (key 35), v0-4.
//
//	v1 same as v0 (throttling after the response)
//	v2 flexible
//	v3 top-level error code
//	v4 TotalBytes and UsableBytes of the volume per log dir (KIP-827)
//
// Gregor has one log dir, the data directory, reported by its absolute path.
// Topics null lists every partition this broker hosts; otherwise only the
// requested partitions it hosts (others are left out, as in Kafka). Size is
// the bytes of the partition's segments; OffsetLag is max(high watermark -
// log end offset, 0), which is what Kafka reports for a current (not future)
// replica; IsFuture is always false (no AlterReplicaLogDirs). Total and usable
// bytes come from statfs(2) where the platform has it, else -1.

import (
	"context"
	"path/filepath"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/replica"
)

func init() {
	register(api{key: 35, min: 0, max: 4, handle: handleDescribeLogDirs})
}

func handleDescribeLogDirs(h *Handler, _ context.Context, r *Request) Reply {
	req := r.Body.(*kmsg.DescribeLogDirsRequest)
	resp := req.ResponseKind().(*kmsg.DescribeLogDirsResponse)

	dir := h.b.Config.DataDir
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	rd := kmsg.NewDescribeLogDirsResponseDir()
	rd.Dir = dir
	rd.TotalBytes, rd.UsableBytes = -1, -1
	if r.Version >= 4 {
		if total, usable, err := volumeBytes(dir); err == nil {
			rd.TotalBytes, rd.UsableBytes = total, usable
		} else {
			h.log.Warn("cannot read the data directory's volume size", "dir", dir, "err", err)
		}
	}

	var want map[topicPartition]bool
	if req.Topics != nil {
		want = make(map[topicPartition]bool)
		for _, t := range req.Topics {
			for _, p := range t.Partitions {
				want[topicPartition{t.Topic, p}] = true
			}
		}
	}
	var parts []*replica.Partition
	for _, p := range h.b.Replicas.All() {
		if want == nil || want[topicPartition{p.Topic, p.Index}] {
			parts = append(parts, p)
		}
	}
	slices.SortFunc(parts, func(a, b *replica.Partition) int {
		if c := strings.Compare(a.Topic, b.Topic); c != 0 {
			return c
		}
		return int(a.Index) - int(b.Index)
	})
	rd.Topics = []kmsg.DescribeLogDirsResponseDirTopic{}
	for _, p := range parts {
		if n := len(rd.Topics); n == 0 || rd.Topics[n-1].Topic != p.Topic {
			rt := kmsg.NewDescribeLogDirsResponseDirTopic()
			rt.Topic = p.Topic
			rd.Topics = append(rd.Topics, rt)
		}
		l := p.Log()
		rp := kmsg.NewDescribeLogDirsResponseDirTopicPartition()
		rp.Partition = p.Index
		rp.Size = l.Size()
		rp.OffsetLag = max(p.HighWatermark()-l.LogEndOffset(), 0)
		rt := &rd.Topics[len(rd.Topics)-1]
		rt.Partitions = append(rt.Partitions, rp)
	}
	resp.Dirs = []kmsg.DescribeLogDirsResponseDir{rd}
	return now(resp)
}

package handler

// ApiVersions (key 18), v0-4.
//
// The answer is generated from the API table, so it lists exactly the APIs
// with a handler and the versions they serve. v3+ adds the client software
// name/version (ignored) and, in the response, tagged supported and finalized
// features: group.version 0-1 supported and 1 finalized (KIP-848 consumer
// groups, ConsumerGroupHeartbeat v1, are complete, state persisted included),
// with the metadata image index as the finalized-features epoch, so that it
// only grows. transaction.version comes with transactions v2.
//
// A request at a version above ours arrives with UnsupportedVersion set: it
// is answered in the v0 layout with UNSUPPORTED_VERSION and the full key list
// (KIP-511), and the client retries at our max. v0-2 clients (kafkajs,
// sarama, librdkafka) read the same list.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func init() {
	register(api{key: 18, min: 0, max: 4, handle: handleApiVersions})
}

func handleApiVersions(h *Handler, _ context.Context, r *Request) Reply {
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.Version = r.Version
	if r.UnsupportedVersion {
		resp.Version = 0
		resp.ErrorCode = kerr.UnsupportedVersion.Code
	}
	for key, a := range apis {
		if a == nil {
			continue
		}
		k := kmsg.NewApiVersionsResponseApiKey()
		k.ApiKey = int16(key)
		k.MinVersion = a.min
		k.MaxVersion = a.max
		resp.ApiKeys = append(resp.ApiKeys, k)
	}
	if resp.ErrorCode == 0 && r.Version >= 3 {
		sf := kmsg.NewApiVersionsResponseSupportedFeature()
		sf.Name, sf.MinVersion, sf.MaxVersion = "group.version", 0, 1
		resp.SupportedFeatures = append(resp.SupportedFeatures, sf)
		ff := kmsg.NewApiVersionsResponseFinalizedFeature()
		ff.Name, ff.MinVersionLevel, ff.MaxVersionLevel = "group.version", 1, 1
		resp.FinalizedFeatures = append(resp.FinalizedFeatures, ff)
		resp.FinalizedFeaturesEpoch = int64(h.b.Meta.Image().Index)
	}
	return now(resp)
}

package handler

// DescribeConfigs (key 32), v0-4.
//
//	v0 IsDefault per entry
//	v1 IncludeSynonyms; Source replaces IsDefault (KIP-226)
//	v2 same as v1
//	v3 IncludeDocumentation; ConfigType and Documentation per entry (KIP-569)
//	v4 flexible
//
// Resources, as in Kafka's ConfigHelper:
//
//   - TOPIC (2): every topic config with the value in effect and where it
//     comes from (topic override, this broker's dynamic config, the dynamic
//     cluster default, the static config, Kafka's default). An illegal name is
//     INVALID_TOPIC_EXCEPTION, an unknown topic UNKNOWN_TOPIC_OR_PARTITION.
//   - BROKER (4): name = this broker's id describes every broker config; ""
//     describes only the dynamic cluster-wide defaults that are set. Another
//     broker's id or a non-number is INVALID_REQUEST (Kafka answers only for
//     the broker asked).
//   - BROKER_LOGGER (8): Kafka lists log4j loggers; Gregor logs with slog and
//     has one logger, reported as "root" with the level it logs at (read
//     only: IncrementalAlterConfigs cannot change it).
//   - GROUP (32, KIP-848): name = a group id (the group need not exist)
//     describes the group configs, each the group's own value
//     (GROUP_CONFIG) or the broker's group.consumer.* value (DEFAULT_CONFIG);
//     an empty name is INVALID_REQUEST.
//   - anything else: INVALID_REQUEST.
//
// ConfigNames null or empty means every config; otherwise only those named
// (unknown names are left out, not errors). Synonyms are listed only when
// asked for (v1+), documentation only when asked for (v3+). Sensitive values
// are null.

import (
	"context"
	"log/slog"
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/cluster"
	"github.com/gregor-streaming/gregor/internal/config"
)

func init() {
	register(api{key: 32, min: 0, max: 4, handle: handleDescribeConfigs})
}

// Config resource types (Kafka's ConfigResource.Type ids).
const (
	resourceTopic        = kmsg.ConfigResourceType(2)
	resourceBroker       = kmsg.ConfigResourceType(4)
	resourceBrokerLogger = kmsg.ConfigResourceType(8)
	resourceGroup        = kmsg.ConfigResourceType(32)
)

// sourceBrokerLogger is DYNAMIC_BROKER_LOGGER_CONFIG.
const sourceBrokerLogger = kmsg.ConfigSource(6)

func handleDescribeConfigs(h *Handler, ctx context.Context, r *Request) Reply {
	req := r.Body.(*kmsg.DescribeConfigsRequest)
	resp := req.ResponseKind().(*kmsg.DescribeConfigsResponse)
	img := h.b.Meta.Image()
	synonyms := r.Version >= 1 && req.IncludeSynonyms
	docs := r.Version >= 3 && req.IncludeDocumentation

	for _, rr := range req.Resources {
		rs := kmsg.NewDescribeConfigsResponseResource()
		rs.ResourceType = rr.ResourceType
		rs.ResourceName = rr.ResourceName
		entries, err := h.describeResource(ctx, img, rr.ResourceType, rr.ResourceName)
		if err != nil {
			rs.ErrorCode = errorCode(h.log, err)
			rs.ErrorMessage = errMessage(err)
			rs.Configs = []kmsg.DescribeConfigsResponseResourceConfig{}
			resp.Resources = append(resp.Resources, rs)
			continue
		}
		entries = config.Filter(entries, rr.ConfigNames)
		rs.Configs = make([]kmsg.DescribeConfigsResponseResourceConfig, 0, len(entries))
		for _, e := range entries {
			rs.Configs = append(rs.Configs, describeEntry(e, synonyms, docs))
		}
		resp.Resources = append(resp.Resources, rs)
	}
	return now(resp)
}

// describeResource returns every config entry of one resource, or an error
// carrying the Kafka code (a *kerr.Error, possibly wrapped with detail).
func (h *Handler) describeResource(ctx context.Context, img *cluster.Image, typ kmsg.ConfigResourceType, name string) ([]config.Entry, error) {
	switch typ {
	case resourceTopic:
		if !validTopicName(name) {
			return nil, codeErrorf(kerr.InvalidTopicException, "topic name %q is illegal", name)
		}
		t := img.Topics[name]
		if t == nil {
			return nil, codeErrorf(kerr.UnknownTopicOrPartition, "topic %q does not exist", name)
		}
		own := strconv.Itoa(int(h.b.NodeID))
		return config.DescribeTopicAll(t.Configs, img.BrokerConfigs[own], img.BrokerConfigs[""], h.b.Config), nil
	case resourceBroker:
		if name == "" {
			return config.DescribeClusterDefault(img.BrokerConfigs[""]), nil
		}
		if err := h.checkOwnBroker(name); err != nil {
			return nil, err
		}
		// Dynamic configs are keyed by the canonical id ("01" names broker 1).
		own := strconv.Itoa(int(h.b.NodeID))
		return config.DescribeBroker(h.b.NodeID, img.BrokerConfigs[own], img.BrokerConfigs[""], h.b.Config), nil
	case resourceGroup:
		if name == "" {
			return nil, codeErrorf(kerr.InvalidRequest, "group name must not be empty")
		}
		return config.DescribeGroup(img.GroupConfigs[name], h.b.Config), nil
	case resourceBrokerLogger:
		if err := h.checkOwnBroker(name); err != nil {
			return nil, err
		}
		level := logLevelName(ctx, h.log)
		return []config.Entry{{
			Name:     "root",
			Value:    &level,
			Source:   int8(sourceBrokerLogger),
			ReadOnly: true,
			Type:     config.String,
			Doc:      "The level the broker logs at (set with the broker's log options).",
			Synonyms: []config.Synonym{{Name: "root", Value: &level, Source: int8(sourceBrokerLogger)}},
		}}, nil
	}
	return nil, codeErrorf(kerr.InvalidRequest, "unsupported config resource type %d", typ)
}

// checkOwnBroker accepts a broker resource name that is this broker's id.
func (h *Handler) checkOwnBroker(name string) error {
	id, err := strconv.ParseInt(name, 10, 32)
	if err != nil {
		return codeErrorf(kerr.InvalidRequest, "broker id must be an integer, but it is: %q", name)
	}
	if int32(id) != h.b.NodeID {
		return codeErrorf(kerr.InvalidRequest, "unexpected broker id, expected %d or empty string, but received %s", h.b.NodeID, name)
	}
	return nil
}

// describeEntry converts one config entry for the response.
func describeEntry(e config.Entry, synonyms, docs bool) kmsg.DescribeConfigsResponseResourceConfig {
	c := kmsg.NewDescribeConfigsResponseResourceConfig()
	c.Name = e.Name
	c.Value = e.Value
	if e.Sensitive {
		c.Value = nil
	}
	c.ReadOnly = e.ReadOnly
	c.IsDefault = e.Source == config.SourceDefault
	c.Source = kmsg.ConfigSource(e.Source)
	c.IsSensitive = e.Sensitive
	c.ConfigType = kmsg.ConfigType(e.Type)
	c.ConfigSynonyms = []kmsg.DescribeConfigsResponseResourceConfigConfigSynonym{}
	if synonyms {
		for _, s := range e.Synonyms {
			cs := kmsg.NewDescribeConfigsResponseResourceConfigConfigSynonym()
			cs.Name = s.Name
			cs.Value = s.Value
			if e.Sensitive {
				cs.Value = nil
			}
			cs.Source = kmsg.ConfigSource(s.Source)
			c.ConfigSynonyms = append(c.ConfigSynonyms, cs)
		}
	}
	if docs && e.Doc != "" {
		doc := e.Doc
		c.Documentation = &doc
	}
	return c
}

// logLevelName is the log4j name of the most verbose level log writes.
func logLevelName(ctx context.Context, log *slog.Logger) string {
	switch {
	case log.Enabled(ctx, slog.LevelDebug):
		return "DEBUG"
	case log.Enabled(ctx, slog.LevelInfo):
		return "INFO"
	case log.Enabled(ctx, slog.LevelWarn):
		return "WARN"
	case log.Enabled(ctx, slog.LevelError):
		return "ERROR"
	}
	return "OFF"
}

package handler

// AlterConfigs (key 33), v0-2.
//
//	v1 same as v0 (throttling after the response)
//	v2 flexible
//
// The legacy, non-incremental form: the configs given replace the resource's
// whole dynamic configuration (a name left out returns to its default; a
// null value is the same as leaving the name out, as in Kafka). Resources:
// TOPIC (its overrides), BROKER (name = a broker id for that broker's
// dynamic configs, "" for the cluster-wide defaults) and GROUP (a group id:
// its KIP-848 configs, checked against the broker's group.consumer.* bounds). Every value is checked
// with internal/config before anything is proposed: an unknown topic config,
// a bad value or a broker config that cannot change at runtime is
// INVALID_CONFIG with a message naming the config and the value. A broker
// config name Gregor does not know is stored as a custom config, as Kafka
// stores one (config.IsCustomBroker), with a log line saying it has no effect. An illegal topic name is
// INVALID_TOPIC_EXCEPTION, an unknown topic UNKNOWN_TOPIC_OR_PARTITION, a
// resource listed twice INVALID_REQUEST for each occurrence, any other
// resource type INVALID_REQUEST (Kafka answers UNSUPPORTED_VERSION for types
// it does not know at all and INVALID_REQUEST for the rest). Values are stored
// normalized ("+07" -> "7"), as DescribeConfigs reports them.
//
// Changes go through the metadata log (cluster.AlterConfigs with Replace);
// b.Propose then applies them to this broker's partitions before the answer.
// ValidateOnly stops after the checks.

import (
	"context"
	"errors"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/cluster"
	"github.com/gregor-streaming/gregor/internal/config"
)

func init() {
	register(api{key: 33, min: 0, max: 2, handle: handleAlterConfigs})
}

func handleAlterConfigs(h *Handler, ctx context.Context, r *Request) Reply {
	req := r.Body.(*kmsg.AlterConfigsRequest)
	resp := req.ResponseKind().(*kmsg.AlterConfigsResponse)
	ctx, cancel := adminTimeout(ctx, 0)
	defer cancel()

	for _, rr := range req.Resources {
		rs := kmsg.NewAlterConfigsResponseResource()
		rs.ResourceType = rr.ResourceType
		rs.ResourceName = rr.ResourceName
		err := alterOnce(req.Resources, func(x kmsg.AlterConfigsRequestResource) configResourceKey {
			return configResourceKey{x.ResourceType, x.ResourceName}
		}, rr, func() error { return h.alterConfigs(ctx, rr, req.ValidateOnly) })
		if err != nil {
			rs.ErrorCode = errorCode(h.log, err)
			rs.ErrorMessage = errMessage(err)
		}
		resp.Resources = append(resp.Resources, rs)
	}
	return now(resp)
}

// alterOnce runs apply for resource rr of an alter request, unless the
// request names that resource more than once, which Kafka refuses as
// INVALID_REQUEST for every copy (shared by AlterConfigs and
// IncrementalAlterConfigs).
func alterOnce[R any](all []R, key func(R) configResourceKey, rr R, apply func() error) error {
	k, n := key(rr), 0
	for _, x := range all {
		if key(x) == k {
			n++
		}
	}
	if n > 1 {
		return codeErrorf(kerr.InvalidRequest, "duplicate resource %s %q in the request", k.typ, k.name)
	}
	return apply()
}

// configResourceKey identifies a config resource within one request.
type configResourceKey struct {
	typ  kmsg.ConfigResourceType
	name string
}

// alterConfigs replaces one resource's dynamic configs.
func (h *Handler) alterConfigs(ctx context.Context, rr kmsg.AlterConfigsRequestResource, validateOnly bool) error {
	target, err := h.alterTarget(h.b.Meta.Image(), rr.ResourceType, rr.ResourceName)
	if err != nil {
		return err
	}
	next := make(map[string]string, len(rr.Configs))
	for _, c := range rr.Configs {
		if c.Value == nil {
			delete(next, c.Name)
			continue
		}
		next[c.Name] = *c.Value
	}
	norm, err := checkDynamicConfigs(target.res, next, h.b.Config)
	if err != nil || validateOnly {
		return err
	}
	set := make(map[string]*string, len(norm))
	for k, v := range norm {
		set[k] = &v
	}
	_, err = h.b.Propose(ctx, cluster.AlterConfigs{Resource: target.res, Name: target.name, Set: set, Replace: true})
	if err == nil {
		h.log.Info("replaced dynamic configs", "resource", rr.ResourceType.String(), "name", rr.ResourceName, "configs", len(norm))
		h.logCustomConfigs(target.res, rr.ResourceName, norm)
	}
	return err
}

// logCustomConfigs notes broker configs that were stored but that Gregor
// does not use, so that an operator's typo or a Kafka-only setting is seen.
func (h *Handler) logCustomConfigs(res cluster.ResourceType, name string, set map[string]string) {
	if res != cluster.ResourceBroker {
		return
	}
	for k := range set {
		if config.IsCustomBroker(k) {
			h.log.Info("stored a broker config Gregor does not use", "broker", name, "config", k)
		}
	}
}

// configTarget is a config resource about to be altered.
type configTarget struct {
	res  cluster.ResourceType
	name string
	// current is the resource's dynamic configuration now; it belongs to
	// the metadata image and must not be modified.
	current map[string]string
}

// alterTarget resolves a resource of an alter request against img, or
// returns the error to answer with (a *codeError).
func (h *Handler) alterTarget(img *cluster.Image, typ kmsg.ConfigResourceType, name string) (configTarget, error) {
	switch typ {
	case resourceTopic:
		if !validTopicName(name) {
			return configTarget{}, codeErrorf(kerr.InvalidTopicException, "topic name %q is illegal", name)
		}
		t := img.Topics[name]
		if t == nil {
			return configTarget{}, codeErrorf(kerr.UnknownTopicOrPartition, "topic %q does not exist", name)
		}
		return configTarget{res: cluster.ResourceTopic, name: name, current: t.Configs}, nil
	case resourceBroker:
		if name != "" && !isBrokerID(name) {
			return configTarget{}, codeErrorf(kerr.InvalidRequest, "broker id must be an integer, but it is: %q", name)
		}
		return configTarget{res: cluster.ResourceBroker, name: name, current: img.BrokerConfigs[name]}, nil
	case resourceGroup:
		if name == "" {
			return configTarget{}, codeErrorf(kerr.InvalidRequest, "group name must not be empty")
		}
		return configTarget{res: cluster.ResourceGroup, name: name, current: img.GroupConfigs[name]}, nil
	case resourceBrokerLogger:
		return configTarget{}, codeErrorf(kerr.InvalidRequest, "broker loggers cannot be altered: Gregor's log level is set at start-up")
	}
	return configTarget{}, codeErrorf(kerr.InvalidRequest, "unsupported config resource type %d", typ)
}

// isBrokerID reports whether name is a broker id in canonical decimal form.
func isBrokerID(name string) bool {
	if name == "" || len(name) > 10 || (len(name) > 1 && name[0] == '0') {
		return false
	}
	n := int64(0)
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int64(c-'0')
	}
	return n <= 1<<31-1
}

// lookupConfigDef returns the definition of a config of the resource kind.
func lookupConfigDef(res cluster.ResourceType, name string) (config.Def, bool) {
	switch res {
	case cluster.ResourceTopic:
		return config.LookupTopic(name)
	case cluster.ResourceGroup:
		return config.LookupGroup(name)
	}
	return config.LookupBroker(name)
}

// checkDynamicConfigs validates the complete dynamic configuration a change
// would leave on a resource and returns it normalized (a new map). Every
// problem is reported in one INVALID_CONFIG error whose message names each
// bad config and value.
func checkDynamicConfigs(res cluster.ResourceType, m map[string]string, static *config.Broker) (map[string]string, error) {
	var norm map[string]string
	var err error
	switch res {
	case cluster.ResourceTopic:
		norm, err = config.NormalizeTopicConfigs(m)
	case cluster.ResourceGroup:
		norm, err = config.NormalizeGroupConfigs(m, static)
	default:
		norm, err = config.NormalizeBrokerDynamic(m) // custom names kept as given
	}
	if err != nil {
		if errors.Is(err, config.ErrUnknownConfig) || errors.Is(err, config.ErrInvalidConfig) || errors.Is(err, config.ErrReadOnlyConfig) {
			return nil, &codeError{code: kerr.InvalidConfig, msg: oneLine(err.Error())}
		}
		return nil, err
	}
	return norm, nil
}

// oneLine joins the lines of an errors.Join message with "; ".
func oneLine(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			out = append(out, ';', ' ')
			continue
		}
		out = append(out, s[i])
	}
	return string(out)
}

package handler

// IncrementalAlterConfigs (key 44), v0-1.
//
//	v1 flexible
//
// Changes named configs of a resource and leaves the others (KIP-339):
// SET (0) a value, DELETE (1) an override (back to the next source), APPEND
// (2) / SUBTRACT (3) comma-separated elements to / from a LIST config
// (cleanup.policy, ...). APPEND and SUBTRACT start from the resource's
// dynamic value or, when it has none, the config's default, as Kafka's
// ConfigurationControlManager does; APPEND skips elements already present.
//
// Resources and validation are those of AlterConfigs (alterconfigs.go): the
// configuration the change would leave is checked whole, INVALID_CONFIG with
// a message naming each bad config and value. Request errors, as in Kafka:
// a resource listed twice, a config named twice in one resource, an unknown
// operation, or a null value for SET/APPEND/SUBTRACT is INVALID_REQUEST;
// APPEND/SUBTRACT on a config that is not a LIST is INVALID_CONFIG, and so
// on a custom broker config, which has no type (SET and DELETE store and
// remove it).
//
// Only the configs that change are proposed (cluster.AlterConfigs with Set);
// b.Propose applies topic changes to this broker's partitions before the
// answer. ValidateOnly stops after the checks.

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-streaming/gregor/internal/cluster"
	"github.com/gregor-streaming/gregor/internal/config"
)

func init() {
	register(api{key: 44, min: 0, max: 1, handle: handleIncrementalAlterConfigs})
}

// IncrementalAlterConfigs operations.
const (
	opSet      = kmsg.IncrementalAlterConfigOp(0)
	opDelete   = kmsg.IncrementalAlterConfigOp(1)
	opAppend   = kmsg.IncrementalAlterConfigOp(2)
	opSubtract = kmsg.IncrementalAlterConfigOp(3)
)

func handleIncrementalAlterConfigs(h *Handler, ctx context.Context, r *Request) Reply {
	req := r.Body.(*kmsg.IncrementalAlterConfigsRequest)
	resp := req.ResponseKind().(*kmsg.IncrementalAlterConfigsResponse)
	ctx, cancel := adminTimeout(ctx, 0)
	defer cancel()

	for _, rr := range req.Resources {
		rs := kmsg.NewIncrementalAlterConfigsResponseResource()
		rs.ResourceType = rr.ResourceType
		rs.ResourceName = rr.ResourceName
		err := alterOnce(req.Resources, func(x kmsg.IncrementalAlterConfigsRequestResource) configResourceKey {
			return configResourceKey{x.ResourceType, x.ResourceName}
		}, rr, func() error { return h.incrementalAlterConfigs(ctx, rr, req.ValidateOnly) })
		if err != nil {
			rs.ErrorCode = errorCode(h.log, err)
			rs.ErrorMessage = errMessage(err)
		}
		resp.Resources = append(resp.Resources, rs)
	}
	return now(resp)
}

// incrementalAlterConfigs applies one resource's operations.
func (h *Handler) incrementalAlterConfigs(ctx context.Context, rr kmsg.IncrementalAlterConfigsRequestResource, validateOnly bool) error {
	target, err := h.alterTarget(h.b.Meta.Image(), rr.ResourceType, rr.ResourceName)
	if err != nil {
		return err
	}
	next, err := applyConfigOps(target.res, target.current, rr.Configs)
	if err != nil {
		return err
	}
	norm, err := checkDynamicConfigs(target.res, next, h.b.Config)
	if err != nil || validateOnly {
		return err
	}
	set := configDiff(target.current, norm)
	if len(set) == 0 {
		return nil
	}
	_, err = h.b.Propose(ctx, cluster.AlterConfigs{Resource: target.res, Name: target.name, Set: set})
	if err == nil {
		h.log.Info("altered dynamic configs", "resource", rr.ResourceType.String(), "name", rr.ResourceName, "changed", slices.Sorted(maps.Keys(set)))
		for k, v := range set {
			if v != nil {
				h.logCustomConfigs(target.res, rr.ResourceName, map[string]string{k: *v})
			}
		}
	}
	return err
}

// applyConfigOps returns the dynamic configuration that results from applying
// ops, in order, to current (which is not modified). Errors are *codeError.
func applyConfigOps(res cluster.ResourceType, current map[string]string, ops []kmsg.IncrementalAlterConfigsRequestResourceConfig) (map[string]string, error) {
	names := make(map[string]bool, len(ops))
	for _, op := range ops {
		if names[op.Name] {
			return nil, codeErrorf(kerr.InvalidRequest, "config %q appears more than once for the resource", op.Name)
		}
		names[op.Name] = true
	}
	next := maps.Clone(current)
	if next == nil {
		next = make(map[string]string)
	}
	for _, op := range ops {
		if op.Op < opSet || op.Op > opSubtract {
			return nil, codeErrorf(kerr.InvalidRequest, "unknown operation %d for config %q", op.Op, op.Name)
		}
		if op.Op != opDelete && op.Value == nil {
			return nil, codeErrorf(kerr.InvalidRequest, "null value not supported for %s of config %q", op.Op, op.Name)
		}
		def, ok := lookupConfigDef(res, op.Name)
		custom := !ok && res == cluster.ResourceBroker && (op.Op == opSet || op.Op == opDelete)
		if !ok && !custom {
			// A custom broker config can be set and deleted; with no
			// type it has no list to append to, as in Kafka.
			kind := "topic"
			switch res {
			case cluster.ResourceBroker:
				kind = "broker"
			case cluster.ResourceGroup:
				kind = "group"
			}
			return nil, codeErrorf(kerr.InvalidConfig, "unknown %s config %q", kind, op.Name)
		}
		switch op.Op {
		case opSet:
			next[op.Name] = *op.Value
		case opDelete:
			delete(next, op.Name)
		case opAppend, opSubtract:
			if def.Type != config.List {
				return nil, codeErrorf(kerr.InvalidConfig, "can't %s to key %s because its type is not LIST", op.Op, op.Name)
			}
			base, ok := next[op.Name]
			if !ok && !def.NullDefault {
				base = def.Default
			}
			next[op.Name] = applyListOp(base, *op.Value, op.Op == opAppend)
		}
	}
	return next, nil
}

// applyListOp appends (or subtracts) the comma-separated elements of value
// to (from) the list base. Elements are trimmed and empty ones dropped;
// appending keeps base's order and adds only elements not yet present.
func applyListOp(base, value string, appendOp bool) string {
	list := splitConfigList(base)
	for _, v := range splitConfigList(value) {
		switch {
		case appendOp && !slices.Contains(list, v):
			list = append(list, v)
		case !appendOp:
			list = slices.DeleteFunc(list, func(x string) bool { return x == v })
		}
	}
	return strings.Join(list, ",")
}

func splitConfigList(s string) []string {
	var out []string
	for _, e := range strings.Split(s, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

// configDiff returns the changes that turn current into next: changed or
// new names with their values, removed names with nil.
func configDiff(current, next map[string]string) map[string]*string {
	set := make(map[string]*string)
	for k, v := range next {
		if old, ok := current[k]; !ok || old != v {
			set[k] = &v
		}
	}
	for k := range current {
		if _, ok := next[k]; !ok {
			set[k] = nil
		}
	}
	return set
}

package config

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Group configs (KIP-848, Kafka 4.0): DescribeConfigs and (Incremental)
// AlterConfigs on a GROUP resource, named by group id, set a consumer
// group's session timeout and heartbeat interval in place of the broker's
// group.consumer.* values. Kafka's share.* group configs are not defined:
// Gregor has no share groups.

// SourceGroup is GROUP_CONFIG: a group's own config.
const SourceGroup int8 = 8

// groupTable holds the group configs. Their defaults are the broker's
// group.consumer.* values, so Default here is Kafka's default of that broker
// property.
var groupTable = []Def{
	withDoc(int32Def("consumer.session.timeout.ms", 45000, 1),
		"The timeout to detect client failures when using the consumer group protocol."),
	withDoc(int32Def("consumer.heartbeat.interval.ms", 5000, 1),
		"The heartbeat interval given to the members of a consumer group."),
}

func withDoc(d Def, doc string) Def {
	d.Doc = doc
	return d
}

// GroupDefs returns the group configs, sorted by name.
func GroupDefs() []Def {
	out := slices.Clone(groupTable)
	slices.SortFunc(out, func(a, b Def) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// LookupGroup returns the group config called name.
func LookupGroup(name string) (Def, bool) {
	i := slices.IndexFunc(groupTable, func(d Def) bool { return d.Name == name })
	if i < 0 {
		return Def{}, false
	}
	return groupTable[i], true
}

// groupDefault is the value a group config takes when the group does not set
// it: the broker's group.consumer.* property.
func groupDefault(name string, static *Broker) int64 {
	if static == nil {
		static = DefaultBroker()
	}
	switch name {
	case "consumer.session.timeout.ms":
		return static.GroupConsumerSessionTimeoutMs
	case "consumer.heartbeat.interval.ms":
		return static.GroupConsumerHeartbeatMs
	}
	return 0
}

// NormalizeGroupConfigs checks a group's complete set of configs against the
// broker's bounds, as Kafka's GroupConfig.validate does: an unknown name is
// an *UnknownError, a value outside group.consumer.min/max.* a *ValueError,
// and the session timeout must exceed the heartbeat interval (each taking the
// broker's value when the group does not set it). It returns the values
// normalized. m is not modified.
func NormalizeGroupConfigs(m map[string]string, static *Broker) (map[string]string, error) {
	if static == nil {
		static = DefaultBroker()
	}
	norm, errs := normalizeKnown(m, LookupGroup, "group")
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	bound := func(name string, lo, hi int64, loName, hiName string) {
		v, ok := norm[name]
		if !ok {
			return
		}
		switch n := parseInt(v); {
		case n < lo:
			errs = append(errs, &ValueError{Name: name, Value: v, Reason: "must be greater than or equal to " + loName + " (" + strconv.FormatInt(lo, 10) + ")"})
		case n > hi:
			errs = append(errs, &ValueError{Name: name, Value: v, Reason: "must be less than or equal to " + hiName + " (" + strconv.FormatInt(hi, 10) + ")"})
		}
	}
	bound("consumer.heartbeat.interval.ms", static.GroupConsumerMinHeartbeatMs, static.GroupConsumerMaxHeartbeatMs,
		"group.consumer.min.heartbeat.interval.ms", "group.consumer.max.heartbeat.interval.ms")
	bound("consumer.session.timeout.ms", static.GroupConsumerMinSessionTimeout, static.GroupConsumerMaxSessionTimeout,
		"group.consumer.min.session.timeout.ms", "group.consumer.max.session.timeout.ms")
	if len(errs) == 0 {
		session, heartbeat := ResolveGroup(norm, static)
		if session <= heartbeat {
			name := "consumer.session.timeout.ms"
			v, ok := norm[name]
			if !ok {
				name, v = "consumer.heartbeat.interval.ms", norm["consumer.heartbeat.interval.ms"]
			}
			errs = append(errs, &ValueError{Name: name, Value: v, Reason: "consumer.session.timeout.ms must be greater than consumer.heartbeat.interval.ms"})
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return norm, nil
}

// ResolveGroup returns a consumer group's session timeout and heartbeat
// interval: its own configs (m, as stored), else the broker's. Values that do
// not parse count as unset.
func ResolveGroup(m map[string]string, static *Broker) (session, heartbeat time.Duration) {
	get := func(name string) time.Duration {
		ms := groupDefault(name, static)
		if v, ok := m[name]; ok {
			if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32); err == nil && n > 0 {
				ms = n
			}
		}
		return time.Duration(ms) * time.Millisecond
	}
	return get("consumer.session.timeout.ms"), get("consumer.heartbeat.interval.ms")
}

// DescribeGroup returns what DescribeConfigs reports for a group: every group
// config, GROUP_CONFIG where the group sets it, else the broker's value as
// DEFAULT_CONFIG (Kafka reports no broker synonym for these names).
func DescribeGroup(m map[string]string, static *Broker) []Entry {
	out := make([]Entry, 0, len(groupTable))
	for _, d := range GroupDefs() {
		e := Entry{Name: d.Name, Type: d.Type, Doc: d.Doc, Source: SourceDefault, IsDefault: true}
		v := strconv.FormatInt(groupDefault(d.Name, static), 10)
		if set, ok := m[d.Name]; ok {
			v = set
			e.Source, e.IsDefault = SourceGroup, false
			e.Synonyms = []Synonym{{Name: d.Name, Value: &v, Source: SourceGroup}}
		}
		e.Value = &v
		out = append(out, e)
	}
	return out
}

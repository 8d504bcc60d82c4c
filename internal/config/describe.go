package config

import (
	"slices"
	"strconv"
	"strings"
)

// Entry is one config as DescribeConfigs reports it.
type Entry struct {
	Name string
	// Value is the value in effect, normalized; nil for sensitive configs
	// and for broker properties whose value is null (unset, no default).
	Value     *string
	Source    int8 // Source* constant: where Value came from
	ReadOnly  bool
	Sensitive bool
	IsDefault bool // Source == SourceDefault (DescribeConfigs v0's is_default)
	Type      Type
	Doc       string
	// Synonyms are every source that sets this config, highest precedence
	// first; Synonyms[0] (when present) is the one in effect. For topics:
	// the topic override, then for each source (per-broker dynamic, cluster
	// dynamic default, static, default) the broker names in group order.
	Synonyms []Synonym
}

// Synonym is one source of a config value.
type Synonym struct {
	Name   string
	Value  *string // nil for sensitive configs
	Source int8
}

// layers are the sources of configuration, highest precedence first.
type layers struct {
	topic          map[string]string // topic overrides
	perBroker      map[string]string // dynamic, this broker
	clusterDefault map[string]string // dynamic, all brokers
	static         *Broker           // nil: none
}

// brokerSynonyms lists every source that sets one of the broker names in
// group, in Kafka's order: per-broker dynamic, dynamic default, static,
// default; within each, the group's order. Values that do not validate are
// skipped and returned as errors. The synonym's index into group is kept
// so callers can convert units.
func (l layers) brokerSynonyms(group []synonym) (syns []Synonym, which []synonym, errs []error) {
	addMap := func(m map[string]string, src int8) {
		for _, s := range group {
			v, ok := m[s.name]
			if !ok {
				continue
			}
			bd, known := lookupBrokerDef(s.name)
			if !known {
				continue
			}
			n, err := bd.Normalize(v)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			syns = append(syns, Synonym{Name: s.name, Value: &n, Source: src})
			which = append(which, s)
		}
	}
	addMap(l.perBroker, SourceDynamicBroker)
	addMap(l.clusterDefault, SourceDynamicDefaultBroker)
	if l.static != nil {
		for _, s := range group {
			bd, ok := lookupBrokerDef(s.name)
			if !ok {
				continue
			}
			v, ok := l.static.staticValue(bd)
			if !ok {
				continue
			}
			n, err := bd.Normalize(v)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			syns = append(syns, Synonym{Name: s.name, Value: &n, Source: SourceStaticBroker})
			which = append(which, s)
		}
	}
	for _, s := range group {
		bd, ok := lookupBrokerDef(s.name)
		if !ok || bd.NullDefault {
			continue
		}
		v := bd.Default
		syns = append(syns, Synonym{Name: s.name, Value: &v, Source: SourceDefault})
		which = append(which, s)
	}
	return syns, which, errs
}

// topicEntry resolves one topic config. The returned Entry always has a
// non-nil Value.
func (l layers) topicEntry(d Def) (Entry, []error) {
	var errs []error
	var syns []Synonym
	var value string
	found := false
	if v, ok := l.topic[d.Name]; ok {
		n, err := d.Normalize(v)
		if err != nil {
			errs = append(errs, err)
		} else {
			syns = append(syns, Synonym{Name: d.Name, Value: &n, Source: SourceDynamicTopic})
			value, found = n, true
		}
	}
	if d.BrokerName != "" {
		bs, which, bErrs := l.brokerSynonyms(groupOf(d.BrokerName))
		errs = append(errs, bErrs...)
		// The broker value must also be acceptable for the topic config
		// (log.roll.ms=0 cannot become segment.ms); skip any that is not.
		for i := 0; i < len(bs) && !found; i++ {
			n, err := d.Normalize(which[i].convert(*bs[i].Value))
			if err != nil {
				errs = append(errs, err)
				continue
			}
			value, found = n, true
			bs = bs[i:]
		}
		if found {
			syns = append(syns, bs...)
		}
	}
	src := SourceDefault
	if !found {
		value = d.Default
		syns = nil
	} else {
		src = syns[0].Source
	}
	return Entry{
		Name:      d.Name,
		Value:     &value,
		Source:    src,
		IsDefault: src == SourceDefault,
		Type:      d.Type,
		Doc:       d.Doc,
		Synonyms:  syns,
	}, errs
}

// DescribeTopic returns every topic config, sorted by name, as
// DescribeConfigs reports it for a TOPIC resource: the value in effect, its
// source, and the synonyms. overrides are the topic's configs, brokerDynamic
// this broker's dynamic config (see DescribeTopicAll for the cluster-wide
// dynamic default), static the static broker configuration (nil: defaults).
// Values that do not validate are skipped as ResolveTopic skips them.
// Callers filter by requested names and drop Synonyms / Doc when the request
// does not ask for them.
//
// One deliberate difference from Kafka: Kafka drops the broker synonyms of
// retention.ms and segment.ms that come before log.retention.ms / log.roll.ms
// in its list, so a topic whose retention comes from log.retention.hours=24
// in server.properties is reported as DEFAULT_CONFIG. Gregor reports
// STATIC_BROKER_CONFIG with the log.retention.hours synonym, which is what
// is in effect.
func DescribeTopic(overrides, brokerDynamic map[string]string, static *Broker) []Entry {
	return DescribeTopicAll(overrides, brokerDynamic, nil, static)
}

// DescribeTopicAll is DescribeTopic with the cluster-wide dynamic broker
// default (DYNAMIC_DEFAULT_BROKER_CONFIG) as well.
func DescribeTopicAll(overrides, perBroker, clusterDefault map[string]string, static *Broker) []Entry {
	l := layers{topic: overrides, perBroker: perBroker, clusterDefault: clusterDefault, static: static}
	out := make([]Entry, 0, len(topicTable))
	for _, d := range topicTable {
		e, _ := l.topicEntry(d)
		out = append(out, e)
	}
	return out
}

// DescribeBroker returns every broker property, sorted by name, as
// DescribeConfigs reports it for the BROKER resource of node nodeID: the
// value in effect (per-broker dynamic > cluster dynamic default > static >
// default), its source, read-only and sensitive flags and synonyms. For the
// names of a synonym group (log.retention.ms/.minutes/.hours, ...) the
// synonyms start at the described name, as in Kafka. node.id and broker.id
// report nodeID. Invalid dynamic values are skipped.
func DescribeBroker(nodeID int32, perBroker, clusterDefault map[string]string, static *Broker) []Entry {
	l := layers{perBroker: perBroker, clusterDefault: clusterDefault, static: static}
	defs := BrokerDefs()
	out := make([]Entry, 0, len(defs))
	for _, d := range defs {
		syns, _, _ := l.brokerSynonyms(groupOf(d.Name))
		// Drop synonyms of higher-precedence names: describing
		// log.retention.hours shows its own sources only.
		for len(syns) > 0 && syns[0].Name != d.Name {
			syns = syns[1:]
		}
		e := Entry{Name: d.Name, ReadOnly: d.ReadOnly, Sensitive: d.Sensitive, Type: d.Type, Doc: d.Doc, Source: SourceDefault}
		if len(syns) > 0 {
			e.Value = syns[0].Value
			e.Source = syns[0].Source
			e.Synonyms = syns
		}
		if d.Name == "node.id" || d.Name == "broker.id" {
			v := strconv.Itoa(int(nodeID))
			e.Value = &v
		}
		e.IsDefault = e.Source == SourceDefault
		if d.Sensitive {
			e.Value = nil
			for i := range e.Synonyms {
				e.Synonyms[i].Value = nil
			}
		}
		out = append(out, e)
	}
	out = append(out, describeCustomBroker(perBroker, clusterDefault)...)
	slices.SortFunc(out, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// describeCustomBroker returns the entries of the custom (IsCustomBroker)
// configs set in perBroker or clusterDefault, the per-broker one in effect.
// As in Kafka, a config of unknown type is treated as sensitive: its value
// is never shown.
func describeCustomBroker(perBroker, clusterDefault map[string]string) []Entry {
	var out []Entry
	seen := map[string]bool{}
	for _, l := range []struct {
		m   map[string]string
		src int8
	}{{perBroker, SourceDynamicBroker}, {clusterDefault, SourceDynamicDefaultBroker}} {
		for _, name := range sortedKeys(l.m) {
			if !IsCustomBroker(name) {
				continue
			}
			syn := Synonym{Name: name, Source: l.src}
			if seen[name] {
				i := slices.IndexFunc(out, func(e Entry) bool { return e.Name == name })
				out[i].Synonyms = append(out[i].Synonyms, syn)
				continue
			}
			seen[name] = true
			out = append(out, Entry{Name: name, Source: l.src, Sensitive: true, Type: Unknown,
				Doc: "A custom config: Gregor stores and reports it but does not use it.", Synonyms: []Synonym{syn}})
		}
	}
	return out
}

// DescribeClusterDefault returns the entries of the cluster-wide default
// BROKER resource (resource name ""): only the properties set in
// clusterDefault, each with source DYNAMIC_DEFAULT_BROKER_CONFIG, sorted by
// name. Invalid values are skipped; custom names are described as
// describeCustomBroker does.
func DescribeClusterDefault(clusterDefault map[string]string) []Entry {
	out := describeCustomBroker(nil, clusterDefault)
	for _, name := range sortedKeys(clusterDefault) {
		bd, ok := lookupBrokerDef(name)
		if !ok {
			continue // custom: described above
		}
		n, err := bd.Normalize(clusterDefault[name])
		if err != nil {
			continue
		}
		var v *string
		if !bd.Sensitive {
			v = &n
		}
		out = append(out, Entry{
			Name: name, Value: v, Source: SourceDynamicDefaultBroker, ReadOnly: bd.ReadOnly,
			Sensitive: bd.Sensitive, Type: bd.Type, Doc: bd.Doc,
			Synonyms: []Synonym{{Name: name, Value: v, Source: SourceDynamicDefaultBroker}},
		})
	}
	slices.SortFunc(out, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Filter returns the entries whose names are in names, in the order of
// entries; nil or empty names returns all of them (DescribeConfigs' null
// config list). The result shares nothing with entries' backing array.
func Filter(entries []Entry, names []string) []Entry {
	if len(names) == 0 {
		return slices.Clone(entries)
	}
	var out []Entry
	for _, e := range entries {
		if slices.Contains(names, e.Name) {
			out = append(out, e)
		}
	}
	return out
}

// String renders an entry for logs and tests:
// "retention.ms=86400000 (STATIC_BROKER_CONFIG) [log.retention.hours=24 STATIC_BROKER_CONFIG, ...]".
func (e Entry) String() string {
	var sb strings.Builder
	sb.WriteString(e.Name)
	sb.WriteByte('=')
	sb.WriteString(strOrNull(e.Value))
	sb.WriteString(" (" + SourceName(e.Source) + ")")
	if len(e.Synonyms) > 0 {
		sb.WriteString(" [")
		for i, s := range e.Synonyms {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(s.Name + "=" + strOrNull(s.Value) + " " + SourceName(s.Source))
		}
		sb.WriteString("]")
	}
	return sb.String()
}

func strOrNull(p *string) string {
	if p == nil {
		return "null"
	}
	return *p
}

// SourceName returns Kafka's name for a config source ("DYNAMIC_TOPIC_CONFIG").
func SourceName(src int8) string {
	switch src {
	case SourceDynamicTopic:
		return "DYNAMIC_TOPIC_CONFIG"
	case SourceDynamicBroker:
		return "DYNAMIC_BROKER_CONFIG"
	case SourceDynamicDefaultBroker:
		return "DYNAMIC_DEFAULT_BROKER_CONFIG"
	case SourceStaticBroker:
		return "STATIC_BROKER_CONFIG"
	case SourceDefault:
		return "DEFAULT_CONFIG"
	case SourceGroup:
		return "GROUP_CONFIG"
	}
	return "UNKNOWN"
}

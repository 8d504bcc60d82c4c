package config

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Type is a config's data type as DescribeConfigs v3+ reports it. The values
// are Kafka's (and kmsg.ConfigType's), so a handler may convert with
// kmsg.ConfigType(t).
type Type int

// Config types, numbered as in DescribeConfigsResponse.ConfigType.
const (
	Unknown  Type = 0
	Boolean  Type = 1
	String   Type = 2
	Int      Type = 3
	Short    Type = 4
	Long     Type = 5
	Double   Type = 6
	List     Type = 7
	Class    Type = 8
	Password Type = 9
)

// String returns Kafka's upper-case name for t ("LONG").
func (t Type) String() string {
	switch t {
	case Boolean:
		return "BOOLEAN"
	case String:
		return "STRING"
	case Int:
		return "INT"
	case Short:
		return "SHORT"
	case Long:
		return "LONG"
	case Double:
		return "DOUBLE"
	case List:
		return "LIST"
	case Class:
		return "CLASS"
	case Password:
		return "PASSWORD"
	}
	return "UNKNOWN"
}

// Config sources as DescribeConfigs v1+ reports them (kmsg.ConfigSource).
const (
	SourceUnknown              int8 = 0
	SourceDynamicTopic         int8 = 1 // DYNAMIC_TOPIC_CONFIG: a topic override
	SourceDynamicBroker        int8 = 2 // DYNAMIC_BROKER_CONFIG: set at runtime for one broker
	SourceDynamicDefaultBroker int8 = 3 // DYNAMIC_DEFAULT_BROKER_CONFIG: set at runtime for all brokers
	SourceStaticBroker         int8 = 4 // STATIC_BROKER_CONFIG: flags, env or config file
	SourceDefault              int8 = 5 // DEFAULT_CONFIG: Kafka's default
)

// Def describes one configuration: its Kafka name, type, default and rules.
// Defs are values; the slices returned by TopicDefs and BrokerDefs are fresh
// copies the caller owns.
type Def struct {
	// Name is the Kafka name, for example "retention.ms".
	Name string
	// Type is the DescribeConfigs type.
	Type Type
	// Default is Kafka's default rendered as DescribeConfigs renders it
	// ("604800000", "delete", "true", "0.5"). When NullDefault is set Kafka's
	// default is null: Default is "" and DescribeConfigs reports a null value.
	Default     string
	NullDefault bool
	// Doc is one line of documentation.
	Doc string
	// BrokerName, for topic configs, is the broker property that provides the
	// default ("log.retention.ms"); "" if there is none. For broker configs it
	// is "".
	BrokerName string
	// Validate returns nil for an acceptable value, or a *ValueError naming
	// the value and what was expected. Surrounding white space is ignored, as
	// Kafka trims values before parsing them.
	Validate func(string) error
	// ReadOnly is set for broker configs that cannot change at runtime
	// (DescribeConfigs' read_only). Topic configs are never read-only.
	ReadOnly bool
	// Sensitive values (passwords) are never reported: DescribeConfigs shows
	// them as null.
	Sensitive bool

	// normalize parses v and renders it the way Kafka renders the parsed
	// value (trimmed, "+5" -> "5", "TRUE" -> "true", "1" -> "1.0" for
	// doubles, list elements trimmed).
	normalize func(string) (string, error)
}

// Normalize validates v and returns it in the canonical form DescribeConfigs
// reports: surrounding white space removed, numbers re-rendered ("+07" ->
// "7"), booleans lower-cased, list elements trimmed. Store the normalized
// form. Errors are *ValueError.
func (d Def) Normalize(v string) (string, error) {
	if d.normalize == nil {
		return strings.TrimSpace(v), nil
	}
	return d.normalize(v)
}

// DefaultValue returns Default as a *string: nil when Kafka's default is null.
func (d Def) DefaultValue() *string {
	if d.NullDefault {
		return nil
	}
	s := d.Default
	return &s
}

// withNormalizer sets normalize and the matching Validate.
func (d Def) withNormalizer(n func(string) (string, error)) Def {
	d.normalize = n
	d.Validate = func(v string) error { _, err := n(v); return err }
	return d
}

// Value kinds shared by the topic and broker tables. Each returns a Def with
// Name, Type, Default and the normalizer set; callers add Doc and the rest.

// typeBounds returns the range representable by an integer type.
func typeBounds(t Type) (lo, hi int64, noun string) {
	switch t {
	case Short:
		return math.MinInt16, math.MaxInt16, "a short"
	case Int:
		return math.MinInt32, math.MaxInt32, "an int"
	default:
		return math.MinInt64, math.MaxInt64, "a long"
	}
}

// rangeText renders the expectation for an integer in [lo, hi] of type t.
func rangeText(t Type, lo, hi int64) string {
	tlo, thi, noun := typeBounds(t)
	switch {
	case lo <= tlo && hi >= thi:
		return "must be " + noun
	case hi >= thi:
		return fmt.Sprintf("must be %s >= %d", noun, lo)
	case lo <= tlo:
		return fmt.Sprintf("must be %s <= %d", noun, hi)
	}
	return fmt.Sprintf("must be %s in [%d, %d]", noun, lo, hi)
}

// intNorm returns a normalizer for an Int, Short or Long in [lo, hi] (clipped
// to the type's range). reason, if not empty, replaces the generated
// expectation text.
func intNorm(name string, t Type, lo, hi int64, reason string) func(string) (string, error) {
	tlo, thi, _ := typeBounds(t)
	lo, hi = max(lo, tlo), min(hi, thi)
	if reason == "" {
		reason = rangeText(t, lo, hi)
	}
	return func(v string) (string, error) {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < lo || n > hi {
			return "", &ValueError{Name: name, Value: v, Reason: reason}
		}
		return strconv.FormatInt(n, 10), nil
	}
}

func intDef(name string, t Type, def int64, lo, hi int64) Def {
	d := Def{Name: name, Type: t, Default: strconv.FormatInt(def, 10)}
	return d.withNormalizer(intNorm(name, t, lo, hi, ""))
}

// longDef, int32Def and shortDef define integers of at least lo.
func longDef(name string, def, lo int64) Def  { return intDef(name, Long, def, lo, math.MaxInt64) }
func int32Def(name string, def, lo int64) Def { return intDef(name, Int, def, lo, math.MaxInt64) }
func shortDef(name string, def, lo int64) Def { return intDef(name, Short, def, lo, math.MaxInt64) }

// nullInt is an integer config whose Kafka default is null.
func nullInt(name string, t Type, lo int64) Def {
	d := intDef(name, t, 0, lo, math.MaxInt64)
	d.Default, d.NullDefault = "", true
	return d
}

func boolDef(name string, def bool) Def {
	d := Def{Name: name, Type: Boolean, Default: strconv.FormatBool(def)}
	return d.withNormalizer(func(v string) (string, error) {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true":
			return "true", nil
		case "false":
			return "false", nil
		}
		return "", &ValueError{Name: name, Value: v, Reason: "must be true or false"}
	})
}

// doubleDef is a Double in [lo, hi]; def is rendered Java-style.
func doubleDef(name string, def, lo, hi float64) Def {
	d := Def{Name: name, Type: Double, Default: javaDouble(def)}
	var reason string
	switch {
	case hi == math.MaxFloat64:
		reason = fmt.Sprintf("must be a double >= %s", javaDouble(lo))
	default:
		reason = fmt.Sprintf("must be a double in [%s, %s]", javaDouble(lo), javaDouble(hi))
	}
	return d.withNormalizer(func(v string) (string, error) {
		s := strings.TrimSpace(v)
		f, err := strconv.ParseFloat(s, 64)
		// ParseFloat accepts hex floats, "inf" and "nan"; Java's parser
		// accepts other spellings. Allow only plain decimal notation.
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < lo || f > hi ||
			strings.ContainsAny(s, "xXpP_") {
			return "", &ValueError{Name: name, Value: v, Reason: reason}
		}
		return javaDouble(f), nil
	})
}

// javaDouble renders f as Java's Double.toString does: "0.5", "1.0",
// "1.0E-4", "1.7976931348623157E308".
func javaDouble(f float64) string {
	if f == 0 {
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	a := math.Abs(f)
	if a >= 1e-3 && a < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'E', -1, 64) // "1E-04", "1.7976931348623157E+308"
	mant, exp, _ := strings.Cut(s, "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}

// enumDef is a String that must be one of allowed (case-sensitive, as
// Kafka's ValidString).
func enumDef(name, def string, allowed ...string) Def {
	d := Def{Name: name, Type: String, Default: def}
	reason := "must be one of [" + strings.Join(allowed, ", ") + "]"
	return d.withNormalizer(func(v string) (string, error) {
		s := strings.TrimSpace(v)
		if !slices.Contains(allowed, s) {
			return "", &ValueError{Name: name, Value: v, Reason: reason}
		}
		return s, nil
	})
}

// stringDef is a free-form String (or Password, or Class).
func stringDef(name string, t Type, def string, null bool) Def {
	d := Def{Name: name, Type: t, Default: def, NullDefault: null}
	return d.withNormalizer(func(v string) (string, error) { return strings.TrimSpace(v), nil })
}

// splitList splits a Kafka LIST value: trimmed, split on commas with the
// white space around them removed; "" is the empty list.
func splitList(v string) []string {
	s := strings.TrimSpace(v)
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

// listDef is a List whose elements must be in allowed (if allowed is not
// empty) and, unless allowEmpty, must have at least one element.
func listDef(name, def string, allowEmpty bool, allowed ...string) Def {
	d := Def{Name: name, Type: List, Default: def}
	reason := "must be a comma-separated list"
	if len(allowed) > 0 {
		reason = "must be a comma-separated list of [" + strings.Join(allowed, ", ") + "]"
	}
	if !allowEmpty {
		reason += " with at least one element"
	}
	return d.withNormalizer(func(v string) (string, error) {
		parts := splitList(v)
		if len(parts) == 0 && !allowEmpty {
			return "", &ValueError{Name: name, Value: v, Reason: reason}
		}
		for _, p := range parts {
			if p == "" || (len(allowed) > 0 && !slices.Contains(allowed, p)) {
				return "", &ValueError{Name: name, Value: v, Reason: reason}
			}
		}
		return strings.Join(parts, ","), nil
	})
}

// custom wraps a check on the trimmed value in a String normalizer.
func custom(d Def, reason string, ok func(string) bool) Def {
	name := d.Name
	return d.withNormalizer(func(v string) (string, error) {
		s := strings.TrimSpace(v)
		if !ok(s) {
			return "", &ValueError{Name: name, Value: v, Reason: reason}
		}
		return s, nil
	})
}

// with sets Doc (and returns d for chaining in tables).
func (d Def) with(doc string) Def { d.Doc = doc; return d }

// readOnly marks a broker config as not dynamically updatable.
func (d Def) readOnly() Def { d.ReadOnly = true; return d }

// parseNormalized parses a value that Normalize already accepted. It is used
// to fill typed structs; the value is known to be well-formed.
func parseInt(v string) int64 {
	n, _ := strconv.ParseInt(v, 10, 64)
	return n
}

func parseBool(v string) bool { return v == "true" }

func parseDouble(v string) float64 {
	f, _ := strconv.ParseFloat(v, 64)
	return f
}

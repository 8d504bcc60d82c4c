package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestGroupConfigs(t *testing.T) {
	norm, err := NormalizeGroupConfigs(map[string]string{"consumer.session.timeout.ms": " 50000", "consumer.heartbeat.interval.ms": "+6000"}, nil)
	if err != nil || norm["consumer.session.timeout.ms"] != "50000" || norm["consumer.heartbeat.interval.ms"] != "6000" {
		t.Fatalf("valid group configs: %v %v", norm, err)
	}
	// Kafka's bounds are the broker's group.consumer.min/max.* values.
	_, err = NormalizeGroupConfigs(map[string]string{"consumer.session.timeout.ms": "1000", "consumer.heartbeat.interval.ms": "20000"}, nil)
	if !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("out of bounds: %v", err)
	}
	for _, w := range []string{"group.consumer.min.session.timeout.ms (45000)", "group.consumer.max.heartbeat.interval.ms (15000)"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%q lacks %q", err, w)
		}
	}
	// Share groups are not Gregor's: their configs are unknown names.
	if _, err := NormalizeGroupConfigs(map[string]string{"share.session.timeout.ms": "45000"}, nil); !errors.Is(err, ErrUnknownConfig) {
		t.Errorf("share config: %v", err)
	}
	if _, err := NormalizeGroupConfigs(map[string]string{"consumer.session.timeout.ms": "abc"}, nil); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("not a number: %v", err)
	}
	// The session must outlast the heartbeat interval, the broker's value
	// counting for the one the group leaves unset.
	b := DefaultBroker()
	b.GroupConsumerMinSessionTimeout = 1000
	if _, err := NormalizeGroupConfigs(map[string]string{"consumer.session.timeout.ms": "5000"}, b); err == nil || !strings.Contains(err.Error(), "must be greater than consumer.heartbeat.interval.ms") {
		t.Errorf("session = heartbeat: %v", err)
	}

	s, h := ResolveGroup(map[string]string{"consumer.session.timeout.ms": "50000"}, nil)
	if s != 50*time.Second || h != 5*time.Second {
		t.Errorf("resolved %v %v", s, h)
	}

	entries := DescribeGroup(map[string]string{"consumer.session.timeout.ms": "50000"}, nil)
	if len(entries) != 2 {
		t.Fatalf("%d entries", len(entries))
	}
	if e := entries[0]; e.String() != "consumer.heartbeat.interval.ms=5000 (DEFAULT_CONFIG)" || !e.IsDefault || e.Type != Int {
		t.Errorf("heartbeat %s", e)
	}
	if e := entries[1]; e.String() != "consumer.session.timeout.ms=50000 (GROUP_CONFIG) [consumer.session.timeout.ms=50000 GROUP_CONFIG]" || e.IsDefault {
		t.Errorf("session %s", e)
	}
}

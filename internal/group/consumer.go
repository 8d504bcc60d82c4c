package group

import (
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
)

// consumerGroup is the KIP-848 state of a group.
type consumerGroup struct {
	members map[string]*consumerMember
}

type consumerMember struct{}

func (g *group) consumerTickLocked(now time.Time) {}

func (g *group) checkConsumerCommitLocked(memberID string, epoch int32) error {
	return kerr.UnknownMemberID
}

func (g *group) checkConsumerFetchLocked(memberID string, epoch int32) error {
	return kerr.UnknownMemberID
}

func (cg *consumerGroup) memberTopicsLocked(g *group, m *consumerMember) map[string]bool { return nil }

func (g *group) consumerStateLocked() State { return StateEmpty }

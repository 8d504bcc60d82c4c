package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// newGroupDescribeCmd returns "gregor group describe GROUP...". For each group
// it prints a summary (coordinator, state, protocol, members, total lag), the
// lag per partition (committed offset, log start and end offsets, lag, and the
// member, client and host consuming it) and the members with their
// assignments. Lag is the high watermark minus the committed offset; for a
// partition without a commit it is counted from the log start offset.
func newGroupDescribeCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "describe GROUP...",
		Short: "Describe consumer groups with lag per partition",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			adm, closeAdm, err := newAdmin(cmd)
			if err != nil {
				return err
			}
			defer closeAdm()
			ctx, cancel := adminContext(cmd)
			defer cancel()

			lags, err := adm.Lag(ctx, args...)
			if err != nil {
				return fmt.Errorf("describing groups: %w", err)
			}
			w := cmd.OutOrStdout()
			failed := 0
			for i, g := range args {
				if i > 0 {
					if _, err := io.WriteString(w, "\n"); err != nil {
						return err
					}
				}
				l, ok := lags[g]
				if !ok {
					l.DescribeErr = errMissingFromResponse
				}
				ok, err := describeGroupLag(w, g, &l)
				if err != nil {
					return err
				}
				if !ok {
					failed++
				}
			}
			if failed > 0 {
				return partialf(failed, len(args), "groups")
			}
			return nil
		},
	}
}

// groupMissing reports whether a described group does not exist: Kafka
// answers DescribeGroups for an unknown group with state Dead, some brokers
// with GROUP_ID_NOT_FOUND. Both are shown as GROUP_ID_NOT_FOUND.
func groupMissing(state string, err error) bool {
	return state == "Dead" || isKafkaErr(err, kerr.GroupIDNotFound)
}

// describeGroupLag prints one group. ok is false if the group could not be
// described (the reason is printed); err is an output error.
func describeGroupLag(w io.Writer, group string, l *kadm.DescribedGroupLag) (ok bool, err error) {
	t := newTable(w)
	t.row("GROUP", group)
	if groupMissing(l.State, l.DescribeErr) {
		t.row("ERROR", kafkaErrText(kerr.GroupIDNotFound, ""))
		return false, t.flush()
	}
	if e := l.Error(); e != nil {
		t.row("ERROR", kafkaErrText(e, ""))
		return false, t.flush()
	}
	t.row("COORDINATOR", l.Coordinator.NodeID)
	t.row("STATE", l.State)
	t.row("PROTOCOL-TYPE", dashIfEmpty(l.ProtocolType))
	t.row("PROTOCOL", dashIfEmpty(l.Protocol))
	t.row("MEMBERS", len(l.Members))
	t.row("TOTAL-LAG", l.Lag.Total())
	if err := t.flush(); err != nil {
		return false, err
	}

	if _, err := io.WriteString(w, "\n"); err != nil {
		return false, err
	}
	if err := section(w, "OFFSETS"); err != nil {
		return false, err
	}
	t = newTable(w, "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-START-OFFSET", "LOG-END-OFFSET", "LAG", "MEMBER-ID", "CLIENT-ID", "HOST")
	for _, p := range l.Lag.Sorted() {
		current := "-"
		if p.Commit.At >= 0 {
			current = fmt.Sprint(p.Commit.At)
		}
		lag := fmt.Sprint(p.Lag)
		if p.Err != nil {
			lag = kafkaErrText(p.Err, "")
		}
		member, client, host := "-", "-", "-"
		if p.Member != nil {
			member, client, host = p.Member.MemberID, p.Member.ClientID, p.Member.ClientHost
		}
		t.row(p.Topic, p.Partition, current, offsetOrDash(p.Start), offsetOrDash(p.End), lag, member, client, host)
	}
	if err := t.flush(); err != nil {
		return false, err
	}

	if len(l.Members) == 0 {
		return true, nil
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return false, err
	}
	if err := section(w, "MEMBERS"); err != nil {
		return false, err
	}
	t = newTable(w, "MEMBER-ID", "INSTANCE-ID", "CLIENT-ID", "HOST", "ASSIGNMENT")
	for _, m := range l.Members {
		instance := "-"
		if m.InstanceID != nil {
			instance = *m.InstanceID
		}
		t.row(m.MemberID, instance, m.ClientID, m.ClientHost, assignmentText(m))
	}
	return true, t.flush()
}

// assignmentText renders a consumer member's assignment as
// "topic[0 1],other[2]", or "-" when it has none or is not a consumer.
func assignmentText(m kadm.DescribedGroupMember) string {
	c, ok := m.Assigned.AsConsumer()
	if !ok || len(c.Topics) == 0 {
		return "-"
	}
	parts := make([]string, 0, len(c.Topics))
	for _, t := range c.Topics {
		ps := append([]int32(nil), t.Partitions...)
		sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
		parts = append(parts, t.Topic+int32List(ps))
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func offsetOrDash(o kadm.ListedOffset) string {
	if o.Err != nil || o.Offset < 0 {
		return "-"
	}
	return fmt.Sprint(o.Offset)
}

func dashIfEmpty(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

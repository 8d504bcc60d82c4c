package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kerr"
)

// newGroupDescribeCmd returns "gregor group describe GROUP...". For each group
// (classic or KIP-848) it prints a summary (coordinator, protocol, state,
// assignor, members, total lag), the lag per partition (committed offset, log
// start offset, high watermark, lag, and the member, client and host that
// owns the partition) and the members with their assignments. Lag is the
// high watermark minus the committed offset; for a partition without a commit
// it is counted from the log start offset. A group the coordinator does not
// know is reported as GROUP_ID_NOT_FOUND and makes the command exit non-zero.
func newGroupDescribeCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "describe GROUP...",
		Short: "Describe consumer groups with lag per partition",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			adm, cl, err := newAdminClient(cmd)
			if err != nil {
				return err
			}
			defer cl.Close()
			ctx, cancel := adminContext(cmd)
			defer cancel()

			w := cmd.OutOrStdout()
			failed := 0
			for i, g := range args {
				if i > 0 {
					if _, err := io.WriteString(w, "\n"); err != nil {
						return err
					}
				}
				v, err := describeGroupView(ctx, cl, adm, g)
				var rows []lagRow
				if err == nil && v.Exists {
					rows, err = groupLag(ctx, adm, &v)
				}
				if err != nil || !v.Exists {
					failed++
				}
				if werr := printGroup(w, &v, rows, err); werr != nil {
					return werr
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

// printGroup writes one group's sections; descErr, if set, replaces them.
func printGroup(w io.Writer, v *groupView, rows []lagRow, descErr error) error {
	t := newTable(w)
	t.row("GROUP", v.Name)
	switch {
	case descErr != nil:
		t.row("ERROR", descErr.Error())
		return t.flush()
	case !v.Exists:
		t.row("ERROR", kafkaErrText(kerr.GroupIDNotFound, ""))
		return t.flush()
	}
	var total int64
	for _, r := range rows {
		total += max(0, r.Lag)
	}
	t.row("COORDINATOR", v.Coordinator)
	t.row("GROUP-PROTOCOL", v.Protocol)
	t.row("STATE", v.State)
	t.row("PROTOCOL-TYPE", v.ProtocolType)
	t.row("ASSIGNOR", v.Assignor)
	t.row("MEMBERS", len(v.Members))
	t.row("TOTAL-LAG", total)
	if err := t.flush(); err != nil {
		return err
	}

	if _, err := io.WriteString(w, "\n"); err != nil {
		return err
	}
	if err := section(w, "OFFSETS"); err != nil {
		return err
	}
	t = newTable(w, "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-START-OFFSET", "LOG-END-OFFSET", "LAG", "MEMBER-ID", "CLIENT-ID", "HOST")
	for _, r := range rows {
		lag := fmt.Sprint(r.Lag)
		if r.Err != nil {
			lag = kafkaErrText(r.Err, "")
		}
		member, client, host := "-", "-", "-"
		if r.Member != nil {
			member, client, host = r.Member.ID, r.Member.ClientID, r.Member.Host
		}
		t.row(r.Topic, r.Partition, offsetText(r.Commit), offsetText(r.Start), offsetText(r.End), lag, member, client, host)
	}
	if err := t.flush(); err != nil {
		return err
	}

	if len(v.Members) == 0 {
		return nil
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return err
	}
	if err := section(w, "MEMBERS"); err != nil {
		return err
	}
	t = newTable(w, "MEMBER-ID", "INSTANCE-ID", "CLIENT-ID", "HOST", "ASSIGNMENT")
	for _, m := range v.Members {
		t.row(m.ID, dashIfEmpty(m.InstanceID), m.ClientID, m.Host, assignmentText(m.Assigned))
	}
	return t.flush()
}

// assignmentText renders an assignment as "topic[0 1],other[2]", or "-".
func assignmentText(a map[string][]int32) string {
	if len(a) == 0 {
		return "-"
	}
	parts := make([]string, 0, len(a))
	for t, ps := range a {
		parts = append(parts, t+int32List(ps))
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func dashIfEmpty(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

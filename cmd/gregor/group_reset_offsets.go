package main

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
)

// resetHow is the target of "group reset-offsets".
type resetHow struct {
	kind offsetKind // offsetStart, offsetEnd, offsetExact, offsetAfterTime, or resetShift
	n    int64
}

// resetShift moves the committed offset by n (negative: back).
const resetShift offsetKind = 100

// resetRow is one partition's planned or executed reset.
type resetRow struct {
	topic     string
	partition int32
	current   int64 // -1: no committed offset
	next      int64
}

// newGroupResetOffsetsCmd returns "gregor group reset-offsets GROUP".
//
// Like Kafka's kafka-consumer-groups.sh --reset-offsets it is a dry run
// unless --execute is given, it works only on a group without active members
// (Empty, or not existing yet), and new offsets outside a partition's log are
// clamped into [log start, high watermark].
func newGroupResetOffsetsCmd() *cobra.Command {
	var (
		topics               []string
		allTopics            bool
		toEarliest, toLatest bool
		toOffset, shiftBy    int64
		toDatetime           string
		execute              bool
	)
	cmd := &cobra.Command{
		Use:   "reset-offsets GROUP",
		Short: "Reset a group's committed offsets (dry run unless --execute)",
		Long: `Reset the committed offsets of an inactive group.

Select partitions with --topic T (all partitions) or --topic T:0,2 (some), or
--all-topics (every topic the group has offsets for). Choose exactly one of
--to-earliest, --to-latest, --to-offset N, --to-datetime T (Unix ms or RFC 3339;
first record at or after T, else the end) or --shift-by N (from the committed
offset; negative moves back). Prints CURRENT-OFFSET and NEW-OFFSET per
partition; commits only with --execute.`,
		Example: `  gregor group reset-offsets billing --topic orders --to-earliest
  gregor group reset-offsets billing --topic orders:0 --shift-by -10 --execute`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var hows []resetHow
			if toEarliest {
				hows = append(hows, resetHow{kind: offsetStart})
			}
			if toLatest {
				hows = append(hows, resetHow{kind: offsetEnd})
			}
			if cmd.Flags().Changed("to-offset") {
				if toOffset < 0 {
					return usageErrorf("--to-offset %d: must not be negative", toOffset)
				}
				hows = append(hows, resetHow{kind: offsetExact, n: toOffset})
			}
			if cmd.Flags().Changed("to-datetime") {
				ms, err := parseTimeMillis(toDatetime)
				if err != nil {
					return usageErrorf("--to-datetime: %v", err)
				}
				hows = append(hows, resetHow{kind: offsetAfterTime, n: ms})
			}
			if cmd.Flags().Changed("shift-by") {
				hows = append(hows, resetHow{kind: resetShift, n: shiftBy})
			}
			if len(hows) != 1 {
				return usageErrorf("give exactly one of --to-earliest, --to-latest, --to-offset, --to-datetime, --shift-by")
			}
			if allTopics == (len(topics) > 0) {
				return usageErrorf("give either --topic (repeatable) or --all-topics")
			}
			want, err := parseTopicPartitions(topics)
			if err != nil {
				return err
			}
			return runResetOffsets(cmd, args[0], want, hows[0], execute)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&topics, "topic", nil, "topic, or topic:p1,p2 for some partitions (repeatable)")
	f.BoolVar(&allTopics, "all-topics", false, "reset every topic the group has committed offsets for")
	f.BoolVar(&toEarliest, "to-earliest", false, "reset to the log start offset")
	f.BoolVar(&toLatest, "to-latest", false, "reset to the high watermark")
	f.Int64Var(&toOffset, "to-offset", 0, "reset to this offset")
	f.StringVar(&toDatetime, "to-datetime", "", "reset to the first record at or after this time (Unix ms or RFC 3339)")
	f.Int64Var(&shiftBy, "shift-by", 0, "move the committed offset by N (negative: back)")
	f.BoolVar(&execute, "execute", false, "commit the new offsets (default: only show them)")
	return cmd
}

// parseTopicPartitions parses --topic values "t" (nil partition list: all)
// and "t:0,1". The same topic given twice merges its partitions.
func parseTopicPartitions(specs []string) (map[string][]int32, error) {
	out := make(map[string][]int32, len(specs))
	for _, s := range specs {
		topic, list, hasList := strings.Cut(s, ":")
		if topic == "" {
			return nil, usageErrorf("--topic %q: empty topic name", s)
		}
		if !hasList {
			if _, seen := out[topic]; !seen {
				out[topic] = nil
			}
			continue
		}
		for _, p := range strings.Split(list, ",") {
			n, err := strconv.ParseInt(strings.TrimSpace(p), 10, 32)
			if err != nil || n < 0 {
				return nil, usageErrorf("--topic %q: bad partition %q", s, p)
			}
			if !slices.Contains(out[topic], int32(n)) {
				out[topic] = append(out[topic], int32(n))
			}
		}
	}
	return out, nil
}

// runResetOffsets plans the reset, prints it, and commits it with execute.
func runResetOffsets(cmd *cobra.Command, group string, want map[string][]int32, how resetHow, execute bool) error {
	adm, cl, err := newAdminClient(cmd)
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := adminContext(cmd)
	defer cancel()

	v, err := describeGroupView(ctx, cl, adm, group)
	if err != nil {
		return err
	}
	if v.active() {
		return fmt.Errorf("group %q is %s with %d members: offsets can only be reset while the group is inactive; stop its consumers first",
			group, v.State, len(v.Members))
	}

	committed, err := adm.FetchOffsets(ctx, group)
	if err != nil && !groupMissing("", err) {
		return fmt.Errorf("fetching offsets of group %q: %w", group, err)
	}
	if want == nil || len(want) == 0 {
		want = make(map[string][]int32)
		for t := range committed {
			want[t] = nil
		}
		if len(want) == 0 {
			return fmt.Errorf("group %q has no committed offsets: name topics with --topic", group)
		}
	}

	rows, err := planReset(ctx, adm, committed, want, how)
	if err != nil {
		return err
	}
	if !execute {
		t := newTable(cmd.OutOrStdout(), "TOPIC", "PARTITION", "CURRENT-OFFSET", "NEW-OFFSET")
		for _, r := range rows {
			t.row(r.topic, r.partition, offsetText(r.current), r.next)
		}
		if err := t.flush(); err != nil {
			return err
		}
		_, err := fmt.Fprintln(cmd.ErrOrStderr(), "dry run: nothing committed; add --execute to commit these offsets")
		return err
	}

	offsets := make(kadm.Offsets)
	for _, r := range rows {
		offsets.Add(kadm.Offset{Topic: r.topic, Partition: r.partition, At: r.next, LeaderEpoch: -1})
	}
	resps, err := adm.CommitOffsets(ctx, group, offsets)
	if err != nil {
		return fmt.Errorf("committing offsets of group %q: %w", group, err)
	}
	t := newTable(cmd.OutOrStdout(), "TOPIC", "PARTITION", "CURRENT-OFFSET", "NEW-OFFSET", "STATUS")
	failed := 0
	for _, r := range rows {
		resp, ok := resps.Lookup(r.topic, r.partition)
		if !ok {
			resp.Err = errMissingFromResponse
		}
		if resp.Err != nil {
			failed++
		}
		t.row(r.topic, r.partition, offsetText(r.current), r.next, kafkaErrText(resp.Err, ""))
	}
	if err := t.flush(); err != nil {
		return err
	}
	if failed > 0 {
		return partialf(failed, len(rows), "partitions")
	}
	return nil
}

// planReset computes the new offset of every wanted partition (nil list: all
// of the topic's partitions), sorted by topic and partition.
func planReset(ctx context.Context, adm *kadm.Client, committed kadm.OffsetResponses, want map[string][]int32, how resetHow) ([]resetRow, error) {
	topics := make([]string, 0, len(want))
	for t := range want {
		topics = append(topics, t)
	}
	slices.Sort(topics)

	md, err := adm.Metadata(ctx, topics...)
	if err != nil {
		return nil, fmt.Errorf("describing topics %v: %w", topics, err)
	}
	starts, err := adm.ListStartOffsets(ctx, topics...)
	if err != nil {
		return nil, fmt.Errorf("listing start offsets: %w", err)
	}
	ends, err := adm.ListEndOffsets(ctx, topics...)
	if err != nil {
		return nil, fmt.Errorf("listing end offsets: %w", err)
	}
	var byTime kadm.ListedOffsets
	if how.kind == offsetAfterTime {
		if byTime, err = adm.ListOffsetsAfterMilli(ctx, how.n, topics...); err != nil {
			return nil, fmt.Errorf("listing offsets after %d ms: %w", how.n, err)
		}
	}

	var rows []resetRow
	for _, topic := range topics {
		td := md.Topics[topic]
		if td.Err != nil {
			return nil, fmt.Errorf("topic %q: %s", topic, kafkaErrText(td.Err, ""))
		}
		parts := want[topic]
		if parts == nil {
			parts = td.Partitions.Numbers()
		}
		slices.Sort(parts)
		for _, p := range parts {
			if _, ok := td.Partitions[p]; !ok {
				return nil, usageErrorf("topic %q has no partition %d", topic, p)
			}
			s, ok1 := starts.Lookup(topic, p)
			e, ok2 := ends.Lookup(topic, p)
			switch {
			case !ok1 || !ok2:
				return nil, fmt.Errorf("listing offsets of %s[%d]: %w", topic, p, errMissingFromResponse)
			case s.Err != nil:
				return nil, fmt.Errorf("listing start offset of %s[%d]: %s", topic, p, kafkaErrText(s.Err, ""))
			case e.Err != nil:
				return nil, fmt.Errorf("listing end offset of %s[%d]: %s", topic, p, kafkaErrText(e.Err, ""))
			}
			current := int64(-1)
			if c, ok := committed.Lookup(topic, p); ok && c.Err == nil {
				current = c.At
			}
			row := resetRow{topic: topic, partition: p, current: current}
			switch how.kind {
			case resetShift:
				if current < 0 {
					return nil, fmt.Errorf("%s[%d] has no committed offset to shift; use --to-earliest, --to-latest or --to-offset", topic, p)
				}
				row.next, _ = offsetSpec{kind: offsetExact, n: shiftOffset(current, how.n)}.resolve(s.Offset, e.Offset, -1)
			case offsetAfterTime:
				timeOff := int64(-1)
				if t, ok := byTime.Lookup(topic, p); ok && t.Err == nil {
					timeOff = t.Offset
				}
				row.next, _ = offsetSpec{kind: offsetAfterTime, n: how.n}.resolve(s.Offset, e.Offset, timeOff)
			default:
				row.next, _ = offsetSpec{kind: how.kind, n: how.n}.resolve(s.Offset, e.Offset, -1)
			}
			rows = append(rows, row)
		}
	}
	return rows, nil
}

// offsetText renders an offset, "-" for none (-1).
func offsetText(o int64) string {
	if o < 0 {
		return "-"
	}
	return strconv.FormatInt(o, 10)
}

// shiftOffset returns cur+by limited to [0, MaxInt64] (cur is >= 0), so that
// a huge --shift-by clamps instead of wrapping around.
func shiftOffset(cur, by int64) int64 {
	switch {
	case by > 0 && cur > math.MaxInt64-by:
		return math.MaxInt64
	case cur+by < 0:
		return 0
	}
	return cur + by
}

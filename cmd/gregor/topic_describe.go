package main

import (
	"encoding/base64"
	"fmt"
	"io"
	"sort"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
)

// newTopicDescribeCmd returns "gregor topic describe NAME...". For each topic
// it prints a summary, a partition table (leader, leader epoch, replicas,
// ISR, log start offset, high watermark) and the topic's configs with their
// source. A topic the cluster does not know is reported and makes the command
// exit non-zero; the other topics are still described.
func newTopicDescribeCmd() *cobra.Command {
	var noConfigs bool
	cmd := &cobra.Command{
		Use:   "describe NAME...",
		Short: "Describe topics: partitions, offsets, configs",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			adm, closeAdm, err := newAdmin(cmd)
			if err != nil {
				return err
			}
			defer closeAdm()
			ctx, cancel := adminContext(cmd)
			defer cancel()

			md, err := adm.Metadata(ctx, args...)
			if err != nil {
				return fmt.Errorf("describing topics: %w", err)
			}
			var known []string
			for _, name := range args {
				if td, ok := md.Topics[name]; ok && td.Err == nil {
					known = append(known, name)
				}
			}
			var starts, ends kadm.ListedOffsets
			var configs kadm.ResourceConfigs
			if len(known) > 0 {
				// Errors here are per partition or per topic and are shown in
				// place; a request-level failure is fatal.
				if starts, err = adm.ListStartOffsets(ctx, known...); err != nil && starts == nil {
					return fmt.Errorf("listing start offsets: %w", err)
				}
				if ends, err = adm.ListEndOffsets(ctx, known...); err != nil && ends == nil {
					return fmt.Errorf("listing end offsets: %w", err)
				}
				if !noConfigs {
					if configs, err = adm.DescribeTopicConfigs(ctx, known...); err != nil && configs == nil {
						return fmt.Errorf("describing topic configs: %w", err)
					}
				}
			}

			w := cmd.OutOrStdout()
			failed := 0
			for i, name := range args {
				if i > 0 {
					if _, err := io.WriteString(w, "\n"); err != nil {
						return err
					}
				}
				td, ok := md.Topics[name]
				if !ok {
					td.Err = errMissingFromResponse
				}
				if td.Err != nil {
					failed++
				}
				if err := describeTopic(w, name, td, starts, ends, configs, noConfigs); err != nil {
					return err
				}
			}
			if failed > 0 {
				return partialf(failed, len(args), "topics")
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&noConfigs, "no-configs", false, "do not print the CONFIGS section")
	return cmd
}

// describeTopic prints one topic's sections to w.
func describeTopic(w io.Writer, name string, td kadm.TopicDetail, starts, ends kadm.ListedOffsets, configs kadm.ResourceConfigs, noConfigs bool) error {
	t := newTable(w)
	t.row("NAME", name)
	if td.Err != nil {
		t.row("ERROR", kafkaErrText(td.Err, ""))
		return t.flush()
	}
	if td.ID != (kadm.TopicID{}) {
		// Kafka prints ids as unpadded URL-safe base64 (Uuid.toString).
		t.row("ID", base64.RawURLEncoding.EncodeToString(td.ID[:]))
	}
	t.row("INTERNAL", td.IsInternal)
	t.row("PARTITIONS", len(td.Partitions))
	t.row("REPLICAS", td.Partitions.NumReplicas())
	if err := t.flush(); err != nil {
		return err
	}

	if _, err := io.WriteString(w, "\n"); err != nil {
		return err
	}
	if err := section(w, "PARTITIONS"); err != nil {
		return err
	}
	t = newTable(w, "PARTITION", "LEADER", "EPOCH", "REPLICAS", "ISR", "OFFLINE", "LOG-START-OFFSET", "HIGH-WATERMARK", "ERROR")
	for _, p := range td.Partitions.Sorted() {
		errText := "-"
		if p.Err != nil {
			errText = kafkaErrText(p.Err, "")
		}
		t.row(p.Partition, p.Leader, p.LeaderEpoch, int32List(p.Replicas), int32List(p.ISR),
			offlineText(p.OfflineReplicas), listedOffsetText(starts, name, p.Partition), listedOffsetText(ends, name, p.Partition), errText)
	}
	if err := t.flush(); err != nil {
		return err
	}
	if noConfigs {
		return nil
	}

	if _, err := io.WriteString(w, "\n"); err != nil {
		return err
	}
	if err := section(w, "CONFIGS"); err != nil {
		return err
	}
	rc, err := configs.On(name, nil)
	if err != nil {
		rc.Err = err
	}
	if rc.Err != nil {
		_, err := fmt.Fprintf(w, "error: %s\n", kafkaErrText(rc.Err, rc.ErrMessage))
		return err
	}
	cfgs := append([]kadm.Config(nil), rc.Configs...)
	sort.Slice(cfgs, func(i, j int) bool { return cfgs[i].Key < cfgs[j].Key })
	t = newTable(w, "KEY", "VALUE", "SOURCE")
	for _, c := range cfgs {
		v := "(null)"
		switch {
		case c.Sensitive:
			v = "(sensitive)"
		case c.Value != nil:
			v = *c.Value
		}
		t.row(c.Key, v, c.Source)
	}
	return t.flush()
}

// listedOffsetText renders the listed offset of t/p, or its error name, or
// "-" when the listing did not cover it.
func listedOffsetText(l kadm.ListedOffsets, t string, p int32) string {
	o, ok := l.Lookup(t, p)
	switch {
	case !ok:
		return "-"
	case o.Err != nil:
		return kafkaErrText(o.Err, "")
	default:
		return fmt.Sprint(o.Offset)
	}
}

// offlineText renders offline replicas, "-" when there are none.
func offlineText(xs []int32) string {
	if len(xs) == 0 {
		return "-"
	}
	return int32List(xs)
}

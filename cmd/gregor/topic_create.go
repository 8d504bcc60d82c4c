package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
)

// newTopicCreateCmd returns "gregor topic create NAME...".
//
// Output is a TOPIC/STATUS table, one row per topic; the command exits
// non-zero if the cluster rejected any topic (the row carries Kafka's error
// name and the broker's message).
func newTopicCreateCmd() *cobra.Command {
	var (
		partitions   int32
		replication  int16
		configs      []string
		validateOnly bool
	)
	cmd := &cobra.Command{
		Use:   "create NAME...",
		Short: "Create topics",
		Long: `Create one or more topics.

-1 for --partitions or --replication-factor lets the broker choose its default
(num.partitions, default.replication.factor).`,
		Example: "  gregor topic create orders -p 6 -r 3 -c retention.ms=86400000",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if partitions == 0 || partitions < -1 {
				return usageErrorf("--partitions %d: expected -1 (broker default) or at least 1", partitions)
			}
			if replication == 0 || replication < -1 {
				return usageErrorf("--replication-factor %d: expected -1 (broker default) or at least 1", replication)
			}
			cfg := make(map[string]*string, len(configs))
			for _, c := range configs {
				k, v, err := parseKV("--config", c)
				if err != nil {
					return err
				}
				cfg[k] = &v
			}

			adm, closeAdm, err := newAdmin(cmd)
			if err != nil {
				return err
			}
			defer closeAdm()
			ctx, cancel := adminContext(cmd)
			defer cancel()

			create := adm.CreateTopics
			if validateOnly {
				create = adm.ValidateCreateTopics
			}
			resps, err := create(ctx, partitions, replication, cfg, args...)
			if err != nil {
				return fmt.Errorf("creating topics: %w", err)
			}
			return printTopicStatus(cmd, args, func(topic string) (bool, string, error) {
				r, ok := resps[topic]
				return ok, r.ErrMessage, r.Err
			})
		},
	}
	f := cmd.Flags()
	f.Int32VarP(&partitions, "partitions", "p", -1, "number of partitions (-1: broker default)")
	f.Int16VarP(&replication, "replication-factor", "r", -1, "replicas per partition (-1: broker default)")
	f.StringArrayVarP(&configs, "config", "c", nil, "topic config key=value (repeatable)")
	f.BoolVar(&validateOnly, "validate-only", false, "ask the broker to validate the request without creating anything")
	f.BoolVar(&validateOnly, "dry-run", false, "alias of --validate-only")
	return cmd
}

// printTopicStatus writes a TOPIC/STATUS table for names in order. lookup
// returns whether the response mentioned a name (a missing name is reported
// as an error), the broker's message and its error. It returns errPartial if
// any row is not OK.
func printTopicStatus(cmd *cobra.Command, names []string, lookup func(string) (found bool, msg string, err error)) error {
	return printStatus(cmd, "TOPIC", "topics", names, lookup)
}

// printStatus is printTopicStatus for any kind of item (noun names the
// column, plural the kind in the summary error).
func printStatus(cmd *cobra.Command, noun, plural string, names []string, lookup func(string) (bool, string, error)) error {
	t := newTable(cmd.OutOrStdout(), noun, "STATUS")
	failed := 0
	for _, name := range names {
		ok, msg, err := lookup(name)
		if !ok {
			err, msg = errMissingFromResponse, ""
		}
		if err != nil {
			failed++
		}
		t.row(name, kafkaErrText(err, msg))
	}
	if err := t.flush(); err != nil {
		return err
	}
	if failed > 0 {
		return partialf(failed, len(names), plural)
	}
	return nil
}

// errMissingFromResponse is reported for an item the broker's response left
// out although the request named it.
var errMissingFromResponse = errors.New("gregor: missing from the broker's response")

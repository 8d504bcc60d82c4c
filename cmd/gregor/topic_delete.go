package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// newTopicDeleteCmd returns "gregor topic delete NAME...": a TOPIC/STATUS
// table, non-zero exit if any topic could not be deleted.
func newTopicDeleteCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "delete NAME...",
		Aliases: []string{"rm"},
		Short:   "Delete topics",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			adm, closeAdm, err := newAdmin(cmd)
			if err != nil {
				return err
			}
			defer closeAdm()
			ctx, cancel := adminContext(cmd)
			defer cancel()

			resps, err := adm.DeleteTopics(ctx, args...)
			if err != nil {
				return fmt.Errorf("deleting topics: %w", err)
			}
			return printTopicStatus(cmd, args, func(topic string) (bool, string, error) {
				r, ok := resps[topic]
				return ok, r.ErrMessage, r.Err
			})
		},
	}
}

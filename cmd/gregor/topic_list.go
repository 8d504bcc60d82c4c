package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// newTopicListCmd returns "gregor topic list": a NAME/PARTITIONS/REPLICAS
// table sorted by name. A topic whose metadata carries an error (for example
// LEADER_NOT_AVAILABLE right after creation) gets an ERROR column.
func newTopicListCmd() *cobra.Command {
	var internal bool
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List topics",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			adm, closeAdm, err := newAdmin(cmd)
			if err != nil {
				return err
			}
			defer closeAdm()
			ctx, cancel := adminContext(cmd)
			defer cancel()

			topics, err := adm.ListTopicsWithInternal(ctx)
			if err != nil {
				return fmt.Errorf("listing topics: %w", err)
			}
			if !internal {
				topics.FilterInternal()
			}
			anyErr := topics.Error() != nil
			header := []string{"NAME", "PARTITIONS", "REPLICAS"}
			if anyErr {
				header = append(header, "ERROR")
			}
			t := newTable(cmd.OutOrStdout(), header...)
			for _, td := range topics.Sorted() {
				cells := []any{td.Topic, len(td.Partitions), td.Partitions.NumReplicas()}
				if anyErr {
					cells = append(cells, kafkaErrText(td.Err, ""))
				}
				t.row(cells...)
			}
			return t.flush()
		},
	}
	cmd.Flags().BoolVarP(&internal, "internal", "i", false, "include internal topics (__consumer_offsets, ...)")
	return cmd
}

package main

import (
	"github.com/spf13/cobra"

	"github.com/gregor-streaming/gregor/internal/storage"
)

func newDebugCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "debug", Short: "Inspect Gregor's on-disk formats"}
	cmd.AddCommand(&cobra.Command{
		Use:   "segment FILE",
		Short: "Print the batches of a segment file (.log)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return storage.DumpSegment(cmd.OutOrStdout(), args[0])
		},
	}, &cobra.Command{
		Use:   "log DIR",
		Short: "Print every segment of a partition directory",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return storage.DumpLog(cmd.OutOrStdout(), args[0])
		},
	})
	return cmd
}

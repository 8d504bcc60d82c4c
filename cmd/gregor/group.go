package main

import "github.com/spf13/cobra"

// newGroupCmd returns "gregor group" and its verbs: list, describe,
// reset-offsets and delete. Each verb lives in group_<verb>.go.
func newGroupCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "group",
		Short: "List, describe, reset and delete consumer groups",
	}
	cmd.AddCommand(
		newGroupListCmd(),
		newGroupDescribeCmd(),
		newGroupResetOffsetsCmd(),
		newGroupDeleteCmd(),
	)
	return cmd
}

package main

import "github.com/spf13/cobra"

// newTopicCmd returns "gregor topic" and its verbs: create, list, describe,
// delete and alter-config. Each verb lives in topic_<verb>.go.
func newTopicCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "topic",
		Short: "Create, list, describe, delete and configure topics",
	}
	cmd.AddCommand(
		newTopicCreateCmd(),
		newTopicListCmd(),
		newTopicDescribeCmd(),
		newTopicDeleteCmd(),
		newTopicAlterConfigCmd(),
	)
	return cmd
}

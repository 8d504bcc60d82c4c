// TEMPORARY main.go written by the CLI work (client commands) so that
// cmd/gregor builds and its tests run before the integrator's main.go
// (root command, serve, debug) lands. The integrator replaces this file
// wholesale; it must keep calling newTopicCmd, newProduceCmd, newConsumeCmd,
// newClusterCmd and newGroupCmd, and envOr lives in client.go.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func newRootCmd() *cobra.Command {
	root := &cobra.Command{Use: "gregor", Short: "Gregor: a Kafka-compatible streaming broker", SilenceUsage: true}
	root.PersistentFlags().StringP("brokers", "b", envOr("GREGOR_BROKERS", "localhost:9092"), "comma-separated bootstrap brokers")
	root.AddCommand(newTopicCmd(), newProduceCmd(), newConsumeCmd(), newClusterCmd(), newGroupCmd())
	return root
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd().ExecuteContext(ctx)
	stop()
	if err != nil {
		os.Exit(1)
	}
}

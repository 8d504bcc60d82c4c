// Command gregor is the Gregor broker and its command-line client in one
// binary: `gregor serve` runs a broker; topic, produce, consume, group and
// cluster talk to any Kafka-protocol broker through franz-go; debug reads
// Gregor's on-disk formats.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:          "gregor",
		Short:        "Gregor: a Kafka-compatible streaming broker in one binary",
		SilenceUsage: true,
	}
	root.PersistentFlags().StringP("brokers", "b", envOr("GREGOR_BROKERS", "localhost:9092"), "comma-separated bootstrap brokers (env GREGOR_BROKERS)")
	root.AddCommand(newServeCmd(), newDebugCmd(), newTopicCmd(), newProduceCmd(), newConsumeCmd(), newClusterCmd(), newGroupCmd())
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

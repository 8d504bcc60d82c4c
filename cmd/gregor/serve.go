package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/gregor-streaming/gregor/internal/config"
	"github.com/gregor-streaming/gregor/internal/server"
)

// serveFlags are the flags of `gregor serve`; each is also GREGOR_<NAME> in
// the environment and <name> (or its Kafka property) in the --config file.
var serveFlags = []struct{ name, usage string }{
	{"listen", "Kafka protocol listener host:port (port 0 picks a free port)"},
	{"advertise", "host:port given to clients in metadata (default: localhost and the listener's port)"},
	{"data-dir", "directory for partition logs and the metadata log"},
	{"http", "HTTP listener for /metrics, /healthz, /readyz (empty disables)"},
	{"node-id", "this broker's node id"},
	{"controller-listen", "Raft metadata listener host:port"},
	{"voters", "Raft voters as id@host:port,... (default: this node alone)"},
}

func newServeCmd() *cobra.Command {
	def := config.DefaultBroker()
	defaults := map[string]string{
		"listen": def.Listen, "advertise": def.Advertise, "data-dir": def.DataDir, "http": def.HTTP,
		"node-id": fmt.Sprint(def.NodeID), "controller-listen": def.ControllerListen, "voters": def.Voters,
	}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run a broker (single node with no flags)",
		Long: `Run a Gregor broker. With no flags it listens for Kafka clients on :9092
(advertised as localhost:9092), keeps data in ./gregor-data, serves metrics and
health on :8080, and forms a cluster of one with Raft on :9093.

Settings come from, in increasing precedence: built-in defaults, the --config
file (Kafka broker property names such as num.partitions or log.retention.ms,
plus the flag names), GREGOR_<NAME> environment variables, and flags.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd.Context(), cmd.Flags())
		},
	}
	for _, f := range serveFlags {
		cmd.Flags().String(f.name, defaults[f.name], f.usage)
	}
	cmd.Flags().String("config", "", "Kafka-style properties file")
	cmd.Flags().String("log-level", envOr("GREGOR_LOG_LEVEL", "info"), "debug, info, warn or error")
	return cmd
}

func runServe(ctx context.Context, flags *pflag.FlagSet) error {
	level, _ := flags.GetString("log-level")
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return fmt.Errorf("--log-level %q: %w", level, err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))
	slog.SetDefault(log)

	cfg := config.DefaultBroker()
	cfg.Logger = log
	if path, _ := flags.GetString("config"); path != "" {
		props, err := config.LoadFile(path)
		if err != nil {
			return err
		}
		if err := cfg.Apply(props); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	if err := cfg.ApplyEnv(os.Environ()); err != nil {
		return err
	}
	set := map[string]string{}
	for _, f := range serveFlags {
		if fl := flags.Lookup(f.name); fl != nil && fl.Changed {
			set[f.name] = fl.Value.String()
		}
	}
	if err := cfg.Apply(set); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}

	start := time.Now()
	node, err := server.StartNode(ctx, cfg, log)
	if err != nil {
		return err
	}
	log.Info("gregor started", "took", time.Since(start).Round(time.Microsecond), "data_dir", cfg.DataDir)
	<-ctx.Done()
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := node.Shutdown(sctx); err != nil {
		log.Error("shutdown", "err", err)
		return err
	}
	log.Info("stopped cleanly")
	return nil
}

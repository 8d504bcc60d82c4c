package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// newClusterCmd returns "gregor cluster" with its verb "info".
func newClusterCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cluster",
		Short: "Inspect the cluster",
	}
	cmd.AddCommand(newClusterInfoCmd())
	return cmd
}

// newClusterInfoCmd returns "gregor cluster info": cluster id, controller,
// topic count and a broker table (ID, HOST:PORT, RACK), all from one Metadata
// request.
func newClusterInfoCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "info",
		Short: "Show cluster id, controller, brokers and topic count",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			adm, closeAdm, err := newAdmin(cmd)
			if err != nil {
				return err
			}
			defer closeAdm()
			ctx, cancel := adminContext(cmd)
			defer cancel()

			md, err := adm.Metadata(ctx)
			if err != nil {
				return fmt.Errorf("requesting metadata: %w", err)
			}
			internal := 0
			for _, td := range md.Topics {
				if td.IsInternal {
					internal++
				}
			}
			w := cmd.OutOrStdout()
			if err := section(w, "CLUSTER"); err != nil {
				return err
			}
			t := newTable(w)
			id := md.Cluster
			if id == "" {
				id = "-"
			}
			t.row("ID", id)
			controller := "-"
			if md.Controller >= 0 {
				controller = fmt.Sprint(md.Controller)
			}
			t.row("CONTROLLER", controller)
			t.row("TOPICS", fmt.Sprintf("%d (+%d internal)", len(md.Topics)-internal, internal))
			if err := t.flush(); err != nil {
				return err
			}
			if _, err := io.WriteString(w, "\n"); err != nil {
				return err
			}
			if err := section(w, "BROKERS"); err != nil {
				return err
			}
			t = newTable(w, "ID", "HOST:PORT", "RACK")
			for _, b := range md.Brokers {
				rack := "-"
				if b.Rack != nil && *b.Rack != "" {
					rack = *b.Rack
				}
				t.row(b.NodeID, fmt.Sprintf("%s:%d", b.Host, b.Port), rack)
			}
			return t.flush()
		},
	}
}

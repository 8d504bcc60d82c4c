package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// newGroupListCmd returns "gregor group list": a GROUP/STATE/PROTOCOL-TYPE/
// COORDINATOR table sorted by group, from ListGroups sent to every broker.
func newGroupListCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List consumer groups",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			adm, closeAdm, err := newAdmin(cmd)
			if err != nil {
				return err
			}
			defer closeAdm()
			ctx, cancel := adminContext(cmd)
			defer cancel()

			groups, err := adm.ListGroups(ctx)
			if err != nil && groups == nil {
				return fmt.Errorf("listing groups: %w", err)
			}
			t := newTable(cmd.OutOrStdout(), "GROUP", "STATE", "PROTOCOL-TYPE", "COORDINATOR")
			for _, g := range groups.Sorted() {
				state := g.State
				if state == "" {
					state = "-"
				}
				t.row(g.Group, state, g.ProtocolType, g.Coordinator)
			}
			if ferr := t.flush(); ferr != nil {
				return ferr
			}
			if err != nil {
				return fmt.Errorf("listing groups: some brokers did not answer, the list may be incomplete: %w", err)
			}
			return nil
		},
	}
}

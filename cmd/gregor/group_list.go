package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// newGroupListCmd returns "gregor group list": a GROUP/STATE/PROTOCOL-TYPE/
// COORDINATOR/TYPE table sorted by group, from ListGroups sent to every
// broker. The command fails (after printing what it got) if some broker did
// not answer, since the list may then be incomplete.
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
			t := newTable(cmd.OutOrStdout(), "GROUP", "STATE", "PROTOCOL-TYPE", "COORDINATOR", "TYPE")
			for _, g := range groups.Sorted() {
				// TYPE (classic, consumer, share) comes with ListGroups v5+.
				t.row(g.Group, dashIfEmpty(g.State), dashIfEmpty(g.ProtocolType), g.Coordinator, dashIfEmpty(g.GroupType))
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

package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// newGroupDeleteCmd returns "gregor group delete GROUP...": a GROUP/STATUS
// table; a group with members fails with NON_EMPTY_GROUP and the command
// exits non-zero.
func newGroupDeleteCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "delete GROUP...",
		Aliases: []string{"rm"},
		Short:   "Delete consumer groups and their committed offsets",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			adm, closeAdm, err := newAdmin(cmd)
			if err != nil {
				return err
			}
			defer closeAdm()
			ctx, cancel := adminContext(cmd)
			defer cancel()

			resps, err := adm.DeleteGroups(ctx, args...)
			if err != nil && resps == nil {
				return fmt.Errorf("deleting groups: %w", err)
			}
			return printStatus(cmd, "GROUP", "groups", args, func(g string) (bool, string, error) {
				r, ok := resps[g]
				return ok, r.ErrMessage, r.Err
			})
		},
	}
}

package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
)

// newTopicAlterConfigCmd returns "gregor topic alter-config NAME...
// --set k=v --delete k": an incremental alter (IncrementalAlterConfigs, API
// 44), so configs not named keep their values. Output is a TOPIC/STATUS table;
// non-zero exit if the cluster rejected the change for any topic.
func newTopicAlterConfigCmd() *cobra.Command {
	var (
		sets, deletes, appends, subtracts []string
		validateOnly                      bool
	)
	cmd := &cobra.Command{
		Use:   "alter-config NAME...",
		Short: "Set or delete topic configs (incremental)",
		Long: `Incrementally alter topic configs: --set overrides a value, --delete removes
the override so the broker default applies again, --append and --subtract edit
list-valued configs (cleanup.policy). Configs not named are left as they are.`,
		Example: "  gregor topic alter-config orders --set retention.ms=3600000 --delete segment.bytes",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var alters []kadm.AlterConfig
			for _, group := range []struct {
				flag string
				op   kadm.IncrementalOp
				kvs  []string
			}{
				{"--set", kadm.SetConfig, sets},
				{"--append", kadm.AppendConfig, appends},
				{"--subtract", kadm.SubtractConfig, subtracts},
			} {
				for _, s := range group.kvs {
					k, v, err := parseKV(group.flag, s)
					if err != nil {
						return err
					}
					alters = append(alters, kadm.AlterConfig{Op: group.op, Name: k, Value: &v})
				}
			}
			for _, k := range deletes {
				if k == "" {
					return usageErrorf("--delete: empty config name")
				}
				alters = append(alters, kadm.AlterConfig{Op: kadm.DeleteConfig, Name: k})
			}
			if len(alters) == 0 {
				return usageErrorf("nothing to alter: give --set, --delete, --append or --subtract")
			}

			adm, closeAdm, err := newAdmin(cmd)
			if err != nil {
				return err
			}
			defer closeAdm()
			ctx, cancel := adminContext(cmd)
			defer cancel()

			alter := adm.AlterTopicConfigs
			if validateOnly {
				alter = adm.ValidateAlterTopicConfigs
			}
			resps, err := alter(ctx, alters, args...)
			if err != nil {
				return fmt.Errorf("altering topic configs: %w", err)
			}
			return printTopicStatus(cmd, args, func(topic string) (bool, string, error) {
				for _, r := range resps {
					if r.Name == topic {
						return true, r.ErrMessage, r.Err
					}
				}
				return false, "", nil
			})
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&sets, "set", nil, "set config key=value (repeatable)")
	f.StringArrayVar(&deletes, "delete", nil, "delete config override KEY (repeatable)")
	f.StringArrayVar(&appends, "append", nil, "append value to list config key=value (repeatable)")
	f.StringArrayVar(&subtracts, "subtract", nil, "remove value from list config key=value (repeatable)")
	f.BoolVar(&validateOnly, "validate-only", false, "ask the broker to validate the change without applying it")
	f.BoolVar(&validateOnly, "dry-run", false, "alias of --validate-only")
	return cmd
}

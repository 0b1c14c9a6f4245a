package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/pghandoff/pghandoff/core"
)

func (a *app) verifyCommand() *cobra.Command {
	var s servers
	var sel selectionFlags
	var parallel int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify --primary DSN --replica DSN",
		Short: "Compare every table of the migration on both servers (counts and checksums)",
		Long: `Compares each table of the migration on the primary and the replica: row count and an
order-independent checksum of every row, several tables at once, at one point of the
replication while the application writes. It also compares every migrated object's
privileges, when setup carried them: a GRANT the replica lacks, or has and the primary does
not, is a difference. Exits 1 when any table or privilege differs.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := a.migration(cmd, &s, primaryFlag, replicaFlag)
			if err != nil {
				return err
			}
			selection, err := sel.selection(cmd)
			if err != nil {
				return err
			}
			res, err := core.Verify(cmd.Context(), core.VerifyOptions{Migration: m, Selection: selection, Parallel: parallel, Observer: a.silentObserver()})
			return show(a, asJSON, res, err, renderVerify)
		},
	}
	s.addFlags(cmd, primaryFlag, replicaFlag)
	cmd.Flags().StringVar(&sel.schemas, "schemas", "", "schemas to compare when the migration has no publication")
	cmd.Flags().StringVar(&sel.exclude, "exclude-tables", "", "tables to leave out when the migration has no publication")
	cmd.Flags().IntVar(&parallel, "parallel", core.DefaultVerifyParallel, "tables compared at once")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

func renderVerify(w io.Writer, r *core.VerifyResult) {
	switch {
	case r.OK:
		fmt.Fprintf(w, "Verified: %d table(s), %d rows, identical on both servers at one point of the replication (%s).\n", len(r.Tables), r.Rows, r.Direction)
	case r.Mismatches > 0:
		fmt.Fprintf(w, "DIFFERENT: %d of %d tables differ.\n", r.Mismatches, len(r.Tables))
	case r.Changing == 0:
		fmt.Fprintf(w, "DIFFERENT: the data is the same (%d tables, %d rows), the privileges are not.\n", len(r.Tables), r.Rows)
	default:
		fmt.Fprintf(w, "NOT VERIFIED: %d of %d tables kept changing at every point verify took; the others are identical.\n", r.Changing, len(r.Tables))
	}
	if !r.Aligned {
		fmt.Fprintln(w, "  (replication did not reach verify's point in time: the servers were read as they were)")
	}
	for _, t := range r.Tables {
		mark := "ok  "
		switch {
		case t.Changing:
			mark = "BUSY"
		case !t.Match:
			mark = "DIFF"
		}
		detail := fmt.Sprintf("%d rows", t.PrimaryRows)
		if !t.Match {
			detail = fmt.Sprintf("primary %d rows (checksum %s), replica %d rows (checksum %s)", t.PrimaryRows, t.PrimaryChecksum, t.ReplicaRows, t.ReplicaChecksum)
		}
		if t.Error != "" {
			detail = t.Error
		}
		fmt.Fprintf(w, "  %s %s: %s\n", mark, t.TableName, detail)
	}
	renderPrivileges(w, r.Privileges)
}

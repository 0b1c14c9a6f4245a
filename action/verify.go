package action

import (
	"context"
	"fmt"
	"sort"
	"strconv"

	"github.com/pghandoff/pghandoff/core"
)

// runVerify compares every table on both servers; any difference fails the step.
func runVerify(ctx context.Context, j *job) (*outcome, error) {
	return rendered(verifyOutcome)(core.Verify(ctx, core.VerifyOptions{Migration: j.p.m, Selection: j.selection(), Observer: j.observer()}))
}

// verifyOutcome renders what Verify did.
func verifyOutcome(res *core.VerifyResult, _ error) *outcome {
	out := &outcome{icon: iconOK, report: res,
		headline: fmt.Sprintf("data matches: %d tables, %d rows", len(res.Tables), res.Rows)}
	switch {
	case res.Mismatches > 0:
		out.icon = iconFailed
		out.headline = fmt.Sprintf("%d of %d tables differ", res.Mismatches, len(res.Tables))
	case res.Changing > 0:
		out.icon = iconFailed
		out.headline = fmt.Sprintf("not verified: %d of %d tables kept changing at every point; the others match", res.Changing, len(res.Tables))
	case !res.OK:
		out.icon = iconFailed
		out.headline = fmt.Sprintf("data matches (%d tables, %d rows), privileges differ on %d objects", len(res.Tables), res.Rows, len(res.Privileges.Differences))
	}
	out.fact("Compared along", res.Direction)
	out.set(outMismatches, strconv.Itoa(res.Mismatches))
	out.set(outTables, strconv.Itoa(len(res.Tables)))
	out.fact("Rows on the primary", strconv.FormatInt(res.Rows, 10))
	out.section("Tables, differences first", verifyTable(res.Tables))
	privilegesSection(out, res.Privileges)
	return out
}

func verifyTable(checks []core.TableCheck) string {
	sorted := append([]core.TableCheck(nil), checks...)
	sort.SliceStable(sorted, func(a, b int) bool { return !sorted[a].Match && sorted[b].Match })
	rows := make([][]string, len(sorted))
	for i, c := range sorted {
		result := iconOK + " match"
		switch {
		case c.Error != "":
			result = iconFailed + " " + text(c.Error)
		case c.Changing:
			result = iconFailed + " kept changing: not compared"
		case !c.Match && c.PrimaryRows != c.ReplicaRows:
			result = iconFailed + fmt.Sprintf(" %+d rows on the replica", c.ReplicaRows-c.PrimaryRows)
		case !c.Match:
			result = iconFailed + " same count, different rows"
		}
		rows[i] = []string{code(c.TableName.String()), strconv.FormatInt(c.PrimaryRows, 10),
			strconv.FormatInt(c.ReplicaRows, 10), result}
	}
	return table([]string{"Table", "Primary rows", "Replica rows", "Result"}, rows)
}

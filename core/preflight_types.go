package core

// Check outcomes.
const (
	CheckPass = "pass"
	CheckWarn = "warn"
	CheckFail = "fail"
)

// Check is one preflight finding.
type Check struct {
	Name   string `json:"name"`
	Status string `json:"status"` // pass, warn or fail
	Detail string `json:"detail"`
	Remedy Remedy `json:"remedy,omitzero"` // what to do about a warning or a failure
}

// PreflightResult is every check, and whether any of them blocks the migration.
type PreflightResult struct {
	OK             bool    `json:"ok"` // no check failed
	Checks         []Check `json:"checks"`
	PrimaryVersion string  `json:"primary_version,omitempty"`
	ReplicaVersion string  `json:"replica_version,omitempty"`
	PgDumpVersion  string  `json:"pg_dump_version,omitempty"`
	// Roles are the roles that own migrated objects, hold privileges on them or are the
	// application's, where each stands on the replica, and what setup would do about it.
	Roles []MigratedRole `json:"roles,omitempty"`
	// Copy is what the replica's settings make of the initial copy (preflight_copy.go).
	Copy *CopyAdvice `json:"copy,omitempty"`
}

// Failed returns the checks that block the migration.
func (r *PreflightResult) Failed() []Check {
	var out []Check
	for _, c := range r.Checks {
		if c.Status == CheckFail {
			out = append(out, c)
		}
	}
	return out
}

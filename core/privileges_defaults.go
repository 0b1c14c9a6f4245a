package core

import (
	"cmp"
	"maps"
	"slices"
)

// defaults compares the default privileges the primary's roles set (ALTER DEFAULT
// PRIVILEGES), globally and in the migrated schemas, with the replica's for the same roles:
// what the application creates after the switch gets the privileges it got before. Only
// the roles and schemas the primary names are compared; a global setting the replica lacks
// counts as PostgreSQL's built-in default. Schemas the replica lacks are skipped.
func (c *comparison) defaults(primary, replica map[defaultKey]acl, schemas map[string]bool) []*aclDiff {
	var out []*aclDiff
	for _, k := range sortedDefaultKeys(primary) {
		role, ok := c.grantee(k.role)
		if !ok || (k.schema != "" && !schemas[k.schema]) {
			continue
		}
		rk := defaultKey{role: role, schema: k.schema, objtype: k.objtype}
		want := c.desired(&aclObject{kind: "default privileges", acl: primary[k]}, role)
		have, set := replica[rk]
		if !set && k.schema == "" {
			have = builtinDefault(k.objtype)
		}
		diffs := diffACLs(want, c.actual(&aclObject{acl: have, owner: role}, role), false)
		for _, g := range slices.Sorted(maps.Keys(diffs)) {
			if d := diffs[g]; !d.empty() {
				d.def = &rk
				out = append(out, d)
			}
		}
	}
	return out
}

func sortedDefaultKeys(m map[defaultKey]acl) []defaultKey {
	return slices.SortedFunc(maps.Keys(m), func(a, b defaultKey) int {
		return cmp.Or(cmp.Compare(a.role, b.role), cmp.Compare(a.schema, b.schema), cmp.Compare(a.objtype, b.objtype))
	})
}

// defaultObjects names default privileges' object types as ALTER DEFAULT PRIVILEGES does.
var defaultObjects = map[string]string{"r": "TABLES", "S": "SEQUENCES", "f": "FUNCTIONS", "T": "TYPES", "n": "SCHEMAS"}

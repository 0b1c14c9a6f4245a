package core

import (
	"cmp"
	"maps"
	"slices"
)

// comparison compares the primary's privileges with the replica's, object by object, as the
// replica should hold them: each grantee by its replica name (the role map), the owner's
// privileges as grants to its role where that role does not own the replica's object (it
// owns them implicitly where it does), nothing for superusers (they need no grant), nothing
// for roles the replica lacks (reported instead). On the replica it looks only at PUBLIC
// and the roles the primary's privileges name: what it grants other roles of its own is
// the replica's business.
type comparison struct {
	rm           roleMap
	primaryRoles map[string]*roleInfo // by primary name
	onReplica    func(role string) bool
	primaryMajor int
	managed      map[string]bool // replica names of the roles compared
	missing      map[string]bool // primary roles not compared: the replica lacks them
}

// aclDiff is what one grantee lacks or has too much of on one object of the replica, or in
// one role's default privileges there.
type aclDiff struct {
	obj                                      *aclObject  // the replica's object; nil for default privileges
	def                                      *defaultKey // default privileges, by replica names
	grantee                                  string      // replica name; "" for PUBLIC
	grant, grantOption, revoke, revokeOption []string
}

// empty reports whether nothing differs.
func (d *aclDiff) empty() bool {
	return len(d.grant)+len(d.grantOption)+len(d.revoke)+len(d.revokeOption) == 0
}

// grantee maps a grantee of the primary to the replica's name, or reports that it is not
// compared: a superuser, or a role the replica lacks.
func (c *comparison) grantee(role string) (string, bool) {
	if role == "" {
		return "", true
	}
	if r := c.primaryRoles[role]; r != nil && r.super {
		return "", false
	}
	repl := c.rm.onReplica(role)
	if !c.onReplica(repl) {
		c.missing[role] = true
		return "", false
	}
	return repl, true
}

// desired is the primary's ACL as the replica's object, owned by owner, should hold it.
func (c *comparison) desired(p *aclObject, owner string) acl {
	out := acl{}
	for k, opt := range p.acl {
		g, ok := c.grantee(k.grantee)
		switch {
		case !ok || g == owner:
		case p.kind == "database" && g == "": // the database's PUBLIC is the replica's own
		case p.kind == "schema" && p.name == "public" && g == "" && k.privilege == "CREATE" && c.primaryMajor < 15:
			// PostgreSQL 15 took CREATE on public from PUBLIC; pg_upgrade and pg_dump keep
			// the new default, and so does pghandoff.
		default:
			key := aclKey{g, k.privilege}
			out[key] = out[key] || opt
		}
	}
	return out
}

// newerThanPrimary says whether privilege is one the primary's version does not have
// (MAINTAIN came with PostgreSQL 17): a replica's default privileges granting ALL include it,
// and no grant of the primary can say otherwise.
func (c *comparison) newerThanPrimary(privilege string) bool {
	return privilege == "MAINTAIN" && c.primaryMajor < 17
}

// actual is the replica's ACL, as far as it is compared, for the object owned by owner
// (which may be the owner it is about to get).
func (c *comparison) actual(r *aclObject, owner string) acl {
	out := acl{}
	for k, opt := range r.acl {
		if c.newerThanPrimary(k.privilege) {
			continue // the replica's ALL includes it; the primary cannot grant it
		}
		if k.grantee != owner && k.grantee != r.owner && (k.grantee == "" || c.managed[k.grantee]) {
			out[k] = opt
		}
	}
	return out
}

// diffACLs lists, per grantee, what want has and have lacks, and the other way round.
func diffACLs(want, have acl, onlyGrants bool) map[string]*aclDiff {
	out := map[string]*aclDiff{}
	of := func(g string) *aclDiff {
		if out[g] == nil {
			out[g] = &aclDiff{grantee: g}
		}
		return out[g]
	}
	for _, k := range sortedKeys(want) {
		opt, had := have[k]
		switch {
		case !had && want[k]:
			of(k.grantee).grantOption = append(of(k.grantee).grantOption, k.privilege)
		case !had:
			of(k.grantee).grant = append(of(k.grantee).grant, k.privilege)
		case want[k] && !opt:
			of(k.grantee).grantOption = append(of(k.grantee).grantOption, k.privilege)
		case !want[k] && opt && !onlyGrants:
			of(k.grantee).revokeOption = append(of(k.grantee).revokeOption, k.privilege)
		}
	}
	for _, k := range sortedKeys(have) {
		if _, wanted := want[k]; !wanted && !onlyGrants {
			of(k.grantee).revoke = append(of(k.grantee).revoke, k.privilege)
		}
	}
	return out
}

func sortedKeys(a acl) []aclKey {
	return slices.SortedFunc(maps.Keys(a), func(x, y aclKey) int {
		return cmp.Or(cmp.Compare(x.grantee, y.grantee), cmp.Compare(x.privilege, y.privilege))
	})
}

// objects compares every object both servers have; owners are the replica's owners as they
// will be (the --owners step). An object the replica lacks is not compared: it is not
// imported yet.
func (c *comparison) objects(primary, replica *aclCatalog, owners map[string]string) []*aclDiff {
	var out []*aclDiff
	for _, key := range primary.order {
		p := primary.objects[key]
		r := replica.objects[key]
		if r == nil && p.kind == "column" {
			r = columnOf(replica, p) // a column without privileges of its own is not listed
		}
		if r == nil {
			continue
		}
		owner := r.owner
		if o, ok := owners[key]; ok {
			owner = o
		}
		diffs := diffACLs(c.desired(p, owner), c.actual(r, owner), p.kind == "database")
		for _, g := range slices.Sorted(maps.Keys(diffs)) {
			if d := diffs[g]; !d.empty() {
				d.obj = r
				out = append(out, d)
			}
		}
	}
	return out
}

// columnOf is the replica's column p, with no privileges, when its table is there.
func columnOf(replica *aclCatalog, p *aclObject) *aclObject {
	for _, kind := range []string{"table", "view", "materialized view", "foreign table"} {
		if t := replica.objects[kind+" "+p.name+" "]; t != nil {
			col := *p
			col.owner, col.acl = t.owner, acl{}
			return &col
		}
	}
	return nil
}

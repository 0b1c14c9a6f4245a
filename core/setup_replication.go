package core

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

func (p *setupPlan) publish(ctx context.Context, r *runner) error {
	name := ident(p.opts.name())
	if p.copy != nil && p.pst.publication {
		return p.publishOnly(ctx, r)
	}
	var missing []string
	for _, t := range p.publishedFirst() {
		if !slices.Contains(p.pst.published, t.TableName) {
			missing = append(missing, t.String())
		}
	}
	if !p.pst.publication {
		sql := fmt.Sprintf("CREATE PUBLICATION %s FOR TABLE %s WITH (publish_via_partition_root = true)", name, strings.Join(missing, ", "))
		if err := r.exec(ctx, p.primary, sql, ""); err != nil {
			return err
		}
		return p.recordMeta(ctx, r)
	}
	if !p.pst.viaRoot {
		if err := r.exec(ctx, p.primary, fmt.Sprintf("ALTER PUBLICATION %s SET (publish_via_partition_root = true)", name), ""); err != nil {
			return err
		}
	}
	if len(missing) > 0 {
		if err := r.exec(ctx, p.primary, fmt.Sprintf("ALTER PUBLICATION %s ADD TABLE %s", name, strings.Join(missing, ", ")), ""); err != nil {
			return err
		}
		return p.recordMeta(ctx, r)
	}
	if p.roleMetaChanged() {
		return p.recordMeta(ctx, r)
	}
	return nil
}

// recordMeta stores the selection in the publication's comment for status and teardown.
func (p *setupPlan) recordMeta(ctx context.Context, r *runner) error {
	meta := p.pst.meta
	meta.Tool = "pghandoff"
	meta.Schemas = p.opts.Schemas
	meta.ExcludeTables = p.opts.ExcludeTables
	p.roleMeta(&meta)
	for _, t := range p.res.ReplicaIdentityFull {
		if !slices.Contains(meta.ReplicaIdentityFull, t) {
			meta.ReplicaIdentityFull = append(meta.ReplicaIdentityFull, t)
		}
	}
	b, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	return r.exec(ctx, p.primary, fmt.Sprintf("COMMENT ON PUBLICATION %s IS %s", ident(p.opts.name()), literal(string(b))), "")
}

// createSlot makes the slot on the primary before the subscription uses it, so that a crash
// between the two leaves a slot the next run adopts instead of one it trips over.
func (p *setupPlan) createSlot(ctx context.Context, r *runner) error {
	if p.pst.slot != nil || p.copy != nil {
		return nil
	}
	return r.exec(ctx, p.primary, fmt.Sprintf("SELECT pg_create_logical_replication_slot(%s, 'pgoutput')", literal(p.opts.name())), "")
}

// subscriptionUnreachableHint is the seed README's advice for a replica that cannot reach
// the primary.
const subscriptionUnreachableHint = "the replica could not connect to the primary. The primary must accept connections " +
	"from the replica's network, not only from this machine: make the instance publicly accessible (on AWS the RDS or " +
	"Aurora instance, not the cluster), let its security group or firewall admit the replica, and give its subnets' " +
	"routing table a route from the internet through an internet gateway. Then run setup again"

func (p *setupPlan) subscribe(ctx context.Context, r *runner) error {
	name := p.opts.name()
	sub := p.rst.subscription
	if sub == nil && p.copy != nil {
		return nil // copyAndSubscribe made it
	}
	if sub == nil {
		return p.createSubscription(ctx, r, true)
	}
	if !slices.Contains(sub.publications, name) {
		return refused(remedy("choose another ", OptName), "the replica's subscription %s subscribes to %v, not to publication %s", name, sub.publications, name)
	}
	if !sub.enabled {
		if err := r.exec(ctx, p.replica, fmt.Sprintf("ALTER SUBSCRIPTION %s ENABLE", ident(name)), ""); err != nil {
			return err
		}
	}
	if p.publishedNewTables() {
		return r.exec(ctx, p.replica, fmt.Sprintf("ALTER SUBSCRIPTION %s REFRESH PUBLICATION", ident(name)), "")
	}
	return nil
}

// createSubscription subscribes the replica, with the transfer options both servers allow
// (transfer.go); copyData has its sync workers copy every table first.
func (p *setupPlan) createSubscription(ctx context.Context, r *runner, copyData bool) error {
	name := p.opts.name()
	transfer, err := decideTransfer(ctx, p.primary, p.replica, catalogNames(p.tables.publish))
	if err != nil {
		return err
	}
	p.res.Transfer = &transfer
	withOpts := append([]string{"create_slot = false", "slot_name = " + literal(name), fmt.Sprintf("copy_data = %t", copyData)}, transfer.options()...)
	format := "CREATE SUBSCRIPTION " + ident(name) + " CONNECTION %s PUBLICATION " + ident(name) + " WITH (" + strings.Join(withOpts, ", ") + ")"
	dsn := p.opts.primaryForReplica()
	err = r.exec(ctx, p.replica, fmt.Sprintf(format, literal(dsn.ConnInfo())), fmt.Sprintf(format, literal(dsn.redactedConnInfo())))
	if err != nil && strings.HasPrefix(sqlState(err), "08") {
		return withHint(err, remedy(subscriptionUnreachableHint, ". If the replica reaches the primary at another address than this machine does, give it as ", OptPrimaryForReplica))
	}
	return err
}

// publishedNewTables reports whether this run added tables to an existing publication.
func (p *setupPlan) publishedNewTables() bool {
	if !p.pst.publication {
		return false
	}
	for _, t := range p.tables.publish {
		if !slices.Contains(p.pst.published, t.TableName) {
			return true
		}
	}
	return false
}

// publishOnly makes an existing publication hold exactly the tables setup copies, before
// the slot is made: a run that stopped before subscribing may have left others in it, which
// a subscription made with copy_data = false would count as copied.
func (p *setupPlan) publishOnly(ctx context.Context, r *runner) error {
	name := ident(p.opts.name())
	if !p.pst.viaRoot {
		if err := r.exec(ctx, p.primary, fmt.Sprintf("ALTER PUBLICATION %s SET (publish_via_partition_root = true)", name), ""); err != nil {
			return err
		}
	}
	want := catalogNames(p.publishedFirst())
	same := len(want) == len(p.pst.published)
	for _, t := range want {
		same = same && slices.Contains(p.pst.published, t)
	}
	if same && !p.roleMetaChanged() {
		return nil
	}
	if !same {
		if err := r.exec(ctx, p.primary, fmt.Sprintf("ALTER PUBLICATION %s SET TABLE %s", name, tableList(want)), ""); err != nil {
			return err
		}
	}
	return p.recordMeta(ctx, r)
}

// publishRest adds the tables setup left to the workers once the subscription exists: its
// refresh has the workers copy each from a snapshot of its own, and stream it from there.
func (p *setupPlan) publishRest(ctx context.Context, r *runner) error {
	if p.copy == nil || len(p.copy.workers) == 0 {
		return nil
	}
	if err := p.addToPublication(ctx, r, p.copy.workers); err != nil {
		return err
	}
	return r.exec(ctx, p.replica, fmt.Sprintf("ALTER SUBSCRIPTION %s REFRESH PUBLICATION", ident(p.opts.name())), "")
}

// addToPublication publishes tables too, and records the selection again.
func (p *setupPlan) addToPublication(ctx context.Context, r *runner, tables []catalogTable) error {
	if err := r.exec(ctx, p.primary, fmt.Sprintf("ALTER PUBLICATION %s ADD TABLE %s", ident(p.opts.name()), tableList(catalogNames(tables))), ""); err != nil {
		return err
	}
	return p.recordMeta(ctx, r)
}

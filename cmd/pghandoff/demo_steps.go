package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/pgcluster"
	"github.com/pghandoff/pghandoff/internal/workload"
)

func (d *demo) startServers(ctx context.Context) (string, error) {
	replicaMajor := 17
	if _, err := pgcluster.BinDir(17); err != nil {
		replicaMajor = 15 // without PostgreSQL 17, the replica runs 15 too
	}
	specs := []struct {
		name  string
		major int
		into  **pgcluster.Cluster
	}{{"demo-primary", 15, &d.primary}, {"demo-replica", replicaMajor, &d.replica}, {"demo-proxy", 15, &d.proxy}}
	if d.viaBouncer() {
		specs = specs[:2] // PgBouncer instead of the proxy
	}
	var wg sync.WaitGroup
	errs := make([]error, len(specs))
	for i, s := range specs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			*s.into, errs[i] = pgcluster.Start(ctx, s.name, s.major)
			if errs[i] == nil {
				errs[i] = (*s.into).Exec(ctx, "postgres", "CREATE DATABASE "+demoDB)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return "", fmt.Errorf("%w (run `make demo`, which installs PostgreSQL)", err)
		}
	}
	servers := fmt.Sprintf("primary: PostgreSQL %d on port %d; replica: PostgreSQL %d on port %d",
		d.primary.Major, d.primary.Port, d.replica.Major, d.replica.Port)
	if d.viaBouncer() {
		return d.startBouncer(ctx, servers)
	}
	var err error
	d.m, err = core.NewMigration(core.DefaultName, map[core.Option]string{core.OptPrimary: d.primary.DSN(demoDB),
		core.OptReplica: d.replica.DSN(demoDB), core.OptProxy: d.proxy.DSN(demoDB)})
	if err != nil {
		return "", err
	}
	d.m.Client.Name = "demo"
	return fmt.Sprintf("%s; proxy: PostgreSQL %d on port %d", servers, d.proxy.Major, d.proxy.Port), nil
}

func (d *demo) stopServers() {
	if d.bouncer != nil {
		d.bouncer.Stop()
	}
	for _, c := range []*pgcluster.Cluster{d.primary, d.replica, d.proxy} {
		if c != nil {
			c.Stop()
		}
	}
}

func (d *demo) loadData(ctx context.Context) (string, error) {
	if err := d.primary.Exec(ctx, demoDB, demoSchema+workload.Schema); err != nil {
		return "", err
	}
	if err := d.primary.Exec(ctx, demoDB, demoData); err != nil {
		return "", err
	}
	return "schemas \"Shop\", inventory and public: customers, orders, items, a partitioned event log, the application's ledger", nil
}

func (d *demo) preflight(ctx context.Context) (string, error) {
	res, err := core.Preflight(ctx, core.PreflightOptions{Migration: d.m, Observer: d.obs})
	if err != nil {
		return "", err
	}
	if !res.OK {
		return "", fmt.Errorf("preflight found blockers: %+v", res.Failed())
	}
	warn := 0
	for _, c := range res.Checks {
		if c.Status == core.CheckWarn {
			warn++
		}
	}
	return fmt.Sprintf("%d checks, none failed, %d with a warning", len(res.Checks), warn), nil
}

func (d *demo) setup(ctx context.Context) (string, error) {
	d.setupStart = time.Now()
	res, err := core.Setup(ctx, core.SetupOptions{Migration: d.m, Execution: core.Execution{Observer: d.obs}})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("schema imported, %d tables replicating (%d statements)", len(res.Tables), len(res.Statements)), nil
}

func (d *demo) wait(ctx context.Context) (string, error) {
	st, err := core.Wait(ctx, core.WaitOptions{StatusOptions: core.StatusOptions{Migration: d.m}, Interval: 250 * time.Millisecond,
		Timeout: 5 * time.Minute, OnStatus: func(st *core.Status) {
			fmt.Fprintf(d.out, "      %s\n", progressLine(st))
		}})
	if err != nil {
		return "", err
	}
	d.toReady = time.Since(d.setupStart)
	v, err := core.Verify(ctx, core.VerifyOptions{Migration: d.m})
	if err != nil {
		return "", err
	}
	d.rows = v.Rows
	return fmt.Sprintf("ready: lag %s, a sentinel row took %.1f ms to arrive; %d rows copied", core.FormatBytes(*st.LagBytes), *st.SentinelMS, d.rows), nil
}

func (d *demo) proxyCreate(ctx context.Context) (string, error) {
	if d.viaBouncer() {
		return d.bouncerCreate(ctx)
	}
	res, err := core.ProxyCreate(ctx, core.ProxyCreateOptions{Migration: d.m, Execution: core.Execution{Observer: d.obs}})
	if err != nil {
		return "", err
	}
	if err := d.startApp(ctx, d.proxy.DSN(demoDB)); err != nil {
		return "", err
	}
	return fmt.Sprintf("%d foreign tables and %d views on the proxy; %d clients writing through it, %d inserts acknowledged so far",
		len(res.Tables), len(res.Views), d.clients, d.app.Acked()), nil
}

// startApp starts the application's clients on dsn and waits for their first writes.
func (d *demo) startApp(ctx context.Context, dsn string) error {
	var err error
	if d.app, err = workload.Start(ctx, dsn, d.clients); err != nil {
		return err
	}
	return d.app.WaitAcked(ctx, 200)
}

func (d *demo) cutover(ctx context.Context) (string, error) {
	if _, err := core.Wait(ctx, core.WaitOptions{StatusOptions: core.StatusOptions{Migration: d.m}, Interval: 100 * time.Millisecond, Timeout: time.Minute}); err != nil {
		return "", err
	}
	d.cutoverStart = time.Now()
	res, err := core.Cutover(ctx, core.CutoverOptions{SwitchOptions: core.SwitchOptions{Migration: d.m, Watchdog: bouncerWatchdog,
		Execution: core.Execution{Observer: d.obs}}, Failsafe: true})
	d.cutoverEnd = time.Now()
	if err != nil {
		return "", err
	}
	d.pause = time.Duration(res.PauseMS * float64(time.Millisecond))
	if err := d.app.WaitAcked(ctx, 200); err != nil { // the application carries on, on the replica
		return "", err
	}
	waited := "statements"
	if d.viaBouncer() {
		waited = "clients"
	}
	return fmt.Sprintf("switched in a %.1f ms pause (%d %s waited); sentinel LSN %s; %d sequences set; failsafe from %s",
		res.PauseMS, res.WaitedStatements, waited, res.SentinelLSN, len(res.Sequences), res.Failsafe.StartLSN), nil
}

func (d *demo) check(ctx context.Context) (string, error) {
	conn, err := d.replica.Connect(ctx, demoDB)
	if err != nil {
		return "", err
	}
	defer conn.Close(context.Background())
	if d.report, err = d.app.Check(ctx, conn, d.cutoverEnd); err != nil {
		return "", err
	}
	if !d.report.OK() {
		return "", fmt.Errorf("%d acknowledged writes lost, %d reordered: %s", d.report.Lost, d.report.Reordered, strings.Join(d.report.Problems, "; "))
	}
	// The failsafe carries the writes made on the new primary back to the old one: once it
	// has caught up, both hold the same rows.
	var v *core.VerifyResult
	for deadline := time.Now().Add(time.Minute); ; {
		v, err = core.Verify(ctx, core.VerifyOptions{Migration: d.m})
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if err != nil {
		return "", fmt.Errorf("verify after the failsafe caught up: %w", err)
	}
	return fmt.Sprintf("all %d acknowledged inserts on the new primary once each, every counter exact; %d tables identical on both servers",
		d.report.Inserts, len(v.Tables)), nil
}

func (d *demo) cleanUp(ctx context.Context) (string, error) {
	if _, err := core.ProxyRemove(ctx, core.ProxyRemoveOptions{Migration: d.m, Execution: core.Execution{Observer: d.obs}}); err != nil {
		return "", err
	}
	if _, err := core.Teardown(ctx, core.TeardownOptions{Migration: d.m, Execution: core.Execution{Observer: d.obs}}); err != nil {
		return "", err
	}
	var left []string
	for _, c := range []*pgcluster.Cluster{d.primary, d.replica, d.proxy} {
		if c == nil {
			continue
		}
		found, err := core.Traces(ctx, core.MustParseDSN(c.DSN(demoDB)), d.m)
		if err != nil {
			return "", err
		}
		for _, f := range found {
			left = append(left, f+" on "+c.Name)
		}
	}
	if len(left) > 0 {
		return "", fmt.Errorf("left behind: %s", strings.Join(left, ", "))
	}
	if d.viaBouncer() {
		return "nothing of pghandoff is left on the servers; PgBouncer's entry stays, pointing at the new primary", nil
	}
	return "nothing of pghandoff is left on the three servers", nil
}

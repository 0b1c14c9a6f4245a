package core

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// primaryState is what exists of a migration on the primary.
type primaryState struct {
	sentinel    bool
	publication bool
	viaRoot     bool
	meta        publicationMeta
	published   []TableName
	slot        *slotState // the migration's slot, for this database
	// slotElsewhere names another database whose slot has the migration's name: slot names
	// are shared by every database of a server.
	slotElsewhere string
}

type slotState struct {
	active    bool
	activePID *int32
	database  string
	plugin    string
}

// replicaState is what exists of a migration on the replica.
type replicaState struct {
	sentinel     bool
	subscription *subscriptionState
}

type subscriptionState struct {
	oid          uint32
	enabled      bool
	publications []string
	slotName     *string
}

// publicationMeta is what setup records, as JSON in the publication's comment, for status
// and teardown to read back: no extra object on the primary, and it goes with the publication.
type publicationMeta struct {
	Tool                string      `json:"tool"`
	Schemas             []string    `json:"schemas,omitempty"`
	ExcludeTables       []TableName `json:"exclude_tables,omitempty"`
	ReplicaIdentityFull []TableName `json:"replica_identity_full,omitempty"`
	// Privileges: setup carried the objects' privileges (setup_privileges.go), which verify
	// then compares. ApplicationRoles are the roles named with map-role, by their names on
	// the primary, and RoleMap their names on the replica where those differ.
	Privileges       bool              `json:"privileges,omitempty"`
	ApplicationRoles []string          `json:"application_roles,omitempty"`
	RoleMap          map[string]string `json:"role_map,omitempty"`
}

func readPrimaryState(ctx context.Context, s *server, m Migration) (primaryState, error) {
	var st primaryState
	name := m.name()
	err := s.conn.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, m.sentinel().String()).Scan(&st.sentinel)
	if err != nil {
		return st, fmt.Errorf("primary: read sentinel table: %w", err)
	}
	var comment *string
	err = s.conn.QueryRow(ctx, `SELECT pubviaroot, obj_description(oid, 'pg_publication') FROM pg_publication WHERE pubname = $1`, name).
		Scan(&st.viaRoot, &comment)
	switch {
	case err == nil:
		st.publication = true
		if comment != nil {
			_ = json.Unmarshal([]byte(*comment), &st.meta) // a comment someone else wrote is not ours to read
		}
	case err != pgx.ErrNoRows:
		return st, fmt.Errorf("primary: read publication: %w", err)
	}
	if st.publication {
		rows, err := s.conn.Query(ctx, `SELECT n.nspname, c.relname FROM pg_publication_rel pr
			JOIN pg_publication p ON p.oid = pr.prpubid JOIN pg_class c ON c.oid = pr.prrelid
			JOIN pg_namespace n ON n.oid = c.relnamespace WHERE p.pubname = $1 ORDER BY 1, 2`, name)
		if err != nil {
			return st, fmt.Errorf("primary: read published tables: %w", err)
		}
		st.published, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (TableName, error) {
			var t TableName
			return t, r.Scan(&t.Schema, &t.Name)
		})
		if err != nil {
			return st, fmt.Errorf("primary: read published tables: %w", err)
		}
	}
	var slot slotState
	err = s.conn.QueryRow(ctx, `SELECT active, active_pid, coalesce(database, ''), coalesce(plugin, '')
		FROM pg_replication_slots WHERE slot_name = $1`, name).Scan(&slot.active, &slot.activePID, &slot.database, &slot.plugin)
	switch {
	case err == nil && slot.database == s.dsn.Database():
		st.slot = &slot
	case err == nil:
		st.slotElsewhere = slot.database
	case err != pgx.ErrNoRows:
		return st, fmt.Errorf("primary: read replication slot: %w", err)
	}
	return st, nil
}

func readReplicaState(ctx context.Context, s *server, m Migration) (replicaState, error) {
	var st replicaState
	err := s.conn.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, m.sentinel().String()).Scan(&st.sentinel)
	if err != nil {
		return st, fmt.Errorf("replica: read sentinel table: %w", err)
	}
	var sub subscriptionState
	err = s.conn.QueryRow(ctx, `SELECT s.oid::int8, s.subenabled, s.subpublications, s.subslotname
		FROM pg_subscription s JOIN pg_database d ON d.oid = s.subdbid
		WHERE s.subname = $1 AND d.datname = current_database()`, m.name()).
		Scan(&sub.oid, &sub.enabled, &sub.publications, &sub.slotName)
	switch {
	case err == nil:
		st.subscription = &sub
	case err != pgx.ErrNoRows:
		return st, fmt.Errorf("replica: read subscription: %w", err)
	}
	return st, nil
}

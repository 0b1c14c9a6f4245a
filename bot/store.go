package bot

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pghandoff/pghandoff/core"
)

//go:embed sql/*.sql
var sqlFiles embed.FS

// queries are the bot's statements, by the name each carries in its "-- name:" line.
var queries = loadQueries(sqlFiles)

func loadQueries(fsys fs.FS) map[string]string {
	out := map[string]string{}
	files, _ := fs.Glob(fsys, "sql/*.sql")
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			panic(err)
		}
		for _, part := range strings.Split(string(b), "-- name: ")[1:] {
			name, body, _ := strings.Cut(part, "\n")
			out[strings.TrimSpace(name)] = strings.TrimSpace(body)
		}
	}
	return out
}

func q(name string) string {
	s, ok := queries[name]
	if !ok {
		panic("bot: no query " + name)
	}
	return s
}

// schemaLockKey serialises schema creation between replicas starting together.
const schemaLockKey int64 = 0x7067686f626f74 // "pghobot"

// store is the bot's state in PostgreSQL: shared by replicas, kept across restarts.
type store struct{ pool *pgxpool.Pool }

func openStore(ctx context.Context, dsn core.DSN) (*store, error) {
	cfg, err := pgxpool.ParseConfig(dsn.ConnInfo())
	if err != nil {
		return nil, fmt.Errorf("state store: invalid connection string")
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = "pghandoff bot (state)"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("state store %s: %w", dsn, err)
	}
	s := &store{pool: pool}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("state store %s: %w", dsn, err)
	}
	return s, nil
}

func (s *store) migrate(ctx context.Context) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", schemaLockKey); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, q("schema"))
		return err
	})
}

func (s *store) close() { s.pool.Close() }

func (s *store) ping(ctx context.Context) error { return s.pool.Ping(ctx) }

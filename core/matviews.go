package core

import (
	"context"
	"fmt"
)

// refreshMaterializedViews populates the materialized views of s that are empty: the schema
// import creates them WITH NO DATA (their contents are not replicated), and every read of one
// fails until it is refreshed. It returns the views it refreshed, or under dry-run would.
func refreshMaterializedViews(ctx context.Context, r *runner, s *server) ([]string, error) {
	views, err := s.queryStrings(ctx, `SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind = 'm' AND NOT c.relispopulated AND n.nspname NOT IN ('pg_catalog', 'information_schema')
		ORDER BY 1`)
	if err != nil {
		return nil, fmt.Errorf("%s: list materialized views: %w", s.role, err)
	}
	// A view that reads another needs that one populated first: refresh in rounds, each
	// taking the views whose inputs the last round populated.
	pending := views
	for len(pending) > 0 {
		var later []string
		for _, v := range pending {
			err := r.exec(ctx, s, "REFRESH MATERIALIZED VIEW "+v, "")
			switch {
			case err == nil:
			case sqlState(err) == codeNotPopulated && len(later) < len(pending)-1:
				later = append(later, v)
			default:
				return nil, err
			}
		}
		if len(later) == len(pending) {
			break
		}
		pending = later
	}
	return views, nil
}

// codeNotPopulated: a materialized view read before it was populated.
const codeNotPopulated = "55000"

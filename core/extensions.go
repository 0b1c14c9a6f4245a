package core

import (
	"context"
	"fmt"
	"slices"
)

// missingExtensions lists the extensions installed on the primary that the replica cannot
// create: the schema import would stop at their CREATE EXTENSION.
func missingExtensions(ctx context.Context, primary, replica *server) (used, missing []string, err error) {
	used, err = primary.queryStrings(ctx, `SELECT extname::text FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY 1`)
	if err != nil {
		return nil, nil, fmt.Errorf("primary: list extensions: %w", err)
	}
	available, err := replica.queryStrings(ctx, `SELECT name::text FROM pg_available_extensions`)
	if err != nil {
		return nil, nil, fmt.Errorf("replica: list available extensions: %w", err)
	}
	for _, e := range used {
		if !slices.Contains(available, e) {
			missing = append(missing, e)
		}
	}
	return used, missing, nil
}

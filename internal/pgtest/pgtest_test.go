package pgtest

import (
	"context"
	"os"
	"testing"
)

func TestMain(m *testing.M) { os.Exit(Run(m)) }

func TestClustersStartOnBothVersions(t *testing.T) {
	for _, p := range Pairs(t) {
		t.Run(p.Name, func(t *testing.T) {
			for _, c := range []*Cluster{p.Primary, p.Replica} {
				db := Database(t, c)
				conn, err := c.Connect(context.Background(), db)
				if err != nil {
					t.Fatal(err)
				}
				var version, walLevel string
				if err := conn.QueryRow(context.Background(),
					"SELECT current_setting('server_version_num'), current_setting('wal_level')").Scan(&version, &walLevel); err != nil {
					t.Fatal(err)
				}
				conn.Close(context.Background())
				if walLevel != "logical" || version[:2] != map[int]string{15: "15", 17: "17", 18: "18"}[c.Major] {
					t.Fatalf("%s: version %s wal_level %s", c.Name, version, walLevel)
				}
			}
		})
	}
}

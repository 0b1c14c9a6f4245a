package pgcluster

import (
	"os"
	"path/filepath"
)

// WriteFile writes a file of the test's into the cluster's directory, owned by the user the
// server runs as (a server's TLS key, say, which it reads only if it owns it), and returns
// its path.
func (c *Cluster) WriteFile(name string, data []byte, perm os.FileMode) (string, error) {
	path := filepath.Join(c.Dir, name)
	if err := os.WriteFile(path, data, perm); err != nil {
		return "", err
	}
	return path, c.chownToServer(path)
}

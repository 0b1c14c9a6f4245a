package core

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// writeFileAtomic replaces the file at path with data so that a reader sees the old file or
// the new one, whole, even across a crash: a temporary file in the same directory (created
// with mode 0600, so the secret is never readable by others, not even for a moment), synced,
// renamed over the old one, and the directory synced so that the rename itself is durable.
//
// The new file keeps the old one's mode (never readable by others) and its owner and group,
// since PgBouncer may run as another user that reads the file through them; when pghandoff
// cannot give the new file that owner, it stops before replacing anything. A symbolic link
// is followed: the file it points to is replaced, the link stays.
func writeFileAtomic(path string, data []byte) error {
	if target, err := filepath.EvalSymlinks(path); err == nil {
		path = target
	}
	mode, owner, err := fileMode(path)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	name := tmp.Name()
	defer os.Remove(name) // a no-op after the rename
	if err := fillFile(tmp, data, mode, owner); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(name, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return syncDir(filepath.Dir(path))
}

// fileMode is the mode and owner the new file gets: the old file's, without the bits that
// let others read it; 0600 and this process's user for a new file (owner nil).
func fileMode(path string) (os.FileMode, *syscall.Stat_t, error) {
	fi, err := os.Stat(path)
	if os.IsNotExist(err) {
		return 0o600, nil, nil
	}
	if err != nil {
		return 0, nil, fmt.Errorf("write %s: %w", path, err)
	}
	st, _ := fi.Sys().(*syscall.Stat_t)
	return fi.Mode().Perm() &^ 0o007, st, nil
}

func fillFile(f *os.File, data []byte, mode os.FileMode, owner *syscall.Stat_t) error {
	if err := f.Chmod(mode); err != nil {
		return err
	}
	if owner != nil && (int(owner.Uid) != os.Geteuid() || int(owner.Gid) != os.Getegid()) {
		if err := f.Chown(int(owner.Uid), int(owner.Gid)); err != nil {
			return withHint(fmt.Errorf("give the new file the old one's owner %d:%d: %w", owner.Uid, owner.Gid, err),
				remedy("run pghandoff as the file's owner (or root), so that the file it writes keeps the owner PgBouncer reads it as"))
		}
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	return f.Sync()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

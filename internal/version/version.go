// Package version tells which build of pghandoff is running, for `pghandoff version`, the
// Action's step summary, the bot's help and the metrics' build info.
//
// `go build` in a git checkout stamps the module version (the tag, or a pseudo-version past
// it) and the commit into the binary: the release workflow builds the binaries that way. A
// Docker build has no .git in its context, so the Dockerfile passes both through -ldflags -X
// into the variables below, which win over the build info when set.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Set with -ldflags "-X github.com/pghandoff/pghandoff/internal/version.version=v1.2.3
// -X github.com/pghandoff/pghandoff/internal/version.commit=<sha>".
var (
	version string
	commit  string
)

// Info is what is known of the running build.
type Info struct {
	Version   string `json:"version"`            // v1.2.3, a pseudo-version, or "devel"
	Commit    string `json:"commit,omitempty"`   // the VCS revision
	Time      string `json:"time,omitempty"`     // the commit's time
	Modified  bool   `json:"modified,omitempty"` // built from a work tree with changes
	GoVersion string `json:"go"`
	Platform  string `json:"platform"`
}

// Get reads the build information of the running binary.
func Get() Info {
	info := Info{Version: "devel", GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok {
		info = fromBuildInfo(bi, info)
	}
	if version != "" {
		info.Version = version
	}
	if commit != "" {
		info.Commit = commit
	}
	return info
}

func fromBuildInfo(bi *debug.BuildInfo, info Info) Info {
	// "(devel)" is what go run, go test and builds outside a VCS checkout record.
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		info.Version = v
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Commit = s.Value
		case "vcs.time":
			info.Time = s.Value
		case "vcs.modified":
			info.Modified = s.Value == "true"
		}
	}
	return info
}

// ShortCommit is the commit's first 12 characters.
func (i Info) ShortCommit() string {
	if len(i.Commit) > 12 {
		return i.Commit[:12]
	}
	return i.Commit
}

// String is one line: "v1.2.3 (commit 0123456789ab, modified)".
func (i Info) String() string {
	var extra []string
	if i.Commit != "" {
		extra = append(extra, "commit "+i.ShortCommit())
	}
	if i.Modified {
		extra = append(extra, "modified")
	}
	if len(extra) == 0 {
		return i.Version
	}
	return fmt.Sprintf("%s (%s)", i.Version, strings.Join(extra, ", "))
}

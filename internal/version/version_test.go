package version

import (
	"runtime/debug"
	"strings"
	"testing"
)

// The build info's module version and VCS settings become the Info; -ldflags values win.
func TestFromBuildInfo(t *testing.T) {
	bi := &debug.BuildInfo{Main: debug.Module{Version: "v1.4.2"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.time", Value: "2026-11-30T10:00:00Z"},
		{Key: "vcs.modified", Value: "true"},
	}}
	got := fromBuildInfo(bi, Info{Version: "devel"})
	if got.Version != "v1.4.2" || got.Commit != "0123456789abcdef0123" || !got.Modified || got.Time == "" {
		t.Fatalf("fromBuildInfo = %+v", got)
	}
	if s := got.String(); s != "v1.4.2 (commit 0123456789ab, modified)" {
		t.Fatalf("String() = %q", s)
	}
	if got := fromBuildInfo(&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, Info{Version: "devel"}); got.String() != "devel" {
		t.Fatalf("a build without version info: %q", got.String())
	}

	version, commit = "v9.9.9", "feedface"
	defer func() { version, commit = "", "" }()
	if got := Get(); got.Version != "v9.9.9" || got.Commit != "feedface" || !strings.Contains(got.Platform, "/") {
		t.Fatalf("Get with -ldflags values = %+v", got)
	}
}

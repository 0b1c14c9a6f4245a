package bot

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/pghandoff/pghandoff/internal/metrics"
)

// slackManifest is the part of a Slack app manifest the bot depends on.
type slackManifest struct {
	Features struct {
		SlashCommands []struct {
			Command, URL string
			UsageHint    string `yaml:"usage_hint"`
		} `yaml:"slash_commands"`
	}
	OAuthConfig struct {
		Scopes struct{ Bot []string }
	} `yaml:"oauth_config"`
	Settings struct {
		Interactivity struct {
			IsEnabled  bool   `yaml:"is_enabled"`
			RequestURL string `yaml:"request_url"`
		}
		SocketMode bool `yaml:"socket_mode_enabled"`
	}
}

// The app manifests in examples/ ask for the scopes the bot uses, offer only commands it
// serves (specs.go), point at the routes it serves in HTTP mode, and are what the README's
// setup uses.
func TestSlackAppManifests(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	modes := map[bool]string{}
	for _, name := range []string{"slack-app-manifest.yaml", "slack-app-manifest-http.yaml"} {
		raw, err := os.ReadFile(filepath.Join("..", "examples", name))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(readme), "examples/"+name) {
			t.Errorf("the README's setup does not use examples/%s", name)
		}
		var m slackManifest
		if err := yaml.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		checkManifest(t, name, m)
		modes[m.Settings.SocketMode] = name
	}
	if len(modes) != 2 {
		t.Errorf("want one Socket Mode manifest and one HTTP one: %v", modes)
	}
}

func checkManifest(t *testing.T, name string, m slackManifest) {
	t.Helper()
	for _, s := range []string{"commands", "chat:write", "chat:write.public", "usergroups:read"} {
		if !slices.Contains(m.OAuthConfig.Scopes.Bot, s) {
			t.Errorf("%s lacks scope %s", name, s)
		}
	}
	if len(m.Features.SlashCommands) != 1 || m.Features.SlashCommands[0].Command != "/pghandoff" || !m.Settings.Interactivity.IsEnabled {
		t.Fatalf("%s: want the one command /pghandoff and interactivity: %+v", name, m)
	}
	sc := m.Features.SlashCommands[0]
	// Each alternative of the usage hint starts with a command the bot serves.
	for _, alt := range strings.Split(sc.UsageHint, "|") {
		words := strings.Fields(alt)
		if len(words) == 0 || (specs[words[0]] == nil && (len(words) < 2 || specs[words[0]+" "+words[1]] == nil)) {
			t.Errorf("%s: usage hint %q names a command the bot does not serve", name, alt)
		}
	}
	if m.Settings.SocketMode {
		if sc.URL != "" || m.Settings.Interactivity.RequestURL != "" {
			t.Errorf("%s: Socket Mode with request URLs", name)
		}
		return
	}
	// HTTP mode: the URLs' paths are routes of the bot's handler (which answers an unsigned
	// request with 401, an unknown path with 404).
	h := (&Bot{log: slog.New(slog.DiscardHandler), metrics: metrics.New()}).httpHandler("secret")
	for _, u := range []string{sc.URL, m.Settings.Interactivity.RequestURL} {
		path := regexp.MustCompile(`^https://[^/]+(/.*)$`).FindStringSubmatch(u)
		if path == nil {
			t.Errorf("%s: %q is not an HTTPS URL", name, u)
			continue
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path[1], strings.NewReader("")))
		if rec.Code == http.StatusNotFound || rec.Code == http.StatusMethodNotAllowed {
			t.Errorf("%s: the bot serves no POST %s (HTTP %d)", name, path[1], rec.Code)
		}
	}
}

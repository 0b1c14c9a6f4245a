package bot

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The README's app manifests ask for the scopes the bot uses and point at its routes.
func TestReadmeManifests(t *testing.T) {
	raw, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	section := regexp.MustCompile("(?s)\n## Slack bot\n(.*?)\n## ").FindStringSubmatch(string(raw))
	if section == nil {
		t.Fatal("README.md has no Slack bot section")
	}
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(section[1], -1)
	if len(blocks) != 2 {
		t.Fatalf("%d manifests, want HTTP and Socket Mode", len(blocks))
	}
	for i, b := range blocks {
		var m struct {
			Features struct {
				SlashCommands []struct{ Command, URL string } `yaml:"slash_commands"`
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
		if err := yaml.Unmarshal([]byte(b[1]), &m); err != nil {
			t.Fatalf("manifest %d: %v", i, err)
		}
		for _, s := range []string{"commands", "chat:write", "chat:write.public", "usergroups:read"} {
			if !slices.Contains(m.OAuthConfig.Scopes.Bot, s) {
				t.Errorf("manifest %d lacks scope %s", i, s)
			}
		}
		if len(m.Features.SlashCommands) != 1 || m.Features.SlashCommands[0].Command != "/pghandoff" || !m.Settings.Interactivity.IsEnabled {
			t.Errorf("manifest %d: %+v", i, m)
		}
		http := !m.Settings.SocketMode
		if http != strings.HasSuffix(m.Features.SlashCommands[0].URL, "/slack/commands") ||
			http != strings.HasSuffix(m.Settings.Interactivity.RequestURL, "/slack/interactivity") {
			t.Errorf("manifest %d: URLs do not match the mode: %+v", i, m)
		}
	}
}

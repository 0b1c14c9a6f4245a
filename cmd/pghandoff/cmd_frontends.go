package main

import (
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/pghandoff/pghandoff/action"
	"github.com/pghandoff/pghandoff/bot"
)

// actionCommand is the GitHub Action's entry point: action.yml runs the image with `action`,
// and the Action reads its inputs from the runner's environment.
func (a *app) actionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "action",
		Short: "Run as the GitHub Action (inputs from INPUT_* variables; see action.yml)",
		Long: `Runs one migration step as a GitHub Action: the command and its inputs come from the
INPUT_* environment variables the runner sets from action.yml, outputs go to GITHUB_OUTPUT
and a Markdown summary to GITHUB_STEP_SUMMARY. See the README's GitHub Action section.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if code := action.Run(cmd.Context(), action.Options{Getenv: a.getenv, Stdout: a.rawStdout, Stderr: a.rawStderr, Watchdog: bouncerWatchdog}); code != 0 {
				return &exitError{code: code}
			}
			return nil
		},
	}
}

// botCommand runs the Slack bot until it is stopped.
func (a *app) botCommand() *cobra.Command {
	var config, listen string
	cmd := &cobra.Command{
		Use:   "bot --config FILE",
		Short: "Run the Slack bot: slash commands, approvals, scheduled lag reports",
		Long: `Runs the Slack bot described in the README's Slack bot section. The config file names
the migrations (their connection strings come from environment variables or files), who may
do what, approvals and report schedules. Slack credentials come from SLACK_BOT_TOKEN and
SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode); SLACK_API_URL points the
client at another API base URL. It stops on SIGTERM or Ctrl-C after running operations end.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if config == "" {
				return &usageError{cmd: cmd, err: errMissingConfig}
			}
			logger := slog.New(slog.NewJSONHandler(a.stderr, nil))
			return bot.Run(cmd.Context(), bot.Options{ConfigPath: config, Getenv: a.getenv, Logger: logger, Listen: listen, Watchdog: bouncerWatchdog})
		},
	}
	cmd.Flags().StringVar(&config, "config", "", "the bot's YAML configuration (see examples/bot.yaml)")
	cmd.Flags().StringVar(&listen, "listen", "", "address for Slack's HTTP requests and /healthz (overrides the config)")
	return cmd
}

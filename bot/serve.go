package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// Options are what `pghandoff bot` passes in. Nothing in this package reads the process
// environment: Getenv is it.
type Options struct {
	ConfigPath string
	Getenv     func(string) string // os.Getenv in the CLI
	Logger     *slog.Logger        // JSON to stderr in the CLI; secrets are masked on top of it
	// Listen overrides the config's listen address (HTTP requests and /healthz).
	Listen string
	// ShutdownGrace is how long a shutdown waits for running operations and jobs before
	// cancelling them; 10m when 0.
	ShutdownGrace time.Duration
	// Ready, when set, receives the HTTP address once the bot listens (tests use port 0).
	Ready func(addr string)
	// Watchdog makes the command of the PgBouncer watchdog process, for cutover and rollback
	// through PgBouncer (core.SwitchOptions.Watchdog): the CLI's binary runs it.
	Watchdog func() *exec.Cmd

	clock Clock      // tests: a fake clock
	onBot func(*Bot) // tests: replace operations before the bot serves
}

// Environment variables the bot reads through Options.Getenv.
const (
	EnvBotToken      = "SLACK_BOT_TOKEN"
	EnvSigningSecret = "SLACK_SIGNING_SECRET"
	EnvAppToken      = "SLACK_APP_TOKEN"
	EnvAPIURL        = "SLACK_API_URL"
)

// Run runs the bot until ctx ends, then shuts down gracefully: it stops taking requests and
// waits for running operations and scheduled jobs (at most ShutdownGrace).
func Run(ctx context.Context, opts Options) error {
	if opts.Getenv == nil {
		return errors.New("bot: Options.Getenv is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.clock == nil {
		opts.clock = realClock{}
	}
	cfg, err := LoadConfig(opts.ConfigPath)
	if err != nil {
		return err
	}
	env, err := readEnv(opts.Getenv)
	if err != nil {
		return err
	}
	res, err := cfg.resolve(opts.Getenv)
	if err != nil {
		return err
	}
	res.secrets = append(res.secrets, env.botToken, env.signingSecret, env.appToken)
	api := slack.New(env.botToken, env.clientOptions()...)
	b, err := newBot(ctx, cfg, res, deps{api: api, http: &http.Client{Timeout: 30 * time.Second}, clock: opts.clock, logger: opts.Logger,
		watchdog: opts.Watchdog})
	if err != nil {
		return err
	}
	defer b.shutdown(Duration(opts.ShutdownGrace).D(defaultShutdownGrace))
	if opts.onBot != nil {
		opts.onBot(b)
	}
	if err := b.sched.start(ctx); err != nil {
		return err
	}
	return b.serve(ctx, cfg, env, api, opts)
}

// serve takes requests over HTTP or Socket Mode until ctx ends.
func (b *Bot) serve(ctx context.Context, cfg *Config, env slackEnv, api *slack.Client, opts Options) error {
	listen := opts.Listen
	if listen == "" {
		listen = cfg.Listen
	}
	if listen == "" && env.appToken == "" {
		listen = ":8080"
	}
	errc := make(chan error, 2)
	var srv *http.Server
	if listen != "" {
		ln, err := net.Listen("tcp", listen)
		if err != nil {
			return fmt.Errorf("listen on %s: %w", listen, err)
		}
		handler := b.httpHandler(env.signingSecret)
		if env.appToken != "" { // Socket Mode: HTTP serves the health check only
			handler = healthOnly(b)
		}
		srv = &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
		go func() { errc <- srv.Serve(ln) }()
		b.log.Info("listening", "addr", ln.Addr().String(), "socket_mode", env.appToken != "")
		if opts.Ready != nil {
			opts.Ready(ln.Addr().String())
		}
	}
	sockCtx, stopSock := context.WithCancel(ctx)
	defer stopSock()
	if env.appToken != "" {
		client := socketmode.New(api)
		go func() { errc <- b.runSocketMode(sockCtx, client) }()
	}
	select {
	case <-ctx.Done():
	case err := <-errc:
		if err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	b.log.Info("shutting down: waiting for running operations and jobs")
	stopSock()
	if srv != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}
	return nil
}

func healthOnly(b *Bot) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", b.serveHealth)
	mux.Handle("GET /metrics", b.metricsHandler())
	return mux
}

// slackEnv is the Slack part of the environment.
type slackEnv struct {
	botToken, signingSecret, appToken, apiURL string
}

func readEnv(getenv func(string) string) (slackEnv, error) {
	e := slackEnv{botToken: getenv(EnvBotToken), signingSecret: getenv(EnvSigningSecret),
		appToken: getenv(EnvAppToken), apiURL: getenv(EnvAPIURL)}
	switch {
	case e.botToken == "":
		return e, fmt.Errorf("set %s to the bot's token (xoxb-…, from the app's OAuth & Permissions page)", EnvBotToken)
	case e.appToken == "" && e.signingSecret == "":
		return e, fmt.Errorf("set %s (the app's signing secret, for HTTP requests) or %s (an app-level token xapp-…, for Socket Mode)", EnvSigningSecret, EnvAppToken)
	case e.appToken != "" && !strings.HasPrefix(e.appToken, "xapp-"):
		return e, fmt.Errorf("%s must be an app-level token (xapp-…) with the connections:write scope", EnvAppToken)
	}
	return e, nil
}

func (e slackEnv) clientOptions() []slack.Option {
	opts := []slack.Option{slack.OptionRetry(3)}
	if e.apiURL != "" {
		u := e.apiURL
		if !strings.HasSuffix(u, "/") {
			u += "/"
		}
		opts = append(opts, slack.OptionAPIURL(u))
	}
	if e.appToken != "" {
		opts = append(opts, slack.OptionAppLevelToken(e.appToken))
	}
	return opts
}

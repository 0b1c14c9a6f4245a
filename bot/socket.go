package bot

import (
	"context"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// socketAcker acknowledges Socket Mode envelopes; *socketmode.Client is the real one.
type socketAcker interface {
	Ack(req socketmode.Request, payload ...any) error
}

var _ socketAcker = (*socketmode.Client)(nil)

// runSocketMode receives commands and clicks over Slack's WebSocket: no public URL, no
// signature (the app-level token authenticates the connection).
func (b *Bot) runSocketMode(ctx context.Context, client *socketmode.Client) error {
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case evt, ok := <-client.Events:
				if !ok {
					return
				}
				b.handleSocketEvent(ctx, client, evt)
			}
		}
	}()
	return client.RunContext(ctx)
}

func (b *Bot) handleSocketEvent(ctx context.Context, client socketAcker, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeSlashCommand:
		sc, ok := evt.Data.(slack.SlashCommand)
		if !ok || evt.Request == nil {
			return
		}
		rep := b.masked(b.handleCommand(ctx, sc))
		var err error
		if rep.Text == "" {
			err = client.Ack(*evt.Request)
		} else {
			err = client.Ack(*evt.Request, map[string]string{"response_type": slack.ResponseTypeEphemeral, "text": rep.Text})
		}
		if err != nil {
			b.log.Warn("socket mode ack", "err", err)
		}
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slack.InteractionCallback)
		if !ok || evt.Request == nil {
			return
		}
		if err := client.Ack(*evt.Request); err != nil {
			b.log.Warn("socket mode ack", "err", err)
		}
		b.handleInteraction(ctx, cb)
	case socketmode.EventTypeConnected:
		b.log.Info("connected to Slack over Socket Mode")
	case socketmode.EventTypeConnectionError, socketmode.EventTypeInvalidAuth:
		b.log.Error("Socket Mode connection problem", "event", string(evt.Type))
	default:
		if evt.Request != nil {
			_ = client.Ack(*evt.Request)
		}
	}
}

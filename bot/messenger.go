package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/slack-go/slack"

	"github.com/pghandoff/pghandoff/internal/redact"
)

// message is what the bot says: a fallback text (notifications, screen readers) and blocks.
type message struct {
	Text   string
	Blocks []slack.Block
}

// messenger sends messages to Slack, masking every secret the bot knows in them first.
type messenger struct {
	api    slackAPI
	http   *http.Client // for response_url replies
	masker *redact.Redactor
	log    *slog.Logger
}

// clean masks the message's text and blocks (through their JSON, so no field escapes).
func (m *messenger) clean(msg message) message {
	out := message{Text: m.masker.Redact(msg.Text)}
	if len(msg.Blocks) == 0 {
		return out
	}
	raw, err := json.Marshal(slack.Blocks{BlockSet: msg.Blocks})
	if err == nil {
		var blocks slack.Blocks
		if err = json.Unmarshal([]byte(m.masker.Redact(string(raw))), &blocks); err == nil {
			out.Blocks = blocks.BlockSet
			return out
		}
	}
	m.log.Error("drop blocks that could not be masked", "err", err)
	return out
}

func (m *messenger) options(msg message) []slack.MsgOption {
	msg = m.clean(msg)
	opts := []slack.MsgOption{slack.MsgOptionText(msg.Text, false), slack.MsgOptionDisableLinkUnfurl()}
	if len(msg.Blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(msg.Blocks...))
	}
	return opts
}

// post posts a message to a channel and returns its timestamp.
func (m *messenger) post(ctx context.Context, channel string, msg message) (string, error) {
	_, ts, err := m.api.PostMessageContext(ctx, channel, m.options(msg)...)
	if err != nil {
		return "", fmt.Errorf("post to Slack channel %s: %w", channel, err)
	}
	return ts, nil
}

// reply posts in a message's thread; broadcast also shows it in the channel.
func (m *messenger) reply(ctx context.Context, channel, threadTS string, msg message, broadcast bool) (string, error) {
	opts := append(m.options(msg), slack.MsgOptionTS(threadTS))
	if broadcast {
		opts = append(opts, slack.MsgOptionBroadcast())
	}
	_, ts, err := m.api.PostMessageContext(ctx, channel, opts...)
	if err != nil {
		return "", fmt.Errorf("reply in Slack thread: %w", err)
	}
	return ts, nil
}

// update edits a posted message in place.
func (m *messenger) update(ctx context.Context, channel, ts string, msg message) error {
	if _, _, _, err := m.api.UpdateMessageContext(ctx, channel, ts, m.options(msg)...); err != nil {
		return fmt.Errorf("update Slack message: %w", err)
	}
	return nil
}

// respond answers through a request's response_url: ephemeral to the requester unless
// inChannel. It works in channels the bot is not a member of.
func (m *messenger) respond(ctx context.Context, responseURL string, msg message, inChannel bool) error {
	if responseURL == "" {
		return fmt.Errorf("no response_url to answer on")
	}
	msg = m.clean(msg)
	wm := &slack.WebhookMessage{Text: msg.Text, ResponseType: slack.ResponseTypeEphemeral}
	if inChannel {
		wm.ResponseType = slack.ResponseTypeInChannel
	}
	if len(msg.Blocks) > 0 {
		wm.Blocks = &slack.Blocks{BlockSet: msg.Blocks}
	}
	if err := slack.PostWebhookCustomHTTPContext(ctx, responseURL, m.http, wm); err != nil {
		return fmt.Errorf("answer on response_url: %w", err)
	}
	return nil
}

// permalink is a link to a message, or "" when Slack does not give one.
func (m *messenger) permalink(ctx context.Context, channel, ts string) string {
	link, err := m.api.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: channel, Ts: ts})
	if err != nil {
		m.log.Warn("no permalink for message", "channel", channel, "ts", ts, "err", err)
		return ""
	}
	return link
}

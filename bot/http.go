package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/slack-go/slack"
)

// maxBody bounds what the bot reads of a request before checking its signature.
const maxBody = 1 << 20

// httpHandler serves Slack's requests (slash commands and interactivity, both signed) and
// the health check.
func (b *Bot) httpHandler(signingSecret string) http.Handler {
	mux := http.NewServeMux()
	slackHandler := b.verified(signingSecret, b.serveSlack)
	mux.Handle("POST /slack/commands", slackHandler)
	mux.Handle("POST /slack/interactivity", slackHandler)
	mux.Handle("POST /slack", slackHandler)
	mux.HandleFunc("GET /healthz", b.serveHealth)
	mux.Handle("GET /metrics", b.metricsHandler())
	return mux
}

// verified checks a request's signature over its raw body and timestamp (within five
// minutes) before anything else reads it; anything else gets 401 and runs nothing.
func (b *Bot) verified(secret string, next func(http.ResponseWriter, *http.Request, []byte)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
			return
		}
		sv, err := slack.NewSecretsVerifier(r.Header, secret)
		if err == nil {
			_, _ = sv.Write(body)
			err = sv.Ensure()
		}
		if err != nil {
			b.log.Warn("refused an unverified request", "path", r.URL.Path, "remote", r.RemoteAddr, "reason", err.Error())
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		next(w, r, body)
	})
}

// serveSlack tells a slash command (form fields) from an interaction (a payload field).
func (b *Bot) serveSlack(w http.ResponseWriter, r *http.Request, body []byte) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	if payload := form.Get("payload"); payload != "" {
		var cb slack.InteractionCallback
		if err := json.Unmarshal([]byte(payload), &cb); err != nil {
			http.Error(w, "bad payload", http.StatusBadRequest)
			return
		}
		b.handleInteraction(r.Context(), cb)
		w.WriteHeader(http.StatusOK)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	sc, err := slack.SlashCommandParse(r)
	if err != nil {
		http.Error(w, "bad command", http.StatusBadRequest)
		return
	}
	writeReply(w, b.masked(b.handleCommand(r.Context(), sc)))
}

func (b *Bot) masked(rep reply) reply { return reply{Text: b.msg.masker.Redact(rep.Text)} }

// writeReply is the immediate, ephemeral answer to a slash command.
func writeReply(w http.ResponseWriter, rep reply) {
	if rep.Text == "" {
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"response_type": slack.ResponseTypeEphemeral, "text": rep.Text})
}

// serveHealth answers 200 while the state store answers.
func (b *Bot) serveHealth(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := b.store.ping(ctx); err != nil {
		http.Error(w, "state store unreachable", http.StatusServiceUnavailable)
		return
	}
	_, _ = io.WriteString(w, "ok\n")
}

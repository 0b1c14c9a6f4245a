package core

import (
	"context"
	"io"
	"log/slog"
	"time"
)

// Event is one step of a long operation, for the front end to show as progress.
type Event struct {
	Time      time.Time `json:"time"`
	Operation string    `json:"operation"`
	Server    string    `json:"server,omitempty"`
	Message   string    `json:"message"`
	SQL       string    `json:"sql,omitempty"` // the statement about to run, secrets masked
	Warning   bool      `json:"warning,omitempty"`
}

// Observer receives what an operation does. Both fields are optional. Core never calls
// Progress from two goroutines at once, so a front end can write to a plain writer from it;
// it must return quickly (cutover calls it during the pause).
type Observer struct {
	Logger   *slog.Logger
	Progress func(Event)
}

// Log keys, so that every front end's log lines read the same.
const (
	logKeyOperation = "operation"
	logKeyServer    = "server"
)

var discardLogger = slog.New(slog.NewTextHandler(io.Discard, nil))

func (o Observer) logger() *slog.Logger {
	if o.Logger == nil {
		return discardLogger
	}
	return o.Logger
}

// emit sends a progress event and logs it.
func (o Observer) emit(ctx context.Context, e Event) {
	e.Time = time.Now()
	level := slog.LevelInfo
	if e.Warning {
		level = slog.LevelWarn
	}
	o.logger().Log(ctx, level, e.Message, logKeyOperation, e.Operation, logKeyServer, e.Server)
	if o.Progress != nil {
		o.Progress(e)
	}
}

package redact

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestRedactorMasksEveryForm(t *testing.T) {
	r := New("***")
	r.Add("pa\"ss", "postgres://u:pa\"ss@h/db", "x")
	got := r.Redact(`dsn postgres://u:pa"ss@h/db, json "pa\"ss", raw pa"ss, short x`)
	if want := `dsn ***, json "***", raw ***, short x`; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	var nilR *Redactor
	if nilR.Redact("a") != "a" || nilR.Known("a") {
		t.Fatal("a nil redactor must pass text through")
	}
}

func TestWriterAndHandler(t *testing.T) {
	var r Redactor
	r.Add("hunter2")
	var out bytes.Buffer
	r.Writer(&out).Write([]byte("password hunter2\n"))
	log := slog.New(r.Handler(slog.NewTextHandler(&out, nil)))
	log.With("dsn", "u:hunter2@h").Info("connect hunter2", "err", errors.New("auth hunter2"), slog.Group("g", "p", "hunter2"))
	if strings.Contains(out.String(), "hunter2") || !strings.Contains(out.String(), DefaultMask) {
		t.Fatalf("leaked:\n%s", out.String())
	}
}

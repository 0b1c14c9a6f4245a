package core

import (
	"reflect"
	"testing"
)

func TestSplitScript(t *testing.T) {
	script := `--
-- PostgreSQL database dump
--
\restrict abc123

SET statement_timeout = 0;
SELECT pg_catalog.set_config('search_path', '', false);
CREATE FUNCTION "Billing".f() RETURNS trigger
    LANGUAGE plpgsql
    AS $_$ BEGIN NEW.x := 'a;b'; RETURN NEW; END $_$;
CREATE TABLE "Billing"."Order" ("user" text DEFAULT 'it''s; fine', "semi;colon" int); /* a ; comment /* nested ; */ */
COMMENT ON TABLE public.t IS E'line\nwith ; semicolon';
CREATE FUNCTION g() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;
SELECT $1;
\unrestrict abc123
`
	want := []string{
		"SET statement_timeout = 0",
		"SELECT pg_catalog.set_config('search_path', '', false)",
		"CREATE FUNCTION \"Billing\".f() RETURNS trigger\n    LANGUAGE plpgsql\n    AS $_$ BEGIN NEW.x := 'a;b'; RETURN NEW; END $_$",
		"CREATE TABLE \"Billing\".\"Order\" (\"user\" text DEFAULT 'it''s; fine', \"semi;colon\" int)",
		"COMMENT ON TABLE public.t IS E'line\\nwith ; semicolon'",
		"CREATE FUNCTION g() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql",
		"SELECT $1",
	}
	if got := splitScript(script); !reflect.DeepEqual(got, want) {
		t.Fatalf("splitScript:\n got %q\nwant %q", got, want)
	}
}

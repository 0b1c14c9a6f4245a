-- Names that break naive quoting, Markdown tables, the runner's output file format and its
-- log commands.
CREATE SCHEMA "Billing";
CREATE TABLE "Billing"."Order" (
    id bigserial PRIMARY KEY,
    "user" text NOT NULL,
    "total|sum" numeric NOT NULL
);
CREATE TABLE public."weird|`name" (id int PRIMARY KEY, v text);
CREATE TABLE public."_GitHubActionsFileCommandDelimeter_" (id int PRIMARY KEY);
CREATE TABLE public."x
::error title=forged::from a table name" (id int PRIMARY KEY);
CREATE TABLE public.events (
    id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    payload jsonb NOT NULL DEFAULT '{}'
);

INSERT INTO "Billing"."Order" ("user", "total|sum")
    SELECT 'user ' || g, g * 1.5 FROM generate_series(1, 500) g;
INSERT INTO public."weird|`name" SELECT g, 'v' || g FROM generate_series(1, 50) g;
INSERT INTO public."_GitHubActionsFileCommandDelimeter_" SELECT g FROM generate_series(1, 5) g;
INSERT INTO public."x
::error title=forged::from a table name" VALUES (1);
INSERT INTO public.events (payload) SELECT jsonb_build_object('n', g) FROM generate_series(1, 300) g;

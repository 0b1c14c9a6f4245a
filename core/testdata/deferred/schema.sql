-- Tables whose secondary indexes and constraints setup leaves for after the copy: names that
-- need quoting (a mixed-case schema and table, an index named with a space), a unique
-- constraint a foreign key relies on, an exclusion constraint, a partitioned table with an
-- index on its partitions, a comment and a CLUSTER ON that follow their index, and a table
-- whose replica identity is a unique index (kept before the copy).
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE SCHEMA "Billing";

CREATE TABLE "Billing"."Order" (
    id bigint PRIMARY KEY,
    code text NOT NULL,
    customer int NOT NULL,
    during tstzrange,
    CONSTRAINT "Order code" UNIQUE (code),
    EXCLUDE USING gist (id WITH =, during WITH &&)
);
CREATE INDEX "by customer" ON "Billing"."Order" (customer, id);
COMMENT ON INDEX "Billing"."by customer" IS 'the orders of a customer';
ALTER TABLE "Billing"."Order" CLUSTER ON "by customer";

CREATE TABLE public.line (
    id int PRIMARY KEY,
    order_code text NOT NULL REFERENCES "Billing"."Order" (code),
    order_id bigint REFERENCES "Billing"."Order" (id),
    qty int
);
CREATE INDEX ON public.line (order_id);

CREATE TABLE public.events (at date NOT NULL, id int NOT NULL, kind text, PRIMARY KEY (at, id)) PARTITION BY RANGE (at);
CREATE TABLE public.events_2025 PARTITION OF public.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE public.events_2026 PARTITION OF public.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE INDEX events_kind ON public.events (kind);

CREATE TABLE public.keyed (k int NOT NULL, v text);
CREATE UNIQUE INDEX keyed_k ON public.keyed (k);
ALTER TABLE public.keyed REPLICA IDENTITY USING INDEX keyed_k;
CREATE INDEX keyed_v ON public.keyed (v);

INSERT INTO "Billing"."Order" SELECT g, 'c' || g, g % 97, tstzrange(now(), now() + interval '1 day') FROM generate_series(1, 20000) g;
INSERT INTO public.line SELECT g, 'c' || (g % 20000 + 1), g % 20000 + 1, g % 7 FROM generate_series(1, 30000) g;
INSERT INTO public.events SELECT date '2025-01-01' + (g % 700), g, 'k' || (g % 13) FROM generate_series(1, 10000) g;
INSERT INTO public.keyed SELECT g, 'v' || g FROM generate_series(1, 5000) g;
ANALYZE;

INSERT INTO "Billing"."Customer" ("Name", "user", tags, meta)
SELECT 'Customer ' || g, 'user' || g, ARRAY['a' || g, 'b'], jsonb_build_object('n', g, 'nested', jsonb_build_object('x', g * 2))
FROM generate_series(1, 200) g;

INSERT INTO "Billing"."Order" (customer_id, status, total, "select")
SELECT 1 + g % 200, (ARRAY['new', 'paid', 'void']::"Billing".status[])[1 + g % 3], g * 1.25, g
FROM generate_series(1, 2000) g;

INSERT INTO inventory.items (sku, price_cents, description)
SELECT 'SKU-' || g, g * 100, repeat('describe ', g % 20)
FROM generate_series(1, 300) g;

INSERT INTO inventory.events (at, item_id, payload)
SELECT timestamptz '2025-06-01' + g * interval '1 hour', 1 + g % 300, jsonb_build_object('g', g)
FROM generate_series(1, 1500) g;
INSERT INTO inventory.events (at, item_id, payload)
SELECT timestamptz '2026-03-01' + g * interval '1 hour', 1 + g % 300, jsonb_build_object('g', g)
FROM generate_series(1, 500) g;

INSERT INTO public.audit_log (message) SELECT 'event ' || g FROM generate_series(1, 100) g;

-- Large values live out of line in TOAST tables.
INSERT INTO public.docs (body) SELECT repeat(md5(g::text), 5000) FROM generate_series(1, 20) g;

INSERT INTO public.cache VALUES ('k', 'v');
REFRESH MATERIALIZED VIEW inventory.item_count;

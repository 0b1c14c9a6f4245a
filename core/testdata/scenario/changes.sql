-- Writes after the initial copy: inserts, updates and deletes in every kind of table.
INSERT INTO "Billing"."Customer" ("Name", "user") VALUES ('Late "quoted" customer', 'it''s me');
UPDATE "Billing"."Order" SET status = 'paid', total = total + 1 WHERE id % 7 = 0;
DELETE FROM "Billing"."Order" WHERE id % 11 = 0;
INSERT INTO inventory.items (sku, price_cents) VALUES ('SKU-late', 12345);
UPDATE inventory.items SET price_cents = price_cents + 1 WHERE id <= 10;
INSERT INTO inventory.events (at, payload) VALUES ('2026-12-31', '{"late": true}');
UPDATE inventory.events SET payload = '{"moved": true}' WHERE id % 100 = 0;
DELETE FROM inventory.events WHERE id % 97 = 0;
UPDATE public.audit_log SET message = message || ' (edited)' WHERE message LIKE 'event 1%';
DELETE FROM public.audit_log WHERE message = 'event 5';
UPDATE public.docs SET body = body || 'tail' WHERE id = 3;

package core

import (
	"slices"
	"testing"
)

// pg_dump's forms, with names that need quoting, are read back to the objects they name.
func TestParseDumpStatement(t *testing.T) {
	order := TableName{Schema: "Billing", Name: "Order"}
	for _, c := range []struct {
		sql  string
		want dumpStatement
	}{
		{`CREATE INDEX "by n" ON "Billing"."Order" USING btree (n)`,
			dumpStatement{form: formCreateIndex, table: order, index: TableName{"Billing", "by n"}}},
		{`CREATE UNIQUE INDEX ri_a ON ONLY public.ri USING btree (a)`,
			dumpStatement{form: formCreateIndex, table: TableName{"public", "ri"}, index: TableName{"public", "ri_a"}}},
		{"ALTER TABLE ONLY \"Billing\".\"Order\"\n    ADD CONSTRAINT \"Order \"\"code\"\"\" UNIQUE (code)",
			dumpStatement{form: formAddConstraint, table: order, constraint: `Order "code"`}},
		{`ALTER TABLE public.line CLUSTER ON line_pkey`,
			dumpStatement{form: formClusterOn, table: TableName{"public", "line"}, index: TableName{"public", "line_pkey"}}},
		{`ALTER TABLE ONLY public.ri REPLICA IDENTITY USING INDEX ri_a`,
			dumpStatement{form: formReplicaIdentity, table: TableName{"public", "ri"}, index: TableName{"public", "ri_a"}}},
		{`ALTER INDEX public.ev_v_idx ATTACH PARTITION public.ev1_v_idx`,
			dumpStatement{form: formAttachIndex, index: TableName{"public", "ev1_v_idx"}, parent: TableName{"public", "ev_v_idx"}}},
		{`ALTER INDEX "Billing"."by n" ALTER COLUMN 1 SET STATISTICS 500`,
			dumpStatement{form: formAlterIndex, index: TableName{"Billing", "by n"}}},
		{`COMMENT ON INDEX "Billing"."by n" IS 'hi'`,
			dumpStatement{form: formIndexComment, index: TableName{"Billing", "by n"}}},
		{`COMMENT ON CONSTRAINT fk ON public.line IS 'x'`,
			dumpStatement{form: formConstraintComment, table: TableName{"public", "line"}, constraint: "fk"}},
		{`COMMENT ON CONSTRAINT c ON DOMAIN public.d IS 'x'`, dumpStatement{}},
		{`CREATE TABLE public.t (id int)`, dumpStatement{}},
		{`CREATE FUNCTION public.f() RETURNS void AS $$CREATE INDEX i ON public.t (a)$$ LANGUAGE sql`, dumpStatement{}},
		{`ALTER TABLE ONLY public.t ALTER COLUMN id SET DEFAULT 1`, dumpStatement{}},
	} {
		if got := parseDumpStatement(c.sql); got != c.want {
			t.Errorf("%s:\n got %+v\nwant %+v", c.sql, got, c.want)
		}
	}
}

// The split keeps what replication needs and defers the rest, a partitioned index with its
// partitions' indexes as one unit, a foreign key after the unique constraint it relies on.
func TestDeferSplit(t *testing.T) {
	order, line, ev, ev1, ri := TableName{"Billing", "Order"}, TableName{"public", "line"}, TableName{"public", "ev"}, TableName{"public", "ev1"}, TableName{"public", "ri"}
	cat := &deferCatalog{objects: map[objectKey]catalogObject{}, constraints: map[objectKey]objectKey{}}
	index := func(table TableName, name, root string, identity bool) {
		cat.add("i", catalogObject{table: table, name: name, root: root, identity: identity}, "", "", "")
	}
	index(order, "Order_pkey", order.String(), true)
	index(order, "Order_code_key", order.String(), false)
	index(order, "by n", order.String(), false)
	index(ev, "ev_pkey", ev.String(), true)
	index(ev1, "ev1_pkey", ev.String(), true)
	index(ev, "ev_v_idx", ev.String(), false)
	index(ev1, "ev1_v_idx", ev.String(), false)
	index(ri, "ri_a", ri.String(), true)
	cat.add("p", catalogObject{table: order, name: "Order_pkey"}, "", "Billing", "Order_pkey")
	cat.add("u", catalogObject{table: order, name: "Order_code_key"}, "", "Billing", "Order_code_key")
	cat.add("f", catalogObject{table: line, name: "line_code_fkey", root: line.String(), validated: true}, order.String(), "Billing", "Order_code_key")
	cat.add("f", catalogObject{table: line, name: "fk_ext", root: line.String(), validated: true}, "", "public", "ext_pkey")

	statements := []string{
		`SET statement_timeout = 0`,
		`SELECT pg_catalog.set_config('search_path', '', false)`,
		`CREATE TABLE public.line (id int)`,
		`ALTER TABLE ONLY "Billing"."Order" ADD CONSTRAINT "Order_code_key" UNIQUE (code)`,
		`ALTER TABLE ONLY "Billing"."Order" ADD CONSTRAINT "Order_pkey" PRIMARY KEY (id)`,
		`CREATE INDEX "by n" ON "Billing"."Order" USING btree (n)`,
		`COMMENT ON INDEX "Billing"."by n" IS 'hi'`,
		`CREATE INDEX ev_v_idx ON ONLY public.ev USING btree (v)`,
		`CREATE INDEX ev1_v_idx ON public.ev1 USING btree (v)`,
		`CREATE UNIQUE INDEX ri_a ON public.ri USING btree (a)`,
		`ALTER TABLE ONLY public.ri REPLICA IDENTITY USING INDEX ri_a`,
		`ALTER INDEX public.ev_pkey ATTACH PARTITION public.ev1_pkey`,
		`ALTER INDEX public.ev_v_idx ATTACH PARTITION public.ev1_v_idx`,
		`ALTER TABLE ONLY public.line ADD CONSTRAINT line_code_fkey FOREIGN KEY (code) REFERENCES "Billing"."Order"(code)`,
		`ALTER TABLE ONLY public.line ADD CONSTRAINT fk_ext FOREIGN KEY (id) REFERENCES public.ext(id)`,
		`CREATE TRIGGER t AFTER INSERT ON public.line FOR EACH ROW EXECUTE FUNCTION public.f()`,
	}
	keep, units := deferSplit(statements, cat)
	wantKeep := []int{0, 1, 2, 4, 9, 10, 11, 14, 15}
	if len(keep) != len(wantKeep) {
		t.Fatalf("kept %d statements, want %d: %q", len(keep), len(wantKeep), keep)
	}
	for i, at := range wantKeep {
		if keep[i] != statements[at] {
			t.Errorf("kept[%d] = %q, want %q", i, keep[i], statements[at])
		}
	}
	if len(units) != 4 {
		t.Fatalf("%d units, want 4: %+v", len(units), units)
	}
	code, byN, evV, fk := units[0], units[1], units[2], units[3]
	if code.kind != KindConstraint || code.object != `"Order_code_key"` || len(code.statements) != 1 || !slices.Equal(code.gate, []string{order.String()}) {
		t.Errorf("unique constraint unit: %+v", code)
	}
	if byN.kind != KindIndex || !slices.Equal(byN.statements, statements[5:7]) || !slices.Equal(byN.session, statements[1:2]) {
		t.Errorf("index unit: %+v", byN)
	}
	if !slices.Equal(evV.statements, []string{statements[7], statements[8], statements[12]}) || !slices.Equal(evV.gate, []string{ev.String()}) {
		t.Errorf("partitioned index unit: %+v", evV)
	}
	if fk.kind != KindForeignKey || !fk.validate || !slices.Equal(fk.gate, []string{line.String(), order.String()}) || !slices.Equal(fk.after, []string{string(code.key)}) {
		t.Errorf("foreign key unit: %+v", fk)
	}
}

func TestTransferOptions(t *testing.T) {
	for _, c := range []struct {
		t    Transfer
		want []string
	}{
		{Transfer{Binary: true, Streaming: "parallel"}, []string{"binary = true", "streaming = parallel"}},
		{Transfer{Streaming: "on"}, []string{"streaming = on"}},
		{Transfer{}, nil},
	} {
		if got := c.t.options(); !slices.Equal(got, c.want) {
			t.Errorf("%+v: %q, want %q", c.t, got, c.want)
		}
	}
}

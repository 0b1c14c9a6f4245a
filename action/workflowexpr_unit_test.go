package action_test

import "testing"

// The expression evaluator agrees with GitHub on the cases the examples rely on.
func TestWorkflowExpressions(t *testing.T) {
	c := &exprContext{contexts: map[string]any{
		"inputs": map[string]any{"dry-run": false, "max-pause": "5s"},
		"steps":  map[string]any{"s": map[string]any{"outputs": map[string]any{"lag-bytes": "", "state": "ready", "report": `{"slot":{"wal_status":"lost"}}`}}},
		"env":    map[string]any{"ALERT_LAG_BYTES": "1073741824"},
		"needs":  map[string]any{"cutover": map[string]any{"outputs": map[string]any{"switched": "true"}}},
	}}
	for expr, want := range map[string]any{
		"!inputs.dry-run":                  true,
		"inputs.max-pause":                 "5s",
		"steps.s.outputs.state == 'READY'": true,
		"steps.s.outputs.lag-bytes || '0'": "0",
		"fromJSON(steps.s.outputs.lag-bytes || '0') > fromJSON(env.ALERT_LAG_BYTES)": false,
		"fromJSON(steps.s.outputs.report).slot.wal_status == 'lost'":                 true,
		"needs.cutover.outputs.switched == 'true' && !inputs.dry-run":                true,
		"steps.s.outputs.missing != ''":                                              false,
		"inputs.dry-run && 'x' == 'x'":                                               false,
		"1 == '1'":                                                                   true,
		"format('{0}_failsafe', 'm')":                                                "m_failsafe",
	} {
		got, err := c.eval(expr)
		if err != nil || got != want {
			t.Errorf("%s = %#v (%v), want %#v", expr, got, err, want)
		}
	}
	if s, err := c.interpolate("held ${{ inputs.max-pause }}, dry ${{ inputs.dry-run }}"); err != nil || s != "held 5s, dry false" {
		t.Errorf("interpolate: %q %v", s, err)
	}
	c.failed = true
	for cond, want := range map[string]bool{"": false, "${{ always() }}": true, "failure()": true, "inputs.max-pause == '5s'": false} {
		if got, err := c.condition(cond); err != nil || got != want {
			t.Errorf("after a failure, if %q = %t (%v), want %t", cond, got, err, want)
		}
	}
}

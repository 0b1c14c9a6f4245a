package action_test

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/rhysd/actionlint"
)

// GitHub Actions expressions, evaluated as the runner does, over actionlint's parser: enough
// of the language for the example workflows to run as written (contexts, literals, ! && ||,
// comparisons with GitHub's coercions, fromJSON, toJSON, contains, startsWith, endsWith,
// format, and the status functions). Anything else fails the test, so an example cannot
// rely on what this runner does not do.

// exprContext is what an expression can read: the contexts by name, and the job's status
// for success(), failure() and always().
type exprContext struct {
	contexts map[string]any
	failed   bool // an earlier step (or needed job) failed
}

// eval evaluates one expression (without its ${{ }}).
func (c *exprContext) eval(expr string) (any, error) {
	node, perr := actionlint.NewExprParser().Parse(actionlint.NewExprLexer(expr + "}}"))
	if perr != nil {
		return nil, fmt.Errorf("parse %q: %s", expr, perr.Message)
	}
	return c.node(node)
}

var templateExpr = regexp.MustCompile(`\$\{\{(.*?)\}\}`)

// interpolate replaces every ${{ … }} in s by its value as a string.
func (c *exprContext) interpolate(s string) (string, error) {
	var firstErr error
	out := templateExpr.ReplaceAllStringFunc(s, func(m string) string {
		v, err := c.eval(strings.TrimSpace(templateExpr.FindStringSubmatch(m)[1]))
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return toString(v)
	})
	return out, firstErr
}

// condition evaluates an if: (with or without ${{ }}); no if: means success().
func (c *exprContext) condition(cond string) (bool, error) {
	cond = strings.TrimSpace(cond)
	if cond == "" {
		return !c.failed, nil
	}
	if m := regexp.MustCompile(`^\$\{\{(.*)\}\}$`).FindStringSubmatch(cond); m != nil && !strings.Contains(m[1], "${{") {
		cond = m[1]
	}
	v, err := c.eval(cond)
	if err != nil {
		return false, err
	}
	// A condition that calls no status function is implicitly success() && (condition).
	if !regexp.MustCompile(`\b(always|failure|success|cancelled)\(`).MatchString(cond) && c.failed {
		return false, nil
	}
	return truthy(v), nil
}

func (c *exprContext) node(n actionlint.ExprNode) (any, error) {
	switch n := n.(type) {
	case *actionlint.NullNode:
		return nil, nil
	case *actionlint.BoolNode:
		return n.Value, nil
	case *actionlint.IntNode:
		return float64(n.Value), nil
	case *actionlint.FloatNode:
		return n.Value, nil
	case *actionlint.StringNode:
		return n.Value, nil
	case *actionlint.VariableNode:
		v, ok := lookup(c.contexts, n.Name)
		if !ok {
			return nil, fmt.Errorf("unknown context %s", n.Name)
		}
		return v, nil
	case *actionlint.ObjectDerefNode:
		recv, err := c.node(n.Receiver)
		if err != nil {
			return nil, err
		}
		if m, ok := recv.(map[string]any); ok {
			v, _ := lookup(m, n.Property)
			return v, nil
		}
		return nil, nil
	case *actionlint.IndexAccessNode:
		recv, err := c.node(n.Operand)
		if err != nil {
			return nil, err
		}
		idx, err := c.node(n.Index)
		if err != nil {
			return nil, err
		}
		switch r := recv.(type) {
		case map[string]any:
			v, _ := lookup(r, toString(idx))
			return v, nil
		case []any:
			if i := int(toNumber(idx)); i >= 0 && i < len(r) {
				return r[i], nil
			}
		}
		return nil, nil
	case *actionlint.NotOpNode:
		v, err := c.node(n.Operand)
		return !truthy(v), err
	case *actionlint.LogicalOpNode:
		left, err := c.node(n.Left)
		if err != nil {
			return nil, err
		}
		// && and || return an operand, not a boolean, and short-circuit.
		if (n.Kind == actionlint.LogicalOpNodeKindAnd) != truthy(left) {
			return left, nil
		}
		return c.node(n.Right)
	case *actionlint.CompareOpNode:
		left, err := c.node(n.Left)
		if err != nil {
			return nil, err
		}
		right, err := c.node(n.Right)
		if err != nil {
			return nil, err
		}
		return compare(n.Kind, left, right), nil
	case *actionlint.FuncCallNode:
		return c.call(n)
	}
	return nil, fmt.Errorf("expression node %T is not supported by this test runner", n)
}

func (c *exprContext) call(n *actionlint.FuncCallNode) (any, error) {
	var args []any
	for _, a := range n.Args {
		v, err := c.node(a)
		if err != nil {
			return nil, err
		}
		args = append(args, v)
	}
	switch strings.ToLower(n.Callee) {
	case "success":
		return !c.failed, nil
	case "failure":
		return c.failed, nil
	case "always":
		return true, nil
	case "cancelled":
		return false, nil
	case "fromjson":
		var v any
		if err := json.Unmarshal([]byte(toString(args[0])), &v); err != nil {
			return nil, fmt.Errorf("fromJSON(%q): %w", toString(args[0]), err)
		}
		return v, nil
	case "tojson":
		b, err := json.Marshal(args[0])
		return string(b), err
	case "contains":
		if list, ok := args[0].([]any); ok {
			for _, item := range list {
				if compare(actionlint.CompareOpNodeKindEq, item, args[1]).(bool) {
					return true, nil
				}
			}
			return false, nil
		}
		return strings.Contains(strings.ToLower(toString(args[0])), strings.ToLower(toString(args[1]))), nil
	case "startswith":
		return strings.HasPrefix(strings.ToLower(toString(args[0])), strings.ToLower(toString(args[1]))), nil
	case "endswith":
		return strings.HasSuffix(strings.ToLower(toString(args[0])), strings.ToLower(toString(args[1]))), nil
	case "format":
		s := toString(args[0])
		for i, a := range args[1:] {
			s = strings.ReplaceAll(s, "{"+strconv.Itoa(i)+"}", toString(a))
		}
		return s, nil
	}
	return nil, fmt.Errorf("function %s is not supported by this test runner", n.Callee)
}

// lookup reads a context property case-insensitively, as GitHub does.
func lookup(m map[string]any, key string) (any, bool) {
	if v, ok := m[key]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

func truthy(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case bool:
		return v
	case float64:
		return v != 0 && !math.IsNaN(v)
	case string:
		return v != ""
	}
	return true // objects and arrays
}

// compare applies GitHub's rules: strings compare case-insensitively; values of different
// types are compared as numbers (null 0, booleans 0 and 1, strings parsed, else NaN).
func compare(kind actionlint.CompareOpNodeKind, a, b any) any {
	var cmp int
	as, aok := a.(string)
	bs, bok := b.(string)
	switch {
	case aok && bok:
		cmp = strings.Compare(strings.ToLower(as), strings.ToLower(bs))
	default:
		x, y := toNumber(a), toNumber(b)
		if math.IsNaN(x) || math.IsNaN(y) {
			return kind == actionlint.CompareOpNodeKindNotEq
		}
		switch {
		case x < y:
			cmp = -1
		case x > y:
			cmp = 1
		}
	}
	switch kind {
	case actionlint.CompareOpNodeKindEq:
		return cmp == 0
	case actionlint.CompareOpNodeKindNotEq:
		return cmp != 0
	case actionlint.CompareOpNodeKindLess:
		return cmp < 0
	case actionlint.CompareOpNodeKindLessEq:
		return cmp <= 0
	case actionlint.CompareOpNodeKindGreater:
		return cmp > 0
	case actionlint.CompareOpNodeKindGreaterEq:
		return cmp >= 0
	}
	return false
}

func toNumber(v any) float64 {
	switch v := v.(type) {
	case nil:
		return 0
	case bool:
		if v {
			return 1
		}
		return 0
	case float64:
		return v
	case string:
		if strings.TrimSpace(v) == "" {
			return 0
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return math.NaN()
		}
		return f
	}
	return math.NaN()
}

func toString(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case bool:
		return strconv.FormatBool(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case string:
		return v
	}
	b, _ := json.Marshal(v)
	return string(b)
}

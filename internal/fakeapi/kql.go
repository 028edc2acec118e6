package fakeapi

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The fake Log Analytics service evaluates a small subset of the Kusto Query Language (KQL), the
// language of Log Analytics queries (learn.microsoft.com/azure/data-explorer/kusto/query):
//
//	Table
//	| where <column> <op> <literal> [and <column> <op> <literal> ...]
//	| summarize [Name =] count() | max(<column>) [, ...] [by <column> [, ...]]
//	| project <column> [, ...]
//	| take <n>                      (limit is its synonym)
//
// with the operators ==, !=, <, <=, >, >= and the literals "string" or 'string', numbers, true and
// false, ago(<timespan>) and datetime(<RFC 3339 time>); timespans are a number with d, h, m, s or ms.
// The operators can follow each other in any order and number. Anything else (other operators,
// functions, comments, several statements) is refused with the service's error for a bad query, as a
// query the fake cannot evaluate must never be answered with a guess.

// KQL column types, as the query API names them in its answers' columns.
const (
	kqlString   = "string"
	kqlDatetime = "datetime"
	kqlLong     = "long"
	kqlInt      = "int"
	kqlReal     = "real"
	kqlBool     = "bool"
	kqlDynamic  = "dynamic"
)

// kqlColumn is a column of a table or result.
type kqlColumn struct {
	name, typ string
}

// kqlTable is a table or an intermediate result: columns and rows of values. A value is a string,
// a time.Time (datetime), an int64 (long and int), a float64 (real), a bool, any JSON-encodable value
// (dynamic), or nil (null).
type kqlTable struct {
	columns []kqlColumn
	rows    [][]any
}

// column returns the index of a column by name (case-sensitive, as in KQL), or -1.
func (t *kqlTable) column(name string) int {
	for i, c := range t.columns {
		if c.name == name {
			return i
		}
	}
	return -1
}

// kqlError is a query the fake refuses: a syntax error (the query cannot be parsed, or uses KQL
// outside the subset) or a semantic error (an unknown table or column, a comparison of mismatched
// types).
type kqlError struct {
	semantic bool
	// code is the innermost code of the answer: SYN0002 for syntax, SEM0100 for an unresolved name,
	// SEM0002 for other semantic errors. These codes and the messages' wording are our model: the
	// errors page of the query API shows only the outer BadArgumentError and SyntaxError, and no
	// public source lists the inner codes. The "'<operator>' operator: Failed to resolve ..." form of
	// unresolved names is the service's, as reported in public issues: "'where' operator: Failed to
	// resolve column or scalar expression named 'ExecutionTimeInMS'" (microsoft/BCTech#107) for a
	// column, and unknownTable's sources for a table.
	code    string
	message string
	// pos is the 0-based byte offset of the offending token in the query for syntax errors; line
	// (1-based) and column (0-based, in bytes) are the same place, set by parseKQL.
	pos          int
	line, column int
	token        string
	// reason is what a syntax error says about the token.
	reason string
}

func (e *kqlError) Error() string { return e.message }

// syntaxError reports a token the parser cannot accept.
func syntaxError(tok kqlToken, format string, args ...any) *kqlError {
	text := tok.text
	if tok.kind == tokEOF {
		text = "<end of query>"
	}
	return &kqlError{code: "SYN0002", pos: tok.pos, token: text, reason: fmt.Sprintf(format, args...)}
}

// locate sets the line and column of a syntax error in query q and writes its message.
func (e *kqlError) locate(q string) {
	before := q[:min(e.pos, len(q))]
	e.line = strings.Count(before, "\n") + 1
	e.column = len(before) - (strings.LastIndexByte(before, '\n') + 1)
	e.message = fmt.Sprintf("Query could not be parsed at '%s' on line [%d,%d]: %s", e.token, e.line, e.column, e.reason)
}

// semanticError reports a query that parses but cannot be evaluated.
func semanticError(code, format string, args ...any) *kqlError {
	return &kqlError{semantic: true, code: code, message: fmt.Sprintf(format, args...)}
}

// Token kinds of the KQL subset.
type tokKind int

const (
	tokEOF tokKind = iota
	tokIdent
	tokString
	tokNumber
	tokTimespan
	tokDatetime
	tokSymbol
)

// kqlToken is one lexical token with its byte offset in the query.
type kqlToken struct {
	kind tokKind
	text string // the identifier, the decoded string, the number or timespan text, or the symbol
	pos  int
}

// timespanUnits are the timespan literal suffixes of the subset.
var timespanUnits = map[string]time.Duration{
	"d": 24 * time.Hour, "h": time.Hour, "m": time.Minute, "s": time.Second, "ms": time.Millisecond,
}

// lexKQL splits a query into tokens.
func lexKQL(q string) ([]kqlToken, *kqlError) {
	var toks []kqlToken
	i := 0
	for i < len(q) {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '/' && i+1 < len(q) && q[i+1] == '/':
			return nil, syntaxError(kqlToken{kind: tokSymbol, text: "//", pos: i}, "comments are outside the KQL subset of the fake; remove them")
		case c == '"' || c == '\'':
			s, n, err := lexString(q[i:])
			if err != nil {
				return nil, syntaxError(kqlToken{kind: tokSymbol, text: string(c), pos: i}, "%s", err)
			}
			toks = append(toks, kqlToken{kind: tokString, text: s, pos: i})
			i += n
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(q) && q[i+1] >= '0' && q[i+1] <= '9':
			start := i
			for i < len(q) && (q[i] >= '0' && q[i] <= '9' || q[i] == '.') {
				i++
			}
			unitStart := i
			for i < len(q) && q[i] >= 'a' && q[i] <= 'z' {
				i++
			}
			kind := tokNumber
			if unitStart < i {
				if _, ok := timespanUnits[q[unitStart:i]]; !ok {
					return nil, syntaxError(kqlToken{kind: tokSymbol, text: q[start:i], pos: start},
						"timespan unit '%s' is outside the subset; use d, h, m, s or ms", q[unitStart:i])
				}
				kind = tokTimespan
			}
			toks = append(toks, kqlToken{kind: kind, text: q[start:i], pos: start})
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			start := i
			for i < len(q) && isIdentByte(q[i]) {
				i++
			}
			toks = append(toks, kqlToken{kind: tokIdent, text: q[start:i], pos: start})
			if q[start:i] == "datetime" && i < len(q) && q[i] == '(' {
				// The time inside datetime(...) is taken as it is written, up to the closing parenthesis.
				end := strings.IndexByte(q[i:], ')')
				if end < 0 {
					return nil, syntaxError(kqlToken{kind: tokSymbol, text: "(", pos: i}, "datetime( is not closed")
				}
				toks = append(toks,
					kqlToken{kind: tokSymbol, text: "(", pos: i},
					kqlToken{kind: tokDatetime, text: strings.TrimSpace(q[i+1 : i+end]), pos: i + 1},
					kqlToken{kind: tokSymbol, text: ")", pos: i + end})
				i += end + 1
			}
		default:
			start := i
			two := ""
			if i+1 < len(q) {
				two = q[i : i+2]
			}
			switch two {
			case "==", "!=", "<=", ">=":
				toks = append(toks, kqlToken{kind: tokSymbol, text: two, pos: start})
				i += 2
				continue
			}
			switch c {
			case '|', ',', '(', ')', '=', '<', '>':
				toks = append(toks, kqlToken{kind: tokSymbol, text: string(c), pos: start})
				i++
			default:
				return nil, syntaxError(kqlToken{kind: tokSymbol, text: string(c), pos: start}, "the character is outside the KQL subset of the fake")
			}
		}
	}
	return append(toks, kqlToken{kind: tokEOF, pos: len(q)}), nil
}

// isIdentByte reports whether c may continue an identifier.
func isIdentByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// lexString decodes a string literal at the start of s and returns it with the bytes it took.
func lexString(s string) (string, int, error) {
	quote := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case quote:
			return b.String(), i + 1, nil
		case '\\':
			if i+1 >= len(s) {
				return "", 0, fmt.Errorf("the string literal ends with a lone backslash")
			}
			i++
			switch s[i] {
			case '\\', '"', '\'':
				b.WriteByte(s[i])
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			default:
				return "", 0, fmt.Errorf("the escape \\%c is outside the subset; use \\\\, \\\", \\', \\n or \\t", s[i])
			}
		case '\n':
			return "", 0, fmt.Errorf("the string literal is not closed before the end of the line")
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, fmt.Errorf("the string literal is not closed")
}

// kqlQuery is a parsed query: a table and the operators applied to it in order.
type kqlQuery struct {
	table string
	ops   []kqlOperator
	// firstOp is the name of the first operator as written ("take" or "limit" for the same one), ""
	// when the query is the table alone.
	firstOp string
}

// kqlOperator is one tabular operator of a query.
type kqlOperator interface {
	apply(in *kqlTable, now time.Time) (*kqlTable, *kqlError)
}

// kqlLiteral is the right-hand side of a comparison.
type kqlLiteral struct {
	typ  string // kqlString, kqlLong, kqlReal, kqlBool or kqlDatetime
	str  string
	long int64
	real float64
	bool bool
	// ago is set for ago(<timespan>), which is evaluated against the query's time.
	ago     *time.Duration
	instant time.Time
	text    string // the literal as written, for messages
}

// kqlPredicate is "<column> <op> <literal>".
type kqlPredicate struct {
	column, op string
	value      kqlLiteral
}

// whereOp keeps the rows for which every predicate holds.
type whereOp struct{ preds []kqlPredicate }

// kqlAggregate is one aggregation of summarize.
type kqlAggregate struct {
	name, fn, column string
}

// summarizeOp groups rows by columns and aggregates each group.
type summarizeOp struct {
	aggs []kqlAggregate
	by   []string
}

// projectOp keeps columns in the given order.
type projectOp struct{ columns []string }

// takeOp keeps the first n rows.
type takeOp struct{ n int64 }

// kqlParser parses the tokens of one query.
type kqlParser struct {
	toks []kqlToken
	i    int
}

func (p *kqlParser) peek() kqlToken { return p.toks[p.i] }

func (p *kqlParser) next() kqlToken {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

// expectSymbol consumes the symbol sym or fails.
func (p *kqlParser) expectSymbol(sym, what string) *kqlError {
	if t := p.next(); t.kind != tokSymbol || t.text != sym {
		return syntaxError(t, "expected '%s' %s", sym, what)
	}
	return nil
}

// ident consumes an identifier or fails.
func (p *kqlParser) ident(what string) (string, *kqlError) {
	t := p.next()
	if t.kind != tokIdent {
		return "", syntaxError(t, "expected %s", what)
	}
	return t.text, nil
}

// parseKQL parses a query of the subset.
func parseKQL(q string) (*kqlQuery, *kqlError) {
	query, err := parseKQLTokens(q)
	if err != nil && !err.semantic {
		err.locate(q)
	}
	return query, err
}

// parseKQLTokens lexes and parses a query; syntax errors are not located yet.
func parseKQLTokens(q string) (*kqlQuery, *kqlError) {
	toks, err := lexKQL(q)
	if err != nil {
		return nil, err
	}
	p := &kqlParser{toks: toks}
	table, err := p.ident("a table name at the start of the query")
	if err != nil {
		return nil, err
	}
	query := &kqlQuery{table: table}
	for {
		t := p.next()
		if t.kind == tokEOF {
			return query, nil
		}
		if t.kind != tokSymbol || t.text != "|" {
			return nil, syntaxError(t, "expected '|' and an operator, or the end of the query")
		}
		opTok := p.next()
		if opTok.kind != tokIdent {
			return nil, syntaxError(opTok, "expected an operator after '|'")
		}
		var op kqlOperator
		switch opTok.text {
		case "where":
			op, err = p.parseWhere()
		case "summarize":
			op, err = p.parseSummarize()
		case "project":
			op, err = p.parseProject()
		case "take", "limit":
			op, err = p.parseTake()
		default:
			return nil, syntaxError(opTok, "the operator '%s' is outside the KQL subset of the fake, which evaluates where, summarize, project and take", opTok.text)
		}
		if err != nil {
			return nil, err
		}
		if len(query.ops) == 0 {
			query.firstOp = opTok.text
		}
		query.ops = append(query.ops, op)
	}
}

// parseWhere parses "<predicate> [and <predicate> ...]".
func (p *kqlParser) parseWhere() (kqlOperator, *kqlError) {
	var w whereOp
	for {
		column, err := p.ident("a column name in 'where'")
		if err != nil {
			return nil, err
		}
		opTok := p.next()
		if opTok.kind != tokSymbol || !strings.Contains(" == != < <= > >= ", " "+opTok.text+" ") {
			return nil, syntaxError(opTok, "expected one of ==, !=, <, <=, >, >= after '%s'", column)
		}
		value, err := p.parseLiteral()
		if err != nil {
			return nil, err
		}
		w.preds = append(w.preds, kqlPredicate{column: column, op: opTok.text, value: value})
		if t := p.peek(); t.kind == tokIdent && t.text == "and" {
			p.next()
			continue
		}
		return w, nil
	}
}

// parseLiteral parses a string, a number, true or false, ago(<timespan>) or datetime(<time>).
func (p *kqlParser) parseLiteral() (kqlLiteral, *kqlError) {
	t := p.next()
	switch t.kind {
	case tokString:
		return kqlLiteral{typ: kqlString, str: t.text, text: strconv.Quote(t.text)}, nil
	case tokNumber:
		if n, err := strconv.ParseInt(t.text, 10, 64); err == nil {
			return kqlLiteral{typ: kqlLong, long: n, text: t.text}, nil
		}
		f, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return kqlLiteral{}, syntaxError(t, "'%s' is not a number", t.text)
		}
		return kqlLiteral{typ: kqlReal, real: f, text: t.text}, nil
	case tokIdent:
		switch t.text {
		case "true", "false":
			return kqlLiteral{typ: kqlBool, bool: t.text == "true", text: t.text}, nil
		case "ago":
			if err := p.expectSymbol("(", "after ago"); err != nil {
				return kqlLiteral{}, err
			}
			span := p.next()
			if span.kind != tokTimespan {
				return kqlLiteral{}, syntaxError(span, "ago() takes a timespan literal such as 24h, 15m or 1d")
			}
			d, err := parseKQLTimespan(span.text)
			if err != nil {
				return kqlLiteral{}, syntaxError(span, "%s", err)
			}
			if err := p.expectSymbol(")", "to close ago("); err != nil {
				return kqlLiteral{}, err
			}
			return kqlLiteral{typ: kqlDatetime, ago: &d, text: "ago(" + span.text + ")"}, nil
		case "datetime":
			return p.parseDatetime(t)
		}
		return kqlLiteral{}, syntaxError(t, "'%s' is not a literal of the subset; compare with a string, a number, true, false, ago(<timespan>) or datetime(<time>)", t.text)
	}
	return kqlLiteral{}, syntaxError(t, "expected a literal")
}

// parseDatetime parses the rest of datetime(<time>).
func (p *kqlParser) parseDatetime(start kqlToken) (kqlLiteral, *kqlError) {
	if err := p.expectSymbol("(", "after datetime"); err != nil {
		return kqlLiteral{}, err
	}
	raw := p.next()
	if raw.kind != tokDatetime {
		return kqlLiteral{}, syntaxError(raw, "expected a time inside datetime()")
	}
	if err := p.expectSymbol(")", "to close datetime("); err != nil {
		return kqlLiteral{}, err
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if at, err := time.Parse(layout, raw.text); err == nil {
			return kqlLiteral{typ: kqlDatetime, instant: at.UTC(), text: "datetime(" + raw.text + ")"}, nil
		}
	}
	return kqlLiteral{}, syntaxError(start, "datetime(%s) is not a time of the form 2024-01-31T12:00:00Z", raw.text)
}

// parseKQLTimespan converts a timespan literal such as 24h or 1.5d.
func parseKQLTimespan(text string) (time.Duration, error) {
	i := strings.IndexFunc(text, func(r rune) bool { return r >= 'a' && r <= 'z' })
	n, err := strconv.ParseFloat(text[:i], 64)
	if err != nil {
		return 0, fmt.Errorf("'%s' is not a timespan", text)
	}
	d := n * float64(timespanUnits[text[i:]])
	if d > math.MaxInt64 {
		return 0, fmt.Errorf("the timespan '%s' is too long", text)
	}
	return time.Duration(d), nil
}

// parseSummarize parses "[Name =] agg(...) [, ...] [by column [, ...]]".
func (p *kqlParser) parseSummarize() (kqlOperator, *kqlError) {
	var s summarizeOp
	for {
		name := ""
		first, err := p.ident("an aggregation such as count() or max(TimeGenerated)")
		if err != nil {
			return nil, err
		}
		fn := first
		if t := p.peek(); t.kind == tokSymbol && t.text == "=" {
			p.next()
			name = first
			if fn, err = p.ident("an aggregation after '='"); err != nil {
				return nil, err
			}
		}
		if err := p.expectSymbol("(", "after the aggregation "+fn); err != nil {
			return nil, err
		}
		agg := kqlAggregate{name: name, fn: fn}
		switch fn {
		case "count":
			if agg.name == "" {
				agg.name = "count_"
			}
		case "max":
			if agg.column, err = p.ident("a column name in max()"); err != nil {
				return nil, err
			}
			if agg.name == "" {
				agg.name = "max_" + agg.column
			}
		default:
			return nil, syntaxError(p.toks[p.i-2], "the aggregation '%s' is outside the KQL subset of the fake, which has count() and max()", fn)
		}
		if err := p.expectSymbol(")", "to close "+fn+"("); err != nil {
			return nil, err
		}
		s.aggs = append(s.aggs, agg)
		t := p.peek()
		if t.kind == tokSymbol && t.text == "," {
			p.next()
			continue
		}
		if t.kind == tokIdent && t.text == "by" {
			p.next()
			columns, err := p.columnList("a column name after 'by'")
			if err != nil {
				return nil, err
			}
			s.by = columns
		}
		return s, nil
	}
}

// parseProject parses "column [, ...]".
func (p *kqlParser) parseProject() (kqlOperator, *kqlError) {
	columns, err := p.columnList("a column name in 'project'")
	if err != nil {
		return nil, err
	}
	return projectOp{columns: columns}, nil
}

// columnList parses "column [, column ...]".
func (p *kqlParser) columnList(what string) ([]string, *kqlError) {
	var columns []string
	for {
		c, err := p.ident(what)
		if err != nil {
			return nil, err
		}
		columns = append(columns, c)
		if t := p.peek(); t.kind != tokSymbol || t.text != "," {
			return columns, nil
		}
		p.next()
	}
}

// parseTake parses "<n>".
func (p *kqlParser) parseTake() (kqlOperator, *kqlError) {
	t := p.next()
	n, err := strconv.ParseInt(t.text, 10, 64)
	if t.kind != tokNumber || err != nil || n < 0 {
		return nil, syntaxError(t, "take expects a whole number of rows")
	}
	return takeOp{n: n}, nil
}

// apply keeps the rows for which every predicate holds.
func (w whereOp) apply(in *kqlTable, now time.Time) (*kqlTable, *kqlError) {
	type bound struct {
		index int
		pred  kqlPredicate
		value kqlLiteral
	}
	bounds := make([]bound, 0, len(w.preds))
	for _, pred := range w.preds {
		i := in.column(pred.column)
		if i < 0 {
			return nil, semanticError("SEM0100", "'where' operator: Failed to resolve column or scalar expression named '%s'", pred.column)
		}
		value, err := checkComparison(in.columns[i], pred)
		if err != nil {
			return nil, err
		}
		if value.ago != nil {
			value.instant = now.Add(-*value.ago)
		}
		bounds = append(bounds, bound{index: i, pred: pred, value: value})
	}
	out := &kqlTable{columns: in.columns}
	for _, row := range in.rows {
		keep := true
		for _, b := range bounds {
			if !compare(row[b.index], b.pred.op, b.value) {
				keep = false
				break
			}
		}
		if keep {
			out.rows = append(out.rows, row)
		}
	}
	return out, nil
}

// checkComparison checks that a column can be compared with a literal by an operator, and returns
// the literal converted to the column's type.
func checkComparison(col kqlColumn, pred kqlPredicate) (kqlLiteral, *kqlError) {
	v := pred.value
	mismatch := func() (kqlLiteral, *kqlError) {
		return kqlLiteral{}, semanticError("SEM0002", "'where' operator: Cannot compare values of types %s and %s (%s %s %s). Try adding explicit casts",
			col.typ, v.typ, col.name, pred.op, v.text)
	}
	equality := pred.op == "==" || pred.op == "!="
	switch col.typ {
	case kqlString:
		if v.typ != kqlString {
			return mismatch()
		}
		if !equality {
			return kqlLiteral{}, semanticError("SEM0002", "'where' operator: the fake compares strings only with == and != (%s %s %s)", col.name, pred.op, v.text)
		}
	case kqlDatetime:
		if v.typ != kqlDatetime {
			return mismatch()
		}
	case kqlLong, kqlInt, kqlReal:
		switch v.typ {
		case kqlLong:
			if col.typ == kqlReal {
				v.typ, v.real = kqlReal, float64(v.long)
			}
		case kqlReal:
			if col.typ != kqlReal {
				return mismatch()
			}
		default:
			return mismatch()
		}
	case kqlBool:
		if v.typ != kqlBool || !equality {
			return mismatch()
		}
	default:
		return mismatch()
	}
	return v, nil
}

// compare evaluates "value op literal"; a null value never matches.
func compare(value any, op string, lit kqlLiteral) bool {
	var c int
	switch x := value.(type) {
	case nil:
		return false
	case string:
		c = strings.Compare(x, lit.str)
	case time.Time:
		c = x.Compare(lit.instant)
	case int64:
		c = cmpOrdered(x, lit.long)
	case float64:
		c = cmpOrdered(x, lit.real)
	case bool:
		if x == lit.bool {
			c = 0
		} else {
			c = 1
		}
	default:
		return false
	}
	switch op {
	case "==":
		return c == 0
	case "!=":
		return c != 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	default:
		return c >= 0
	}
}

// cmpOrdered compares two numbers.
func cmpOrdered[T int64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// apply groups the rows and aggregates each group. Without by it answers exactly one row, even for
// no input (count 0, max null); with by, one row per group. KQL leaves the order of summarize's
// output unspecified; the fake sorts the groups by their values (lessKey) so that answers are stable,
// which is our model, and a client must not rely on it.
func (s summarizeOp) apply(in *kqlTable, _ time.Time) (*kqlTable, *kqlError) {
	out := &kqlTable{}
	seen := map[string]bool{}
	addColumn := func(c kqlColumn) *kqlError {
		if seen[c.name] {
			return semanticError("SEM0002", "'summarize' operator: the column '%s' would appear twice; name the aggregations (Name = count())", c.name)
		}
		seen[c.name] = true
		out.columns = append(out.columns, c)
		return nil
	}
	byIndex := make([]int, len(s.by))
	for i, name := range s.by {
		byIndex[i] = in.column(name)
		if byIndex[i] < 0 {
			return nil, semanticError("SEM0100", "'summarize' operator: Failed to resolve column or scalar expression named '%s'", name)
		}
		if in.columns[byIndex[i]].typ == kqlDynamic {
			return nil, semanticError("SEM0002", "'summarize' operator: the fake cannot group by the dynamic column '%s'", name)
		}
		if err := addColumn(in.columns[byIndex[i]]); err != nil {
			return nil, err
		}
	}
	aggIndex := make([]int, len(s.aggs))
	for i, agg := range s.aggs {
		typ := kqlLong
		if agg.fn == "max" {
			aggIndex[i] = in.column(agg.column)
			if aggIndex[i] < 0 {
				return nil, semanticError("SEM0100", "'summarize' operator: Failed to resolve column or scalar expression named '%s'", agg.column)
			}
			typ = in.columns[aggIndex[i]].typ
			switch typ {
			case kqlDatetime, kqlLong, kqlInt, kqlReal:
			default:
				return nil, semanticError("SEM0002", "'summarize' operator: the fake's max() takes a datetime or numeric column, and '%s' is %s", agg.column, typ)
			}
		}
		if err := addColumn(kqlColumn{name: agg.name, typ: typ}); err != nil {
			return nil, err
		}
	}

	type group struct {
		key  []any
		aggs []any
	}
	var groups []*group
	byKey := map[string]*group{}
	newGroup := func(key []any) *group {
		g := &group{key: key, aggs: make([]any, len(s.aggs))}
		for i, agg := range s.aggs {
			if agg.fn == "count" {
				g.aggs[i] = int64(0)
			}
		}
		return g
	}
	if len(s.by) == 0 {
		g := newGroup(nil)
		groups = append(groups, g)
		byKey[""] = g
	}
	for _, row := range in.rows {
		key := make([]any, len(byIndex))
		for i, idx := range byIndex {
			key[i] = row[idx]
		}
		k := fmt.Sprintf("%#v", key)
		if len(s.by) == 0 {
			k = ""
		}
		g := byKey[k]
		if g == nil {
			g = newGroup(key)
			byKey[k] = g
			groups = append(groups, g)
		}
		for i, agg := range s.aggs {
			if agg.fn == "count" {
				if n, ok := g.aggs[i].(int64); ok {
					g.aggs[i] = n + 1
				}
				continue
			}
			if v := row[aggIndex[i]]; v != nil && (g.aggs[i] == nil || greater(v, g.aggs[i])) {
				g.aggs[i] = v
			}
		}
	}
	sort.SliceStable(groups, func(i, j int) bool { return lessKey(groups[i].key, groups[j].key) })
	for _, g := range groups {
		out.rows = append(out.rows, append(append([]any{}, g.key...), g.aggs...))
	}
	return out, nil
}

// greater reports whether a > b for two values of the same type.
func greater(a, b any) bool {
	switch x := a.(type) {
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.After(y)
	case int64:
		y, ok := b.(int64)
		return ok && x > y
	case float64:
		y, ok := b.(float64)
		return ok && x > y
	}
	return false
}

// lessKey orders group keys: nulls first, then by value, comparing numbers as numbers, datetimes as
// instants and strings (and booleans, false first) as text.
func lessKey(a, b []any) bool {
	for i := range a {
		switch {
		case a[i] == nil && b[i] == nil:
			continue
		case a[i] == nil:
			return true
		case b[i] == nil:
			return false
		}
		if c := compareValues(a[i], b[i]); c != 0 {
			return c < 0
		}
	}
	return false
}

// compareValues compares two non-null values of a column, which have the same type; values of
// different types compare by their text.
func compareValues(a, b any) int {
	switch x := a.(type) {
	case int64:
		if y, ok := b.(int64); ok {
			return cmpOrdered(x, y)
		}
	case float64:
		if y, ok := b.(float64); ok {
			return cmpOrdered(x, y)
		}
	case time.Time:
		if y, ok := b.(time.Time); ok {
			return x.Compare(y)
		}
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y)
		}
	}
	return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
}

// apply keeps the named columns in the given order.
func (p projectOp) apply(in *kqlTable, _ time.Time) (*kqlTable, *kqlError) {
	idx := make([]int, len(p.columns))
	out := &kqlTable{}
	for i, name := range p.columns {
		idx[i] = in.column(name)
		if idx[i] < 0 {
			return nil, semanticError("SEM0100", "'project' operator: Failed to resolve column or scalar expression named '%s'", name)
		}
		out.columns = append(out.columns, in.columns[idx[i]])
	}
	for _, row := range in.rows {
		r := make([]any, len(idx))
		for i, j := range idx {
			r[i] = row[j]
		}
		out.rows = append(out.rows, r)
	}
	return out, nil
}

// apply keeps the first n rows.
func (t takeOp) apply(in *kqlTable, _ time.Time) (*kqlTable, *kqlError) {
	if int64(len(in.rows)) <= t.n {
		return in, nil
	}
	return &kqlTable{columns: in.columns, rows: in.rows[:t.n]}, nil
}

// evaluate runs the query's operators on its table, with now as the time of ago().
func (q *kqlQuery) evaluate(table *kqlTable, now time.Time) (*kqlTable, *kqlError) {
	result := table
	for _, op := range q.ops {
		var err *kqlError
		if result, err = op.apply(result, now); err != nil {
			return nil, err
		}
	}
	return result, nil
}

// earliestTime returns the lower bound that the query's first where puts on column (an ago() or
// datetime() compared with >, >= or ==), so the fake generates no rows before it; ok is false
// without such a bound.
func (q *kqlQuery) earliestTime(column string, now time.Time) (time.Time, bool) {
	if len(q.ops) == 0 {
		return time.Time{}, false
	}
	w, isWhere := q.ops[0].(whereOp)
	if !isWhere {
		return time.Time{}, false
	}
	var bound time.Time
	found := false
	for _, pred := range w.preds {
		if pred.column != column || pred.value.typ != kqlDatetime || (pred.op != ">" && pred.op != ">=" && pred.op != "==") {
			continue
		}
		at := pred.value.instant
		if pred.value.ago != nil {
			at = now.Add(-*pred.value.ago)
		}
		if !found || at.After(bound) {
			bound, found = at, true
		}
	}
	return bound, found
}

package fakeapi

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// kqlNow is the query time of the KQL tests.
var kqlNow = time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)

// sampleTable is a small McasShadowItReporting-like table.
func sampleTable() *kqlTable {
	at := func(minutesAgo int) time.Time { return kqlNow.Add(-time.Duration(minutesAgo) * time.Minute) }
	return &kqlTable{
		columns: []kqlColumn{{"TimeGenerated", kqlDatetime}, {"StreamName", kqlString}, {"TotalEvents", kqlLong}, {"AppScore", kqlInt}, {"Ratio", kqlReal}, {"Blocked", kqlBool}, {"AppTags", kqlDynamic}},
		rows: [][]any{
			{at(10), "Zscaler", int64(40), int64(8), 0.5, false, []string{"sanctioned"}},
			{at(70), "Palo Alto", int64(10), int64(3), 1.5, true, []string{}},
			{at(20), "Palo Alto", int64(25), int64(10), 2.0, false, []string{}},
			{at(60 * 30), "Zscaler", int64(5), nil, nil, false, nil},
			{at(5), "Palo Alto", int64(1), int64(5), 0.0, true, []string{"unsanctioned"}},
		},
	}
}

// runKQL parses and evaluates a query over sampleTable.
func runKQL(t *testing.T, query string) *kqlTable {
	t.Helper()
	q, err := parseKQL(query)
	if err != nil {
		t.Fatalf("parseKQL(%q): %v", query, err)
	}
	if q.table != "T" {
		t.Fatalf("table = %q, want T", q.table)
	}
	out, err := q.evaluate(sampleTable(), kqlNow)
	if err != nil {
		t.Fatalf("evaluate(%q): %v", query, err)
	}
	return out
}

// columnNames returns the names of a result's columns.
func columnNames(tb *kqlTable) []string {
	var names []string
	for _, c := range tb.columns {
		names = append(names, c.name+":"+c.typ)
	}
	return names
}

func TestKQLWhere(t *testing.T) {
	tests := []struct {
		query string
		want  int // rows
	}{
		{"T", 5},
		{"T | where StreamName == 'Palo Alto'", 3},
		{`T | where StreamName == "Palo Alto" and TotalEvents > 5`, 2},
		{"T | where StreamName != \"Palo Alto\"", 2},
		{"T | where TimeGenerated > ago(1h)", 3},
		{"T | where TimeGenerated >= ago(70m)", 4},
		{"T | where TimeGenerated < ago(1d)", 1},
		{"T | where TimeGenerated <= datetime(2025-03-10T11:50:00Z)", 4},
		{"T | where TimeGenerated == datetime(2025-03-10T11:50:00Z)", 1},
		{"T | where TotalEvents >= 25", 2},
		{"T | where TotalEvents < 10", 2},
		{"T | where AppScore <= 5", 2}, // the null AppScore never matches
		{"T | where Ratio > 1", 2},     // a whole number compares with a real column
		{"T | where Ratio >= 0.5 and Ratio < 2.0", 2},
		{"T | where Blocked == true", 2},
		{"T | where TimeGenerated > ago(0.5d) | where StreamName == 'Zscaler'", 1},
		{"T | where StreamName == 'palo alto'", 0}, // == is case-sensitive
	}
	for _, tt := range tests {
		if got := len(runKQL(t, tt.query).rows); got != tt.want {
			t.Errorf("%s: %d rows, want %d", tt.query, got, tt.want)
		}
	}
}

// TestKQLStringEscapes checks that escaped quotes and backslashes in string literals are decoded.
func TestKQLStringEscapes(t *testing.T) {
	for query, want := range map[string]string{
		`T | where StreamName == 'It\'s'`:      "It's",
		`T | where StreamName == "say \"hi\""`: `say "hi"`,
		`T | where StreamName == 'a\\b'`:       `a\b`,
	} {
		q, err := parseKQL(query)
		if err != nil {
			t.Errorf("parseKQL(%s): %v", query, err)
			continue
		}
		where, ok := q.ops[0].(whereOp)
		if !ok || len(where.preds) != 1 || where.preds[0].value.typ != kqlString || where.preds[0].value.str != want {
			t.Errorf("parseKQL(%s) = %+v; want the string literal %q", query, q.ops, want)
		}
	}
}

func TestKQLSummarize(t *testing.T) {
	out := runKQL(t, "T | where TimeGenerated > ago(2h) | summarize count(), max(TimeGenerated) by StreamName")
	if got, want := columnNames(out), []string{"StreamName:string", "count_:long", "max_TimeGenerated:datetime"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("columns = %v, want %v", got, want)
	}
	want := [][]any{
		{"Palo Alto", int64(3), kqlNow.Add(-5 * time.Minute)},
		{"Zscaler", int64(1), kqlNow.Add(-10 * time.Minute)},
	}
	if !reflect.DeepEqual(out.rows, want) {
		t.Fatalf("rows = %v, want %v", out.rows, want)
	}

	// Without by, summarize answers one row even for no input: count 0 and a null max.
	empty := runKQL(t, "T | where StreamName == 'none' | summarize count(), max(TimeGenerated)")
	if !reflect.DeepEqual(empty.rows, [][]any{{int64(0), nil}}) {
		t.Fatalf("rows of an empty summarize = %v, want [[0 <nil>]]", empty.rows)
	}
	// With by, no input means no rows.
	if rows := runKQL(t, "T | where StreamName == 'none' | summarize count() by StreamName").rows; len(rows) != 0 {
		t.Fatalf("rows of an empty grouped summarize = %v, want none", rows)
	}

	named := runKQL(t, "T | summarize Rows = count(), Newest = max(TotalEvents), max(AppScore) by StreamName, Blocked | where Rows >= 2")
	if got, want := columnNames(named), []string{"StreamName:string", "Blocked:bool", "Rows:long", "Newest:long", "max_AppScore:int"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("columns = %v, want %v", got, want)
	}
	if want := [][]any{{"Palo Alto", true, int64(2), int64(10), int64(5)}, {"Zscaler", false, int64(2), int64(40), int64(8)}}; !reflect.DeepEqual(named.rows, want) {
		t.Fatalf("rows = %v, want %v", named.rows, want)
	}
}

func TestKQLProjectAndTake(t *testing.T) {
	out := runKQL(t, "T | where StreamName == 'Palo Alto' | project TotalEvents, StreamName | take 2")
	want := [][]any{{int64(10), "Palo Alto"}, {int64(25), "Palo Alto"}}
	if !reflect.DeepEqual(out.rows, want) || !reflect.DeepEqual(columnNames(out), []string{"TotalEvents:long", "StreamName:string"}) {
		t.Fatalf("project/take = %v %v, want %v", columnNames(out), out.rows, want)
	}
	if n := len(runKQL(t, "T | limit 0").rows); n != 0 {
		t.Fatalf("limit 0 kept %d rows", n)
	}
	if n := len(runKQL(t, "T | take 100").rows); n != 5 {
		t.Fatalf("take 100 kept %d rows, want all 5", n)
	}
}

// TestKQLRefusals shows that queries outside the subset are refused with a syntax error naming the
// offending token, and queries that do not fit the table with a semantic error; none is guessed.
func TestKQLRefusals(t *testing.T) {
	tests := []struct {
		query    string
		semantic bool
		want     string
	}{
		{"", false, "at '<end of query>'"},
		{"T | extend X = 1", false, "operator 'extend' is outside the KQL subset"},
		{"T | where StreamName has 'Palo'", false, "expected one of ==, !="},
		{"T | where StreamName == 'a' or TotalEvents > 1", false, "at 'or'"},
		{"T | summarize avg(TotalEvents)", false, "aggregation 'avg' is outside"},
		{"T | summarize count() by bin(TimeGenerated, 1h)", false, "at '('"},
		{"T | where TimeGenerated > ago(1y)", false, "timespan unit 'y'"},
		{"T | where TimeGenerated > now()", false, "'now' is not a literal"},
		{"T | where TimeGenerated > datetime(yesterday)", false, "datetime(yesterday)"},
		{"T // all rows", false, "comments are outside"},
		{"T | take -1", false, "at '-'"},
		{"T | take many", false, "take expects a whole number"},
		{"T; T", false, "at ';'"},
		{"T | where StreamName == 'unclosed", false, "not closed"},
		{"T\n| where", false, "expected a column name"},
		{"T | where Missing == 1", true, "Failed to resolve column or scalar expression named 'Missing'"},
		{"T | where TimeGenerated > 5", true, "Cannot compare values of types datetime and long"},
		{"T | where TotalEvents == 'x'", true, "Cannot compare values of types long and string"},
		{"T | where TotalEvents == 1.5", true, "Cannot compare values of types long and real"},
		{"T | where StreamName > 'a'", true, "compares strings only with == and !="},
		{"T | where AppTags == 'x'", true, "Cannot compare values of types dynamic"},
		{"T | where Blocked > true", true, "Cannot compare values of types bool"},
		{"T | summarize max(StreamName)", true, "max() takes a datetime or numeric column"},
		{"T | summarize count() by AppTags", true, "cannot group by the dynamic column"},
		{"T | summarize count(), count()", true, "'count_' would appear twice"},
		{"T | summarize count() by Missing", true, "named 'Missing'"},
		{"T | summarize count() | project StreamName", true, "'project' operator: Failed to resolve"},
	}
	for _, tt := range tests {
		q, err := parseKQL(tt.query)
		if err == nil {
			_, err = q.evaluate(sampleTable(), kqlNow)
		}
		switch {
		case err == nil:
			t.Errorf("%q was accepted; want a refusal", tt.query)
		case err.semantic != tt.semantic:
			t.Errorf("%q: semantic = %v, want %v (%s)", tt.query, err.semantic, tt.semantic, err.message)
		case !strings.Contains(err.message, tt.want):
			t.Errorf("%q: %q does not contain %q", tt.query, err.message, tt.want)
		case !err.semantic && (err.code != "SYN0002" || err.token == ""):
			t.Errorf("%q: syntax error code %q token %q, want SYN0002 and the token", tt.query, err.code, err.token)
		}
	}
}

// TestKQLEarliestTime shows the lower time bound the fake takes from a query's first where, so it
// generates no rows before it.
func TestKQLEarliestTime(t *testing.T) {
	tests := []struct {
		query string
		want  time.Time
		ok    bool
	}{
		{"T | where TimeGenerated > ago(1h)", kqlNow.Add(-time.Hour), true},
		{"T | where TimeGenerated >= ago(1h) and TimeGenerated > ago(10m)", kqlNow.Add(-10 * time.Minute), true},
		{"T | where TimeGenerated == datetime(2025-01-01)", time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{"T | where TimeGenerated < ago(1h)", time.Time{}, false},
		{"T | where StreamName == 'x'", time.Time{}, false},
		{"T | take 1 | where TimeGenerated > ago(1h)", time.Time{}, false},
		{"T", time.Time{}, false},
	}
	for _, tt := range tests {
		q, err := parseKQL(tt.query)
		if err != nil {
			t.Fatalf("%q: %v", tt.query, err)
		}
		got, ok := q.earliestTime("TimeGenerated", kqlNow)
		if ok != tt.ok || !got.Equal(tt.want) {
			t.Errorf("%q: earliestTime = %v, %v; want %v, %v", tt.query, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseTimespan(t *testing.T) {
	now := kqlNow
	tests := []struct {
		raw        string
		from, to   time.Time
		wantErrSub string
	}{
		{"", time.Time{}, time.Time{}, ""},
		{"PT24H", now.Add(-24 * time.Hour), now, ""},
		{"P1DT12H", now.Add(-36 * time.Hour), now, ""},
		{"P2W", now.Add(-14 * 24 * time.Hour), now, ""},
		{"PT90.5S", now.Add(-90500 * time.Millisecond), now, ""},
		{"2025-03-10T00:00:00Z/2025-03-10T06:00:00Z", now.Add(-12 * time.Hour), now.Add(-6 * time.Hour), ""},
		{"2025-03-10T00:00:00Z/PT1H", now.Add(-12 * time.Hour), now.Add(-11 * time.Hour), ""},
		{"PT1H/2025-03-10T06:00:00Z", now.Add(-7 * time.Hour), now.Add(-6 * time.Hour), ""},
		{"P1M", time.Time{}, time.Time{}, "not a duration"},
		{"P", time.Time{}, time.Time{}, "not a duration"},
		{"PT", time.Time{}, time.Time{}, "not a duration"},
		{"24h", time.Time{}, time.Time{}, "not a duration"},
		{"2025-03-10T06:00:00Z/2025-03-10T00:00:00Z", time.Time{}, time.Time{}, "ends before it starts"},
		{"yesterday/today", time.Time{}, time.Time{}, "cannot parse"},
	}
	for _, tt := range tests {
		ts, err := parseTimespan(tt.raw)
		if tt.wantErrSub != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErrSub) {
				t.Errorf("%q: error %v, want one containing %q", tt.raw, err, tt.wantErrSub)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.raw, err)
			continue
		}
		from, to := ts.bounds(now)
		if !from.Equal(tt.from) || !to.Equal(tt.to) {
			t.Errorf("%q: bounds %v .. %v, want %v .. %v", tt.raw, from, to, tt.from, tt.to)
		}
	}
}

// TestKQLSummarizeGroupOrder checks that groups are ordered by value, numbers as numbers: AppScore
// 10 comes after 8, where text would put it first.
func TestKQLSummarizeGroupOrder(t *testing.T) {
	out := runKQL(t, "T | summarize count() by AppScore")
	var got []any
	for _, row := range out.rows {
		got = append(got, row[0])
	}
	if want := []any{nil, int64(3), int64(5), int64(8), int64(10)}; !reflect.DeepEqual(got, want) {
		t.Errorf("groups by AppScore = %v, want %v", got, want)
	}
}

// TestKQLSyntaxErrorPosition checks that a syntax error names the line and column of its token.
func TestKQLSyntaxErrorPosition(t *testing.T) {
	for query, want := range map[string][2]int{
		"T | take many":                       {1, 9},
		"T\n| where StreamName == 'x'\n| sum": {3, 2},
		"T\r\n| where 5 == 5":                 {2, 8},
	} {
		_, err := parseKQL(query)
		switch {
		case err == nil || err.semantic:
			t.Errorf("%q: error %v; want a syntax error", query, err)
		case err.line != want[0] || err.column != want[1]:
			t.Errorf("%q: line %d column %d; want line %d column %d (%s)", query, err.line, err.column, want[0], want[1], err.message)
		case !strings.Contains(err.message, fmt.Sprintf("on line [%d,%d]", want[0], want[1])):
			t.Errorf("%q: the message %q does not name line %d column %d", query, err.message, want[0], want[1])
		}
	}
}

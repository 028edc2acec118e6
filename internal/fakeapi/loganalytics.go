package fakeapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// The Log Analytics query API (learn.microsoft.com/azure/azure-monitor/logs/api/request-format):
// POST {endpoint}/v1/workspaces/{workspace customer id}/query with {"query", "timespan"} answers
// {"tables": [{"name": "PrimaryResult", "columns": [{"name", "type"}], "rows": [[...]]}]}. The fake
// serves it under <server>/loganalytics for every workspace of every tenant, over the tables of the
// ingestion world (ingestion.go), evaluating the KQL subset of kql.go.

// logAnalyticsPrefix is the path of the fake's Log Analytics endpoint below the server's URL.
const logAnalyticsPrefix = "/loganalytics"

// Query throttling of the Log Analytics API, per user: 200 queries per 30 seconds (the "Query rate"
// of the user query throttling limits, MicrosoftDocs/azure-docs includes/azure-monitor-limits-log-queries.md).
// The same page's 5 concurrent queries per user are not modelled: the service queues the others, so
// a client cannot tell them from slower answers.
const (
	defaultLogAnalyticsRateLimit = 200
	logAnalyticsRateWindow       = 30 * time.Second
)

// logAnalyticsQueryPathRE matches the query path below the endpoint; the workspace id is a GUID.
var logAnalyticsQueryPathRE = regexp.MustCompile(`(?i)^/v1/workspaces/([^/]+)/query/?$`)

// LogAnalyticsEndpoint returns the Log Analytics query endpoint of the server (the provider's
// log_analytics_endpoint): URL() + "/loganalytics".
func (s *Server) LogAnalyticsEndpoint() string { return s.url + logAnalyticsPrefix }

// logAnalyticsErrorBody is the API's error document, {"error": {"message", "code", "correlationId",
// "innererror"}}, as the errors page of the API shows it (learn.microsoft.com/azure/azure-monitor/logs/api/errors).
func logAnalyticsErrorBody(code, message string, inner map[string]any) map[string]any {
	e := map[string]any{"message": message, "code": code, "correlationId": uuid.NewString()}
	if inner != nil {
		e["innererror"] = inner
	}
	return map[string]any{"error": e}
}

// writeLogAnalyticsError writes an error of the query API.
func writeLogAnalyticsError(w http.ResponseWriter, status int, code, message string, inner map[string]any) {
	writeJSON(w, status, logAnalyticsErrorBody(code, message, inner))
}

// writeLogAnalyticsErrorOnly writes an error of the query API without inner error.
func writeLogAnalyticsErrorOnly(w http.ResponseWriter, status int, code, message string) {
	writeLogAnalyticsError(w, status, code, message, nil)
}

// queryError is the answer to a query the fake cannot evaluate: 400 BadArgumentError with the
// syntax or semantic error inside, the shape of the errors page's "Query syntax error".
func queryError(w http.ResponseWriter, err *kqlError) {
	inner := map[string]any{"code": "SyntaxError", "message": "A recognition error occurred in the query."}
	detail := map[string]any{"code": err.code, "message": err.message}
	if err.semantic {
		inner = map[string]any{"code": "SemanticError", "message": "A semantic error occurred."}
	} else {
		detail["line"], detail["pos"], detail["token"] = err.line, err.column, err.token
	}
	inner["innererror"] = detail
	writeLogAnalyticsError(w, http.StatusBadRequest, "BadArgumentError", "The request had some invalid properties", inner)
}

// serveLogAnalytics serves the query API.
func (s *Server) serveLogAnalytics(w http.ResponseWriter, r *http.Request) {
	// The Date header comes from the fake's clock, so a client that takes the service's time from it
	// stays consistent with the TimeGenerated of the rows.
	w.Header().Set("Date", s.Now().Format(http.TimeFormat))
	m := logAnalyticsQueryPathRE.FindStringSubmatch(strings.TrimPrefix(r.URL.Path, logAnalyticsPrefix))
	// The order of the checks below (path, method, token, request, query, then workspace, access and
	// throttling) is our model: no source says in which order the service makes them.
	if m == nil {
		// Our model: the errors page shows no answer for an unknown path; the code is ours.
		writeLogAnalyticsError(w, http.StatusNotFound, "PathNotFoundError", fmt.Sprintf("The requested path does not exist: %s. The query API serves POST /v1/workspaces/{workspace id}/query.", r.URL.Path), nil)
		return
	}
	// POST, and GET with the query in the URL, which the API also takes (request-format page); the 405
	// for other methods and its wording are our model.
	if !allowMethods(w, r, writeLogAnalyticsErrorOnly, http.MethodGet, http.MethodPost) {
		return
	}
	claims, status, code, message := s.authenticateLogAnalytics(r)
	if claims == nil {
		writeLogAnalyticsError(w, status, code, message, nil)
		return
	}
	query, timespan, err := queryRequest(r)
	if err != nil {
		writeLogAnalyticsError(w, http.StatusBadRequest, "BadArgumentError", "The request had some invalid properties",
			map[string]any{"code": "InvalidArgument", "message": err.Error()})
		return
	}
	parsed, kerr := parseKQL(query)
	if kerr != nil {
		queryError(w, kerr)
		return
	}

	s.mu.Lock()
	t, ws := s.workspaceByCustomerID(m[1])
	switch {
	case ws == nil:
		// Our model: the errors page shows no answer for an unknown workspace; the code and wording
		// are ours.
		s.mu.Unlock()
		writeLogAnalyticsError(w, http.StatusNotFound, "WorkspaceNotFoundError", "The workspace could not be found", nil)
		return
	case !strings.EqualFold(t.id, claims.TenantID) || !ws.queryAccess:
		// Our model: a token of another tenant holds no role on the workspace either.
		s.mu.Unlock()
		writeLogAnalyticsError(w, http.StatusForbidden, "InsufficientAccessError",
			"The provided credentials have insufficient access to perform the requested operation", nil)
		return
	case !s.admitLogAnalyticsQuery(claims.ObjectID, time.Now()):
		// Our model of the answer: the limits page names the status, not the body, and no Retry-After.
		s.mu.Unlock()
		writeLogAnalyticsError(w, http.StatusTooManyRequests, "ThrottledError", fmt.Sprintf(
			"Too many requests: a user may run %d queries per %s against Log Analytics. Wait and retry.", s.laRateLimit, logAnalyticsRateWindow), nil)
		return
	}
	now := s.nowLocked()
	from, to := timespan.bounds(now)
	since := from
	if bound, ok := parsed.earliestTime("TimeGenerated", now); ok && bound.After(since) {
		since = bound
	}
	table := s.ingestedTable(t, ws, parsed.table, since)
	s.mu.Unlock()

	if table == nil {
		queryError(w, unknownTable(parsed))
		return
	}
	table = table.within(from, to)
	result, kerr := parsed.evaluate(table, now)
	if kerr != nil {
		queryError(w, kerr)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"tables": []any{renderKQLTable("PrimaryResult", result)}})
}

// unknownTable is the error of a query of a table the workspace does not have. The service names the
// operator that follows the table: "'where' operator: Failed to resolve table or column expression
// named 'Costs_v1_2'" (microsoft/finops-toolkit#1776), "'extend' operator: ..." (MSEndpointMgr/Reporting#13).
// A query of the table alone has no operator to name; leaving the prefix out then is our model.
func unknownTable(q *kqlQuery) *kqlError {
	if q.firstOp == "" {
		return semanticError("SEM0100", "Failed to resolve table or column expression named '%s'", q.table)
	}
	return semanticError("SEM0100", "'%s' operator: Failed to resolve table or column expression named '%s'", q.firstOp, q.table)
}

// authenticateLogAnalytics checks the bearer token of a query: a token of this server for the Log
// Analytics audience. On failure it returns nil claims and the status, code and message of the errors
// page: 401 AuthenticationFailed without a token, 403 InvalidAuthenticationToken for a token that is
// not valid, 403 InvalidAuthenticationTokenAudience for another audience.
func (s *Server) authenticateLogAnalytics(r *http.Request) (*accessClaims, int, string, string) {
	claims, failure, _ := s.checkBearer(r, isLogAnalyticsAudience)
	switch failure {
	case bearerMissing:
		return nil, http.StatusUnauthorized, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing."
	case bearerMalformed:
		return nil, http.StatusUnauthorized, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is provided in an invalid format; expected 'Bearer <access token>'."
	case bearerInvalid:
		return nil, http.StatusForbidden, "InvalidAuthenticationToken", "The access token is invalid."
	case bearerExpired:
		return nil, http.StatusForbidden, "InvalidAuthenticationToken", "The access token is invalid: it has expired."
	case bearerWrongAudience:
		return nil, http.StatusForbidden, "InvalidAuthenticationTokenAudience", fmt.Sprintf(
			"The access token has been obtained from wrong audience or resource '%s'. It should exactly match (including forward slash) with one of the allowed audiences '%s'.",
			strings.Join(claims.Audience, ","), LogAnalyticsAudience)
	}
	return claims, 0, "", ""
}

// isLogAnalyticsAudience reports whether an audience means the Log Analytics API.
func isLogAnalyticsAudience(aud string) bool {
	return strings.EqualFold(strings.TrimSuffix(aud, "/"), LogAnalyticsAudience)
}

// queryRequest reads the query and timespan of a request: the JSON body of a POST, or the query and
// timespan parameters of a GET.
func queryRequest(r *http.Request) (string, queryTimespan, error) {
	if r.Method == http.MethodGet {
		ts, err := parseTimespan(r.URL.Query().Get("timespan"))
		q := r.URL.Query().Get("query")
		if err == nil && q == "" {
			err = errors.New("the query parameter is missing")
		}
		return q, ts, err
	}
	body, err := readBody(r)
	if err != nil {
		return "", queryTimespan{}, err
	}
	var req struct {
		Query      *string  `json:"query"`
		Timespan   string   `json:"timespan"`
		Workspaces []string `json:"workspaces"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return "", queryTimespan{}, fmt.Errorf("the body is not a JSON object of the form {\"query\": \"...\", \"timespan\": \"...\"}: %v", err)
	}
	if req.Query == nil || strings.TrimSpace(*req.Query) == "" {
		return "", queryTimespan{}, errors.New("the body has no query")
	}
	if len(req.Workspaces) > 0 {
		return "", queryTimespan{}, errors.New("the fake does not query additional workspaces; send one query per workspace")
	}
	ts, err := parseTimespan(req.Timespan)
	return *req.Query, ts, err
}

// queryTimespan is the timespan of a query: an ISO 8601 duration (ending now), or an interval
// start/end, start/duration or duration/end; zero for none.
type queryTimespan struct {
	start, end time.Time
	duration   time.Duration
	raw        string
}

// parseTimespan parses the timespan of a request.
func parseTimespan(raw string) (queryTimespan, error) {
	ts := queryTimespan{raw: raw}
	if raw == "" {
		return ts, nil
	}
	bad := func(err error) (queryTimespan, error) {
		return queryTimespan{}, fmt.Errorf("the timespan %q is not an ISO 8601 duration (PT24H, P1D) or interval (start/end, start/duration, duration/end): %v", raw, err)
	}
	first, second, interval := strings.Cut(raw, "/")
	if !interval {
		d, err := parseISODuration(raw)
		if err != nil {
			return bad(err)
		}
		ts.duration = d
		return ts, nil
	}
	var err error
	switch {
	case strings.HasPrefix(first, "P"):
		if ts.duration, err = parseISODuration(first); err == nil {
			ts.end, err = time.Parse(time.RFC3339Nano, second)
			ts.start = ts.end.Add(-ts.duration)
		}
	case strings.HasPrefix(second, "P"):
		if ts.start, err = time.Parse(time.RFC3339Nano, first); err == nil {
			ts.duration, err = parseISODuration(second)
			ts.end = ts.start.Add(ts.duration)
		}
	default:
		if ts.start, err = time.Parse(time.RFC3339Nano, first); err == nil {
			ts.end, err = time.Parse(time.RFC3339Nano, second)
		}
	}
	if err != nil {
		return bad(err)
	}
	if ts.end.Before(ts.start) {
		return bad(errors.New("it ends before it starts"))
	}
	return ts, nil
}

// bounds returns the interval a timespan covers at now; both zero for no timespan.
func (ts queryTimespan) bounds(now time.Time) (time.Time, time.Time) {
	switch {
	case ts.raw == "":
		return time.Time{}, time.Time{}
	case ts.start.IsZero():
		return now.Add(-ts.duration), now
	}
	return ts.start, ts.end
}

// isoDurationRE matches the ISO 8601 durations the fake takes: weeks, days, hours, minutes and
// (fractional) seconds. Years and months have no fixed length and are refused.
var isoDurationRE = regexp.MustCompile(`^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$`)

// parseISODuration parses an ISO 8601 duration such as PT24H or P1DT12H.
func parseISODuration(s string) (time.Duration, error) {
	m := isoDurationRE.FindStringSubmatch(s)
	if m == nil || s == "P" || strings.HasSuffix(s, "T") {
		return 0, fmt.Errorf("%q is not a duration of weeks, days, hours, minutes and seconds", s)
	}
	units := []time.Duration{7 * 24 * time.Hour, 24 * time.Hour, time.Hour, time.Minute, time.Second}
	var total float64
	for i, u := range units {
		if m[i+1] == "" {
			continue
		}
		n, err := strconv.ParseFloat(m[i+1], 64)
		if err != nil {
			return 0, err
		}
		total += n * float64(u)
	}
	if total > float64(1<<62) {
		return 0, fmt.Errorf("%q is too long", s)
	}
	return time.Duration(total), nil
}

// within keeps the rows whose TimeGenerated lies in [from, to]; both zero keeps every row.
func (t *kqlTable) within(from, to time.Time) *kqlTable {
	i := t.column("TimeGenerated")
	if i < 0 || from.IsZero() && to.IsZero() {
		return t
	}
	out := &kqlTable{columns: t.columns}
	for _, row := range t.rows {
		at, ok := row[i].(time.Time)
		if ok && !at.Before(from) && !at.After(to) {
			out.rows = append(out.rows, row)
		}
	}
	return out
}

// renderKQLTable renders a result as the query API answers a table: datetimes as RFC 3339 strings
// with 7 fractional digits, dynamic values as their JSON text.
func renderKQLTable(name string, t *kqlTable) map[string]any {
	columns := make([]map[string]string, len(t.columns))
	for i, c := range t.columns {
		columns[i] = map[string]string{"name": c.name, "type": c.typ}
	}
	rows := make([][]any, len(t.rows))
	for i, row := range t.rows {
		out := make([]any, len(row))
		for j, v := range row {
			switch x := v.(type) {
			case time.Time:
				out[j] = x.UTC().Format("2006-01-02T15:04:05.0000000Z")
			case nil, string, int64, float64, bool:
				out[j] = x
			default:
				raw, err := json.Marshal(x)
				if err != nil {
					raw = []byte("null")
				}
				out[j] = string(raw)
			}
		}
		rows[i] = out
	}
	return map[string]any{"name": name, "columns": columns, "rows": rows}
}

// workspaceByCustomerID returns the workspace with a customer id and its tenant. The caller holds s.mu.
func (s *Server) workspaceByCustomerID(customerID string) (*tenant, *workspace) {
	ref := s.index.byCustomerID[strings.ToLower(customerID)]
	return ref.tenant, ref.workspace
}

// admitLogAnalyticsQuery applies the per-user query rate and records an admitted query. The caller
// holds s.mu.
func (s *Server) admitLogAnalyticsQuery(user string, now time.Time) bool {
	var admitted bool
	s.laRecent[user], admitted = admitWindow(s.laRecent[user], s.laRateLimit, logAnalyticsRateWindow, now)
	return admitted
}

// SetQueryAccess sets whether the callers of a workspace's tenant hold a role that may query it (Log
// Analytics Reader, Microsoft Sentinel Reader or above); without one, queries answer 403
// InsufficientAccessError.
func (s *Server) SetQueryAccess(workspaceID string, allowed bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ws, err := s.lookupWorkspace(workspaceID)
	if err != nil {
		return err
	}
	ws.queryAccess = allowed
	return nil
}

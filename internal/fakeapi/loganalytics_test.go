package fakeapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// queryAnswer is a decoded answer of the query API.
type queryAnswer struct {
	Tables []struct {
		Name    string `json:"name"`
		Columns []struct {
			Name string `json:"name"`
			Type string `json:"type"`
		} `json:"columns"`
		Rows [][]any `json:"rows"`
	} `json:"tables"`
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Details []any  `json:"details"`
	} `json:"error"`
}

// laQuery posts a query for a workspace with a token of tenant tokenTenant.
func laQuery(t *testing.T, s *Server, tokenTenant, customerID, query, timespan string) response {
	t.Helper()
	body := map[string]any{"query": query}
	if timespan != "" {
		body["timespan"] = timespan
	}
	return do(t, s, http.MethodPost, s.LogAnalyticsEndpoint()+"/v1/workspaces/"+customerID+"/query",
		bearer(accessToken(t, s, tokenTenant, LogAnalyticsAudience)), body)
}

// answer decodes a 200 answer of the query API.
func (r response) answer(t *testing.T) queryAnswer {
	t.Helper()
	r.expectStatus(t, http.StatusOK)
	var a queryAnswer
	if err := json.Unmarshal(r.body, &a); err != nil {
		t.Fatalf("decoding the answer: %v\n%s", err, r.body)
	}
	if len(a.Tables) != 1 || a.Tables[0].Name != "PrimaryResult" {
		t.Fatalf("the answer has tables %+v, want one PrimaryResult", a.Tables)
	}
	return a
}

// rowsByStream runs the data source's discovery query and returns count and newest row per stream.
func rowsByStream(t *testing.T, s *Server, info TenantInfo, lookback string) map[string][2]any {
	t.Helper()
	a := laQuery(t, s, info.Name, info.WorkspaceCustomerID,
		"McasShadowItReporting | where TimeGenerated > ago("+lookback+") | summarize count(), max(TimeGenerated) by StreamName", "").answer(t)
	out := map[string][2]any{}
	for _, row := range a.Tables[0].Rows {
		out[row[0].(string)] = [2]any{row[1], row[2]}
	}
	return out
}

// cloudAppsAlertCount counts the Defender for Cloud Apps alerts of the last day.
func cloudAppsAlertCount(t *testing.T, s *Server, info TenantInfo) float64 {
	t.Helper()
	a := laQuery(t, s, info.Name, info.WorkspaceCustomerID,
		`SecurityAlert | where ProductName == "Microsoft Cloud App Security" | summarize count()`, "P1D").answer(t)
	return a.Tables[0].Rows[0][0].(float64)
}

// integrate creates both halves of the integration out of band: a Sentinel agent forwarding the
// given streams (all when none) and the MicrosoftCloudAppSecurity connector.
func integrate(t *testing.T, s *Server, info TenantInfo, streams ...string) {
	t.Helper()
	if err := s.PutAgent(info.Name, Agent{ID: "aaaaaaaaaaaaaaaaaaaaaaaa", AgentType: AgentTypeSentinel, Alerts: true, DiscoveryLogsEnabled: true, Streams: streams}); err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf(`{"kind":"MicrosoftCloudAppSecurity","properties":{"tenantId":%q,"dataTypes":{"alerts":{"state":"Enabled"},"discoveryLogs":{"state":"Enabled"}}}}`, info.TenantID)
	if err := s.PutDataConnector(connectorIDOf(info), json.RawMessage(body)); err != nil {
		t.Fatal(err)
	}
}

// connectorIDOf is the ARM id of the tenant's MicrosoftCloudAppSecurity connector.
func connectorIDOf(info TenantInfo) string {
	return info.WorkspaceID + "/providers/Microsoft.SecurityInsights/dataConnectors/" + info.TenantID
}

// streamIDByName returns the id of a stream of the tenant.
func streamIDByName(t *testing.T, s *Server, tenant, name string) string {
	t.Helper()
	for _, st := range s.Streams(tenant) {
		if st.DisplayName == name {
			return st.ID
		}
	}
	t.Fatalf("tenant %s has no stream %q", tenant, name)
	return ""
}

// advance moves the fake's clock.
func advance(t *testing.T, s *Server, d time.Duration) {
	t.Helper()
	if _, err := s.AdvanceClock(d); err != nil {
		t.Fatal(err)
	}
}

func TestLogAnalyticsRefusals(t *testing.T) {
	s := startServer(t, Options{})
	contoso := mustTenant(t, s, "contoso")
	fabrikam := mustTenant(t, s, "fabrikam")
	queryURL := s.LogAnalyticsEndpoint() + "/v1/workspaces/" + contoso.WorkspaceCustomerID + "/query"
	body := map[string]any{"query": "SecurityAlert | summarize count()"}

	tests := []struct {
		name, authorization string
		url                 string
		body                any
		status              int
		code                string
	}{
		{"no token", "", queryURL, body, 401, "AuthenticationFailed"},
		{"not a bearer token", "Token abc", queryURL, body, 401, "AuthenticationFailed"},
		{"token of another server", bearer("eyJhbGciOiJSUzI1NiJ9.e30.c2ln"), queryURL, body, 403, "InvalidAuthenticationToken"},
		{"Resource Manager token", bearer(accessToken(t, s, "contoso", ResourceManagerAudience)), queryURL, body, 403, "InvalidAuthenticationTokenAudience"},
		{"token of another tenant", bearer(accessToken(t, s, "fabrikam", LogAnalyticsAudience)), queryURL, body, 403, "InsufficientAccessError"},
		{"unknown workspace", bearer(accessToken(t, s, "contoso", LogAnalyticsAudience)), s.LogAnalyticsEndpoint() + "/v1/workspaces/00000000-0000-0000-0000-000000000000/query", body, 404, "WorkspaceNotFoundError"},
		{"unknown path", bearer(accessToken(t, s, "contoso", LogAnalyticsAudience)), s.LogAnalyticsEndpoint() + "/v1/workspaces/" + contoso.WorkspaceCustomerID + "/metadata", body, 404, "PathNotFoundError"},
		{"no query", bearer(accessToken(t, s, "contoso", LogAnalyticsAudience)), queryURL, map[string]any{"timespan": "PT1H"}, 400, "BadArgumentError"},
		{"bad timespan", bearer(accessToken(t, s, "contoso", LogAnalyticsAudience)), queryURL, map[string]any{"query": "SecurityAlert", "timespan": "P1M"}, 400, "BadArgumentError"},
		{"additional workspaces", bearer(accessToken(t, s, "contoso", LogAnalyticsAudience)), queryURL, map[string]any{"query": "SecurityAlert", "workspaces": []string{fabrikam.WorkspaceCustomerID}}, 400, "BadArgumentError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, s, http.MethodPost, tt.url, tt.authorization, tt.body).expectStatus(t, tt.status)
			if code := r.armCode(t); code != tt.code {
				t.Fatalf("error code %q, want %q: %s", code, tt.code, r.body)
			}
		})
	}

	t.Run("query outside the subset", func(t *testing.T) {
		r := laQuery(t, s, "contoso", contoso.WorkspaceCustomerID, "SecurityAlert | extend X = 1", "").expectStatus(t, 400)
		e := r.object(t)["error"].(map[string]any)
		inner := e["innererror"].(map[string]any)
		detail := inner["innererror"].(map[string]any)
		if e["code"] != "BadArgumentError" || inner["code"] != "SyntaxError" || detail["token"] != "extend" ||
			!strings.Contains(detail["message"].(string), "outside the KQL subset") {
			t.Fatalf("the refusal is %s", r.body)
		}
	})
	t.Run("unknown table", func(t *testing.T) {
		for query, want := range map[string]string{
			"McasShadowItReport | summarize count()":       "'summarize' operator: Failed to resolve table or column expression named 'McasShadowItReport'",
			"McasShadowItReport | where StreamName == 'x'": "'where' operator: Failed to resolve table or column expression named 'McasShadowItReport'",
			"McasShadowItReport":                           "Failed to resolve table or column expression named 'McasShadowItReport'",
		} {
			r := laQuery(t, s, "contoso", contoso.WorkspaceCustomerID, query, "").expectStatus(t, 400)
			inner := r.object(t)["error"].(map[string]any)["innererror"].(map[string]any)
			detail, _ := inner["innererror"].(map[string]any)
			if inner["code"] != "SemanticError" || detail == nil || detail["message"] != want {
				t.Errorf("%q: the refusal is %s; want the message %q", query, r.body, want)
			}
		}
	})
	t.Run("workspace without Sentinel has no such tables", func(t *testing.T) {
		s.mu.Lock()
		_, ws := s.workspaceByCustomerID(contoso.WorkspaceCustomerID)
		var other string
		for _, w := range s.tenantByName("contoso").workspaces {
			if !w.sentinel {
				other = w.customerID
			}
		}
		s.mu.Unlock()
		if ws == nil || other == "" {
			t.Fatal("the default world lacks a workspace without Sentinel")
		}
		laQuery(t, s, "contoso", other, "SecurityAlert | summarize count()", "").expectStatus(t, 400)
	})
	t.Run("no role on the workspace", func(t *testing.T) {
		if err := s.SetQueryAccess(contoso.WorkspaceID, false); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = s.SetQueryAccess(contoso.WorkspaceID, true) }()
		r := laQuery(t, s, "contoso", contoso.WorkspaceCustomerID, "SecurityAlert | summarize count()", "").expectStatus(t, 403)
		if code := r.armCode(t); code != "InsufficientAccessError" {
			t.Fatalf("code %q, want InsufficientAccessError", code)
		}
	})
	t.Run("requests are recorded with the workspace's tenant", func(t *testing.T) {
		s.ResetRequests()
		laQuery(t, s, "contoso", contoso.WorkspaceCustomerID, "SecurityAlert | take 1", "").expectStatus(t, 200)
		reqs := s.Requests()
		if len(reqs) != 1 || reqs[0].Tenant != "contoso" || reqs[0].TokenTenant != "contoso" || s.CountRequests("POST", `^/loganalytics/v1/workspaces/[^/]+/query$`) != 1 {
			t.Fatalf("recorded %+v", reqs)
		}
	})
}

// TestLogAnalyticsIngestion follows one tenant's integration through the fake's clock: nothing before
// both halves exist, rows only after the delay, a stream that the filter drops stops receiving rows,
// and nothing more once a half is gone.
func TestLogAnalyticsIngestion(t *testing.T) {
	s := startServer(t, Options{})
	info := mustTenant(t, s, "contoso")
	hq := streamIDByName(t, s, "contoso", "Palo Alto - HQ firewall")
	branches := streamIDByName(t, s, "contoso", "Zscaler - Branch offices")

	if rows := rowsByStream(t, s, info, "30d"); len(rows) != 0 {
		t.Fatalf("rows before the integration: %v", rows)
	}
	// One half alone writes nothing.
	if err := s.PutAgent("contoso", Agent{AgentType: AgentTypeSentinel, Alerts: true, DiscoveryLogsEnabled: true}); err != nil {
		t.Fatal(err)
	}
	advance(t, s, time.Hour)
	if rows := rowsByStream(t, s, info, "30d"); len(rows) != 0 {
		t.Fatalf("rows with the SIEM agent alone: %v", rows)
	}
	for _, a := range s.Agents("contoso") {
		if err := s.DeleteAgent("contoso", a.ID); err != nil && a.AgentType == AgentTypeSentinel {
			t.Fatal(err)
		}
	}

	integrate(t, s, info, hq, branches)
	start := s.Now()
	advance(t, s, DefaultIngestionDelay-time.Minute)
	if rows := rowsByStream(t, s, info, "1d"); len(rows) != 0 {
		t.Fatalf("rows before the delay: %v", rows)
	}
	if n := cloudAppsAlertCount(t, s, info); n != 0 {
		t.Fatalf("%v alerts before the delay", n)
	}

	advance(t, s, 2*time.Minute)
	rows := rowsByStream(t, s, info, "1d")
	if len(rows) != 2 || rows["Palo Alto - HQ firewall"][0].(float64) < 1 || rows["Zscaler - Branch offices"][0].(float64) < 1 {
		t.Fatalf("rows after the delay: %v", rows)
	}
	first, err := time.Parse(time.RFC3339Nano, rows["Palo Alto - HQ firewall"][1].(string))
	if err != nil || first.Before(start.Add(DefaultIngestionDelay-time.Second)) || first.After(s.Now()) {
		t.Fatalf("the newest row is from %v (%v); the integration started at %v", first, err, start)
	}
	if n := cloudAppsAlertCount(t, s, info); n != 1 {
		t.Fatalf("%v Defender for Cloud Apps alerts after the delay, want 1", n)
	}
	// The workspace also holds the alerts of another product, which the ProductName filter leaves out.
	all := laQuery(t, s, "contoso", info.WorkspaceCustomerID, "SecurityAlert | summarize count() by ProductName", "P1D").answer(t)
	if len(all.Tables[0].Rows) != 2 {
		t.Fatalf("alerts by product: %v, want Defender for Cloud Apps and Identity Protection", all.Tables[0].Rows)
	}

	// The filter drops the Zscaler stream: its rows stop, the other stream's go on.
	if err := s.PutAgent("contoso", Agent{ID: "aaaaaaaaaaaaaaaaaaaaaaaa", AgentType: AgentTypeSentinel, Alerts: true, DiscoveryLogsEnabled: true, Streams: []string{hq}}); err != nil {
		t.Fatal(err)
	}
	filtered := s.Now()
	advance(t, s, 30*time.Minute)
	rows = rowsByStream(t, s, info, "1d")
	zscalerNewest, _ := time.Parse(time.RFC3339Nano, rows["Zscaler - Branch offices"][1].(string))
	hqNewest, _ := time.Parse(time.RFC3339Nano, rows["Palo Alto - HQ firewall"][1].(string))
	if zscalerNewest.After(filtered) || hqNewest.Before(s.Now().Add(-discoveryBatchInterval)) {
		t.Fatalf("after the filter change at %v: Zscaler's newest row %v, Palo Alto's %v (now %v)", filtered, zscalerNewest, hqNewest, s.Now())
	}
	if recent := rowsByStream(t, s, info, "20m"); len(recent) != 1 || recent["Palo Alto - HQ firewall"][0] == nil {
		t.Fatalf("rows of the last 20 minutes: %v, want Palo Alto's only", recent)
	}

	// The connector goes: nothing more arrives; what arrived stays.
	if err := s.DeleteDataConnector(connectorIDOf(info)); err != nil {
		t.Fatal(err)
	}
	before := rowsByStream(t, s, info, "1d")["Palo Alto - HQ firewall"][0].(float64)
	advance(t, s, time.Hour)
	if after := rowsByStream(t, s, info, "1d")["Palo Alto - HQ firewall"][0].(float64); after != before {
		t.Fatalf("Palo Alto has %v rows an hour after the connector went, %v before", after, before)
	}
	periods := s.IngestionPeriods(info.WorkspaceID)
	for _, p := range periods {
		if p.Product != productIdentityProtection && p.To == nil {
			t.Errorf("period %+v is still open after the connector went", p)
		}
	}
}

// TestLogAnalyticsTablesOutliveSentinel checks that disabling Sentinel stops the rows but keeps the
// tables and the rows already written.
func TestLogAnalyticsTablesOutliveSentinel(t *testing.T) {
	s := startServer(t, Options{IngestionDelay: time.Minute})
	info := mustTenant(t, s, "contoso")
	integrate(t, s, info)
	advance(t, s, 20*time.Minute)
	before := rowsByStream(t, s, info, "1d")
	alerts := cloudAppsAlertCount(t, s, info)
	if len(before) == 0 || alerts == 0 {
		t.Fatalf("before disabling Sentinel: rows %v and %v alerts; want both", before, alerts)
	}
	if err := s.SetSentinelEnabled(info.WorkspaceID, false); err != nil {
		t.Fatal(err)
	}
	advance(t, s, 2*time.Hour)
	if after := rowsByStream(t, s, info, "1d"); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("rows two hours after Sentinel was disabled = %v; want those written before, %v", after, before)
	}
	if n := cloudAppsAlertCount(t, s, info); n != alerts {
		t.Errorf("%v Defender for Cloud Apps alerts two hours after Sentinel was disabled; want the %v written before", n, alerts)
	}
	for _, p := range s.IngestionPeriods(info.WorkspaceID) {
		if p.To == nil {
			t.Errorf("period %+v is still open after Sentinel was disabled", p)
		}
	}
}

// TestLogAnalyticsRows checks the rows themselves: the 18 columns of the documented
// McasShadowItReporting schema with plausible values, stable from one query to the next.
func TestLogAnalyticsRows(t *testing.T) {
	s := startServer(t, Options{IngestionDelay: time.Minute})
	info := mustTenant(t, s, "fabrikam")
	integrate(t, s, info)
	advance(t, s, 20*time.Minute)

	query := "McasShadowItReporting | where TimeGenerated > ago(1h) | take 50"
	a := laQuery(t, s, "fabrikam", info.WorkspaceCustomerID, query, "PT1H").answer(t)
	wantColumns := "TenantId:string SourceSystem:string TimeGenerated:datetime StreamName:string TotalEvents:long BlockedEvents:long " +
		"UploadedBytes:long TotalBytes:long DownloadedBytes:long IpAddress:string UserName:string EnrichedUserName:string AppName:string " +
		"AppId:int AppCategory:string AppTags:dynamic AppScore:int Type:string"
	var got []string
	for _, c := range a.Tables[0].Columns {
		got = append(got, c.Name+":"+c.Type)
	}
	if strings.Join(got, " ") != wantColumns {
		t.Fatalf("columns:\n%s\nwant\n%s", strings.Join(got, " "), wantColumns)
	}
	rows := a.Tables[0].Rows
	streams := map[string]bool{}
	for _, st := range s.Streams("fabrikam") {
		streams[st.DisplayName] = true
	}
	if len(rows) == 0 {
		t.Fatal("no rows 19 minutes after the delay")
	}
	for _, row := range rows {
		up, down, total := row[6].(float64), row[8].(float64), row[7].(float64)
		var tags []string
		score := row[16].(float64)
		switch {
		case row[0] != info.WorkspaceCustomerID || row[1] != "Azure" || row[17] != TableMcasShadowItReporting:
			t.Fatalf("row %v: TenantId, SourceSystem or Type is wrong", row)
		case !streams[row[3].(string)]:
			t.Fatalf("row %v names a stream the tenant does not have", row)
		case up+down != total || row[5].(float64) > row[4].(float64):
			t.Fatalf("row %v: bytes or events do not add up", row)
		case !strings.HasSuffix(row[10].(string), "@"+info.Domain) || row[10] != row[11]:
			t.Fatalf("row %v: user names are not the tenant's", row)
		case json.Unmarshal([]byte(row[15].(string)), &tags) != nil:
			t.Fatalf("row %v: AppTags is not a JSON array", row)
		case score < 0 || score > 10:
			t.Fatalf("row %v: AppScore out of 0-10", row)
		}
	}
	again := laQuery(t, s, "fabrikam", info.WorkspaceCustomerID, query, "PT1H").answer(t)
	if fmt.Sprint(again.Tables[0].Rows) != fmt.Sprint(rows) {
		t.Fatal("the same query over the same time answered different rows")
	}
}

func TestLogAnalyticsThrottleAndFaults(t *testing.T) {
	s := startServer(t, Options{LogAnalyticsRateLimit: 3})
	info := mustTenant(t, s, "contoso")
	for range 3 {
		laQuery(t, s, "contoso", info.WorkspaceCustomerID, "SecurityAlert | take 1", "").expectStatus(t, 200)
	}
	r := laQuery(t, s, "contoso", info.WorkspaceCustomerID, "SecurityAlert | take 1", "").expectStatus(t, http.StatusTooManyRequests)
	if code := r.armCode(t); code != "ThrottledError" {
		t.Fatalf("code %q, want ThrottledError", code)
	}
	// Another user (the Azure CLI's administrator) has a budget of its own.
	cli, _, err := s.MintAccessToken("contoso", LogAnalyticsAudience, 0)
	if err != nil {
		t.Fatal(err)
	}
	do(t, s, http.MethodPost, s.LogAnalyticsEndpoint()+"/v1/workspaces/"+info.WorkspaceCustomerID+"/query", bearer(cli),
		map[string]any{"query": "SecurityAlert | take 1"}).expectStatus(t, 200)

	s2 := startServer(t, Options{})
	info2 := mustTenant(t, s2, "contoso")
	if _, err := s2.InjectFault(Fault{PathPattern: "^/loganalytics/", Kind: FaultPartialResult}); err != nil {
		t.Fatal(err)
	}
	a := laQuery(t, s2, "contoso", info2.WorkspaceCustomerID, "SecurityAlert | summarize count()", "").answer(t)
	if a.Error == nil || a.Error.Code != "PartialError" || len(a.Error.Details) == 0 || a.Tables[0].Rows[0][0] == nil {
		t.Fatalf("partial answer: %+v", a)
	}
	if again := laQuery(t, s2, "contoso", info2.WorkspaceCustomerID, "SecurityAlert | summarize count()", "").answer(t); again.Error != nil {
		t.Fatalf("the fault outlived its count: %+v", again.Error)
	}
}

// TestLogAnalyticsClock shows the fake's clock through the Go API, the admin interface and the Date
// header of query answers.
func TestLogAnalyticsClock(t *testing.T) {
	s := startServer(t, Options{})
	info := mustTenant(t, s, "contoso")
	before := s.Now()
	if _, err := s.AdvanceClock(-time.Second); err == nil {
		t.Fatal("the clock moved backwards")
	}
	r := do(t, s, http.MethodPost, "/admin/clock", "", map[string]any{"advance": "2h"}).expectStatus(t, 200)
	if offset := r.object(t)["offset_seconds"].(float64); offset != 7200 {
		t.Fatalf("offset %v after advancing 2h", offset)
	}
	do(t, s, http.MethodPost, "/admin/clock", "", map[string]any{"advance": "soon"}).expectStatus(t, 400)
	do(t, s, http.MethodPut, "/admin/ingestion", "", map[string]any{"delay": "5m"}).expectStatus(t, 200)
	if d := s.IngestionDelay(); d != 5*time.Minute {
		t.Fatalf("delay %s after the admin set 5m", d)
	}
	do(t, s, http.MethodGet, "/admin/ingestion?workspace="+info.WorkspaceID, "", nil).expectStatus(t, 200)

	res := laQuery(t, s, "contoso", info.WorkspaceCustomerID, "SecurityAlert | take 1", "")
	date, err := http.ParseTime(res.header.Get("Date"))
	if err != nil || date.Before(before.Add(2*time.Hour-time.Second)) || date.After(s.Now().Add(time.Second)) {
		t.Fatalf("Date header %q (%v): want the fake's clock, about %v", res.header.Get("Date"), err, s.Now())
	}

	// The admin switch of query access.
	do(t, s, http.MethodPatch, "/admin/workspaces", "", map[string]any{"id": info.WorkspaceID, "query_access": false}).expectStatus(t, 204)
	laQuery(t, s, "contoso", info.WorkspaceCustomerID, "SecurityAlert | take 1", "").expectStatus(t, 403)

	env := map[string]string{}
	for _, kv := range s.Env("contoso") {
		env[kv[0]] = kv[1]
	}
	if env["ARM_LOG_ANALYTICS_ENDPOINT"] != s.LogAnalyticsEndpoint() || env["ARM_LOG_ANALYTICS_AUDIENCE"] != LogAnalyticsAudience {
		t.Fatalf("Env lacks the Log Analytics endpoint: %v", env)
	}
}

package loganalytics_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/internal/clienttest"
	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/internal/pipeline"
	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/loganalytics"
	"github.com/mcas-terraform/terraform-provider-mcas/internal/fakeapi"
)

const (
	workspace    = "045e6cbf-2143-46f4-89e2-c5877016b50c"
	testAudience = "https://api.loganalytics.test.example"
	queryPath    = "/v1/workspaces/" + workspace + "/query"
)

// newClient returns a client that talks to s with tiny retry delays.
func newClient(t *testing.T, s *clienttest.Server, cred *clienttest.Credential) *loganalytics.Client {
	t.Helper()
	c, err := loganalytics.NewClient(loganalytics.Options{
		Endpoint:   s.URL,
		Audience:   testAudience,
		Credential: cred,
		ClientOptions: policy.ClientOptions{
			Transport: s.Client(),
			Retry:     policy.RetryOptions{MaxRetries: 2, RetryDelay: time.Millisecond, MaxRetryDelay: 5 * time.Millisecond},
		},
	})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

// table renders a PrimaryResult answer.
func table(columns string, rows ...[]any) []byte {
	var cols []map[string]string
	for _, c := range strings.Fields(columns) {
		name, typ, _ := strings.Cut(c, ":")
		cols = append(cols, map[string]string{"name": name, "type": typ})
	}
	if rows == nil {
		rows = [][]any{}
	}
	body, _ := json.Marshal(map[string]any{"tables": []any{map[string]any{"name": "PrimaryResult", "columns": cols, "rows": rows}}})
	return body
}

// answerWith returns a handler that writes status, body and optional headers.
func answerWith(status int, body []byte, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}
}

const streamColumns = "StreamName:string count_:long max_TimeGenerated:datetime"

// TestDiscoveryLogsRequest shows the one request per table: the query, its timespan, the path of the
// workspace and the token's scope.
func TestDiscoveryLogsRequest(t *testing.T) {
	s := clienttest.NewServer(t, answerWith(200, table(streamColumns,
		[]any{"Palo Alto - HQ firewall", 12, "2025-03-10T11:55:00.0000000Z"},
		[]any{"Zscaler - Branch offices", 3, "2025-03-10T11:40:00Z"},
	), "Date", "Mon, 10 Mar 2025 12:00:00 GMT"))
	cred := &clienttest.Credential{Token: "la-token"}
	got, err := newClient(t, s, cred).DiscoveryLogs(t.Context(), workspace, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	reqs := s.Requests()
	if len(reqs) != 1 || reqs[0].Method != http.MethodPost || reqs[0].Path != queryPath {
		t.Fatalf("requests = %+v, want one POST %s", reqs, queryPath)
	}
	var body map[string]any
	if err := json.Unmarshal(reqs[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	wantQuery := "McasShadowItReporting\n| where TimeGenerated > ago(1d)\n| summarize count(), max(TimeGenerated) by StreamName"
	if body["query"] != wantQuery || body["timespan"] != "PT86400S" || len(body) != 2 {
		t.Fatalf("body = %v", body)
	}
	if auth := reqs[0].Header.Get("Authorization"); auth != "Bearer la-token" {
		t.Fatalf("Authorization = %q", auth)
	}
	if scopes := cred.Scopes(); len(scopes) != 1 || scopes[0] != testAudience+"/.default" {
		t.Fatalf("scopes = %v", scopes)
	}

	hq := time.Date(2025, 3, 10, 11, 55, 0, 0, time.UTC)
	if got.Rows != 15 || !got.LastReceived.Equal(hq) || len(got.Streams) != 2 ||
		got.Streams["Zscaler - Branch offices"].Rows != 3 || !got.Streams["Palo Alto - HQ firewall"].LastReceived.Equal(hq) {
		t.Fatalf("figures = %+v", got)
	}
	if !got.AnsweredAt.Equal(time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)) || got.Partial != nil || got.TableMissing {
		t.Fatalf("answer = %+v, want the Date header's time", got.Answer)
	}
}

func TestCloudAppsAlerts(t *testing.T) {
	s := clienttest.NewServer(t, answerWith(200, table("count_:long max_TimeGenerated:datetime", []any{0, nil})))
	before := time.Now().Add(-time.Second)
	got, err := newClient(t, s, &clienttest.Credential{Token: "t"}).CloudAppsAlerts(t.Context(), workspace, 90*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if got.Rows != 0 || got.LastReceived != nil || got.AnsweredAt.Before(before) {
		t.Fatalf("alerts = %+v; without a Date header AnsweredAt is the client's clock", got)
	}
	var body map[string]any
	_ = json.Unmarshal(s.Requests()[0].Body, &body)
	want := "SecurityAlert\n| where TimeGenerated > ago(90m) and ProductName == \"Microsoft Cloud App Security\"\n| summarize count(), max(TimeGenerated)"
	if body["query"] != want || body["timespan"] != "PT5400S" {
		t.Fatalf("body = %v", body)
	}
}

func TestPartialAndMissingTable(t *testing.T) {
	partial := []byte(`{"tables":[{"name":"PrimaryResult","columns":[{"name":"count_","type":"long"},{"name":"max_TimeGenerated","type":"datetime"}],"rows":[[4,"2025-03-10T11:00:00Z"]]}],
	  "error":{"code":"PartialError","message":"There were some errors when processing your query.","details":[{"code":"EngineError","message":"Something went wrong processing your query on the server.","innererror":{"code":"-2133196797","message":"Query execution has exceeded the allowed limits (80DA0003)."}}]}}`)
	s := clienttest.NewServer(t, answerWith(200, partial))
	got, err := newClient(t, s, &clienttest.Credential{Token: "t"}).CloudAppsAlerts(t.Context(), workspace, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if got.Rows != 4 || got.Partial == nil || got.Partial.Code != "PartialError" ||
		!strings.Contains(got.Partial.String(), "exceeded the allowed limits") {
		t.Fatalf("partial answer = %+v / %v", got, got.Partial)
	}

	missing := []byte(`{"error":{"message":"The request had some invalid properties","code":"BadArgumentError","innererror":{"code":"SemanticError","message":"A semantic error occurred.","innererror":{"code":"SEM0100","message":"'where' operator: Failed to resolve table or column expression named 'McasShadowItReporting'"}}}}`)
	s = clienttest.NewServer(t, answerWith(400, missing))
	logs, err := newClient(t, s, &clienttest.Credential{Token: "t"}).DiscoveryLogs(t.Context(), workspace, time.Hour)
	if err != nil || !logs.TableMissing || logs.Rows != 0 || len(logs.Streams) != 0 {
		t.Fatalf("missing table: %+v, %v", logs, err)
	}
}

// TestErrors shows the errors of the answers that are not results, each naming the operation, the
// workspace and what the service said.
func TestErrors(t *testing.T) {
	forbidden := []byte(`{"error":{"message":"The provided credentials have insufficient access to perform the requested operation","code":"InsufficientAccessError","correlationId":"x"}}`)
	badQuery := []byte(`{"error":{"message":"The request had some invalid properties","code":"BadArgumentError","innererror":{"code":"SyntaxError","message":"A recognition error occurred in the query.","innererror":{"code":"SYN0002","message":"Query could not be parsed at 'x' on line [1,5]"}}}}`)
	tests := []struct {
		name    string
		handler http.HandlerFunc
		check   func(error) bool
		want    string
		tries   int
	}{
		{"forbidden", answerWith(403, forbidden), loganalytics.IsForbidden,
			"counting the discovery logs in McasShadowItReporting of workspace " + workspace + ": HTTP 403 InsufficientAccessError: The provided credentials have insufficient access", 1},
		{"throttled", answerWith(429, []byte(`{"error":{"code":"ThrottledError","message":"Too many requests"}}`)), loganalytics.IsThrottled, "HTTP 429 ThrottledError", 3},
		{"unknown workspace", answerWith(404, []byte(`{"error":{"code":"WorkspaceNotFoundError","message":"The workspace could not be found"}}`)), loganalytics.IsNotFound, "WorkspaceNotFoundError", 1},
		{"no credential", answerWith(401, []byte(`{"error":{"code":"AuthenticationFailed","message":"Authentication failed."}}`)), loganalytics.IsUnauthorized, "HTTP 401 AuthenticationFailed", 1},
		{"bad query", answerWith(400, badQuery), func(error) bool { return true }, "(SYN0002: Query could not be parsed at 'x' on line [1,5])", 1},
		{"proxy page", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(502)
			_, _ = w.Write([]byte("<html>Bad gateway</html>"))
		}, func(error) bool { return true }, `HTTP 502 Bad Gateway: text/html body "<html>Bad gateway</html>"`, 3},
		{"malformed JSON", answerWith(200, []byte(`{"tables": [{"name": "Primary`)), func(error) bool { return true }, "malformed or truncated JSON", 1},
		{"not a result", answerWith(200, []byte(`{"value": []}`)), func(error) bool { return true }, "the answer holds no table", 1},
		{"other columns", answerWith(200, table("Category:string count_:long", []any{"x", 1})), func(error) bool { return true }, `no column "StreamName"`, 1},
		{"count not a number", answerWith(200, table(streamColumns, []any{"s", "many", "2025-03-10T11:00:00Z"})), func(error) bool { return true }, `the count many is not a whole number`, 1},
		{"time not a time", answerWith(200, table(streamColumns, []any{"s", 1, "yesterday"})), func(error) bool { return true }, `"yesterday" is not an RFC 3339 time`, 1},
		{"rows without a time", answerWith(200, table(streamColumns, []any{"s", 2, nil})), func(error) bool { return true }, `2 rows came without the time`, 1},
		{"short row", answerWith(200, table(streamColumns, []any{"s", 2})), func(error) bool { return true }, `fewer than its columns`, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := clienttest.NewServer(t, tt.handler)
			_, err := newClient(t, s, &clienttest.Credential{Token: "t"}).DiscoveryLogs(t.Context(), workspace, time.Hour)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !tt.check(err) {
				t.Fatalf("error = %v, want one containing %q", err, tt.want)
			}
			clienttest.CheckErrorText(t, err, 2000)
			if n := len(s.Requests()); n != tt.tries {
				t.Fatalf("%d requests, want %d", n, tt.tries)
			}
		})
	}
}

// TestThrottledThenAnswered shows a 429 retried until the service answers.
func TestThrottledThenAnswered(t *testing.T) {
	var n atomic.Int32
	s := clienttest.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			answerWith(429, []byte(`{"error":{"code":"ThrottledError","message":"Too many requests"}}`), "Retry-After", "0")(w, r)
			return
		}
		answerWith(200, table(streamColumns))(w, r)
	})
	got, err := newClient(t, s, &clienttest.Credential{Token: "t"}).DiscoveryLogs(t.Context(), workspace, time.Hour)
	if err != nil || got.Rows != 0 || len(s.Requests()) != 2 {
		t.Fatalf("after one 429: %+v, %v, %d requests", got, err, len(s.Requests()))
	}
}

// TestTimeOutNamesTheLastAnswer shows that a call that runs out of time while the service throttles
// it says what the service last answered.
func TestTimeOutNamesTheLastAnswer(t *testing.T) {
	s := clienttest.NewServer(t, answerWith(429, []byte(`{"error":{"code":"ThrottledError","message":"Too many requests"}}`)))
	c, err := loganalytics.NewClient(loganalytics.Options{
		Endpoint: s.URL, Credential: &clienttest.Credential{Token: "t"},
		ClientOptions: policy.ClientOptions{Transport: s.Client(), Retry: policy.RetryOptions{MaxRetries: 5, RetryDelay: time.Second, MaxRetryDelay: 2 * time.Second}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	_, err = c.CloudAppsAlerts(ctx, workspace, time.Hour)
	var sendErr *pipeline.SendError
	if !errors.As(err, &sendErr) || !loganalytics.IsThrottled(err) || !strings.Contains(err.Error(), "the last answer was HTTP 429 ThrottledError") {
		t.Fatalf("error = %v", err)
	}
}

func TestRefusedBeforeSending(t *testing.T) {
	s := clienttest.NewServer(t, answerWith(200, table(streamColumns)))
	c := newClient(t, s, &clienttest.Credential{Token: "t"})
	for _, tt := range []struct {
		workspace string
		lookback  time.Duration
		want      string
	}{
		{"law-sentinel-contoso", time.Hour, "is not the workspace's customer id"},
		{workspace, 30 * time.Second, "shorter than the minimum of 1m0s"},
		{workspace, 731 * 24 * time.Hour, "longer than 730 days"},
		{workspace, time.Hour + time.Millisecond, "not a whole number of seconds"},
	} {
		if _, err := c.DiscoveryLogs(t.Context(), tt.workspace, tt.lookback); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s, %s: error %v, want %q", tt.workspace, tt.lookback, err, tt.want)
		}
	}
	if n := len(s.Requests()); n != 0 {
		t.Fatalf("%d requests were sent for refused calls", n)
	}
	for _, endpoint := range []string{"", "http://api.loganalytics.io", "https://user@api.loganalytics.io", "https://api.loganalytics.io?x=1", "api.loganalytics.io"} {
		if _, err := loganalytics.NewClient(loganalytics.Options{Endpoint: endpoint, Credential: &clienttest.Credential{}}); err == nil {
			t.Errorf("NewClient accepted the endpoint %q", endpoint)
		}
	}
	if _, err := loganalytics.NewClient(loganalytics.Options{Endpoint: "https://api.loganalytics.io"}); err == nil {
		t.Error("NewClient accepted no credential")
	} // A password in the endpoint never reaches the error.
	for _, endpoint := range []string{"https://user:s3cr3t-pw@api.loganalytics.io", "https://user:s3cr3t-pw@api.loganalytics.io/%zz"} {
		_, err := loganalytics.NewClient(loganalytics.Options{Endpoint: endpoint, Credential: &clienttest.Credential{}})
		if err == nil || strings.Contains(err.Error(), "s3cr3t-pw") {
			t.Errorf("NewClient(%q) = %v, want an error without the password", endpoint, err)
		}
	}
}

// TestErrorsStayWithTheirService: the clients share one error type, so a Resource Manager or Cloud
// Apps answer is never classified as the query API's, whatever its status.
func TestErrorsStayWithTheirService(t *testing.T) {
	for _, status := range []int{http.StatusForbidden, http.StatusNotFound, http.StatusTooManyRequests} {
		other := &pipeline.SendError{Operation: "reading data connector", Service: "Azure Resource Manager", Err: context.DeadlineExceeded,
			Last: &pipeline.ResponseError{Service: "Azure Resource Manager", Operation: "reading data connector", StatusCode: status}}
		if loganalytics.IsForbidden(other) || loganalytics.IsNotFound(other) || loganalytics.IsThrottled(other) {
			t.Errorf("a Resource Manager answer with HTTP %d reads as the query API's", status)
		}
	}
}

func TestQueriesText(t *testing.T) {
	for d, want := range map[time.Duration]string{
		24 * time.Hour: "ago(1d)", 36 * time.Hour: "ago(36h)", 90 * time.Minute: "ago(90m)", 61 * time.Second: "ago(61s)",
	} {
		if q := loganalytics.DiscoveryLogsQuery(d); !strings.Contains(q, "| where TimeGenerated > "+want+"\n") {
			t.Errorf("DiscoveryLogsQuery(%s) = %q, want %s", d, q, want)
		}
	}
}

// TestAgainstFakeServer runs both queries against the project's fake server, which evaluates them
// with its KQL subset: zero before the integration, figures after the delay.
func TestAgainstFakeServer(t *testing.T) {
	srv, err := fakeapi.Start(fakeapi.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	info, _ := srv.Tenant("contoso")
	token, _, err := srv.MintAccessToken("contoso", fakeapi.LogAnalyticsAudience, 0)
	if err != nil {
		t.Fatal(err)
	}
	c, err := loganalytics.NewClient(loganalytics.Options{
		Endpoint: srv.LogAnalyticsEndpoint(), Audience: fakeapi.LogAnalyticsAudience, Credential: &clienttest.Credential{Token: token},
		ClientOptions: policy.ClientOptions{Transport: srv.HTTPClient()},
	})
	if err != nil {
		t.Fatal(err)
	}
	logs, err := c.DiscoveryLogs(t.Context(), info.WorkspaceCustomerID, 24*time.Hour)
	if err != nil || logs.Rows != 0 || logs.TableMissing {
		t.Fatalf("before the integration: %+v, %v", logs, err)
	}

	if err := srv.PutAgent("contoso", fakeapi.Agent{AgentType: fakeapi.AgentTypeSentinel, Alerts: true, DiscoveryLogsEnabled: true}); err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf(`{"kind":"MicrosoftCloudAppSecurity","properties":{"tenantId":%q,"dataTypes":{"alerts":{"state":"Enabled"},"discoveryLogs":{"state":"Enabled"}}}}`, info.TenantID)
	if err := srv.PutDataConnector(info.WorkspaceID+"/providers/Microsoft.SecurityInsights/dataConnectors/mcas", json.RawMessage(body)); err != nil {
		t.Fatal(err)
	}
	now, err := srv.AdvanceClock(time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	srv.ResetRequests()
	logs, err = c.DiscoveryLogs(t.Context(), info.WorkspaceCustomerID, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	alerts, err := c.CloudAppsAlerts(t.Context(), info.WorkspaceCustomerID, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(logs.Streams) != len(srv.Streams("contoso")) || logs.Rows == 0 || alerts.Rows == 0 || alerts.LastReceived == nil {
		t.Fatalf("an hour after the integration: %+v, %+v", logs, alerts)
	}
	// The Date header has whole seconds.
	if logs.AnsweredAt.Before(now.Add(-time.Second)) || logs.LastReceived.After(logs.AnsweredAt.Add(time.Second)) {
		t.Fatalf("answered at %v (fake clock %v), newest row %v", logs.AnsweredAt, now, logs.LastReceived)
	}
	if n := srv.CountRequests("POST", "/query$"); n != 2 {
		t.Fatalf("%d query requests for two tables", n)
	}
}

// TestCloudEndpoint takes the built-in clouds' query endpoints from the SDK's cloud configurations.
func TestCloudEndpoint(t *testing.T) {
	for c, want := range map[*cloud.Configuration]string{
		&cloud.AzurePublic:     "https://api.loganalytics.io",
		&cloud.AzureGovernment: "https://api.loganalytics.us",
		&cloud.AzureChina:      "https://api.loganalytics.azure.cn",
		{}:                     "",
	} {
		if got := loganalytics.CloudEndpoint(*c); got != want {
			t.Errorf("CloudEndpoint = %q, want %q", got, want)
		}
	}
}

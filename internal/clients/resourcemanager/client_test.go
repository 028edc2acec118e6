package resourcemanager_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/hashicorp/terraform-plugin-log/tflogtest"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/internal/clienttest"
	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/resourcemanager"
)

const (
	testToken    = "arm-bearer-token-secret"
	testAudience = "https://management.test.example"
	tenantID     = "2070ecc9-b4d5-4ae4-adaa-936fa1954fa8"
)

var (
	testWorkspace = resourcemanager.WorkspaceID{SubscriptionID: sub, ResourceGroup: "myRg", Name: "myWorkspace"}
	testConnector = resourcemanager.NewDataConnectorID(testWorkspace, "b96d014d-b5c2-4a01-9aba-a8058f629d42")
)

// newClient returns a client that talks to s with tiny retry delays.
func newClient(t *testing.T, s *clienttest.Server, cred *clienttest.Credential, retry policy.RetryOptions) *resourcemanager.Client {
	t.Helper()
	if retry.RetryDelay == 0 {
		retry.RetryDelay = time.Millisecond
	}
	if retry.MaxRetryDelay == 0 {
		retry.MaxRetryDelay = 20 * time.Millisecond
	}
	c, err := resourcemanager.NewClient(cred, &arm.ClientOptions{ClientOptions: policy.ClientOptions{
		Cloud: cloud.Configuration{
			ActiveDirectoryAuthorityHost: "https://login.test.example/",
			Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
				cloud.ResourceManager: {Endpoint: s.URL, Audience: testAudience},
			},
		},
		Transport: s.Client(),
		Retry:     retry,
	}})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

func serveFile(t *testing.T, name string) http.HandlerFunc {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write(data)
	}
}

func armError(status int, code, message string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": message}})
	}
}

func TestGetDataConnectorReplaysServiceBody(t *testing.T) {
	cred := &clienttest.Credential{Token: testToken}
	s := clienttest.NewServer(t, serveFile(t, "arm-dataconnector-mcas-get.json"))
	c := newClient(t, s, cred, policy.RetryOptions{})

	dc, err := c.GetDataConnector(context.Background(), testConnector)
	if err != nil {
		t.Fatalf("GetDataConnector: %v", err)
	}
	reqs := s.Requests()
	if len(reqs) != 1 {
		t.Fatalf("server got %d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Method != http.MethodGet || r.Path != connectorID || r.Query.Get("api-version") != resourcemanager.SecurityInsightsAPIVersion {
		t.Errorf("request %s %s?%v, want GET %s?api-version=%s", r.Method, r.Path, r.Query, connectorID, resourcemanager.SecurityInsightsAPIVersion)
	}
	if got := r.Header.Get("Authorization"); got != "Bearer "+testToken {
		t.Errorf("Authorization = %q, want the bearer token", got)
	}
	if len(cred.Scopes()) == 0 || cred.Scopes()[0] != testAudience+"/.default" {
		t.Errorf("token scopes %v, want [%s/.default] from the cloud configuration", cred.Scopes(), testAudience)
	}

	if dc.ID != connectorID || dc.Name != testConnector.Name || dc.Kind != resourcemanager.KindCloudAppSecurity || dc.Type != "Microsoft.SecurityInsights/dataConnectors" {
		t.Errorf("connector = %+v", dc)
	}
	if dc.Etag != `"0300bf09-0000-0000-0000-5c37296e0000"` {
		t.Errorf("Etag = %q", dc.Etag)
	}
	props, err := dc.CloudAppSecurity()
	if err != nil {
		t.Fatalf("CloudAppSecurity: %v", err)
	}
	if props.TenantID != tenantID || !props.AlertsEnabled() || !props.DiscoveryLogsEnabled() {
		t.Errorf("properties = %+v (alerts %v, discovery logs %v), want tenant %s with both enabled", props, props.AlertsEnabled(), props.DiscoveryLogsEnabled(), tenantID)
	}
}

func TestListDataConnectorsReplaysServiceBody(t *testing.T) {
	s := clienttest.NewServer(t, serveFile(t, "arm-dataconnectors-list.json"))
	c := newClient(t, s, &clienttest.Credential{Token: testToken}, policy.RetryOptions{})

	list, err := c.ListDataConnectors(context.Background(), testWorkspace)
	if err != nil {
		t.Fatalf("ListDataConnectors: %v", err)
	}
	r := s.Requests()[0]
	if want := wsID + "/providers/Microsoft.SecurityInsights/dataConnectors"; r.Path != want || r.Query.Get("api-version") != resourcemanager.SecurityInsightsAPIVersion {
		t.Errorf("request %s?%v, want %s?api-version=%s", r.Path, r.Query, want, resourcemanager.SecurityInsightsAPIVersion)
	}
	wantKinds := []string{
		"AzureSecurityCenter", "ThreatIntelligence", "ThreatIntelligenceTaxii", "AzureActiveDirectory", "Office365",
		"MicrosoftCloudAppSecurity", "AzureAdvancedThreatProtection", "AmazonWebServicesCloudTrail",
		"MicrosoftDefenderAdvancedThreatProtection",
	}
	if len(list) != len(wantKinds) {
		t.Fatalf("got %d connectors, want %d", len(list), len(wantKinds))
	}
	// The example holds 9 connectors of 9 kinds; two of them (ThreatIntelligence
	// and AmazonWebServicesCloudTrail) share an id, so there are 8 distinct ids.
	kinds := map[string]bool{}
	ids := map[string]bool{}
	mcas := 0
	for i, dc := range list {
		if dc.Kind != wantKinds[i] {
			t.Errorf("connector %d kind %q, want %q", i, dc.Kind, wantKinds[i])
		}
		kinds[dc.Kind] = true
		ids[dc.ID] = true
		if len(dc.Properties) == 0 {
			t.Errorf("connector %d lost its properties", i)
		}
		props, err := dc.CloudAppSecurity()
		if dc.Kind == resourcemanager.KindCloudAppSecurity {
			mcas++
			if err != nil || props.TenantID != tenantID || !props.AlertsEnabled() || !props.DiscoveryLogsEnabled() {
				t.Errorf("MCAS connector decoded as %+v, %v", props, err)
			}
		} else if err == nil || !strings.Contains(err.Error(), dc.Kind) {
			t.Errorf("CloudAppSecurity on kind %s: error %v, want one naming the kind", dc.Kind, err)
		}
	}
	if len(kinds) != 9 || len(ids) != 8 || mcas != 1 {
		t.Errorf("got %d distinct kinds, %d distinct ids and %d MCAS connectors, want 9, 8 and 1", len(kinds), len(ids), mcas)
	}
}

func TestListDataConnectorsFollowsNextLink(t *testing.T) {
	var s *clienttest.Server
	s = clienttest.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Query().Get("$skipToken") {
		case "":
			_, _ = io.WriteString(w, `{"value":[{"name":"a","kind":"Office365","properties":{}}],"nextLink":"`+s.URL+r.URL.Path+`?api-version=2024-03-01&$skipToken=p2"}`)
		case "p2":
			// A relative nextLink without api-version.
			_, _ = io.WriteString(w, `{"value":[{"name":"b","kind":"MicrosoftCloudAppSecurity","properties":{}}],"nextLink":"`+r.URL.Path+`?$skipToken=p3"}`)
		default:
			_, _ = io.WriteString(w, `{"value":[{"name":"c","kind":"ThreatIntelligence","properties":{}}]}`)
		}
	})
	c := newClient(t, s, &clienttest.Credential{Token: testToken}, policy.RetryOptions{})

	list, err := c.ListDataConnectors(context.Background(), testWorkspace)
	if err != nil {
		t.Fatalf("ListDataConnectors: %v", err)
	}
	var names []string
	for _, dc := range list {
		names = append(names, dc.Name)
	}
	if strings.Join(names, ",") != "a,b,c" {
		t.Errorf("got connectors %v, want a,b,c from three pages", names)
	}
	reqs := s.Requests()
	if len(reqs) != 3 {
		t.Fatalf("got %d requests, want 3", len(reqs))
	}
	for i, r := range reqs {
		if r.Query.Get("api-version") != resourcemanager.SecurityInsightsAPIVersion || r.Header.Get("Authorization") == "" {
			t.Errorf("page %d request lacks api-version or authorization: %v", i+1, r.Query)
		}
	}
}

func TestListDataConnectorsRefusesBadNextLinks(t *testing.T) {
	tests := []struct {
		name     string
		nextLink func(s *clienttest.Server, r *http.Request) string
		wantErr  string
	}{
		{
			name:     "another host",
			nextLink: func(*clienttest.Server, *http.Request) string { return "https://attacker.example/page2" },
			wantErr:  "refusing to follow nextLink to https://attacker.example",
		},
		{
			name:     "same link again",
			nextLink: func(s *clienttest.Server, r *http.Request) string { return s.URL + r.URL.RequestURI() },
			wantErr:  "again",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s *clienttest.Server
			s = clienttest.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_ = json.NewEncoder(w).Encode(map[string]any{"value": []any{}, "nextLink": tt.nextLink(s, r)})
			})
			c := newClient(t, s, &clienttest.Credential{Token: testToken}, policy.RetryOptions{})
			_, err := c.ListDataConnectors(context.Background(), testWorkspace)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "listing the data connectors of workspace "+wsID) {
				t.Errorf("error %v, want one naming the operation and containing %q", err, tt.wantErr)
			}
			if n := len(s.Requests()); n != 1 {
				t.Errorf("server got %d requests, want 1", n)
			}
		})
	}
}

// TestListDataConnectorsDefaultPort follows a nextLink that names the scheme's default port, as some
// Resource Manager providers write it (https://management.azure.com:443/...), while still refusing
// another port of the same host.
func TestListDataConnectorsDefaultPort(t *testing.T) {
	tests := []struct {
		name, endpoint, next string
		wantErr              string
	}{
		{name: "link with :443", endpoint: "https://management.test.example", next: "https://management.test.example:443"},
		{name: "endpoint with :443", endpoint: "https://management.test.example:443", next: "https://MANAGEMENT.test.example"},
		{name: "link with another port", endpoint: "https://management.test.example", next: "https://management.test.example:8443",
			wantErr: "refusing to follow nextLink to https://management.test.example:8443"},
		{name: "link over http", endpoint: "https://management.test.example", next: "http://management.test.example:443",
			wantErr: "refusing to follow nextLink to http://management.test.example:443"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			replay := &clienttest.Replay{T: t, MaxRequests: 3, Answer: func(n int, req *http.Request) (int, http.Header, []byte) {
				page := map[string]any{"value": []any{map[string]any{"name": fmt.Sprint("c", n), "kind": "Office365", "properties": map[string]any{}}}}
				if n == 0 {
					page["nextLink"] = tt.next + req.URL.Path + "?api-version=2024-03-01&$skipToken=p2"
				}
				body, _ := json.Marshal(page)
				return http.StatusOK, http.Header{"Content-Type": {"application/json"}}, body
			}}
			c, err := resourcemanager.NewClient(&clienttest.Credential{Token: testToken}, &arm.ClientOptions{ClientOptions: policy.ClientOptions{
				Cloud: cloud.Configuration{
					ActiveDirectoryAuthorityHost: "https://login.test.example/",
					Services:                     map[cloud.ServiceName]cloud.ServiceConfiguration{cloud.ResourceManager: {Endpoint: tt.endpoint, Audience: testAudience}},
				},
				Transport: replay,
			}})
			if err != nil {
				t.Fatal(err)
			}
			list, err := c.ListDataConnectors(context.Background(), testWorkspace)
			switch {
			case tt.wantErr == "" && (err != nil || len(list) != 2):
				t.Fatalf("ListDataConnectors = %d connectors, %v; want both pages", len(list), err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("ListDataConnectors error %v, want one containing %q", err, tt.wantErr)
			}
			if tt.wantErr == "" {
				if got := replay.Requests()[1].URL; !strings.EqualFold(got.Scheme+"://"+got.Host, tt.next) {
					t.Errorf("the second page was asked of %s, want the nextLink's %s", got, tt.next)
				}
			} else if n := len(replay.Requests()); n != 1 {
				t.Errorf("the client sent %d requests, want 1: the refused link must not be followed", n)
			}
		})
	}
}

func TestPutDataConnector(t *testing.T) {
	for _, status := range []int{http.StatusCreated, http.StatusOK} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			s := clienttest.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(status)
				body, _ := io.ReadAll(r.Body)
				var in map[string]json.RawMessage
				_ = json.Unmarshal(body, &in)
				_ = json.NewEncoder(w).Encode(map[string]any{
					"id": connectorID, "name": testConnector.Name, "type": "Microsoft.SecurityInsights/dataConnectors",
					"kind": in["kind"], "etag": `"new-etag"`, "properties": in["properties"],
				})
			})
			c := newClient(t, s, &clienttest.Credential{Token: testToken}, policy.RetryOptions{})

			in := resourcemanager.NewCloudAppSecurityConnector(tenantID, true, false)
			in.Etag = `"stale-etag"`
			out, err := c.PutDataConnector(context.Background(), testConnector, in)
			if err != nil {
				t.Fatalf("PutDataConnector: %v", err)
			}
			r := s.Requests()[0]
			if r.Method != http.MethodPut || r.Path != connectorID || r.Query.Get("api-version") != resourcemanager.SecurityInsightsAPIVersion {
				t.Errorf("request %s %s?%v", r.Method, r.Path, r.Query)
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			if r.Header.Get("If-Match") != "" {
				t.Error("If-Match sent; the service documents no etag semantics")
			}
			want := `{"kind":"MicrosoftCloudAppSecurity","properties":{"tenantId":"` + tenantID + `","dataTypes":{"alerts":{"state":"Enabled"},"discoveryLogs":{"state":"Disabled"}}}}`
			if string(r.Body) != want {
				t.Errorf("body sent\n%s\nwant\n%s", r.Body, want)
			}
			props, err := out.CloudAppSecurity()
			if err != nil || !props.AlertsEnabled() || props.DiscoveryLogsEnabled() || out.Etag != `"new-etag"` {
				t.Errorf("result %+v decoded as %+v, %v", out, props, err)
			}
		})
	}
}

func TestPutDataConnectorRefusesIncompleteBody(t *testing.T) {
	s := clienttest.NewServer(t, func(http.ResponseWriter, *http.Request) {})
	c := newClient(t, s, &clienttest.Credential{Token: testToken}, policy.RetryOptions{})
	for _, dc := range []resourcemanager.DataConnector{
		{Properties: json.RawMessage(`{}`)},
		{Kind: resourcemanager.KindCloudAppSecurity},
	} {
		if _, err := c.PutDataConnector(context.Background(), testConnector, dc); err == nil {
			t.Errorf("PutDataConnector(%+v) succeeded, want an error", dc)
		}
	}
	if n := len(s.Requests()); n != 0 {
		t.Errorf("server got %d requests, want none", n)
	}
}

func TestDeleteDataConnector(t *testing.T) {
	tests := []struct {
		status       int
		wantErr      bool
		wantNotFound bool
	}{
		{status: http.StatusOK},
		{status: http.StatusNoContent},
		{status: http.StatusNotFound, wantErr: true, wantNotFound: true},
		{status: http.StatusConflict, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			s := clienttest.NewServer(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(tt.status) })
			c := newClient(t, s, &clienttest.Credential{Token: testToken}, policy.RetryOptions{})
			err := c.DeleteDataConnector(context.Background(), testConnector)
			if (err != nil) != tt.wantErr || resourcemanager.IsNotFound(err) != tt.wantNotFound {
				t.Errorf("err = %v (not found %v), want error %v, not found %v", err, resourcemanager.IsNotFound(err), tt.wantErr, tt.wantNotFound)
			}
			if r := s.Requests()[0]; r.Method != http.MethodDelete || r.Path != connectorID {
				t.Errorf("request %s %s", r.Method, r.Path)
			}
		})
	}
}

func TestSentinelOnboarded(t *testing.T) {
	tests := []struct {
		name    string
		handle  http.HandlerFunc
		want    bool
		wantErr string
	}{
		{name: "enabled", handle: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"name":"default","properties":{}}`)
		}, want: true},
		{name: "not enabled", handle: armError(http.StatusNotFound, "NotFound", "onboarding state not found")},
		{name: "forbidden", handle: armError(http.StatusForbidden, "AuthorizationFailed", "no access"), wantErr: "HTTP 403 AuthorizationFailed: no access"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := clienttest.NewServer(t, tt.handle)
			c := newClient(t, s, &clienttest.Credential{Token: testToken}, policy.RetryOptions{})
			got, err := c.SentinelOnboarded(context.Background(), testWorkspace)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("err = %v, want %q", err, tt.wantErr)
				}
			} else if err != nil || got != tt.want {
				t.Errorf("SentinelOnboarded = %v, %v; want %v", got, err, tt.want)
			}
			r := s.Requests()[0]
			if want := wsID + "/providers/Microsoft.SecurityInsights/onboardingStates/default"; r.Path != want || r.Query.Get("api-version") != resourcemanager.SecurityInsightsAPIVersion {
				t.Errorf("request %s?%v, want %s", r.Path, r.Query, want)
			}
		})
	}
}

func TestGetWorkspace(t *testing.T) {
	s := clienttest.NewServer(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":"`+wsID+`","name":"myWorkspace","location":"westeurope","properties":{"customerId":"8b014a77-4695-4ef4-96bb-6623afb121a2","retentionInDays":30}}`)
	})
	c := newClient(t, s, &clienttest.Credential{Token: testToken}, policy.RetryOptions{})
	ws, err := c.GetWorkspace(context.Background(), testWorkspace)
	if err != nil {
		t.Fatalf("GetWorkspace: %v", err)
	}
	want := resourcemanager.Workspace{ID: wsID, Name: "myWorkspace", Location: "westeurope", CustomerID: "8b014a77-4695-4ef4-96bb-6623afb121a2"}
	if *ws != want {
		t.Errorf("workspace %+v, want %+v", *ws, want)
	}
	if r := s.Requests()[0]; r.Path != wsID || r.Query.Get("api-version") != resourcemanager.WorkspacesAPIVersion {
		t.Errorf("request %s?%v, want api-version %s", r.Path, r.Query, resourcemanager.WorkspacesAPIVersion)
	}
}

func TestStatusErrors(t *testing.T) {
	tests := []struct {
		name         string
		handle       http.HandlerFunc
		wantStatus   int
		wantCode     string
		wantText     string
		wantNotFound bool
	}{
		{
			name:       "invalid license",
			handle:     armError(http.StatusUnauthorized, "InvalidLicense", "License is invalid"),
			wantStatus: 401, wantCode: "InvalidLicense",
			wantText: "reading data connector " + connectorID + ": HTTP 401 InvalidLicense: License is invalid",
		},
		{
			name:       "missing role",
			handle:     armError(http.StatusForbidden, "AuthorizationFailed", "The client does not have authorization"),
			wantStatus: 403, wantCode: "AuthorizationFailed",
			wantText: "reading data connector " + connectorID + ": HTTP 403 AuthorizationFailed: The client does not have authorization",
		},
		{
			name:       "not found whatever the body",
			handle:     func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNotFound) },
			wantStatus: 404, wantNotFound: true,
			wantText: "reading data connector " + connectorID + ": HTTP 404 Not Found",
		},
		{
			name:       "conflict",
			handle:     armError(http.StatusConflict, "Conflict", "busy"),
			wantStatus: 409, wantCode: "Conflict",
			wantText: "HTTP 409 Conflict: busy",
		},
		{
			name: "bare error object",
			handle: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				_, _ = io.WriteString(w, `{"code":"BadRequest","message":"kind not supported"}`)
			},
			wantStatus: 400, wantCode: "BadRequest",
			wantText: "HTTP 400 BadRequest: kind not supported",
		},
		{
			name: "HTML from a proxy",
			handle: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(http.StatusBadRequest)
				_, _ = io.WriteString(w, "<html><body>\n  <h1>Bad request</h1></body></html>")
			},
			wantStatus: 400,
			wantText:   `HTTP 400 Bad Request: text/html body "<html><body> <h1>Bad request</h1></body></html>"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := clienttest.NewServer(t, tt.handle)
			c := newClient(t, s, &clienttest.Credential{Token: testToken}, policy.RetryOptions{})
			_, err := c.GetDataConnector(context.Background(), testConnector)
			if err == nil {
				t.Fatal("want an error")
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not contain %q", err, tt.wantText)
			}
			var respErr *azcore.ResponseError
			if !errors.As(err, &respErr) || respErr.StatusCode != tt.wantStatus || respErr.ErrorCode != tt.wantCode {
				t.Errorf("azcore.ResponseError = %+v, want status %d code %q", respErr, tt.wantStatus, tt.wantCode)
			}
			var rmErr *resourcemanager.Error
			if !errors.As(err, &rmErr) || rmErr.Code != tt.wantCode || rmErr.Operation != "reading data connector "+connectorID || rmErr.Service != resourcemanager.ServiceName {
				t.Errorf("resourcemanager.Error = %+v", rmErr)
			}
			if resourcemanager.IsNotFound(err) != tt.wantNotFound {
				t.Errorf("IsNotFound = %v, want %v", !tt.wantNotFound, tt.wantNotFound)
			}
		})
	}
}

func TestRetriesHonourRetryAfter(t *testing.T) {
	tests := []struct {
		name   string
		header string
		value  string
		status int
		retry  policy.RetryOptions
	}{
		// Retry-After: 0 falls back to the (tiny) configured delay.
		{name: "Retry-After 0", header: "Retry-After", value: "0", status: http.StatusTooManyRequests},
		// The configured delay is a minute: only honouring retry-after-ms
		// lets the test finish in time.
		{name: "retry-after-ms", header: "retry-after-ms", value: "10", status: http.StatusServiceUnavailable,
			retry: policy.RetryOptions{RetryDelay: time.Minute, MaxRetryDelay: time.Minute}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			s := clienttest.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
				if calls.Add(1) == 1 {
					w.Header().Set(tt.header, tt.value)
					armError(tt.status, "Throttled", "slow down")(w, r)
					return
				}
				serveFile(t, "arm-dataconnector-mcas-get.json")(w, r)
			})
			c := newClient(t, s, &clienttest.Credential{Token: testToken}, tt.retry)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			start := time.Now()
			if _, err := c.GetDataConnector(ctx, testConnector); err != nil {
				t.Fatalf("GetDataConnector: %v", err)
			}
			if calls.Load() != 2 || time.Since(start) > 5*time.Second {
				t.Errorf("%d calls in %v, want 2 calls quickly", calls.Load(), time.Since(start))
			}
		})
	}
}

func TestRetriesExhausted(t *testing.T) {
	var calls atomic.Int32
	s := clienttest.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Retry-After", "0")
		armError(http.StatusTooManyRequests, "TooManyRequests", "throttled")(w, r)
	})
	c := newClient(t, s, &clienttest.Credential{Token: testToken}, policy.RetryOptions{MaxRetries: 2})
	_, err := c.PutDataConnector(context.Background(), testConnector, resourcemanager.NewCloudAppSecurityConnector(tenantID, true, true))
	want := "creating or updating data connector " + connectorID + ": HTTP 429 TooManyRequests: throttled"
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
	if calls.Load() != 3 {
		t.Errorf("%d calls, want 3 (1 + 2 retries)", calls.Load())
	}
}

func TestDeadlineNamesLastAnswer(t *testing.T) {
	s := clienttest.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("retry-after-ms", "20")
		armError(http.StatusServiceUnavailable, "ServerBusy", "try later")(w, r)
	})
	c := newClient(t, s, &clienttest.Credential{Token: testToken}, policy.RetryOptions{MaxRetries: 1000})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := c.GetDataConnector(ctx, testConnector)
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{"reading data connector " + connectorID, "the last answer was HTTP 503 ServerBusy: try later", "context deadline exceeded"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Error("errors.Is(err, context.DeadlineExceeded) = false")
	}
	var respErr *azcore.ResponseError
	if !errors.As(err, &respErr) || respErr.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("last answer not reachable through errors.As: %v", respErr)
	}
}

// dropConnection closes the connection without answering.
func dropConnection(w http.ResponseWriter, _ *http.Request) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		_ = conn.Close()
	}
}

func TestTransportErrors(t *testing.T) {
	tests := []struct {
		name     string
		answers  []http.HandlerFunc
		wantText []string
	}{
		{
			name:     "connection dropped every time",
			answers:  []http.HandlerFunc{dropConnection},
			wantText: []string{"deleting data connector " + connectorID + ": the request to Azure Resource Manager failed", "EOF"},
		},
		{
			name:     "connection dropped after an answer",
			answers:  []http.HandlerFunc{armError(http.StatusBadGateway, "BadGateway", "upstream"), dropConnection},
			wantText: []string{"deleting data connector " + connectorID + ":", "the last answer was HTTP 502 BadGateway: upstream"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			s := clienttest.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
				i := min(int(calls.Add(1))-1, len(tt.answers)-1)
				tt.answers[i](w, r)
			})
			c := newClient(t, s, &clienttest.Credential{Token: testToken}, policy.RetryOptions{MaxRetries: 2})
			err := c.DeleteDataConnector(context.Background(), testConnector)
			if err == nil {
				t.Fatal("want an error")
			}
			for _, want := range tt.wantText {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			if resourcemanager.IsNotFound(err) {
				t.Error("IsNotFound is true for a transport error")
			}
		})
	}
}

func TestMalformedAnswers(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		body        string
		wantText    string
	}{
		{name: "HTML", contentType: "text/html", body: "<!DOCTYPE html><html><title>Sign in</title></html>", wantText: "is not JSON"},
		{name: "truncated", contentType: "application/json", body: `{"id":"x","kind":"MicrosoftCloudAppSecurity","properties":{"tenantId":`, wantText: "malformed or truncated JSON"},
		{name: "empty", contentType: "application/json", body: "", wantText: "empty body"},
		{name: "wrong shape", contentType: "application/json", body: `{"kind":42}`, wantText: "malformed or truncated JSON"},
		{name: "trailing garbage", contentType: "application/json", body: `{"kind":"x"} trailing`, wantText: "malformed or truncated JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := clienttest.NewServer(t, func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", tt.contentType)
				_, _ = io.WriteString(w, tt.body)
			})
			c := newClient(t, s, &clienttest.Credential{Token: testToken}, policy.RetryOptions{})
			_, err := c.GetDataConnector(context.Background(), testConnector)
			if err == nil {
				t.Fatal("want an error")
			}
			for _, want := range []string{"reading data connector " + connectorID, "HTTP 200", "Content-Type " + tt.contentType, tt.wantText} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
	t.Run("list without value", func(t *testing.T) {
		s := clienttest.NewServer(t, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"items":[]}`)
		})
		c := newClient(t, s, &clienttest.Credential{Token: testToken}, policy.RetryOptions{})
		_, err := c.ListDataConnectors(context.Background(), testWorkspace)
		if err == nil || !strings.Contains(err.Error(), `no "value" array`) {
			t.Errorf("error %v, want one saying the value array is missing", err)
		}
	})
}

func TestNewClientErrors(t *testing.T) {
	if _, err := resourcemanager.NewClient(nil, nil); err == nil || !strings.Contains(err.Error(), "no credential") {
		t.Errorf("nil credential: %v", err)
	}
	noARM := &arm.ClientOptions{ClientOptions: policy.ClientOptions{Cloud: cloud.Configuration{
		ActiveDirectoryAuthorityHost: "https://login.test.example/",
		Services:                     map[cloud.ServiceName]cloud.ServiceConfiguration{},
	}}}
	if _, err := resourcemanager.NewClient(&clienttest.Credential{Token: testToken}, noARM); err == nil || !strings.Contains(err.Error(), "Resource Manager endpoint and audience") {
		t.Errorf("cloud without Resource Manager: %v", err)
	}
}

func TestOperationsValidateIDsBeforeSending(t *testing.T) {
	s := clienttest.NewServer(t, func(http.ResponseWriter, *http.Request) {})
	c := newClient(t, s, &clienttest.Credential{Token: testToken}, policy.RetryOptions{})
	badWS := resourcemanager.WorkspaceID{SubscriptionID: sub, ResourceGroup: "rg", Name: "bad_name"}
	if _, err := c.GetWorkspace(context.Background(), badWS); err == nil {
		t.Error("GetWorkspace accepted a malformed workspace name")
	}
	if _, err := c.GetDataConnector(context.Background(), resourcemanager.NewDataConnectorID(testWorkspace, "a/b")); err == nil {
		t.Error("GetDataConnector accepted a connector name with a slash")
	}
	if n := len(s.Requests()); n != 0 {
		t.Errorf("server got %d requests, want none", n)
	}
}

func TestTrafficIsLoggedWithoutToken(t *testing.T) {
	s := clienttest.NewServer(t, serveFile(t, "arm-dataconnector-mcas-get.json"))
	c := newClient(t, s, &clienttest.Credential{Token: testToken}, policy.RetryOptions{})
	var buf bytes.Buffer
	ctx := tflogtest.RootLogger(context.Background(), &buf)
	if _, err := c.GetDataConnector(ctx, testConnector); err != nil {
		t.Fatal(err)
	}
	logged := buf.String()
	if strings.Contains(logged, testToken) {
		t.Errorf("log contains the bearer token:\n%s", logged)
	}
	for _, want := range []string{`"@module":"provider.resourcemanager"`, `"http_method":"GET"`, `"http_status_code":200`, connectorID, "api-version=" + resourcemanager.SecurityInsightsAPIVersion, `"Authorization":"REDACTED"`} {
		if !strings.Contains(logged, want) {
			t.Errorf("log does not contain %s:\n%s", want, logged)
		}
	}
}

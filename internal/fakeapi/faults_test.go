package fakeapi

import (
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// freshClient returns a client without keep-alive, so every request uses a new connection and Go's
// transport does not retry a reset request transparently.
func freshClient(s *Server) *http.Client {
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: s.CertPool(), MinVersion: tls.VersionTLS12},
		DisableKeepAlives: true,
	}}
}

func TestFaultStatus(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	info := mustTenant(t, s, "contoso")
	armAuth := bearer(accessToken(t, s, "contoso", ResourceManagerAudience))
	list := info.WorkspaceID + "/providers/Microsoft.SecurityInsights/dataConnectors?api-version=2024-03-01"

	if _, err := s.InjectFault(Fault{Method: "get", PathPattern: "/dataConnectors$", Count: 2, Kind: FaultStatus, Status: 429, RetryAfter: "7"}); err != nil {
		t.Fatal(err)
	}
	// A request that does not match is untouched.
	do(t, s, http.MethodGet, info.WorkspaceID+"?api-version=2022-10-01", armAuth, nil).expectStatus(t, http.StatusOK)
	for i := 0; i < 2; i++ {
		res := do(t, s, http.MethodGet, list, armAuth, nil).expectStatus(t, http.StatusTooManyRequests)
		if res.header.Get("Retry-After") != "7" || res.armCode(t) != "TooManyRequests" {
			t.Errorf("fault %d: Retry-After %q, body %s", i, res.header.Get("Retry-After"), res.body)
		}
	}
	do(t, s, http.MethodGet, list, armAuth, nil).expectStatus(t, http.StatusOK)

	// Default bodies fit the API; a custom body is sent as it is.
	if _, err := s.InjectFault(Fault{PathPattern: "^/mcas/", Kind: FaultStatus, Status: 503}); err != nil {
		t.Fatal(err)
	}
	res := do(t, s, http.MethodGet, info.PortalURL+"/api/discovery/streams/", legacy(info.APIToken), nil).expectStatus(t, http.StatusServiceUnavailable)
	if !strings.Contains(res.detail(t), "503") || res.header.Get("Retry-After") != "" {
		t.Errorf("Cloud Apps fault: %s", res.body)
	}
	if _, err := s.InjectFault(Fault{PathPattern: "/oauth2/", Kind: FaultStatus, Status: 500}); err != nil {
		t.Fatal(err)
	}
	res = tokenRequest(t, s, info.TenantID, nil).expectStatus(t, http.StatusInternalServerError)
	if res.object(t)["error"] != "temporarily_unavailable" {
		t.Errorf("Entra fault: %s", res.body)
	}
	if _, err := s.InjectFault(Fault{Kind: FaultStatus, Status: 502, Body: "Bad gateway from the proxy"}); err != nil {
		t.Fatal(err)
	}
	res = do(t, s, http.MethodGet, list, armAuth, nil).expectStatus(t, http.StatusBadGateway)
	if string(res.body) != "Bad gateway from the proxy" || !strings.HasPrefix(res.header.Get("Content-Type"), "text/plain") {
		t.Errorf("custom body: %q (%s)", res.body, res.header.Get("Content-Type"))
	}
}

func TestFaultReset(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	info := mustTenant(t, s, "contoso")
	if _, err := s.InjectFault(Fault{PathPattern: "/streams", Kind: FaultReset}); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, info.PortalURL+"/api/discovery/streams/", nil)
	req.Header.Set("Authorization", legacy(info.APIToken))
	if res, err := freshClient(s).Do(req); err == nil {
		res.Body.Close()
		t.Fatalf("the reset request got an answer: %d", res.StatusCode)
	}
	do(t, s, http.MethodGet, info.PortalURL+"/api/discovery/streams/", legacy(info.APIToken), nil).expectStatus(t, http.StatusOK)
	requests := s.Requests()
	if len(requests) != 2 || requests[0].Status != 0 || requests[1].Status != http.StatusOK {
		t.Errorf("requests = %+v; want the reset one with status 0", requests)
	}
}

func TestFaultTruncateProcessesTheRequest(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	info := mustTenant(t, s, "contoso")
	if _, err := s.InjectFault(Fault{Method: http.MethodPost, PathPattern: "/agents/siem", Kind: FaultTruncate}); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, info.PortalURL+"/api/v1/agents/siem/", strings.NewReader(`{"agentType":"sentinel","dataTypes":{"alerts":true}}`))
	req.Header.Set("Authorization", legacy(info.APIToken))
	res, err := freshClient(s).Do(req)
	if err != nil {
		t.Fatalf("the truncated response has no head: %v", err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err == nil {
		t.Fatalf("reading a truncated body succeeded: %s", body)
	}
	if res.StatusCode != http.StatusCreated || res.ContentLength <= int64(len(body)) || len(body) == 0 {
		t.Errorf("status %d, Content-Length %d, received %d bytes; want 201 with half the body", res.StatusCode, res.ContentLength, len(body))
	}
	if len(s.Agents("contoso")) != 1 {
		t.Error("the truncated request was not processed")
	}
}

func TestFaultMalformedJSONSkipsProcessing(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	info := mustTenant(t, s, "contoso")
	auth := bearer(accessToken(t, s, "contoso", ResourceManagerAudience))
	if _, err := s.InjectFault(Fault{Method: http.MethodPut, Kind: FaultMalformedJSON}); err != nil {
		t.Fatal(err)
	}
	res := do(t, s, http.MethodPut, connectorURL(info.WorkspaceID, "x", "2024-03-01"), auth, mcasConnector(info.TenantID, "Enabled", "Enabled")).expectStatus(t, http.StatusOK)
	var v any
	if err := json.Unmarshal(res.body, &v); err == nil || !strings.HasPrefix(res.header.Get("Content-Type"), "application/json") {
		t.Errorf("body %q (%s) should be broken JSON declared as JSON", res.body, res.header.Get("Content-Type"))
	}
	if _, ok := s.DataConnector(info.WorkspaceID + "/providers/Microsoft.SecurityInsights/dataConnectors/x"); ok {
		t.Error("the request behind the malformed answer was processed")
	}
}

func TestFaultWrongContentTypeProcessesTheRequest(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	info := mustTenant(t, s, "contoso")
	auth := bearer(accessToken(t, s, "contoso", ResourceManagerAudience))
	if _, err := s.InjectFault(Fault{Method: http.MethodPut, Kind: FaultWrongContentType}); err != nil {
		t.Fatal(err)
	}
	res := do(t, s, http.MethodPut, connectorURL(info.WorkspaceID, "x", "2024-03-01"), auth, mcasConnector(info.TenantID, "Enabled", "Enabled")).expectStatus(t, http.StatusCreated)
	if !strings.HasPrefix(res.header.Get("Content-Type"), "text/html") || !strings.Contains(string(res.body), "<html>") {
		t.Errorf("answer %q (%s), want HTML", res.body, res.header.Get("Content-Type"))
	}
	if _, ok := s.DataConnector(info.WorkspaceID + "/providers/Microsoft.SecurityInsights/dataConnectors/x"); !ok {
		t.Error("the request was not processed")
	}
}

func TestFaultLatencyAndCounts(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	info := mustTenant(t, s, "contoso")
	if _, err := s.InjectFault(Fault{PathPattern: "openid-configuration", Latency: 150 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	do(t, s, http.MethodGet, "/"+info.TenantID+"/v2.0/.well-known/openid-configuration", "", nil).expectStatus(t, http.StatusOK)
	if elapsed := time.Since(start); elapsed < 150*time.Millisecond {
		t.Errorf("the delayed request took %s, want at least 150ms", elapsed)
	}
	if active := s.adminFaults(); len(active) != 0 {
		t.Errorf("the fault outlived its count: %+v", active)
	}

	id, err := s.InjectFault(Fault{PathPattern: "openid", Count: -1, Kind: FaultStatus, Status: 500})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		do(t, s, http.MethodGet, "/"+info.TenantID+"/v2.0/.well-known/openid-configuration", "", nil).expectStatus(t, http.StatusInternalServerError)
	}
	// Admin requests are never affected.
	if _, err := s.InjectFault(Fault{Count: -1, Kind: FaultStatus, Status: 500}); err != nil {
		t.Fatal(err)
	}
	do(t, s, http.MethodGet, "/admin/state", "", nil).expectStatus(t, http.StatusOK)
	if !s.RemoveFault(id) || s.RemoveFault(id) {
		t.Error("RemoveFault should succeed once")
	}
	s.ClearFaults()
	do(t, s, http.MethodGet, "/"+info.TenantID+"/v2.0/.well-known/openid-configuration", "", nil).expectStatus(t, http.StatusOK)
}

func TestInjectFaultValidation(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	for _, f := range []Fault{
		{Kind: "explode"},
		{Kind: FaultStatus},
		{Kind: FaultStatus, Status: 700},
		{Kind: FaultReset, PathPattern: "("},
		{},
		{Kind: FaultReset, Latency: -time.Second},
	} {
		if _, err := s.InjectFault(f); err == nil {
			t.Errorf("InjectFault(%+v) succeeded", f)
		}
	}
}

func TestRequestCounting(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	info := mustTenant(t, s, "fabrikam")
	armAuth := bearer(accessToken(t, s, "fabrikam", ResourceManagerAudience))
	do(t, s, http.MethodGet, info.WorkspaceID+"?api-version=2022-10-01", armAuth, nil)
	do(t, s, http.MethodGet, info.WorkspaceID+"/providers/Microsoft.SecurityInsights/dataConnectors?api-version=2024-03-01", armAuth, nil)
	do(t, s, http.MethodGet, info.WorkspaceID+"/providers/Microsoft.SecurityInsights/dataConnectors?api-version=2024-03-01", "", nil)
	do(t, s, http.MethodPut, connectorURL(info.WorkspaceID, "c", "2024-03-01"), armAuth, mcasConnector(info.TenantID, "Enabled", "Enabled"))
	do(t, s, http.MethodGet, info.PortalURL+"/api/discovery/streams/", legacy(info.APIToken), nil)
	do(t, s, http.MethodGet, "/admin/state", "", nil)

	requests := s.Requests()
	if len(requests) != 5 {
		t.Fatalf("%d requests recorded, want 5 (admin excluded): %+v", len(requests), requests)
	}
	if r := requests[2]; r.Status != http.StatusUnauthorized || r.Tenant != "fabrikam" || r.Query != "api-version=2024-03-01" || r.Time.IsZero() {
		t.Errorf("third request = %+v", r)
	}
	tests := []struct {
		method, pattern string
		want            int
	}{
		{"", "", 5},
		{"GET", "", 4},
		{"get", "/dataConnectors$", 2},
		{"PUT", "/dataConnectors/", 1},
		{"", "^/mcas/fabrikam/", 1},
		{"DELETE", "", 0},
		{"", "(", 0},
	}
	for _, tc := range tests {
		if got := s.CountRequests(tc.method, tc.pattern); got != tc.want {
			t.Errorf("CountRequests(%q, %q) = %d, want %d", tc.method, tc.pattern, got, tc.want)
		}
	}
	s.ResetRequests()
	if got := s.CountRequests("", ""); got != 0 {
		t.Errorf("after ResetRequests %d requests remain", got)
	}
}

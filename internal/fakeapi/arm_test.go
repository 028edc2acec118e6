package fakeapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// connectorURL returns the URL path of a data connector of a workspace.
func connectorURL(workspaceID, name, apiVersion string) string {
	return workspaceID + "/providers/Microsoft.SecurityInsights/dataConnectors/" + name + "?api-version=" + apiVersion
}

// mcasConnector returns a MicrosoftCloudAppSecurity connector body.
func mcasConnector(tenantID, alerts, discovery string) map[string]any {
	dataTypes := map[string]any{"alerts": map[string]any{"state": alerts}}
	if discovery != "" {
		dataTypes["discoveryLogs"] = map[string]any{"state": discovery}
	}
	return map[string]any{"kind": "MicrosoftCloudAppSecurity", "properties": map[string]any{"tenantId": tenantID, "dataTypes": dataTypes}}
}

// signedAccessToken signs arbitrary access token claims with a server's token key.
func signedAccessToken(t *testing.T, s *Server, claims jwt.MapClaims) string {
	t.Helper()
	token := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	signed, err := token.SignedString(s.tokenKey.key)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

func TestARMAuthentication(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	other := startServer(t, Options{})
	info := mustTenant(t, s, "contoso")
	now := time.Now()
	expired := signedAccessToken(t, s, jwt.MapClaims{
		"aud": ResourceManagerAudience, "tid": info.TenantID, "iss": s.URL() + "/" + info.TenantID + "/v2.0",
		"iat": now.Add(-2 * time.Hour).Unix(), "exp": now.Add(-time.Hour).Unix(), "oid": "x",
	})
	wrongIssuer := signedAccessToken(t, s, jwt.MapClaims{
		"aud": ResourceManagerAudience, "tid": info.TenantID, "iss": "https://login.microsoftonline.com/" + info.TenantID + "/v2.0",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	})
	tests := []struct {
		name, authorization, code, messagePart string
	}{
		{"no header", "", "AuthenticationFailed", "missing"},
		{"basic scheme", "Basic dXNlcjpwYXNz", "AuthenticationFailed", "invalid format"},
		{"not a JWT", bearer("garbage"), "InvalidAuthenticationToken", "invalid"},
		{"expired", bearer(expired), "InvalidAuthenticationToken", "expiry"},
		{"issuer of another authority", bearer(wrongIssuer), "InvalidAuthenticationToken", "issuer"},
		{"signed by another server", bearer(accessToken(t, other, "contoso", ResourceManagerAudience)), "InvalidAuthenticationToken", "invalid"},
		{"Cloud Apps audience", bearer(accessToken(t, s, "contoso", CloudAppsAudience)), "InvalidAuthenticationToken", "invalid audience"},
		{"Log Analytics audience", bearer(accessToken(t, s, "contoso", LogAnalyticsAudience)), "InvalidAuthenticationToken", "invalid audience"},
		{"another tenant's token", bearer(accessToken(t, s, "fabrikam", ResourceManagerAudience)), "InvalidAuthenticationTokenTenant", "wrong issuer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := do(t, s, http.MethodGet, info.WorkspaceID+"?api-version=2022-10-01", tc.authorization, nil).expectStatus(t, http.StatusUnauthorized)
			if code := res.armCode(t); code != tc.code {
				t.Errorf("code = %q, want %q; body %s", code, tc.code, res.body)
			}
			if msg := res.armMessage(t); !strings.Contains(msg, tc.messagePart) {
				t.Errorf("message = %q, want it to mention %q", msg, tc.messagePart)
			}
			if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q, want JSON", ct)
			}
		})
	}
	t.Run("both Resource Manager audiences", func(t *testing.T) {
		for _, aud := range []string{"https://management.core.windows.net/", "https://management.core.windows.net", "https://management.azure.com/"} {
			do(t, s, http.MethodGet, info.WorkspaceID+"?api-version=2022-10-01", bearer(accessToken(t, s, "contoso", aud)), nil).expectStatus(t, http.StatusOK)
		}
	})
}

func TestARMAPIVersion(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	info := mustTenant(t, s, "contoso")
	auth := bearer(accessToken(t, s, "contoso", ResourceManagerAudience))
	routes := []struct {
		name, path string
		supported  []string
	}{
		{"workspace", info.WorkspaceID, []string{"2022-10-01", "2023-09-01", "2025-02-01"}},
		{"onboarding state", info.WorkspaceID + "/providers/Microsoft.SecurityInsights/onboardingStates/default", []string{"2023-02-01", "2024-03-01", "2025-09-01"}},
		{"data connector list", info.WorkspaceID + "/providers/Microsoft.SecurityInsights/dataConnectors", []string{"2023-02-01", "2024-03-01", "2025-09-01"}},
	}
	for _, rt := range routes {
		t.Run(rt.name, func(t *testing.T) {
			res := do(t, s, http.MethodGet, rt.path, auth, nil).expectStatus(t, http.StatusBadRequest)
			if code := res.armCode(t); code != "MissingApiVersionParameter" {
				t.Errorf("missing api-version: code = %q", code)
			}
			for _, bad := range []string{"2019-01-01-preview", "2024-03-01-preview", "latest"} {
				res := do(t, s, http.MethodGet, rt.path+"?api-version="+bad, auth, nil).expectStatus(t, http.StatusBadRequest)
				if code := res.armCode(t); code != "InvalidApiVersionParameter" {
					t.Errorf("api-version %s: code = %q", bad, code)
				}
				if msg := res.armMessage(t); !strings.Contains(msg, strings.Join(rt.supported, ",")) {
					t.Errorf("message %q does not list the supported versions", msg)
				}
			}
			for _, good := range rt.supported {
				do(t, s, http.MethodGet, rt.path+"?api-version="+good, auth, nil).expectStatus(t, http.StatusOK)
			}
		})
	}
}

func TestARMNotFound(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	info := mustTenant(t, s, "contoso")
	auth := bearer(accessToken(t, s, "contoso", ResourceManagerAudience))
	sub := "/subscriptions/" + info.SubscriptionID
	tests := []struct {
		name, method, path, code string
	}{
		{"unknown subscription", http.MethodGet, "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-security/providers/Microsoft.OperationalInsights/workspaces/law?api-version=2022-10-01", "SubscriptionNotFound"},
		{"unknown resource group", http.MethodGet, sub + "/resourceGroups/rg-other/providers/Microsoft.OperationalInsights/workspaces/law-sentinel-contoso?api-version=2022-10-01", "ResourceGroupNotFound"},
		{"unknown workspace", http.MethodGet, sub + "/resourceGroups/rg-security/providers/Microsoft.OperationalInsights/workspaces/law-missing?api-version=2022-10-01", "ResourceNotFound"},
		{"connectors of an unknown workspace", http.MethodGet, sub + "/resourceGroups/rg-security/providers/Microsoft.OperationalInsights/workspaces/law-missing/providers/Microsoft.SecurityInsights/dataConnectors?api-version=2024-03-01", "ResourceNotFound"},
		{"unknown connector", http.MethodGet, connectorURL(info.WorkspaceID, "missing", "2024-03-01"), "NotFound"},
		{"delete of an unknown connector", http.MethodDelete, connectorURL(info.WorkspaceID, "missing", "2024-03-01"), "NotFound"},
		{"onboarding state other than default", http.MethodGet, info.WorkspaceID + "/providers/Microsoft.SecurityInsights/onboardingStates/other?api-version=2024-03-01", "NotFound"},
		{"unserved resource type", http.MethodGet, sub + "/resourceGroups/rg-security/providers/Microsoft.Compute/virtualMachines/vm?api-version=2024-03-01", "NotFound"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := do(t, s, tc.method, tc.path, auth, nil).expectStatus(t, http.StatusNotFound)
			if code := res.armCode(t); code != tc.code {
				t.Errorf("code = %q, want %q; body %s", code, tc.code, res.body)
			}
		})
	}
}

func TestARMWorkspaceAndPathCase(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	info := mustTenant(t, s, "contoso")
	auth := bearer(accessToken(t, s, "contoso", ResourceManagerAudience))
	odd := strings.NewReplacer("resourceGroups", "RESOURCEGROUPS", "Microsoft.OperationalInsights", "microsoft.operationalinsights",
		"workspaces", "Workspaces", "law-sentinel-contoso", "LAW-Sentinel-Contoso").Replace(info.WorkspaceID)
	body := do(t, s, http.MethodGet, odd+"?api-version=2025-02-01", auth, nil).expectStatus(t, http.StatusOK).object(t)
	props, _ := body["properties"].(map[string]any)
	sku, _ := props["sku"].(map[string]any)
	if body["id"] != info.WorkspaceID || body["name"] != "law-sentinel-contoso" || body["type"] != "Microsoft.OperationalInsights/workspaces" ||
		body["location"] != "westeurope" || props["customerId"] != info.WorkspaceCustomerID || props["provisioningState"] != "Succeeded" ||
		sku["name"] != "PerGB2018" || props["retentionInDays"] != float64(90) {
		t.Errorf("workspace = %v", body)
	}
	name := "03c5af79-af42-4679-8fcc-c5b5bb7eede4"
	lower := strings.ReplaceAll(strings.ToLower(info.WorkspaceID), "law-sentinel-contoso", "LAW-SENTINEL-CONTOSO") + "/PROVIDERS/microsoft.securityinsights/DATACONNECTORS/" + strings.ToUpper(name) + "?api-version=2024-03-01"
	got := do(t, s, http.MethodGet, lower, auth, nil).expectStatus(t, http.StatusOK).object(t)
	if got["name"] != name || got["kind"] != "AzureActiveDirectory" {
		t.Errorf("connector = %v", got)
	}
}

func TestOnboardingState(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	info := mustTenant(t, s, "fabrikam")
	auth := bearer(accessToken(t, s, "fabrikam", ResourceManagerAudience))
	path := func(ws string) string {
		return ws + "/providers/Microsoft.SecurityInsights/onboardingStates/default?api-version=2024-03-01"
	}
	body := do(t, s, http.MethodGet, path(info.WorkspaceID), auth, nil).expectStatus(t, http.StatusOK).object(t)
	if body["name"] != "default" || body["type"] != "Microsoft.SecurityInsights/onboardingStates" ||
		body["id"] != info.WorkspaceID+"/providers/Microsoft.SecurityInsights/onboardingStates/default" {
		t.Errorf("onboarding state = %v", body)
	}
	do(t, s, http.MethodGet, path(info.NoSentinelWorkspaceID), auth, nil).expectStatus(t, http.StatusNotFound)
	if err := s.SetSentinelEnabled(info.WorkspaceID, false); err != nil {
		t.Fatal(err)
	}
	do(t, s, http.MethodGet, path(info.WorkspaceID), auth, nil).expectStatus(t, http.StatusNotFound)
	if err := s.SetSentinelEnabled(info.NoSentinelWorkspaceID, true); err != nil {
		t.Fatal(err)
	}
	do(t, s, http.MethodGet, path(info.NoSentinelWorkspaceID), auth, nil).expectStatus(t, http.StatusOK)
	if err := s.SetSentinelEnabled(info.WorkspaceID+"-missing", true); err == nil {
		t.Error("SetSentinelEnabled of an unknown workspace succeeded")
	}
}

func TestDataConnectorPutRules(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	info := mustTenant(t, s, "contoso")
	auth := bearer(accessToken(t, s, "contoso", ResourceManagerAudience))
	fabrikam := mustTenant(t, s, "fabrikam")
	tests := []struct {
		name        string
		body        any
		status      int
		messagePart string
	}{
		{"alerts and discovery enabled", mcasConnector(info.TenantID, "Enabled", "Enabled"), 201, ""},
		{"alerts only, discoveryLogs absent", mcasConnector(info.TenantID, "Enabled", ""), 201, ""},
		{"discovery only", mcasConnector(info.TenantID, "Disabled", "Enabled"), 201, ""},
		{"states ignore case", mcasConnector(strings.ToUpper(info.TenantID), "enabled", "DISABLED"), 201, ""},
		{"both disabled", mcasConnector(info.TenantID, "Disabled", "Disabled"), 400, "both Disabled"},
		{"alerts disabled, discoveryLogs absent", mcasConnector(info.TenantID, "Disabled", ""), 400, "both Disabled"},
		{"another tenant", mcasConnector(fabrikam.TenantID, "Enabled", "Enabled"), 400, "cross-tenant"},
		{"no tenantId", mcasConnector("", "Enabled", "Enabled"), 400, "tenantId is required"},
		{"invalid state", mcasConnector(info.TenantID, "On", ""), 400, "invalid"},
		{"no alerts state", map[string]any{"kind": "MicrosoftCloudAppSecurity", "properties": map[string]any{"tenantId": info.TenantID, "dataTypes": map[string]any{}}}, 400, "alerts.state is required"},
		{"no properties", map[string]any{"kind": "MicrosoftCloudAppSecurity"}, 400, "properties"},
		{"no kind", map[string]any{"properties": map[string]any{"tenantId": info.TenantID}}, 400, "kind is required"},
		{"unknown kind", map[string]any{"kind": "MicrosoftThreatProtection", "properties": map[string]any{}}, 400, "not supported"},
		{"kind of another case", map[string]any{"kind": "microsoftcloudappsecurity", "properties": map[string]any{}}, 400, "not supported"},
		{"not an object", "[1,2]", 400, "not a JSON object"},
		{"another kind, stored as given", map[string]any{"kind": "AzureSecurityCenter", "properties": map[string]any{"subscriptionId": info.SubscriptionID, "dataTypes": map[string]any{"alerts": map[string]any{"state": "Enabled"}}}}, 201, ""},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			url := connectorURL(info.WorkspaceID, fmt.Sprintf("rule-%d", i), "2024-03-01")
			res := do(t, s, http.MethodPut, url, auth, tc.body).expectStatus(t, tc.status)
			if tc.status == http.StatusCreated {
				// A workspace holds one MicrosoftCloudAppSecurity connector: make room for the next case.
				do(t, s, http.MethodDelete, url, auth, nil).expectStatus(t, http.StatusOK)
			} else {
				if code := res.armCode(t); code != "BadRequest" {
					t.Errorf("code = %q, want BadRequest", code)
				}
				if msg := res.armMessage(t); !strings.Contains(msg, tc.messagePart) {
					t.Errorf("message = %q, want it to mention %q", msg, tc.messagePart)
				}
			}
		})
	}
}

func TestDataConnectorLifecycle(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	info := mustTenant(t, s, "contoso")
	auth := bearer(accessToken(t, s, "contoso", ResourceManagerAudience))
	path := connectorURL(info.WorkspaceID, info.TenantID, "2025-09-01")
	sent := mcasConnector(info.TenantID, "Enabled", "Disabled")
	sent["etag"] = `"ignored"`
	sent["id"] = "/ignored"

	created := do(t, s, http.MethodPut, path, auth, sent).expectStatus(t, http.StatusCreated).object(t)
	wantID := info.WorkspaceID + "/providers/Microsoft.SecurityInsights/dataConnectors/" + info.TenantID
	if created["id"] != wantID || created["name"] != info.TenantID || created["type"] != "Microsoft.SecurityInsights/dataConnectors" ||
		created["kind"] != "MicrosoftCloudAppSecurity" || created["etag"] == `"ignored"` || created["etag"] == nil {
		t.Errorf("created = %v", created)
	}
	systemData, _ := created["systemData"].(map[string]any)
	if systemData["createdByType"] != "Application" || systemData["createdAt"] == nil {
		t.Errorf("systemData = %v", systemData)
	}
	gotProps, _ := json.Marshal(created["properties"])
	wantProps, _ := json.Marshal(sent["properties"])
	if string(gotProps) != string(wantProps) {
		t.Errorf("properties = %s, want them as sent: %s", gotProps, wantProps)
	}

	fetched := do(t, s, http.MethodGet, path, auth, nil).expectStatus(t, http.StatusOK).object(t)
	if fetched["etag"] != created["etag"] {
		t.Errorf("GET etag %v differs from PUT etag %v", fetched["etag"], created["etag"])
	}
	updated := do(t, s, http.MethodPut, path, auth, mcasConnector(info.TenantID, "Enabled", "Enabled")).expectStatus(t, http.StatusOK).object(t)
	if updated["etag"] == created["etag"] {
		t.Error("an update kept the etag")
	}
	res := do(t, s, http.MethodPut, path, auth, map[string]any{"kind": "Office365", "properties": map[string]any{}}).expectStatus(t, http.StatusBadRequest)
	if !strings.Contains(res.armMessage(t), "cannot be changed") {
		t.Errorf("kind change message = %q", res.armMessage(t))
	}
	if stored, ok := s.DataConnector(wantID); !ok || !strings.Contains(string(stored), `"Enabled"`) || strings.Contains(string(stored), `"Disabled"`) {
		t.Errorf("DataConnector = %s, %v; want the update", stored, ok)
	}

	del := do(t, s, http.MethodDelete, path, auth, nil).expectStatus(t, http.StatusOK)
	if len(del.body) != 0 {
		t.Errorf("DELETE body = %q, want none", del.body)
	}
	do(t, s, http.MethodGet, path, auth, nil).expectStatus(t, http.StatusNotFound)
	do(t, s, http.MethodDelete, path, auth, nil).expectStatus(t, http.StatusNotFound)
	do(t, s, http.MethodPost, path, auth, nil).expectStatus(t, http.StatusMethodNotAllowed)
}

func TestDataConnectorsNeedSentinel(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	info := mustTenant(t, s, "northwind")
	auth := bearer(accessToken(t, s, "northwind", ResourceManagerAudience))
	calls := []struct {
		method, path string
		body         any
	}{
		{http.MethodGet, info.NoSentinelWorkspaceID + "/providers/Microsoft.SecurityInsights/dataConnectors?api-version=2024-03-01", nil},
		{http.MethodGet, connectorURL(info.NoSentinelWorkspaceID, "x", "2024-03-01"), nil},
		{http.MethodPut, connectorURL(info.NoSentinelWorkspaceID, "x", "2024-03-01"), mcasConnector(info.TenantID, "Enabled", "Enabled")},
		{http.MethodDelete, connectorURL(info.NoSentinelWorkspaceID, "x", "2024-03-01"), nil},
	}
	for _, c := range calls {
		res := do(t, s, c.method, c.path, auth, c.body).expectStatus(t, http.StatusBadRequest)
		if res.armCode(t) != "BadRequest" || !strings.Contains(res.armMessage(t), "not onboarded to Microsoft Sentinel") {
			t.Errorf("%s %s: %s", c.method, c.path, res.body)
		}
	}
}

func TestDataConnectorListPaging(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{ConnectorPageSize: 2})
	info := mustTenant(t, s, "contoso")
	auth := bearer(accessToken(t, s, "contoso", ResourceManagerAudience))
	do(t, s, http.MethodPut, connectorURL(info.WorkspaceID, "mcas", "2024-03-01"), auth, mcasConnector(info.TenantID, "Enabled", "Enabled")).expectStatus(t, http.StatusCreated)
	do(t, s, http.MethodPut, connectorURL(info.WorkspaceID, "aws", "2024-03-01"), auth,
		map[string]any{"kind": "AmazonWebServicesCloudTrail", "properties": map[string]any{"awsRoleArn": "arn", "dataTypes": map[string]any{"logs": map[string]any{"state": "Enabled"}}}}).expectStatus(t, http.StatusCreated)

	next := s.URL() + info.WorkspaceID + "/providers/Microsoft.SecurityInsights/dataConnectors?api-version=2024-03-01"
	var pages int
	kinds := map[string]int{}
	var names []string
	for next != "" {
		pages++
		if pages > 10 {
			t.Fatal("the nextLink chain does not end")
		}
		body := do(t, s, http.MethodGet, next, auth, nil).expectStatus(t, http.StatusOK).object(t)
		values, _ := body["value"].([]any)
		if len(values) > 2 {
			t.Errorf("page %d has %d items, want at most the page size 2", pages, len(values))
		}
		for _, v := range values {
			c := v.(map[string]any)
			kinds[c["kind"].(string)]++
			names = append(names, c["name"].(string))
		}
		next, _ = body["nextLink"].(string)
		if next != "" && !strings.HasPrefix(next, s.URL()+"/subscriptions/") {
			t.Errorf("nextLink %q is not an absolute URL of the server", next)
		}
	}
	if len(names) != 5 || pages != 3 {
		t.Errorf("listed %v in %d pages, want 5 connectors in 3 pages", names, pages)
	}
	for _, kind := range []string{"AzureActiveDirectory", "Office365", "ThreatIntelligence", "MicrosoftCloudAppSecurity", "AmazonWebServicesCloudTrail"} {
		if kinds[kind] != 1 {
			t.Errorf("kind %s listed %d times, want once", kind, kinds[kind])
		}
	}
	res := do(t, s, http.MethodGet, info.WorkspaceID+"/providers/Microsoft.SecurityInsights/dataConnectors?api-version=2024-03-01&$skipToken=not*base64", auth, nil)
	if res.status != http.StatusBadRequest {
		t.Errorf("a broken $skipToken: status %d, want 400", res.status)
	}
}

// TestDataConnectorListExplicitPortLinks writes nextLinks with the host the client asked for, and with
// explicit-port links adds the scheme's default port to a host that named none.
func TestDataConnectorListExplicitPortLinks(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{ConnectorPageSize: 2})
	info := mustTenant(t, s, "contoso")
	auth := bearer(accessToken(t, s, "contoso", ResourceManagerAudience))
	list := info.WorkspaceID + "/providers/Microsoft.SecurityInsights/dataConnectors"
	nextLink := func(host string) string {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, s.URL()+list+"?api-version=2024-03-01", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		req.Header.Set("Authorization", auth)
		resp, err := s.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var page struct{ NextLink string }
		if err := json.NewDecoder(resp.Body).Decode(&page); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("listing with Host %s: HTTP %d, %v", host, resp.StatusCode, err)
		}
		return page.NextLink
	}
	prefix := func(link string) string { return strings.SplitN(link, "/subscriptions/", 2)[0] }
	if got := prefix(nextLink("management.test.example")); got != "https://management.test.example" {
		t.Errorf("nextLink starts with %q, want the host the client asked for", got)
	}
	s.SetNextLinkExplicitPort(true)
	for host, want := range map[string]string{
		"management.test.example":      "https://management.test.example:443",
		"management.test.example:8443": "https://management.test.example:8443",
		"[::1]":                        "https://[::1]:443",
	} {
		if got := prefix(nextLink(host)); got != want {
			t.Errorf("with explicit-port links and Host %s, nextLink starts with %q, want %q", host, got, want)
		}
	}
}

func TestDefaultPageSizePagesTheDefaultWorld(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	info := mustTenant(t, s, "fabrikam")
	auth := bearer(accessToken(t, s, "fabrikam", ResourceManagerAudience))
	do(t, s, http.MethodPut, connectorURL(info.WorkspaceID, info.TenantID, "2024-03-01"), auth, mcasConnector(info.TenantID, "Enabled", "Enabled")).expectStatus(t, http.StatusCreated)
	first := do(t, s, http.MethodGet, info.WorkspaceID+"/providers/Microsoft.SecurityInsights/dataConnectors?api-version=2024-03-01", auth, nil).expectStatus(t, http.StatusOK).object(t)
	next, _ := first["nextLink"].(string)
	if values, _ := first["value"].([]any); len(values) != 4 || next == "" {
		t.Fatalf("first page = %v; want 4 connectors and a nextLink", first)
	}
	last := do(t, s, http.MethodGet, next, auth, nil).expectStatus(t, http.StatusOK).object(t)
	if values, _ := last["value"].([]any); len(values) != 0 || last["nextLink"] != nil {
		t.Errorf("last page = %v; want an empty page without nextLink", last)
	}
}

func TestLicenseAndRoleSwitchesOnResourceManager(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	info := mustTenant(t, s, "contoso")
	auth := bearer(accessToken(t, s, "contoso", ResourceManagerAudience))
	mcas := connectorURL(info.WorkspaceID, "mcas", "2024-03-01")

	if err := s.SetLicenseValid("contoso", false); err != nil {
		t.Fatal(err)
	}
	res := do(t, s, http.MethodPut, mcas, auth, mcasConnector(info.TenantID, "Enabled", "Enabled")).expectStatus(t, http.StatusUnauthorized)
	if res.armCode(t) != "InvalidLicense" || res.armMessage(t) != "License is invalid" {
		t.Errorf("license: %s", res.body)
	}
	do(t, s, http.MethodPut, connectorURL(info.WorkspaceID, "aad", "2024-03-01"), auth,
		map[string]any{"kind": "AzureActiveDirectory", "properties": map[string]any{}}).expectStatus(t, http.StatusCreated)
	if err := s.SetLicenseValid("contoso", true); err != nil {
		t.Fatal(err)
	}
	do(t, s, http.MethodPut, mcas, auth, mcasConnector(info.TenantID, "Enabled", "Enabled")).expectStatus(t, http.StatusCreated)

	if err := s.SetRolePresent("contoso", false); err != nil {
		t.Fatal(err)
	}
	for method, action := range map[string]string{http.MethodPut: "dataConnectors/write", http.MethodDelete: "dataConnectors/delete"} {
		res := do(t, s, method, mcas, auth, mcasConnector(info.TenantID, "Enabled", "Enabled")).expectStatus(t, http.StatusForbidden)
		if res.armCode(t) != "AuthorizationFailed" || !strings.Contains(res.armMessage(t), action) || !strings.Contains(res.armMessage(t), "ea1b7092-4698-469e-b40d-946cbc193a16") {
			t.Errorf("%s without role: %s", method, res.body)
		}
	}
	do(t, s, http.MethodGet, mcas, auth, nil).expectStatus(t, http.StatusOK)
	if err := s.SetLicenseValid("nobody", true); err == nil {
		t.Error("SetLicenseValid of an unknown tenant succeeded")
	}
}

// TestReadAccessSwitch refuses reads of the onboarding state and of data connectors, existing or not,
// to callers without Microsoft Sentinel Reader, and leaves the workspace itself readable.
func TestReadAccessSwitch(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	info := mustTenant(t, s, "contoso")
	auth := bearer(accessToken(t, s, "contoso", ResourceManagerAudience))
	if err := s.SetReadAccess("contoso", false); err != nil {
		t.Fatal(err)
	}
	for path, action := range map[string]string{
		info.WorkspaceID + "/providers/Microsoft.SecurityInsights/onboardingStates/default?api-version=2024-03-01": "Microsoft.SecurityInsights/onboardingStates/read",
		info.WorkspaceID + "/providers/Microsoft.SecurityInsights/dataConnectors?api-version=2024-03-01":           "Microsoft.SecurityInsights/dataConnectors/read",
		connectorURL(info.WorkspaceID, "missing", "2024-03-01"):                                                    "Microsoft.SecurityInsights/dataConnectors/read",
	} {
		res := do(t, s, http.MethodGet, path, auth, nil).expectStatus(t, http.StatusForbidden)
		if res.armCode(t) != "AuthorizationFailed" || !strings.Contains(res.armMessage(t), "'"+action+"'") {
			t.Errorf("GET %s without read access: %s", path, res.body)
		}
	}
	do(t, s, http.MethodGet, info.WorkspaceID+"?api-version=2022-10-01", auth, nil).expectStatus(t, http.StatusOK)
	// Writes follow the role switch, not the read switch.
	do(t, s, http.MethodPut, connectorURL(info.WorkspaceID, "mcas", "2024-03-01"), auth, mcasConnector(info.TenantID, "Enabled", "Enabled")).expectStatus(t, http.StatusCreated)
	if err := s.SetReadAccess("contoso", true); err != nil {
		t.Fatal(err)
	}
	do(t, s, http.MethodGet, connectorURL(info.WorkspaceID, "mcas", "2024-03-01"), auth, nil).expectStatus(t, http.StatusOK)
}

// TestAdminConsentSwitch answers a service principal's write of a MicrosoftCloudAppSecurity connector
// with 401 InvalidLicense "Missing consent", and lets a signed-in user's write through.
func TestAdminConsentSwitch(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	info := mustTenant(t, s, "contoso")
	app := bearer(accessToken(t, s, "contoso", ResourceManagerAudience))
	userToken, _, err := s.MintAccessToken("contoso", ResourceManagerAudience, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetAdminConsent("contoso", false); err != nil {
		t.Fatal(err)
	}
	mcas := connectorURL(info.WorkspaceID, "mcas", "2024-03-01")
	res := do(t, s, http.MethodPut, mcas, app, mcasConnector(info.TenantID, "Enabled", "Enabled")).expectStatus(t, http.StatusUnauthorized)
	if res.armCode(t) != "InvalidLicense" || res.armMessage(t) != "Missing consent" {
		t.Errorf("a service principal without consent: %s", res.body)
	}
	// Without a license the licence answer wins.
	if err := s.SetLicenseValid("contoso", false); err != nil {
		t.Fatal(err)
	}
	if res := do(t, s, http.MethodPut, mcas, app, mcasConnector(info.TenantID, "Enabled", "Enabled")); res.armMessage(t) != "License is invalid" {
		t.Errorf("without license and consent: %s", res.body)
	}
	if err := s.SetLicenseValid("contoso", true); err != nil {
		t.Fatal(err)
	}
	do(t, s, http.MethodPut, connectorURL(info.WorkspaceID, "aad", "2024-03-01"), app,
		map[string]any{"kind": "AzureActiveDirectory", "properties": map[string]any{}}).expectStatus(t, http.StatusCreated)
	do(t, s, http.MethodPut, mcas, bearer(userToken), mcasConnector(info.TenantID, "Enabled", "Enabled")).expectStatus(t, http.StatusCreated)
}

// TestOneCloudAppsConnectorPerWorkspace refuses a second MicrosoftCloudAppSecurity connector under
// another name, while the first one can still be replaced and another kind added.
func TestOneCloudAppsConnectorPerWorkspace(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	info := mustTenant(t, s, "contoso")
	auth := bearer(accessToken(t, s, "contoso", ResourceManagerAudience))
	// Re-created in the portal, under a name of its choosing.
	if err := s.PutDataConnector(info.WorkspaceID+"/providers/Microsoft.SecurityInsights/dataConnectors/portal-made",
		mustJSON(t, mcasConnector(strings.ToUpper(info.TenantID), "Enabled", "Disabled"))); err != nil {
		t.Fatal(err)
	}
	res := do(t, s, http.MethodPut, connectorURL(info.WorkspaceID, info.TenantID, "2024-03-01"), auth, mcasConnector(info.TenantID, "Enabled", "Enabled")).
		expectStatus(t, http.StatusBadRequest)
	if res.armCode(t) != "BadRequest" || !strings.Contains(res.armMessage(t), "two connectors with different names and the same kind and context id") {
		t.Errorf("a second MCAS connector: %s", res.body)
	}
	do(t, s, http.MethodPut, connectorURL(info.WorkspaceID, "PORTAL-MADE", "2024-03-01"), auth, mcasConnector(info.TenantID, "Enabled", "Enabled")).expectStatus(t, http.StatusOK)
	do(t, s, http.MethodPut, connectorURL(info.WorkspaceID, "mdatp", "2024-03-01"), auth,
		map[string]any{"kind": "MicrosoftDefenderAdvancedThreatProtection", "properties": map[string]any{"tenantId": info.TenantID}}).expectStatus(t, http.StatusCreated)
	do(t, s, http.MethodDelete, connectorURL(info.WorkspaceID, "portal-made", "2024-03-01"), auth, nil).expectStatus(t, http.StatusOK)
	do(t, s, http.MethodPut, connectorURL(info.WorkspaceID, info.TenantID, "2024-03-01"), auth, mcasConnector(info.TenantID, "Enabled", "Enabled")).expectStatus(t, http.StatusCreated)
}

// TestSentinelPropagation delays the onboarding state and data connector writes after Sentinel is
// enabled, until the fake's clock passes each delay, and SetSentinelEnabled takes effect at once.
func TestSentinelPropagation(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	info := mustTenant(t, s, "contoso")
	auth := bearer(accessToken(t, s, "contoso", ResourceManagerAudience))
	onboarding := info.NoSentinelWorkspaceID + "/providers/Microsoft.SecurityInsights/onboardingStates/default?api-version=2024-03-01"
	list := info.NoSentinelWorkspaceID + "/providers/Microsoft.SecurityInsights/dataConnectors?api-version=2024-03-01"
	mcas := connectorURL(info.NoSentinelWorkspaceID, info.TenantID, "2024-03-01")
	// The delays run on the fake's clock, which the test moves; an hour leaves no doubt that the real
	// time the test takes stays within each phase.
	const onboardingDelay, writesDelay = time.Hour, 2 * time.Hour
	if err := s.EnableSentinel(info.NoSentinelWorkspaceID, SentinelPropagation{OnboardingState: onboardingDelay, ConnectorWrites: writesDelay}); err != nil {
		t.Fatal(err)
	}
	do(t, s, http.MethodGet, onboarding, auth, nil).expectStatus(t, http.StatusNotFound)
	do(t, s, http.MethodGet, list, auth, nil).expectStatus(t, http.StatusBadRequest)
	advance(t, s, onboardingDelay)
	do(t, s, http.MethodGet, onboarding, auth, nil).expectStatus(t, http.StatusOK)
	do(t, s, http.MethodGet, list, auth, nil).expectStatus(t, http.StatusOK)
	res := do(t, s, http.MethodPut, mcas, auth, mcasConnector(info.TenantID, "Enabled", "Enabled")).expectStatus(t, http.StatusBadRequest)
	if !strings.Contains(res.armMessage(t), "not onboarded to Microsoft Sentinel") {
		t.Errorf("a write before the writes delay: %s", res.body)
	}
	advance(t, s, writesDelay-onboardingDelay)
	do(t, s, http.MethodPut, mcas, auth, mcasConnector(info.TenantID, "Enabled", "Enabled")).expectStatus(t, http.StatusCreated)

	if err := s.SetSentinelEnabled(info.NoSentinelWorkspaceID, false); err != nil {
		t.Fatal(err)
	}
	if err := s.EnableSentinel(info.NoSentinelWorkspaceID, SentinelPropagation{OnboardingState: time.Hour}); err != nil {
		t.Fatal(err)
	}
	do(t, s, http.MethodGet, onboarding, auth, nil).expectStatus(t, http.StatusNotFound)
	if err := s.SetSentinelEnabled(info.NoSentinelWorkspaceID, true); err != nil {
		t.Fatal(err)
	}
	do(t, s, http.MethodGet, onboarding, auth, nil).expectStatus(t, http.StatusOK)
	if err := s.EnableSentinel(info.NoSentinelWorkspaceID, SentinelPropagation{OnboardingState: -time.Second}); err == nil {
		t.Error("a negative delay was accepted")
	}
}

// mustJSON encodes v.
func mustJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestParseConnectorProperties(t *testing.T) {
	t.Parallel()
	got := parseConnectorProperties(json.RawMessage(`{"tenantId": "ABCDEF01-0000-4000-8000-000000000000",
		"dataTypes": {"alerts": {"state": "enabled"}, "discoveryLogs": {"state": "Disabled"}, "other": {"state": "On"}}}`))
	if got.tenantID != "abcdef01-0000-4000-8000-000000000000" || !got.enabled["alerts"] || got.enabled["discoveryLogs"] || got.enabled["other"] {
		t.Errorf("parseConnectorProperties = %+v; want the tenant id in lower case and only alerts enabled", got)
	}
	// A dataTypes of the wrong type enables nothing but leaves the tenant id readable.
	got = parseConnectorProperties(json.RawMessage(`{"tenantId": "abc", "dataTypes": "Enabled"}`))
	if got.tenantID != "abc" || len(got.enabled) != 0 {
		t.Errorf("parseConnectorProperties(wrong dataTypes) = %+v; want tenant abc and nothing enabled", got)
	}
	if got := parseConnectorProperties(nil); got.tenantID != "" || len(got.enabled) != 0 {
		t.Errorf("parseConnectorProperties(nil) = %+v; want nothing", got)
	}
}

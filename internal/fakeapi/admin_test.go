package fakeapi

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// decode decodes a response body into v.
func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
}

func TestAdminStateAndTenants(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	contoso := mustTenant(t, s, "contoso")

	res := do(t, s, http.MethodGet, "/admin/state", "", nil).expectStatus(t, http.StatusOK)
	var state stateJSON
	res.decode(t, &state)
	if state.URL != s.URL() || state.Throttle.Limit != 30 || state.ConnectorPageSize != 4 || len(state.Tenants) != 3 {
		t.Errorf("state = %+v", state)
	}
	if c := state.Tenants[0]; c.Name != "contoso" || len(c.Workspaces) != 2 || len(c.Workspaces[0].DataConnectors) != 3 || len(c.Streams) != 5 ||
		!c.LicenseValid || !c.RolePresent || len(c.Apps) != 1 || !c.Apps[0].HasSecret || c.Apps[0].FederatedCredentials[0].Issuer != s.OIDCIssuer() {
		t.Errorf("contoso state = %+v", c)
	}
	if strings.Contains(string(res.body), contoso.ClientSecret) || strings.Contains(string(res.body), contoso.APIToken) {
		t.Error("the state dump contains credentials")
	}

	var info TenantInfo
	do(t, s, http.MethodGet, "/admin/tenants/contoso", "", nil).expectStatus(t, http.StatusOK).decode(t, &info)
	if info.ClientSecret != contoso.ClientSecret || !strings.Contains(string(info.ClientCertificatePEM), "PRIVATE KEY") || info.WorkspaceID != contoso.WorkspaceID {
		t.Errorf("tenant = %+v", info)
	}
	var all []TenantInfo
	do(t, s, http.MethodGet, "/admin/tenants", "", nil).expectStatus(t, http.StatusOK).decode(t, &all)
	if len(all) != 3 || all[2].Name != "northwind" {
		t.Errorf("tenants = %+v", all)
	}
	do(t, s, http.MethodGet, "/admin/tenants/nobody", "", nil).expectStatus(t, http.StatusNotFound)
	do(t, s, http.MethodGet, "/admin/nothing", "", nil).expectStatus(t, http.StatusNotFound)
}

func TestAdminSeedTenant(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	var info TenantInfo
	do(t, s, http.MethodPost, "/admin/tenants", "", map[string]any{"name": "litware"}).expectStatus(t, http.StatusCreated).decode(t, &info)
	if info.Name != "litware" || info.Domain != "litware.onmicrosoft.com" || info.ClientSecret == "" || len(info.APIToken) != 64 ||
		info.WorkspaceID == "" || info.NoSentinelWorkspaceID == "" || info.FederatedSubject != DefaultFederatedSubject {
		t.Fatalf("seeded tenant = %+v", info)
	}
	res := tokenRequest(t, s, info.TenantID, url.Values{
		"grant_type": {"client_credentials"}, "client_id": {info.ClientID}, "client_secret": {info.ClientSecret},
		"scope": {CloudAppsAudience + "/.default"},
	}).expectStatus(t, http.StatusOK)
	token := res.object(t)["access_token"].(string)
	var streams map[string][]map[string]any
	do(t, s, http.MethodGet, info.PortalURL+"/api/discovery/streams/", bearer(token), nil).expectStatus(t, http.StatusOK).decode(t, &streams)
	if len(streams["streams"]) != 1 || streams["streams"][0]["displayName"] != "Global View" {
		t.Errorf("streams of a seeded tenant = %v", streams)
	}
	if names := s.TenantNames(); len(names) != 4 || names[1] != "fabrikam" || names[2] != "litware" {
		t.Errorf("TenantNames = %v", names)
	}
	for _, bad := range []any{
		map[string]any{"name": "litware"},
		map[string]any{"name": "Bad Name"},
		map[string]any{"name": "other", "tenant_id": mustTenant(t, s, "contoso").TenantID},
		map[string]any{"name": "other", "unknown_field": true},
		map[string]any{"name": "other", "streams_envelope": "xml"},
	} {
		do(t, s, http.MethodPost, "/admin/tenants", "", bad).expectStatus(t, http.StatusBadRequest)
	}
}

func TestAdminSwitches(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{CloudAppsRateLimit: -1})
	info := mustTenant(t, s, "contoso")
	streams := info.PortalURL + "/api/discovery/streams/"

	do(t, s, http.MethodPatch, "/admin/tenants/contoso", "", map[string]any{"streams_envelope": "array"}).expectStatus(t, http.StatusOK)
	var arr []any
	do(t, s, http.MethodGet, streams, legacy(info.APIToken), nil).expectStatus(t, http.StatusOK).decode(t, &arr)
	if len(arr) != 5 {
		t.Errorf("array envelope: %d streams", len(arr))
	}
	var patched tenantJSON
	do(t, s, http.MethodPatch, "/admin/tenants/contoso", "", map[string]any{"license_valid": false, "role_present": false}).expectStatus(t, http.StatusOK).decode(t, &patched)
	if patched.LicenseValid || patched.RolePresent || patched.StreamsEnvelope != "array" {
		t.Errorf("patched = %+v", patched)
	}
	do(t, s, http.MethodGet, streams, legacy(info.APIToken), nil).expectStatus(t, http.StatusForbidden)
	do(t, s, http.MethodPatch, "/admin/tenants/contoso", "", map[string]any{"streams_envelope": "xml"}).expectStatus(t, http.StatusBadRequest)
	do(t, s, http.MethodPatch, "/admin/tenants/contoso", "", map[string]any{"licence": true}).expectStatus(t, http.StatusBadRequest)
	do(t, s, http.MethodPatch, "/admin/tenants/nobody", "", map[string]any{"license_valid": true}).expectStatus(t, http.StatusNotFound)

	armAuth := bearer(accessToken(t, s, "contoso", ResourceManagerAudience))
	onboarding := info.WorkspaceID + "/providers/Microsoft.SecurityInsights/onboardingStates/default?api-version=2024-03-01"
	do(t, s, http.MethodPatch, "/admin/workspaces", "", map[string]any{"id": info.WorkspaceID, "sentinel_enabled": false}).expectStatus(t, http.StatusNoContent)
	do(t, s, http.MethodGet, onboarding, armAuth, nil).expectStatus(t, http.StatusNotFound)
	do(t, s, http.MethodPatch, "/admin/workspaces", "", map[string]any{"id": info.WorkspaceID}).expectStatus(t, http.StatusBadRequest)
	do(t, s, http.MethodPatch, "/admin/workspaces", "", map[string]any{"id": "/subscriptions/x", "sentinel_enabled": true}).expectStatus(t, http.StatusBadRequest)

	var throttle adminThrottle
	do(t, s, http.MethodPut, "/admin/throttle", "", map[string]any{"limit": 1, "window_seconds": 60}).expectStatus(t, http.StatusOK).decode(t, &throttle)
	if throttle.Limit != 1 || throttle.WindowSeconds != 60 {
		t.Errorf("throttle = %+v", throttle)
	}
	fabrikam := mustTenant(t, s, "fabrikam")
	do(t, s, http.MethodGet, fabrikam.PortalURL+"/api/discovery/streams/", legacy(fabrikam.APIToken), nil).expectStatus(t, http.StatusOK)
	do(t, s, http.MethodGet, fabrikam.PortalURL+"/api/discovery/streams/", legacy(fabrikam.APIToken), nil).expectStatus(t, http.StatusTooManyRequests)
	do(t, s, http.MethodPut, "/admin/throttle", "", map[string]any{"window_seconds": 60}).expectStatus(t, http.StatusBadRequest)
}

// TestAdminSwitchesOfRealAzure sets, over HTTP, the switches for the answers of the real services that
// tests play: read access, admin consent, an expired client secret, delayed onboarding, explicit-port
// nextLinks and the federated error codes.
func TestAdminSwitchesOfRealAzure(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	info := mustTenant(t, s, "contoso")
	var patched tenantJSON
	do(t, s, http.MethodPatch, "/admin/tenants/contoso", "", map[string]any{"read_access": false, "admin_consent": false, "client_secret_expired": true}).
		expectStatus(t, http.StatusOK).decode(t, &patched)
	if patched.ReadAccess || patched.AdminConsent || !patched.Apps[0].SecretExpired || !patched.LicenseValid {
		t.Errorf("patched = %+v", patched)
	}
	armAuth := bearer(accessToken(t, s, "contoso", ResourceManagerAudience))
	do(t, s, http.MethodGet, info.WorkspaceID+"/providers/Microsoft.SecurityInsights/dataConnectors?api-version=2024-03-01", armAuth, nil).expectStatus(t, http.StatusForbidden)
	tokenRequest(t, s, info.TenantID, url.Values{"grant_type": {"client_credentials"}, "client_id": {info.ClientID},
		"scope": {ResourceManagerAudience + ".default"}, "client_secret": {info.ClientSecret}}).expectStatus(t, http.StatusUnauthorized)

	do(t, s, http.MethodPatch, "/admin/workspaces", "", map[string]any{"id": info.NoSentinelWorkspaceID, "sentinel_enabled": true,
		"onboarding_delay_seconds": 3600, "connector_writes_delay_seconds": 7200}).expectStatus(t, http.StatusNoContent)
	var state stateJSON
	do(t, s, http.MethodGet, "/admin/state", "", nil).expectStatus(t, http.StatusOK).decode(t, &state)
	found := false
	for _, ws := range state.Tenants[0].Workspaces {
		if ws.ID != info.NoSentinelWorkspaceID {
			continue
		}
		found = true
		if !ws.SentinelEnabled || ws.OnboardedFrom == "" || ws.ConnectorWritesFrom <= ws.OnboardedFrom {
			t.Errorf("delayed workspace = %+v", ws)
		}
	}
	if !found {
		t.Errorf("the state of tenant %q lists no workspace %s", state.Tenants[0].Name, info.NoSentinelWorkspaceID)
	}
	do(t, s, http.MethodPatch, "/admin/workspaces", "", map[string]any{"id": info.NoSentinelWorkspaceID, "sentinel_enabled": false,
		"onboarding_delay_seconds": 1}).expectStatus(t, http.StatusBadRequest)

	var settings map[string]any
	do(t, s, http.MethodPatch, "/admin/settings", "", map[string]any{"next_link_explicit_port": true, "federated_errors": "specific"}).
		expectStatus(t, http.StatusOK).decode(t, &settings)
	if settings["next_link_explicit_port"] != true || settings["federated_errors"] != "specific" {
		t.Errorf("settings = %v", settings)
	}
	do(t, s, http.MethodGet, "/admin/state", "", nil).expectStatus(t, http.StatusOK).decode(t, &state)
	if !state.NextLinkExplicitPort || state.FederatedErrors != "specific" {
		t.Errorf("state = next_link_explicit_port %v, federated_errors %q", state.NextLinkExplicitPort, state.FederatedErrors)
	}
	do(t, s, http.MethodPatch, "/admin/settings", "", map[string]any{"federated_errors": "verbose"}).expectStatus(t, http.StatusBadRequest)
	do(t, s, http.MethodPatch, "/admin/tenants/adventure", "", map[string]any{"client_secret_expired": true}).expectStatus(t, http.StatusNotFound)
}

func TestAdminStreamsAndAgents(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	id := "0123456789abcdef01234567"
	do(t, s, http.MethodPut, "/admin/tenants/northwind/streams/"+id, "", map[string]any{"display_name": "Zscaler - New site", "stream_type": 1, "log_type": 120, "receiver_type": "ftp"}).
		expectStatus(t, http.StatusOK)
	var streams []Stream
	do(t, s, http.MethodGet, "/admin/tenants/northwind/streams", "", nil).expectStatus(t, http.StatusOK).decode(t, &streams)
	if last := streams[len(streams)-1]; last.ID != id || last.DisplayName != "Zscaler - New site" || last.Created == "" {
		t.Errorf("streams = %+v", streams)
	}
	do(t, s, http.MethodPut, "/admin/tenants/northwind/streams/"+id, "", map[string]any{"id": "ffffffffffffffffffffffff"}).expectStatus(t, http.StatusBadRequest)
	do(t, s, http.MethodPut, "/admin/tenants/northwind/streams/short", "", map[string]any{}).expectStatus(t, http.StatusBadRequest)
	do(t, s, http.MethodDelete, "/admin/tenants/northwind/streams/"+id, "", nil).expectStatus(t, http.StatusNoContent)
	do(t, s, http.MethodDelete, "/admin/tenants/northwind/streams/"+id, "", nil).expectStatus(t, http.StatusNotFound)
	do(t, s, http.MethodGet, "/admin/tenants/nobody/streams", "", nil).expectStatus(t, http.StatusNotFound)

	var created Agent
	do(t, s, http.MethodPost, "/admin/tenants/northwind/agents", "", map[string]any{"agent_type": "sentinel", "alerts": true, "display_name": "Portal agent"}).
		expectStatus(t, http.StatusCreated).decode(t, &created)
	if created.ID == "" || created.AgentType != "sentinel" || created.Created == 0 {
		t.Errorf("created = %+v", created)
	}
	// The admin interface bypasses the API rules: a second Sentinel agent is accepted (drift).
	do(t, s, http.MethodPost, "/admin/tenants/northwind/agents", "", map[string]any{"agent_type": "sentinel", "alerts": false}).expectStatus(t, http.StatusCreated)
	do(t, s, http.MethodPost, "/admin/tenants/northwind/agents", "", map[string]any{"agent_type": "splunk"}).expectStatus(t, http.StatusBadRequest)
	var replaced Agent
	do(t, s, http.MethodPut, "/admin/tenants/northwind/agents/"+created.ID, "", map[string]any{"agent_type": "sentinel", "alerts": true, "discovery_logs_enabled": true, "streams": []string{"f2429aec2fdc2a74a5b3f7a0"}}).
		expectStatus(t, http.StatusOK).decode(t, &replaced)
	if !replaced.DiscoveryLogsEnabled || len(replaced.Streams) != 1 {
		t.Errorf("replaced = %+v", replaced)
	}
	var one Agent
	do(t, s, http.MethodGet, "/admin/tenants/northwind/agents/"+created.ID, "", nil).expectStatus(t, http.StatusOK).decode(t, &one)
	if one.ID != created.ID {
		t.Errorf("agent = %+v", one)
	}
	var list []Agent
	do(t, s, http.MethodGet, "/admin/tenants/northwind/agents", "", nil).expectStatus(t, http.StatusOK).decode(t, &list)
	if len(list) != 2 {
		t.Errorf("agents = %+v", list)
	}
	do(t, s, http.MethodDelete, "/admin/tenants/northwind/agents/"+created.ID, "", nil).expectStatus(t, http.StatusNoContent)
	do(t, s, http.MethodGet, "/admin/tenants/northwind/agents/"+created.ID, "", nil).expectStatus(t, http.StatusNotFound)
	do(t, s, http.MethodDelete, "/admin/tenants/northwind/agents/"+created.ID, "", nil).expectStatus(t, http.StatusNotFound)
}

func TestAdminDataConnectors(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	info := mustTenant(t, s, "contoso")
	id := info.WorkspaceID + "/providers/Microsoft.SecurityInsights/dataConnectors/" + info.TenantID
	// Rules do not apply out of band: both data types disabled is stored.
	body := mcasConnector(info.TenantID, "Disabled", "Disabled")
	var stored map[string]any
	do(t, s, http.MethodPut, "/admin/arm"+id, "", body).expectStatus(t, http.StatusOK).decode(t, &stored)
	if stored["id"] != id || stored["kind"] != "MicrosoftCloudAppSecurity" {
		t.Errorf("stored = %v", stored)
	}
	systemData, _ := stored["systemData"].(map[string]any)
	if systemData["lastModifiedByType"] != "User" {
		t.Errorf("systemData = %v; want a portal user", systemData)
	}
	armAuth := bearer(accessToken(t, s, "contoso", ResourceManagerAudience))
	got := do(t, s, http.MethodGet, id+"?api-version=2024-03-01", armAuth, nil).expectStatus(t, http.StatusOK).object(t)
	if got["etag"] != stored["etag"] {
		t.Errorf("the API sees %v, the admin stored %v", got, stored)
	}
	do(t, s, http.MethodGet, "/admin/arm"+id, "", nil).expectStatus(t, http.StatusOK)
	var list map[string][]json.RawMessage
	do(t, s, http.MethodGet, "/admin/arm"+info.WorkspaceID+"/providers/Microsoft.SecurityInsights/dataConnectors", "", nil).expectStatus(t, http.StatusOK).decode(t, &list)
	if len(list["value"]) != 4 {
		t.Errorf("listed %d connectors, want 4", len(list["value"]))
	}
	do(t, s, http.MethodDelete, "/admin/arm"+id, "", nil).expectStatus(t, http.StatusNoContent)
	do(t, s, http.MethodGet, "/admin/arm"+id, "", nil).expectStatus(t, http.StatusNotFound)
	do(t, s, http.MethodDelete, "/admin/arm"+id, "", nil).expectStatus(t, http.StatusNotFound)
	do(t, s, http.MethodPut, "/admin/arm"+id, "", "not json").expectStatus(t, http.StatusBadRequest)
	do(t, s, http.MethodPut, "/admin/arm/subscriptions/x/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/w/providers/Microsoft.SecurityInsights/dataConnectors/c", "", body).
		expectStatus(t, http.StatusNotFound)
	do(t, s, http.MethodPost, "/admin/arm"+id, "", body).expectStatus(t, http.StatusMethodNotAllowed)
}

func TestAdminFaultsRequestsAndTokens(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	info := mustTenant(t, s, "contoso")

	var created map[string]string
	do(t, s, http.MethodPost, "/admin/faults", "", map[string]any{"path_pattern": "/streams", "kind": "status", "status": 503, "retry_after": "2", "count": 1}).
		expectStatus(t, http.StatusCreated).decode(t, &created)
	var faults []adminFault
	do(t, s, http.MethodGet, "/admin/faults", "", nil).expectStatus(t, http.StatusOK).decode(t, &faults)
	if len(faults) != 1 || faults[0].ID != created["id"] || faults[0].Remaining != 1 {
		t.Errorf("faults = %+v", faults)
	}
	res := do(t, s, http.MethodGet, info.PortalURL+"/api/discovery/streams/", legacy(info.APIToken), nil).expectStatus(t, http.StatusServiceUnavailable)
	if res.header.Get("Retry-After") != "2" {
		t.Errorf("Retry-After = %q", res.header.Get("Retry-After"))
	}
	do(t, s, http.MethodPost, "/admin/faults", "", map[string]any{"kind": "status", "status": 500, "latency_ms": 10, "count": -1}).expectStatus(t, http.StatusCreated).decode(t, &created)
	do(t, s, http.MethodDelete, "/admin/faults/"+created["id"], "", nil).expectStatus(t, http.StatusNoContent)
	do(t, s, http.MethodDelete, "/admin/faults/"+created["id"], "", nil).expectStatus(t, http.StatusNotFound)
	do(t, s, http.MethodPost, "/admin/faults", "", map[string]any{"kind": "meltdown"}).expectStatus(t, http.StatusBadRequest)
	do(t, s, http.MethodPost, "/admin/faults", "", map[string]any{"kind": "reset"}).expectStatus(t, http.StatusCreated)
	do(t, s, http.MethodDelete, "/admin/faults", "", nil).expectStatus(t, http.StatusNoContent)
	do(t, s, http.MethodGet, info.PortalURL+"/api/discovery/streams/", legacy(info.APIToken), nil).expectStatus(t, http.StatusOK)

	var counted struct {
		Count    int       `json:"count"`
		Requests []Request `json:"requests"`
	}
	do(t, s, http.MethodGet, "/admin/requests?method=GET&path=/streams", "", nil).expectStatus(t, http.StatusOK).decode(t, &counted)
	if counted.Count != 2 || len(counted.Requests) != 2 || counted.Requests[0].Status != 503 || counted.Requests[0].Tenant != "contoso" {
		t.Errorf("requests = %+v", counted)
	}
	do(t, s, http.MethodGet, "/admin/requests?path=(", "", nil).expectStatus(t, http.StatusBadRequest)
	do(t, s, http.MethodDelete, "/admin/requests", "", nil).expectStatus(t, http.StatusNoContent)
	do(t, s, http.MethodGet, "/admin/requests", "", nil).expectStatus(t, http.StatusOK).decode(t, &counted)
	if counted.Count != 0 {
		t.Errorf("after DELETE /admin/requests: %+v", counted)
	}

	var minted map[string]string
	do(t, s, http.MethodPost, "/admin/oidc/token", "", map[string]any{"tenant": "contoso", "ttl_seconds": 600}).expectStatus(t, http.StatusOK).decode(t, &minted)
	claims := unverifiedClaims(t, minted["token"])
	exp, _ := claims["exp"].(float64)
	iat, _ := claims["iat"].(float64)
	if claims["sub"] != DefaultFederatedSubject || claims["iss"] != s.OIDCIssuer() || exp-iat != 600 {
		t.Errorf("claims = %v", claims)
	}
	do(t, s, http.MethodPost, "/admin/oidc/token", "", map[string]any{"subject": "system:serviceaccount:infra:terraform"}).expectStatus(t, http.StatusOK).decode(t, &minted)
	if sub := unverifiedClaims(t, minted["token"])["sub"]; sub != "system:serviceaccount:infra:terraform" {
		t.Errorf("sub = %v", sub)
	}
	do(t, s, http.MethodPost, "/admin/oidc/token", "", map[string]any{"tenant": "nobody"}).expectStatus(t, http.StatusNotFound)
}

// TestSIEMRouteSwitch plays the realities of the undocumented SIEM agent route: modeled, read-only
// (the list answers, writes 405) and absent (every agent call 404), through the admin interface and the
// Go API.
func TestSIEMRouteSwitch(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{CloudAppsRateLimit: -1})
	info := mustTenant(t, s, "fabrikam")
	agents := info.PortalURL + "/api/v1/agents/siem/"
	generic := agents + "a630972cdb0a706848d0091f/"
	body := map[string]any{"agentType": "sentinel", "displayName": "Microsoft Sentinel",
		"dataTypes": map[string]any{"alerts": true, "discoveryLogs": map[string]any{"enabled": true, "streams": []string{}}}}

	var patched tenantJSON
	do(t, s, http.MethodPatch, "/admin/tenants/fabrikam", "", map[string]any{"siem_route": "read-only"}).expectStatus(t, http.StatusOK).decode(t, &patched)
	if patched.SIEMRoute != SIEMRouteReadOnly {
		t.Errorf("patched = %+v", patched)
	}
	do(t, s, http.MethodGet, agents, legacy(info.APIToken), nil).expectStatus(t, http.StatusOK)
	do(t, s, http.MethodPost, agents, legacy(info.APIToken), body).expectStatus(t, http.StatusMethodNotAllowed)
	do(t, s, http.MethodPut, generic, legacy(info.APIToken), body).expectStatus(t, http.StatusMethodNotAllowed)
	do(t, s, http.MethodDelete, generic, legacy(info.APIToken), nil).expectStatus(t, http.StatusMethodNotAllowed)
	do(t, s, http.MethodGet, generic, legacy(info.APIToken), nil).expectStatus(t, http.StatusMethodNotAllowed)

	if err := s.SetSIEMRoute("fabrikam", SIEMRouteAbsent); err != nil {
		t.Fatal(err)
	}
	do(t, s, http.MethodGet, agents, legacy(info.APIToken), nil).expectStatus(t, http.StatusNotFound)
	do(t, s, http.MethodPost, agents, legacy(info.APIToken), body).expectStatus(t, http.StatusNotFound)
	do(t, s, http.MethodDelete, generic, legacy(info.APIToken), nil).expectStatus(t, http.StatusNotFound)
	if len(s.Agents("fabrikam")) != 1 {
		t.Errorf("the switches changed the tenant's agents: %+v", s.Agents("fabrikam"))
	}
	// The streams stay answered whatever the agent route does.
	do(t, s, http.MethodGet, info.PortalURL+"/api/discovery/streams/", legacy(info.APIToken), nil).expectStatus(t, http.StatusOK)

	do(t, s, http.MethodPatch, "/admin/tenants/fabrikam", "", map[string]any{"siem_route": "modeled"}).expectStatus(t, http.StatusOK)
	do(t, s, http.MethodPost, agents, legacy(info.APIToken), body).expectStatus(t, http.StatusCreated)
	do(t, s, http.MethodPatch, "/admin/tenants/fabrikam", "", map[string]any{"siem_route": "gone"}).expectStatus(t, http.StatusBadRequest)
	if err := s.SetSIEMRoute("fabrikam", "gone"); err == nil {
		t.Error("SetSIEMRoute accepted an unknown route")
	}
}

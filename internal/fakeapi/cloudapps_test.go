package fakeapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// legacy returns a legacy token Authorization header value.
func legacy(token string) string { return "Token " + token }

// sentinelAgent returns a SIEM agent request body.
func sentinelAgent(agentType string, alerts bool, streams ...string) map[string]any {
	return map[string]any{
		"agentType":   agentType,
		"displayName": "Microsoft Sentinel",
		"dataTypes": map[string]any{
			"alerts":        alerts,
			"discoveryLogs": map[string]any{"enabled": true, "streams": append([]string{}, streams...)},
		},
	}
}

var hex24 = regexp.MustCompile(`^[0-9a-f]{24}$`)

func TestCloudAppsAuthentication(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	contoso := mustTenant(t, s, "contoso")
	fabrikam := mustTenant(t, s, "fabrikam")
	streams := contoso.PortalURL + "/api/discovery/streams/"
	tests := []struct {
		name, url, authorization string
		status                   int
		detailPart               string
	}{
		{"legacy token", streams, legacy(contoso.APIToken), 200, ""},
		{"bearer token", streams, bearer(accessToken(t, s, "contoso", CloudAppsAudience)), 200, ""},
		{"no header", streams, "", 401, "not provided"},
		{"another tenant's legacy token", streams, legacy(fabrikam.APIToken), 401, "another tenant"},
		{"malformed legacy token", streams, legacy("short!"), 401, "64 to 192"},
		{"unknown legacy token", streams, legacy(strings.Repeat("A", 64)), 401, "unknown"},
		{"bearer for Resource Manager", streams, bearer(accessToken(t, s, "contoso", ResourceManagerAudience)), 401, "audience"},
		{"bearer of another tenant", streams, bearer(accessToken(t, s, "fabrikam", CloudAppsAudience)), 401, "issued for tenant"},
		{"garbage bearer", streams, bearer("x.y.z"), 401, "invalid"},
		{"other scheme", streams, "Basic dXNlcjpwYXNz", 401, "scheme"},
		{"unknown tenant", s.PortalURL("nobody") + "/api/discovery/streams/", legacy(contoso.APIToken), 404, "nobody"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := do(t, s, http.MethodGet, tc.url, tc.authorization, nil).expectStatus(t, tc.status)
			if tc.detailPart != "" && !strings.Contains(res.detail(t), tc.detailPart) {
				t.Errorf("detail = %q, want it to mention %q", res.detail(t), tc.detailPart)
			}
		})
	}
}

func TestStreamsEnvelopes(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	info := mustTenant(t, s, "contoso")
	url := info.PortalURL + "/api/discovery/streams/"
	auth := legacy(info.APIToken)
	list := func(t *testing.T, envelope string) []any {
		t.Helper()
		if err := s.SetStreamsEnvelope("contoso", envelope); err != nil {
			t.Fatal(err)
		}
		res := do(t, s, http.MethodGet, url, auth, nil).expectStatus(t, http.StatusOK)
		var decoded any
		if err := json.Unmarshal(res.body, &decoded); err != nil {
			t.Fatal(err)
		}
		switch envelope {
		case EnvelopeArray:
			arr, ok := decoded.([]any)
			if !ok {
				t.Fatalf("array envelope: %s", res.body)
			}
			return arr
		case EnvelopeData:
			obj := decoded.(map[string]any)
			if obj["total"] != float64(5) || obj["hasNext"] != false {
				t.Errorf("data envelope = %s", res.body)
			}
			return obj["data"].([]any)
		default:
			obj := decoded.(map[string]any)
			if len(obj) != 1 {
				t.Errorf("streams envelope has other keys: %s", res.body)
			}
			return obj["streams"].([]any)
		}
	}
	for _, envelope := range []string{EnvelopeStreams, EnvelopeArray, EnvelopeData} {
		t.Run(envelope, func(t *testing.T) {
			streams := list(t, envelope)
			if len(streams) != 5 {
				t.Fatalf("%d streams, want the 5 of contoso", len(streams))
			}
			global := streams[0].(map[string]any)
			if global["displayName"] != "Global View" || global["streamType"] != float64(3) || global["globalAggregated"] != true ||
				global["lastDataReceived"] != nil || !hex24.MatchString(global["_id"].(string)) {
				t.Errorf("Global View = %v", global)
			}
			input := streams[1].(map[string]any)
			if input["displayName"] != "Palo Alto - HQ firewall" || input["streamType"] != float64(1) || input["logType"] != float64(112) ||
				input["receiverType"] != "syslog" || input["lastDataReceived"] == nil || input["created"] == nil || input["lastModified"] == nil {
				t.Errorf("input stream = %v", input)
			}
		})
	}
	if err := s.SetStreamsEnvelope("contoso", "xml"); err == nil {
		t.Error("an unknown envelope was accepted")
	}
	do(t, s, http.MethodPost, url, auth, "{}").expectStatus(t, http.StatusMethodNotAllowed)
}

// TestStreamsPaging gives 250 streams in pages of at most 100 in the data envelope, with skip and
// limit, and whole in the envelopes without paging fields.
func TestStreamsPaging(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{CloudAppsRateLimit: -1})
	info := mustTenant(t, s, "contoso")
	for i := len(s.Streams("contoso")); i < 250; i++ {
		if err := s.PutStream("contoso", Stream{DisplayName: fmt.Sprintf("stream %03d", i), StreamType: StreamTypeView}); err != nil {
			t.Fatal(err)
		}
	}
	auth := legacy(info.APIToken)
	page := func(query string) map[string]any {
		t.Helper()
		res := do(t, s, http.MethodGet, info.PortalURL+"/api/discovery/streams/"+query, auth, nil).expectStatus(t, http.StatusOK)
		var obj map[string]any
		if err := json.Unmarshal(res.body, &obj); err != nil {
			t.Fatalf("%s: %v", res.body, err)
		}
		return obj
	}
	if err := s.SetStreamsEnvelope("contoso", EnvelopeData); err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, tc := range []struct {
		query   string
		n       int
		hasNext bool
	}{
		{"", 100, true},
		{"?skip=100&limit=100", 100, true},
		{"?skip=200&limit=500", 50, false},
		{"?skip=240&limit=5", 5, true},
		{"?skip=300", 0, false},
	} {
		obj := page(tc.query)
		data, _ := obj["data"].([]any)
		if len(data) != tc.n || obj["hasNext"] != tc.hasNext || obj["total"] != float64(250) {
			t.Errorf("%q: %d streams, hasNext %v, total %v; want %d, %v, 250", tc.query, len(data), obj["hasNext"], obj["total"], tc.n, tc.hasNext)
		}
		for _, st := range data {
			ids[st.(map[string]any)["_id"].(string)] = true
		}
	}
	if len(ids) != 250 {
		t.Errorf("the pages held %d distinct streams, want 250", len(ids))
	}
	do(t, s, http.MethodGet, info.PortalURL+"/api/discovery/streams/?skip=-1", auth, nil).expectStatus(t, http.StatusBadRequest)
	if err := s.SetStreamsEnvelope("contoso", EnvelopeStreams); err != nil {
		t.Fatal(err)
	}
	if streams, _ := page("?skip=100&limit=100")["streams"].([]any); len(streams) != 250 {
		t.Errorf("the streams envelope held %d streams, want all 250: it has no paging fields", len(streams))
	}
}

func TestSIEMAgentRules(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{CloudAppsRateLimit: -1})
	info := mustTenant(t, s, "contoso")
	auth := legacy(info.APIToken)
	agents := info.PortalURL + "/api/v1/agents/siem/"
	palo := "2b71970898808dd3b257b647"

	res := do(t, s, http.MethodPost, agents, auth, sentinelAgent("sentinel", true, palo)).expectStatus(t, http.StatusCreated)
	created := res.object(t)
	id, _ := created["_id"].(string)
	dataTypes, _ := created["dataTypes"].(map[string]any)
	discovery, _ := dataTypes["discoveryLogs"].(map[string]any)
	createdMS, _ := created["created"].(float64)
	if !hex24.MatchString(id) || created["agentType"] != "sentinel" || dataTypes["alerts"] != true || discovery["enabled"] != true ||
		fmt.Sprint(discovery["streams"]) != "["+palo+"]" || createdMS < float64(time.Now().Add(-time.Minute).UnixMilli()) {
		t.Errorf("created = %s", res.body)
	}

	rules := []struct {
		name, method, url string
		body              any
		status            int
		detailPart        string
	}{
		{"second sentinel agent", http.MethodPost, agents, sentinelAgent("sentinel", true), 409, "already exists"},
		{"unknown stream", http.MethodPost, agents, sentinelAgent("generic", true, "ffffffffffffffffffffffff"), 400, "ffffffffffffffffffffffff"},
		{"bad agent type", http.MethodPost, agents, sentinelAgent("splunk", true), 400, "agentType"},
		{"no agent type", http.MethodPost, agents, map[string]any{"displayName": "x"}, 400, "agentType"},
		{"broken JSON", http.MethodPost, agents, "{", 400, "JSON"},
		{"get", http.MethodGet, agents + id + "/", nil, 200, ""},
		{"malformed id", http.MethodGet, agents + "not-an-id/", nil, 404, ""},
		{"unknown id", http.MethodGet, agents + "aaaaaaaaaaaaaaaaaaaaaaaa/", nil, 404, ""},
		{"put alerts off", http.MethodPut, agents + id + "/", sentinelAgent("sentinel", false), 400, "alerts"},
		{"put unknown stream", http.MethodPut, agents + id + "/", sentinelAgent("sentinel", true, "0123456789abcdef01234567"), 400, "0123456789abcdef01234567"},
		{"put type change", http.MethodPut, agents + id + "/", sentinelAgent("generic", true), 400, "cannot be changed"},
		{"put unknown id", http.MethodPut, agents + "aaaaaaaaaaaaaaaaaaaaaaaa/", sentinelAgent("sentinel", true), 404, ""},
		{"patch", http.MethodPatch, agents + id + "/", sentinelAgent("sentinel", true), 405, ""},
	}
	for _, tc := range rules {
		t.Run(tc.name, func(t *testing.T) {
			res := do(t, s, tc.method, tc.url, auth, tc.body).expectStatus(t, tc.status)
			if tc.detailPart != "" && !strings.Contains(res.detail(t), tc.detailPart) {
				t.Errorf("detail = %q, want it to mention %q", res.detail(t), tc.detailPart)
			}
		})
	}
	if got := s.Agents("contoso"); len(got) != 1 || got[0].ID != id || !got[0].Alerts || len(got[0].Streams) != 1 {
		t.Fatalf("after refused calls the agents are %+v; want only the first, unchanged", got)
	}

	put := sentinelAgent("sentinel", true)
	put["displayName"] = "Sentinel (all streams)"
	put["dataTypes"].(map[string]any)["discoveryLogs"] = map[string]any{"enabled": false, "streams": []string{}}
	updated := do(t, s, http.MethodPut, agents+id+"/", auth, put).expectStatus(t, http.StatusOK).object(t)
	udt := updated["dataTypes"].(map[string]any)
	if updated["displayName"] != "Sentinel (all streams)" || udt["discoveryLogs"].(map[string]any)["enabled"] != false ||
		updated["lastModified"].(float64) <= updated["created"].(float64) || updated["created"] != created["created"] {
		t.Errorf("updated = %v", updated)
	}

	do(t, s, http.MethodDelete, agents+id+"/", auth, nil).expectStatus(t, http.StatusNoContent)
	do(t, s, http.MethodGet, agents+id+"/", auth, nil).expectStatus(t, http.StatusNotFound)
	do(t, s, http.MethodDelete, agents+id+"/", auth, nil).expectStatus(t, http.StatusNotFound)
	// With the Sentinel agent gone, a new one may be created, with alerts and without discovery logs.
	do(t, s, http.MethodPost, agents, auth, map[string]any{"agentType": "sentinel", "dataTypes": map[string]any{"alerts": true}}).expectStatus(t, http.StatusCreated)
}

func TestSIEMAgentLimitAndListing(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{CloudAppsRateLimit: -1})
	info := mustTenant(t, s, "fabrikam")
	auth := bearer(accessToken(t, s, "fabrikam", CloudAppsAudience))
	agents := info.PortalURL + "/api/v1/agents/siem/"

	first := do(t, s, http.MethodGet, agents, auth, nil).expectStatus(t, http.StatusOK).object(t)
	if first["total"] != float64(1) || first["hasNext"] != false || first["data"].([]any)[0].(map[string]any)["agentType"] != "generic" {
		t.Errorf("fabrikam's agents = %v; want its one generic agent", first)
	}
	for i := 0; i < 4; i++ {
		do(t, s, http.MethodPost, agents, auth, sentinelAgent("generic", i%2 == 0)).expectStatus(t, http.StatusCreated)
	}
	res := do(t, s, http.MethodPost, agents, auth, sentinelAgent("sentinel", true)).expectStatus(t, http.StatusBadRequest)
	if !strings.Contains(res.detail(t), "at most 5") {
		t.Errorf("sixth agent: %s", res.body)
	}

	tests := []struct {
		query         string
		status        int
		count         int
		hasNext       bool
		wantFirstFrom int
	}{
		{"?skip=0&limit=2", 200, 2, true, 0},
		{"?skip=2&limit=2", 200, 2, true, 2},
		{"?skip=4&limit=2", 200, 1, false, 4},
		{"?skip=9", 200, 0, false, -1},
		{"?limit=500", 200, 5, false, 0},
		{"", 200, 5, false, 0},
		{"?limit=abc", 400, 0, false, -1},
		{"?skip=-1", 400, 0, false, -1},
	}
	all := s.Agents("fabrikam")
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			res := do(t, s, http.MethodGet, agents+tc.query, auth, nil).expectStatus(t, tc.status)
			if tc.status != http.StatusOK {
				return
			}
			body := res.object(t)
			data := body["data"].([]any)
			if body["total"] != float64(5) || len(data) != tc.count || body["hasNext"] != tc.hasNext {
				t.Errorf("page = %s", res.body)
			}
			if tc.wantFirstFrom >= 0 && data[0].(map[string]any)["_id"] != all[tc.wantFirstFrom].ID {
				t.Errorf("first item %v, want %s (sorted by id)", data[0], all[tc.wantFirstFrom].ID)
			}
		})
	}
}

func TestCloudAppsTenantIsolation(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	contoso := mustTenant(t, s, "contoso")
	fabrikam := mustTenant(t, s, "fabrikam")
	res := do(t, s, http.MethodPost, contoso.PortalURL+"/api/v1/agents/siem/", legacy(contoso.APIToken), sentinelAgent("sentinel", true)).expectStatus(t, http.StatusCreated)
	id := res.object(t)["_id"].(string)

	do(t, s, http.MethodGet, fabrikam.PortalURL+"/api/v1/agents/siem/"+id+"/", legacy(fabrikam.APIToken), nil).expectStatus(t, http.StatusNotFound)
	do(t, s, http.MethodDelete, fabrikam.PortalURL+"/api/v1/agents/siem/"+id+"/", legacy(fabrikam.APIToken), nil).expectStatus(t, http.StatusNotFound)
	// fabrikam may have its own Sentinel agent.
	do(t, s, http.MethodPost, fabrikam.PortalURL+"/api/v1/agents/siem/", legacy(fabrikam.APIToken), sentinelAgent("sentinel", true)).expectStatus(t, http.StatusCreated)
	// A stream of another tenant is unknown here.
	res = do(t, s, http.MethodPost, fabrikam.PortalURL+"/api/v1/agents/siem/", legacy(fabrikam.APIToken), sentinelAgent("generic", true, "2b71970898808dd3b257b647")).expectStatus(t, http.StatusBadRequest)
	if !strings.Contains(res.detail(t), "2b71970898808dd3b257b647") {
		t.Errorf("detail = %q", res.detail(t))
	}
	if len(s.Agents("contoso")) != 1 || len(s.Agents("fabrikam")) != 2 || len(s.Agents("northwind")) != 0 {
		t.Errorf("agents: contoso %v, fabrikam %v, northwind %v", s.Agents("contoso"), s.Agents("fabrikam"), s.Agents("northwind"))
	}
}

func TestCloudAppsLicenseAndRole(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{CloudAppsRateLimit: -1})
	info := mustTenant(t, s, "northwind")
	auth := legacy(info.APIToken)
	agents := info.PortalURL + "/api/v1/agents/siem/"
	id := do(t, s, http.MethodPost, agents, auth, sentinelAgent("sentinel", true)).expectStatus(t, http.StatusCreated).object(t)["_id"].(string)

	if err := s.SetRolePresent("northwind", false); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ method, url string }{{http.MethodPost, agents}, {http.MethodPut, agents + id + "/"}, {http.MethodDelete, agents + id + "/"}} {
		res := do(t, s, c.method, c.url, auth, sentinelAgent("sentinel", true)).expectStatus(t, http.StatusForbidden)
		if !strings.Contains(res.detail(t), "Security Administrator") {
			t.Errorf("%s without role: %s", c.method, res.body)
		}
	}
	do(t, s, http.MethodGet, agents, auth, nil).expectStatus(t, http.StatusOK)
	do(t, s, http.MethodGet, agents+id+"/", auth, nil).expectStatus(t, http.StatusOK)
	if err := s.SetRolePresent("northwind", true); err != nil {
		t.Fatal(err)
	}

	if err := s.SetLicenseValid("northwind", false); err != nil {
		t.Fatal(err)
	}
	for _, url := range []string{info.PortalURL + "/api/discovery/streams/", agents, agents + id + "/"} {
		res := do(t, s, http.MethodGet, url, auth, nil).expectStatus(t, http.StatusForbidden)
		if !strings.Contains(res.detail(t), "license") {
			t.Errorf("GET %s without license: %s", url, res.body)
		}
	}
	do(t, s, http.MethodGet, mustTenant(t, s, "contoso").PortalURL+"/api/discovery/streams/", legacy(mustTenant(t, s, "contoso").APIToken), nil).expectStatus(t, http.StatusOK)
}

func TestCloudAppsThrottle(t *testing.T) {
	t.Parallel()
	const window = 400 * time.Millisecond
	s := startServer(t, Options{CloudAppsRateLimit: 3, CloudAppsRateWindow: window})
	contoso := mustTenant(t, s, "contoso")
	fabrikam := mustTenant(t, s, "fabrikam")
	streams := contoso.PortalURL + "/api/discovery/streams/"
	auth := legacy(contoso.APIToken)

	start := time.Now()
	for i := 0; i < 3; i++ {
		do(t, s, http.MethodGet, streams, auth, nil).expectStatus(t, http.StatusOK)
	}
	res := do(t, s, http.MethodPost, contoso.PortalURL+"/api/v1/agents/siem/", auth, sentinelAgent("sentinel", true))
	if time.Since(start) >= window {
		t.Skip("the machine is too slow for a 400ms window")
	}
	res.expectStatus(t, http.StatusTooManyRequests)
	if res.header.Get("Retry-After") != "" {
		t.Errorf("a throttled answer has Retry-After %q; the service sends none", res.header.Get("Retry-After"))
	}
	if !strings.Contains(res.detail(t), "throttled") {
		t.Errorf("detail = %q", res.detail(t))
	}
	if len(s.Agents("contoso")) != 0 {
		t.Error("a throttled request was processed")
	}
	// Another tenant has its own budget.
	do(t, s, http.MethodGet, fabrikam.PortalURL+"/api/discovery/streams/", legacy(fabrikam.APIToken), nil).expectStatus(t, http.StatusOK)

	time.Sleep(window)
	do(t, s, http.MethodGet, streams, auth, nil).expectStatus(t, http.StatusOK)

	s.SetCloudAppsRateLimit(0, 0)
	for i := 0; i < 10; i++ {
		do(t, s, http.MethodGet, streams, auth, nil).expectStatus(t, http.StatusOK)
	}
	// The request after the sleep is still inside a one-minute window; unthrottled requests are not counted.
	s.SetCloudAppsRateLimit(2, time.Minute)
	do(t, s, http.MethodGet, streams, auth, nil).expectStatus(t, http.StatusOK)
	do(t, s, http.MethodGet, streams, auth, nil).expectStatus(t, http.StatusTooManyRequests)
}

func TestDefaultThrottleIs30PerMinute(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	info := mustTenant(t, s, "contoso")
	if limit, window := s.CloudAppsRateLimit(); limit != 30 || window != time.Minute {
		t.Errorf("default throttle = %d per %s, want 30 per 1m", limit, window)
	}
	for i := 0; i < 30; i++ {
		do(t, s, http.MethodGet, info.PortalURL+"/api/discovery/streams/", legacy(info.APIToken), nil).expectStatus(t, http.StatusOK)
	}
	do(t, s, http.MethodGet, info.PortalURL+"/api/discovery/streams/", legacy(info.APIToken), nil).expectStatus(t, http.StatusTooManyRequests)
}

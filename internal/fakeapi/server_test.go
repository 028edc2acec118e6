package fakeapi

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

func TestStartServesHTTPSWithItsOwnCA(t *testing.T) {
	t.Parallel()
	s, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^https://127\.0\.0\.1:\d+$`).MatchString(s.URL()) {
		t.Errorf("URL = %q", s.URL())
	}
	if s.AuthorityHost() != s.URL()+"/" || s.ResourceManagerEndpoint() != s.URL() || s.PortalURL("contoso") != s.URL()+"/mcas/contoso" {
		t.Errorf("endpoints: %s %s %s", s.AuthorityHost(), s.ResourceManagerEndpoint(), s.PortalURL("contoso"))
	}
	pemData, err := os.ReadFile(s.CAFile())
	if err != nil || !strings.Contains(string(pemData), "BEGIN CERTIFICATE") {
		t.Fatalf("CA file %s: %v", s.CAFile(), err)
	}
	// The leaf certificate names 127.0.0.1 and localhost, and only the server's CA trusts it.
	port := s.URL()[strings.LastIndex(s.URL(), ":")+1:]
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: s.CertPool(), MinVersion: tls.VersionTLS12}}}
	for _, host := range []string{"127.0.0.1", "localhost"} {
		res, err := client.Get("https://" + net.JoinHostPort(host, port) + "/admin/state")
		if err != nil {
			t.Fatalf("GET via %s: %v", host, err)
		}
		res.Body.Close()
	}
	if _, err := http.Get(s.URL() + "/admin/state"); err == nil {
		t.Error("the system roots trust the fake's certificate")
	}

	s.Close()
	s.Close()
	if _, err := os.Stat(filepath.Dir(s.CAFile())); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Close left the temporary CA directory: %v", err)
	}
	if _, err := client.Get(s.URL() + "/admin/state"); err == nil {
		t.Error("the server still answers after Close")
	}
}

func TestStartOptions(t *testing.T) {
	t.Parallel()
	caFile := filepath.Join(t.TempDir(), "fake-ca.pem")
	s := startServer(t, Options{CAFile: caFile, Addr: "localhost:0"})
	if s.CAFile() != caFile {
		t.Errorf("CAFile = %q, want %q", s.CAFile(), caFile)
	}
	s.Close()
	if _, err := os.Stat(caFile); err != nil {
		t.Errorf("Close removed the CA file the caller chose: %v", err)
	}

	for _, opts := range []Options{
		{TokenLifetime: -time.Second},
		{CloudAppsRateWindow: -time.Second},
		{ConnectorPageSize: -1},
		{FederatedErrors: "verbose"},
		{Addr: "256.0.0.1:0"},
		{CAFile: filepath.Join(t.TempDir(), "missing", "dir", "ca.pem")},
		{World: &World{Tenants: []TenantSpec{{Name: "Not Valid"}}}},
		{World: &World{Tenants: []TenantSpec{{Name: "a"}, {Name: "a"}}}},
	} {
		if s, err := Start(opts); err == nil {
			s.Close()
			t.Errorf("Start(%+v) succeeded", opts)
		}
	}
}

func TestDefaultWorld(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	if names := s.TenantNames(); strings.Join(names, ",") != "contoso,fabrikam,northwind" {
		t.Fatalf("TenantNames = %v", names)
	}
	if _, ok := s.Tenant("nobody"); ok {
		t.Error("Tenant(nobody) is known")
	}
	other := startServer(t, Options{})
	for _, name := range s.TenantNames() {
		info := mustTenant(t, s, name)
		again := mustTenant(t, other, name)
		// Fixed identifiers are the same on every server.
		if info.TenantID != again.TenantID || info.ClientID != again.ClientID || info.WorkspaceID != again.WorkspaceID ||
			info.APIToken != again.APIToken || info.ClientSecret != again.ClientSecret || info.WorkspaceCustomerID != again.WorkspaceCustomerID {
			t.Errorf("tenant %s differs between servers", name)
		}
		if info.Domain != name+".onmicrosoft.com" || info.ResourceGroup != "rg-security" || info.FederatedSubject != DefaultFederatedSubject ||
			len(info.APIToken) != 64 || !strings.HasSuffix(info.WorkspaceID, "/resourceGroups/rg-security/providers/Microsoft.OperationalInsights/workspaces/law-sentinel-"+name) ||
			!strings.HasSuffix(info.NoSentinelWorkspaceID, "/workspaces/law-no-sentinel-"+name) || info.PortalURL != s.PortalURL(name) {
			t.Errorf("tenant %s = %+v", name, info)
		}
		connectors := s.DataConnectors(info.WorkspaceID)
		if len(connectors) < 2 || len(connectors) > 3 {
			t.Errorf("tenant %s has %d connectors, want 2 or 3", name, len(connectors))
		}
		for _, raw := range connectors {
			var c struct{ Kind string }
			if err := json.Unmarshal(raw, &c); err != nil || c.Kind == KindMicrosoftCloudAppSecurity {
				t.Errorf("tenant %s connector %s", name, raw)
			}
		}
		streams := s.Streams(name)
		if len(streams) < 3 || len(streams) > 5 || streams[0].DisplayName != "Global View" || !streams[0].GlobalAggregated || streams[0].StreamType != StreamTypeView {
			t.Errorf("tenant %s streams = %+v", name, streams)
		}
		wantAgents := 0
		if name == "fabrikam" {
			wantAgents = 1
		}
		if agents := s.Agents(name); len(agents) != wantAgents || (wantAgents == 1 && agents[0].AgentType != AgentTypeGeneric) {
			t.Errorf("tenant %s agents = %+v", name, agents)
		}
	}
	// DefaultWorld returns a fresh value each time.
	w := DefaultWorld()
	w.Tenants[0].Name = "changed"
	if DefaultWorld().Tenants[0].Name != "contoso" {
		t.Error("DefaultWorld shares state between calls")
	}
}

func TestEnv(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	info := mustTenant(t, s, "contoso")
	want := [][2]string{
		{"ARM_ENVIRONMENT", "custom"},
		{"ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST", s.URL() + "/"},
		{"ARM_RESOURCE_MANAGER_ENDPOINT", s.URL()},
		{"ARM_RESOURCE_MANAGER_AUDIENCE", "https://management.core.windows.net/"},
		{"ARM_LOG_ANALYTICS_ENDPOINT", s.URL() + "/loganalytics"},
		{"ARM_LOG_ANALYTICS_AUDIENCE", "https://api.loganalytics.io"},
		{"ARM_TENANT_ID", info.TenantID},
		{"ARM_CLIENT_ID", info.ClientID},
		{"ARM_CLIENT_SECRET", info.ClientSecret},
		{"ARM_USE_CLI", "false"},
		{"MCAS_PORTAL_URL", s.URL() + "/mcas/contoso"},
		{"SSL_CERT_FILE", s.CAFile()},
	}
	got := s.Env("contoso")
	if len(got) != len(want) {
		t.Fatalf("Env = %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("Env[%d] = %v, want %v", i, got[i], want[i])
		}
	}
	if s.Env("nobody") != nil {
		t.Error("Env of an unknown tenant is not nil")
	}
}

func TestCustomWorldAndAddTenant(t *testing.T) {
	t.Parallel()
	world := &World{Tenants: []TenantSpec{{
		Name:       "tailspin",
		TenantID:   "0b0b0b0b-1111-2222-3333-444444444444",
		Workspaces: []WorkspaceSpec{{Name: "law-a", ResourceGroup: "rg-a", SentinelEnabled: true}},
		Apps: []AppSpec{{
			ClientID:             "0c0c0c0c-1111-2222-3333-444444444444",
			FederatedCredentials: []FederatedCredential{{Subject: "system:serviceaccount:infra:terraform"}},
		}},
		APITokens:       []string{strings.Repeat("Ab1=", 20)},
		Streams:         []Stream{},
		StreamsEnvelope: EnvelopeData,
		RoleMissing:     true,
	}}}
	s := startServer(t, Options{World: world})
	info := mustTenant(t, s, "tailspin")
	if info.ClientSecret != "" || info.ClientCertificatePEM != nil || info.NoSentinelWorkspaceID != "" ||
		!strings.Contains(info.WorkspaceID, "/resourceGroups/rg-a/") || info.FederatedSubject != "system:serviceaccount:infra:terraform" {
		t.Errorf("tailspin = %+v", info)
	}
	if len(s.Streams("tailspin")) != 0 {
		t.Error("an empty stream list got defaults")
	}
	token, err := s.MintFederatedToken("tailspin", 0)
	if err != nil {
		t.Fatal(err)
	}
	if sub := unverifiedClaims(t, token)["sub"]; sub != "system:serviceaccount:infra:terraform" {
		t.Errorf("sub = %v", sub)
	}
	body := do(t, s, http.MethodGet, info.PortalURL+"/api/discovery/streams/", legacy(info.APIToken), nil).expectStatus(t, http.StatusOK).object(t)
	if body["total"] != float64(0) {
		t.Errorf("streams = %v", body)
	}
	do(t, s, http.MethodPost, info.PortalURL+"/api/v1/agents/siem/", legacy(info.APIToken), sentinelAgent("sentinel", true)).expectStatus(t, http.StatusForbidden)

	added, err := s.AddTenant(TenantSpec{Name: "wingtip"})
	if err != nil {
		t.Fatal(err)
	}
	if added.ClientCertificatePEM == nil || added.WorkspaceID == "" {
		t.Errorf("wingtip = %+v", added)
	}
	if _, err := s.AddTenant(TenantSpec{Name: "other", SubscriptionID: added.SubscriptionID}); err == nil {
		t.Error("a second owner of a subscription was accepted")
	}
	if _, err := s.AddTenant(TenantSpec{Name: "other", Apps: []AppSpec{{ClientID: info.ClientID}}}); err == nil {
		t.Error("a client id of another tenant was accepted")
	}
	if _, err := s.AddTenant(TenantSpec{Name: "other", Apps: []AppSpec{{CertificatesPEM: []string{"garbage"}}}}); err == nil {
		t.Error("a malformed certificate was accepted")
	}
	if _, err := s.AddTenant(TenantSpec{Name: "other", Workspaces: []WorkspaceSpec{{Name: "law", DataConnectors: []json.RawMessage{json.RawMessage(`{"kind":"Office365"}`)}}}}); err == nil {
		t.Error("a seeded connector without a name was accepted")
	}
}

func TestRegisteredCertificate(t *testing.T) {
	t.Parallel()
	cert, err := generateClientCertificate("pipeline")
	if err != nil {
		t.Fatal(err)
	}
	full, err := cert.pem()
	if err != nil {
		t.Fatal(err)
	}
	public := full[strings.Index(string(full), "-----BEGIN CERTIFICATE-----"):]
	s := startServer(t, Options{World: &World{Tenants: []TenantSpec{{Name: "adatum", Apps: []AppSpec{{CertificatesPEM: []string{string(public)}}}}}}})
	info := mustTenant(t, s, "adatum")
	certs, key, err := azidentity.ParseCertificates(full, nil)
	if err != nil {
		t.Fatal(err)
	}
	cred, err := azidentity.NewClientCertificateCredential(info.TenantID, info.ClientID, certs, key,
		&azidentity.ClientCertificateCredentialOptions{ClientOptions: clientOptions(s), DisableInstanceDiscovery: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := getToken(cred, CloudAppsAudience+"/.default"); err != nil {
		t.Errorf("a registered public certificate does not authenticate: %v", err)
	}
}

func TestOutOfBandEdits(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{})
	info := mustTenant(t, s, "contoso")
	last := "2025-01-01T00:00:00.000Z"
	if err := s.PutStream("contoso", Stream{ID: "AAAAAAAAAAAAAAAAAAAAAAAA", DisplayName: "New", StreamType: StreamTypeInput, LastDataReceived: &last}); err != nil {
		t.Fatal(err)
	}
	last = "changed"
	streams := s.Streams("contoso")
	got := streams[len(streams)-1]
	if got.ID != "aaaaaaaaaaaaaaaaaaaaaaaa" || *got.LastDataReceived != "2025-01-01T00:00:00.000Z" || got.Created == "" {
		t.Errorf("stored stream = %+v", got)
	}
	if err := s.PutStream("contoso", Stream{ID: "aaaaaaaaaaaaaaaaaaaaaaaa", DisplayName: "Renamed"}); err != nil {
		t.Fatal(err)
	}
	if n := len(s.Streams("contoso")); n != len(streams) {
		t.Errorf("replacing a stream changed the count to %d", n)
	}
	if err := s.PutStream("contoso", Stream{}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteStream("contoso", "aaaaaaaaaaaaaaaaaaaaaaaa"); err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		s.PutStream("nobody", Stream{}),
		s.PutStream("contoso", Stream{ID: "xyz"}),
		s.DeleteStream("contoso", "aaaaaaaaaaaaaaaaaaaaaaaa"),
		s.PutAgent("contoso", Agent{AgentType: "other"}),
		s.PutAgent("nobody", Agent{AgentType: AgentTypeGeneric}),
		s.DeleteAgent("contoso", "aaaaaaaaaaaaaaaaaaaaaaaa"),
		s.PutDataConnector(info.WorkspaceID, json.RawMessage(`{}`)),
		s.PutDataConnector(info.WorkspaceID+"/providers/Microsoft.SecurityInsights/dataConnectors/x", json.RawMessage(`[]`)),
		s.DeleteDataConnector(info.WorkspaceID + "/providers/Microsoft.SecurityInsights/dataConnectors/missing"),
		s.SetStreamsEnvelope("contoso", "yaml"),
		s.SetRolePresent("nobody", true),
	} {
		if err == nil {
			t.Error("an invalid out-of-band edit succeeded")
		}
	}
	if !errors.Is(s.DeleteAgent("contoso", "aaaaaaaaaaaaaaaaaaaaaaaa"), ErrNotFound) || errors.Is(s.PutStream("contoso", Stream{ID: "xyz"}), ErrNotFound) {
		t.Error("ErrNotFound marks the wrong errors")
	}

	if err := s.PutAgent("contoso", Agent{AgentType: AgentTypeSentinel, Alerts: false, Streams: []string{"ffffffffffffffffffffffff"}}); err != nil {
		t.Fatal(err)
	}
	agents := s.Agents("contoso")
	if len(agents) != 1 || agents[0].ID == "" || agents[0].Created == 0 {
		t.Fatalf("agents = %+v", agents)
	}
	agents[0].Streams[0] = "mutated"
	if s.Agents("contoso")[0].Streams[0] != "ffffffffffffffffffffffff" {
		t.Error("Agents returns shared slices")
	}
	if err := s.DeleteAgent("contoso", strings.ToUpper(agents[0].ID)); err != nil {
		t.Fatal(err)
	}

	if s.DataConnectors(info.WorkspaceID+"x") != nil {
		t.Error("DataConnectors of an unknown workspace is not nil")
	}
	if _, ok := s.DataConnector("not an id"); ok {
		t.Error("DataConnector of a malformed id was found")
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	s := startServer(t, Options{CloudAppsRateLimit: -1, Logf: func(string, ...any) {}})
	info := mustTenant(t, s, "contoso")
	auth := bearer(accessToken(t, s, "contoso", ResourceManagerAudience))
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 5; j++ {
				name := strings.Repeat(string(rune('a'+i)), j+1)
				req, _ := http.NewRequest(http.MethodGet, s.URL()+connectorURL(info.WorkspaceID, name, "2024-03-01"), nil)
				req.Header.Set("Authorization", auth)
				res, err := s.HTTPClient().Do(req)
				if err == nil {
					res.Body.Close()
				}
				_ = s.PutStream("contoso", Stream{DisplayName: name})
				_ = s.Streams("contoso")
			}
		}(i)
	}
	wg.Wait()
	if n := s.CountRequests(http.MethodGet, "/dataConnectors/"); n != 40 {
		t.Errorf("counted %d requests, want 40", n)
	}
}

func TestLogfNeverSeesSecrets(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var lines []string
	s := startServer(t, Options{Logf: func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, format)
		for _, a := range args {
			lines = append(lines, strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(fmt.Sprint(a), "\n", " "), "\t", " ")))
		}
	}})
	info := mustTenant(t, s, "contoso")
	tokenRequest(t, s, info.TenantID, map[string][]string{
		"grant_type": {"client_credentials"}, "client_id": {info.ClientID}, "client_secret": {info.ClientSecret},
		"scope": {CloudAppsAudience + "/.default"},
	}).expectStatus(t, http.StatusOK)
	do(t, s, http.MethodGet, info.PortalURL+"/api/discovery/streams/", legacy(info.APIToken), nil).expectStatus(t, http.StatusOK)
	s.Close()
	mu.Lock()
	defer mu.Unlock()
	all := strings.Join(lines, " ")
	if !strings.Contains(all, "/oauth2/v2.0/token") {
		t.Errorf("the log has no request lines: %s", all)
	}
	for _, secret := range []string{info.ClientSecret, info.APIToken} {
		if strings.Contains(all, secret) {
			t.Error("the request log contains a secret")
		}
	}
}

// Package fakeapi is a fake of the services the provider talks to: the Microsoft Entra token endpoint,
// Azure Resource Manager (Log Analytics workspaces, Microsoft Sentinel onboarding state and data
// connectors) and the Defender for Cloud Apps API, for any number of tenants at once. It is a real
// HTTPS server with its own certificate authority, enforces the rules the real services enforce, and
// offers out-of-band edits, fault injection and request counting for tests, as Go methods and as an
// HTTP admin interface under /admin/. Every Server is independent, so tests may run in parallel.
package fakeapi

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Audiences (resources) of the tokens the fake Entra endpoint issues.
const (
	// ResourceManagerAudience is the Azure Resource Manager resource; https://management.azure.com/ is
	// accepted as an alias, with or without the trailing slash.
	ResourceManagerAudience = "https://management.core.windows.net/"
	// CloudAppsAudience is the application id of Microsoft Defender for Cloud Apps.
	CloudAppsAudience = "05a65629-4c1b-48c1-a78b-804c4abdd4af"
	// LogAnalyticsAudience is the Log Analytics query API resource.
	LogAnalyticsAudience = "https://api.loganalytics.io"
)

// How the token endpoint refuses a federated token that matches no federated credential of the app
// (Options.FederatedErrors, SetFederatedErrors).
const (
	// FederatedErrorsGeneric answers AADSTS70021, which names the token's issuer, subject and audience
	// (the form quoted in Azure/azure-workload-identity#616).
	FederatedErrorsGeneric = "generic"
	// FederatedErrorsSpecific answers AADSTS700211 when no credential has the token's issuer and
	// AADSTS700213 when none has its subject, the forms quoted in Azure/azure-workload-identity#1200
	// and Azure/login#482; another audience still gets 70021 (our model). Which form a tenant answers
	// is not documented, so offering both behind a switch is our model.
	FederatedErrorsSpecific = "specific"
)

// validateFederatedErrors checks a FederatedErrors value.
func validateFederatedErrors(value string) error {
	if value != FederatedErrorsGeneric && value != FederatedErrorsSpecific {
		return fmt.Errorf("federated errors %q are unknown: expected %q or %q", value, FederatedErrorsGeneric, FederatedErrorsSpecific)
	}
	return nil
}

// Options configure Start. The zero value starts the default world on a random loopback port.
type Options struct {
	// Addr is the listen address; default "127.0.0.1:0" (a random port).
	Addr string
	// CAFile is where the CA certificate (PEM) is written; default <new temp dir>/ca.pem, removed by Close.
	CAFile string
	// World is the initial content; nil means DefaultWorld(). Start does not modify it.
	World *World
	// TokenLifetime is the lifetime of access tokens; default 1h.
	TokenLifetime time.Duration
	// FederatedTokenLifetime is the lifetime of the federated tokens that the GitHub-Actions-style and
	// Azure DevOps request endpoints hand out, and of MintFederatedToken's with a ttl of 0; default 10m.
	FederatedTokenLifetime time.Duration
	// CloudAppsRateLimit is the number of Cloud Apps requests allowed per window and tenant; default 30,
	// negative means unlimited.
	CloudAppsRateLimit int
	// CloudAppsRateWindow is the sliding throttle window; default 1 minute.
	CloudAppsRateWindow time.Duration
	// ConnectorPageSize is the number of data connectors per list page; default 4.
	ConnectorPageSize int
	// IngestionDelay is the time between the start of forwarding and the first rows in the
	// workspace's tables; default DefaultIngestionDelay (15 minutes), negative means none.
	IngestionDelay time.Duration
	// LogAnalyticsRateLimit is the number of Log Analytics queries allowed per user and 30 seconds;
	// default 200, negative means unlimited.
	LogAnalyticsRateLimit int
	// NextLinkExplicitPort makes the data connector list write its nextLinks with the scheme's default
	// port when the client's host named none (https://<host>:443/...), as some Resource Manager
	// providers do; SetNextLinkExplicitPort changes it later.
	NextLinkExplicitPort bool
	// FederatedErrors chooses how the token endpoint refuses a federated token that matches no
	// federated credential: FederatedErrorsGeneric (the default) or FederatedErrorsSpecific;
	// SetFederatedErrors changes it later.
	FederatedErrors string
	// Logf, when set, receives one line per request (e.g. t.Logf); it never receives secrets.
	Logf func(format string, args ...any)
}

// Server is a running fake API server. Its methods are safe for concurrent use.
type Server struct {
	url        string
	caFile     string
	tempDir    string
	tls        *serverTLS
	transport  *http.Transport
	httpServer *http.Server
	logf       func(format string, args ...any)

	tokenKey               *signingKey // signs Entra access tokens
	oidcKey                *signingKey // signs federated tokens of the server's own OIDC issuer
	githubRequestToken     string
	identityHeader         string // the App Service managed identity secret (IDENTITY_HEADER)
	devOpsAccessToken      string // the Azure DevOps pipeline's System.AccessToken
	devOpsJobPath          string // the plan and job part of the Azure DevOps OIDC request URI
	tokenLifetime          time.Duration
	federatedTokenLifetime time.Duration
	pageSize               int

	closeMu  sync.RWMutex
	closed   bool
	inFlight sync.WaitGroup

	mu         sync.Mutex // guards everything below
	tenants    []*tenant  // sorted by name
	index      *tenantIndex
	rateLimit  int
	rateWindow time.Duration
	faults     []*activeFault
	faultSeq   int
	requests   []Request

	clockOffset    time.Duration // how far AdvanceClock moved the fake's clock
	ingestionDelay time.Duration
	laRateLimit    int
	laRecent       map[string][]time.Time // Log Analytics queries per user inside the throttle window
	// explicitPortLinks is Options.NextLinkExplicitPort.
	explicitPortLinks bool
	// federatedErrors is Options.FederatedErrors.
	federatedErrors string
}

// Start starts a server and returns once it accepts connections.
func Start(opts Options) (*Server, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	switch {
	case opts.TokenLifetime < 0:
		return nil, fmt.Errorf("fakeapi: TokenLifetime %s is negative; use a positive duration or 0 for the default of 1h", opts.TokenLifetime)
	case opts.FederatedTokenLifetime < 0:
		return nil, fmt.Errorf("fakeapi: FederatedTokenLifetime %s is negative; use a positive duration or 0 for the default of 10m", opts.FederatedTokenLifetime)
	case opts.CloudAppsRateWindow < 0:
		return nil, fmt.Errorf("fakeapi: CloudAppsRateWindow %s is negative; use a positive duration or 0 for the default of 1m", opts.CloudAppsRateWindow)
	case opts.ConnectorPageSize < 0:
		return nil, fmt.Errorf("fakeapi: ConnectorPageSize %d is negative; use a positive size or 0 for the default of 4", opts.ConnectorPageSize)
	}
	s := &Server{
		logf:                   opts.Logf,
		githubRequestToken:     randomString(48, alphanumeric),
		identityHeader:         uuid.NewString(),
		devOpsAccessToken:      randomString(52, alphanumeric),
		devOpsJobPath:          "plans/" + uuid.NewString() + "/jobs/" + uuid.NewString(),
		tokenLifetime:          defaultDuration(opts.TokenLifetime, time.Hour),
		federatedTokenLifetime: defaultDuration(opts.FederatedTokenLifetime, defaultFederatedTokenTTL),
		pageSize:               opts.ConnectorPageSize,
		rateLimit:              opts.CloudAppsRateLimit,
		rateWindow:             defaultDuration(opts.CloudAppsRateWindow, time.Minute),
		ingestionDelay:         max(defaultDuration(opts.IngestionDelay, DefaultIngestionDelay), 0),
		laRateLimit:            opts.LogAnalyticsRateLimit,
		laRecent:               map[string][]time.Time{},
		explicitPortLinks:      opts.NextLinkExplicitPort,
		federatedErrors:        defaultString(opts.FederatedErrors, FederatedErrorsGeneric),
	}
	if err := validateFederatedErrors(s.federatedErrors); err != nil {
		return nil, fmt.Errorf("fakeapi: %w", err)
	}
	if s.laRateLimit == 0 {
		s.laRateLimit = defaultLogAnalyticsRateLimit
	}
	if s.pageSize == 0 {
		s.pageSize = 4
	}
	if s.rateLimit == 0 {
		s.rateLimit = 30
	}

	if err := s.generateKeys(); err != nil {
		return nil, err
	}

	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("fakeapi: listening on %s: %w; choose a free address with -addr or Options.Addr", opts.Addr, err)
	}
	addr, ok := ln.Addr().(*net.TCPAddr)
	if !ok {
		ln.Close()
		return nil, fmt.Errorf("fakeapi: %s is not a TCP address; give Options.Addr as host:port", opts.Addr)
	}
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	s.url = "https://" + net.JoinHostPort(host, fmt.Sprint(addr.Port))

	if err := s.writeCAFile(opts.CAFile); err != nil {
		_ = ln.Close()
		return nil, err
	}

	world := opts.World
	if world == nil {
		world = DefaultWorld()
	}
	s.index = newTenantIndex()
	if _, err := s.addTenants(world.Tenants); err != nil {
		_ = ln.Close()
		s.removeTempDir()
		return nil, fmt.Errorf("fakeapi: seeding the world: %w", err)
	}

	s.transport = &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: s.tls.pool, MinVersion: tls.VersionTLS12},
		ForceAttemptHTTP2:   false,
		MaxIdleConnsPerHost: 8,
		IdleConnTimeout:     30 * time.Second,
	}
	s.httpServer = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          log.New(logWriter{s}, "", 0),
		TLSNextProto:      map[string]func(*http.Server, *tls.Conn, http.Handler){},
	}
	tlsListener := tls.NewListener(ln, &tls.Config{
		Certificates: []tls.Certificate{s.tls.leaf},
		MinVersion:   tls.VersionTLS12,
		NextProtos:   []string{"http/1.1"},
	})
	go func() { _ = s.httpServer.Serve(tlsListener) }()
	return s, nil
}

// generateKeys creates the TLS material and the two JWT signing keys, the RSA keys in parallel.
func (s *Server) generateKeys() error {
	var err error
	if s.tls, err = newServerTLS(); err != nil {
		return fmt.Errorf("fakeapi: %w", err)
	}
	var wg sync.WaitGroup
	var oidcErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.oidcKey, oidcErr = newSigningKey()
	}()
	s.tokenKey, err = newSigningKey()
	wg.Wait()
	if err = errors.Join(err, oidcErr); err != nil {
		return fmt.Errorf("fakeapi: %w", err)
	}
	return nil
}

// writeCAFile writes the CA certificate to path, or to a new temporary directory when path is empty.
func (s *Server) writeCAFile(path string) error {
	if path == "" {
		dir, err := os.MkdirTemp("", "mcas-fakeapi-")
		if err != nil {
			return fmt.Errorf("fakeapi: creating a temporary directory for the CA file: %w", err)
		}
		s.tempDir = dir
		path = filepath.Join(dir, "ca.pem")
	}
	if err := os.WriteFile(path, s.tls.caPEM, 0o644); err != nil { //nolint:gosec // A CA certificate is public.
		s.removeTempDir()
		return fmt.Errorf("fakeapi: writing the CA certificate to %s: %w; choose a writable path", path, err)
	}
	s.caFile = path
	return nil
}

// removeTempDir removes the temporary directory of the CA file, if Start created one.
func (s *Server) removeTempDir() {
	if s.tempDir != "" {
		_ = os.RemoveAll(s.tempDir)
	}
}

// Close stops the server, waits for requests in flight and removes the temporary CA file. It is idempotent.
func (s *Server) Close() {
	s.closeMu.Lock()
	if s.closed {
		s.closeMu.Unlock()
		return
	}
	s.closed = true
	s.closeMu.Unlock()
	_ = s.httpServer.Close()
	s.inFlight.Wait()
	s.transport.CloseIdleConnections()
	s.removeTempDir()
}

// URL returns the base URL of the server, such as https://127.0.0.1:41234, without a trailing slash.
func (s *Server) URL() string { return s.url }

// CAFile returns the path of the PEM file holding the CA certificate that signed the server's certificate.
func (s *Server) CAFile() string { return s.caFile }

// CertPool returns a certificate pool that trusts the server.
func (s *Server) CertPool() *x509.CertPool { return s.tls.pool.Clone() }

// HTTPClient returns a client that trusts the server. Clients share one transport, closed by Close.
func (s *Server) HTTPClient() *http.Client { return &http.Client{Transport: s.transport} }

// AuthorityHost returns the Microsoft Entra authority host of the server: URL() with a trailing slash.
func (s *Server) AuthorityHost() string { return s.url + "/" }

// ResourceManagerEndpoint returns the Azure Resource Manager endpoint of the server.
func (s *Server) ResourceManagerEndpoint() string { return s.url }

// PortalURL returns the Defender for Cloud Apps portal (API base) URL of a tenant.
func (s *Server) PortalURL(tenant string) string { return s.url + "/mcas/" + tenant }

// ServeHTTP serves every endpoint of the fake: admin requests directly, every other request
// recorded and subject to injected faults.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.closeMu.RLock()
	if s.closed {
		s.closeMu.RUnlock()
		http.Error(w, "the fake API server is shutting down", http.StatusServiceUnavailable)
		return
	}
	s.inFlight.Add(1)
	s.closeMu.RUnlock()
	defer s.inFlight.Done()

	if r.URL.Path == "/admin" || strings.HasPrefix(r.URL.Path, "/admin/") {
		s.serveAdmin(w, r)
		return
	}

	rec := &statusRecorder{ResponseWriter: w}
	received := time.Now()
	tenantName := s.tenantOfRequest(r)
	tokenTenant, tokenAppID := s.credentialOwner(r.Header.Get("Authorization"))
	s.serveWithFaults(rec, r, s.takeFault(r.Method, r.URL.Path))

	req := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Status: rec.status, Tenant: tenantName,
		TokenTenant: tokenTenant, TokenAppID: tokenAppID, Time: received}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	s.mu.Unlock()
	s.log("%s %s -> %d (tenant %q, %s)", r.Method, r.URL.Path, rec.status, tenantName, time.Since(received).Round(time.Millisecond))
}

// route dispatches a request to the service that owns its path.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	switch apiOf(r.URL.Path) {
	case apiOIDC:
		s.serveOIDC(w, r)
	case apiCloudApps:
		s.serveCloudApps(w, r)
	case apiARM:
		s.serveARM(w, r)
	case apiEntra:
		s.serveEntra(w, r)
	case apiManagedIdentity:
		s.serveManagedIdentity(w, r)
	case apiAzureDevOps:
		s.serveAzureDevOps(w, r)
	case apiLogAnalytics:
		s.serveLogAnalytics(w, r)
	default:
		writeARMError(w, http.StatusNotFound, "NotFound", fmt.Sprintf(
			"The fake API server has no endpoint %s. It serves /{tenant}/oauth2/v2.0/token, /subscriptions/..., /mcas/{tenant}/api/..., /loganalytics/v1/..., /oidc/..., /msi/{tenant}/token, /devops/... and /admin/.",
			r.URL.Path))
	}
}

// api names the service a path belongs to.
type api int

const (
	apiUnknown api = iota
	apiEntra
	apiARM
	apiCloudApps
	apiOIDC
	apiManagedIdentity
	apiAzureDevOps
	apiLogAnalytics
)

var entraPathRE = regexp.MustCompile(`^/[^/]+/(oauth2/v2\.0/token|v2\.0/\.well-known/openid-configuration|discovery/v2\.0/keys)/?$`)

// apiOf returns the service a path belongs to.
func apiOf(path string) api {
	switch {
	case path == "/oidc" || strings.HasPrefix(path, "/oidc/"):
		return apiOIDC
	case strings.HasPrefix(path, "/msi/"):
		return apiManagedIdentity
	case strings.HasPrefix(path, "/devops/"):
		return apiAzureDevOps
	case strings.HasPrefix(path, "/mcas/"):
		return apiCloudApps
	case path == logAnalyticsPrefix || strings.HasPrefix(path, logAnalyticsPrefix+"/"):
		return apiLogAnalytics
	case len(path) >= len("/subscriptions/") && strings.EqualFold(path[:len("/subscriptions/")], "/subscriptions/"):
		return apiARM
	case entraPathRE.MatchString(path):
		return apiEntra
	}
	return apiUnknown
}

// tenantOfRequest returns the name of the tenant a request concerns, from its path (or the tenant
// query parameter of the GitHub token endpoint, or the service connection of the Azure DevOps OIDC
// endpoint); "" when no tenant matches.
func (s *Server) tenantOfRequest(r *http.Request) string {
	segs := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
	s.mu.Lock()
	defer s.mu.Unlock()
	var t *tenant
	switch apiOf(r.URL.Path) {
	case apiCloudApps:
		t = s.tenantByName(segs[1])
	case apiARM:
		t = s.tenantBySubscription(segs[1])
	case apiEntra:
		t = s.tenantByIDOrDomain(segs[0])
	case apiOIDC:
		t = s.tenantByName(r.URL.Query().Get("tenant"))
	case apiManagedIdentity:
		t = s.tenantByName(segs[1])
	case apiAzureDevOps:
		t, _ = s.serviceConnection(r.URL.Query().Get("serviceConnectionId"))
	case apiLogAnalytics:
		if m := logAnalyticsQueryPathRE.FindStringSubmatch(strings.TrimPrefix(r.URL.Path, logAnalyticsPrefix)); m != nil {
			t, _ = s.workspaceByCustomerID(m[1])
		}
	}
	if t == nil {
		return ""
	}
	return t.name
}

// statusRecorder remembers the status code written through it.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

// WriteHeader records the status and passes it on.
func (r *statusRecorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

// Write records an implicit 200 and passes the data on.
func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// log writes one line to Options.Logf unless the server is closed (a test's t.Logf must not be
// called after the test ended).
func (s *Server) log(format string, args ...any) {
	if s.logf == nil {
		return
	}
	s.closeMu.RLock()
	defer s.closeMu.RUnlock()
	if !s.closed {
		s.logf("fakeapi: "+format, args...)
	}
}

// logWriter sends the HTTP server's own error log (TLS handshake errors and the like) to Options.Logf.
type logWriter struct{ s *Server }

// Write logs one message.
func (l logWriter) Write(p []byte) (int, error) {
	l.s.log("%s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// AddTenant seeds one more tenant (see TenantSpec for the defaults) and returns its connection facts,
// with the client certificate of its app (generated on first use, which takes a moment). AddTenants
// adds many at once without generating certificates.
func (s *Server) AddTenant(spec TenantSpec) (TenantInfo, error) {
	added, err := s.addTenants([]TenantSpec{spec})
	if err != nil {
		return TenantInfo{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tenantInfo(added[0], true)
}

// TenantNames returns the names of all tenants, sorted.
func (s *Server) TenantNames() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, 0, len(s.tenants))
	for _, t := range s.tenants {
		names = append(names, t.name)
	}
	return names
}

// TenantInfo holds the connection facts of one tenant.
type TenantInfo struct {
	Name, TenantID, Domain, SubscriptionID, ResourceGroup string
	// WorkspaceID is the ARM id of the tenant's first workspace with Sentinel enabled.
	WorkspaceID string
	// WorkspaceCustomerID is that workspace's GUID (the Log Analytics "Workspace ID").
	WorkspaceCustomerID string
	// NoSentinelWorkspaceID is the ARM id of the tenant's first workspace without Sentinel.
	NoSentinelWorkspaceID string
	PortalURL             string
	// ClientID and ClientSecret are those of the tenant's first app registration.
	ClientID, ClientSecret string
	// ClientCertificatePEM is the private key and certificate (PEM, unencrypted) of that app, when it has one.
	ClientCertificatePEM []byte
	// FederatedSubject is the subject of that app's first federated credential.
	FederatedSubject string
	// ServiceConnectionID is the Azure DevOps service connection of that app's first federated
	// credential that has one.
	ServiceConnectionID string
	// SystemAssignedIdentityClientID is the client id of the system-assigned managed identity of the
	// tenant's App Service host, when it has one.
	SystemAssignedIdentityClientID string
	// ManagedIdentityClientID and ManagedIdentityResourceID identify the tenant's first user-assigned
	// managed identity, when it has one.
	ManagedIdentityClientID, ManagedIdentityResourceID string
	// APIToken is the tenant's first legacy Cloud Apps API token.
	APIToken string
}

// Tenant returns the connection facts of one tenant; ok=false when unknown.
func (s *Server) Tenant(name string) (TenantInfo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenantByName(name)
	if t == nil {
		return TenantInfo{}, false
	}
	info, err := s.tenantInfo(t, true)
	if err != nil {
		// Generating the client certificate failed; every other fact is still valid.
		s.log("generating the client certificate of tenant %q: %v", t.name, err)
	}
	return info, true
}

// tenantInfo collects the connection facts of a tenant; with withCert it generates the app's
// certificate if needed. The caller holds s.mu.
func (s *Server) tenantInfo(t *tenant, withCert bool) (TenantInfo, error) {
	info := TenantInfo{
		Name:           t.name,
		TenantID:       t.id,
		Domain:         t.domain,
		SubscriptionID: t.subscriptionID,
		ResourceGroup:  t.resourceGroup,
		PortalURL:      s.PortalURL(t.name),
	}
	for _, w := range t.workspaces {
		if w.sentinel && info.WorkspaceID == "" {
			info.WorkspaceID, info.WorkspaceCustomerID = w.id, w.customerID
		}
		if !w.sentinel && info.NoSentinelWorkspaceID == "" {
			info.NoSentinelWorkspaceID = w.id
		}
	}
	if len(t.apiTokens) > 0 {
		info.APIToken = t.apiTokens[0]
	}
	for _, mi := range t.identities {
		switch {
		case mi.systemAssigned:
			info.SystemAssignedIdentityClientID = mi.clientID
		case info.ManagedIdentityClientID == "":
			info.ManagedIdentityClientID, info.ManagedIdentityResourceID = mi.clientID, mi.resourceID(t)
		}
	}
	if len(t.apps) == 0 {
		return info, nil
	}
	a := t.apps[0]
	info.ClientID, info.ClientSecret = a.clientID, a.secret
	if len(a.federated) > 0 {
		info.FederatedSubject = a.federated[0].Subject
	}
	for _, fc := range a.federated {
		if fc.ServiceConnectionID != "" {
			info.ServiceConnectionID = fc.ServiceConnectionID
			break
		}
	}
	if !withCert {
		return info, nil
	}
	cert, err := a.certificate()
	if err != nil || cert == nil {
		return info, err
	}
	info.ClientCertificatePEM, err = cert.pem()
	return info, err
}

// Env returns the environment that points the provider at this server for one tenant, in a stable
// order; nil when the tenant is unknown.
func (s *Server) Env(tenant string) [][2]string {
	s.mu.Lock()
	t := s.tenantByName(tenant)
	var info TenantInfo
	if t != nil {
		info, _ = s.tenantInfo(t, false)
	}
	s.mu.Unlock()
	if t == nil {
		return nil
	}
	return [][2]string{
		{"ARM_ENVIRONMENT", "custom"},
		{"ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST", s.AuthorityHost()},
		{"ARM_RESOURCE_MANAGER_ENDPOINT", s.ResourceManagerEndpoint()},
		{"ARM_RESOURCE_MANAGER_AUDIENCE", ResourceManagerAudience},
		{"ARM_LOG_ANALYTICS_ENDPOINT", s.LogAnalyticsEndpoint()},
		{"ARM_LOG_ANALYTICS_AUDIENCE", LogAnalyticsAudience},
		{"ARM_TENANT_ID", info.TenantID},
		{"ARM_CLIENT_ID", info.ClientID},
		{"ARM_CLIENT_SECRET", info.ClientSecret},
		{"ARM_USE_CLI", "false"},
		{"MCAS_PORTAL_URL", info.PortalURL},
		{"SSL_CERT_FILE", s.caFile},
	}
}

// defaultDuration returns d, or def when d is zero.
func defaultDuration(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

package fakeapi

import (
	"bytes"
	"cmp"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
)

// adminError is an admin request refused with a status.
type adminError struct {
	status int
	msg    string
}

func (e *adminError) Error() string { return e.msg }

// badRequest returns a 400 admin error.
func badRequest(format string, args ...any) error {
	return &adminError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

// notFound returns a 404 admin error.
func notFound(format string, args ...any) error {
	return &adminError{status: http.StatusNotFound, msg: fmt.Sprintf(format, args...)}
}

// serveAdmin serves the JSON admin interface under /admin/ (see README.md). Admin requests bypass
// authentication, throttling and faults, and are not recorded.
func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	status, body, err := s.handleAdmin(r)
	if err != nil {
		var ae *adminError
		if !errors.As(err, &ae) {
			ae = &adminError{status: http.StatusBadRequest, msg: err.Error()}
		}
		writeJSON(w, ae.status, map[string]string{"error": ae.msg})
		return
	}
	if body == nil {
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(status)
		return
	}
	writeJSON(w, status, body)
}

// handleAdmin routes an admin request and returns the status and body to answer.
func (s *Server) handleAdmin(r *http.Request) (int, any, error) {
	path := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/admin"), "/")
	if rest, ok := strings.CutPrefix(path, "/arm/"); ok {
		return s.adminARM(r, "/"+rest)
	}
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	route := func(method string, pattern ...string) bool {
		if r.Method != method || len(segs) != len(pattern) {
			return false
		}
		for i, p := range pattern {
			if p != "*" && p != segs[i] {
				return false
			}
		}
		return true
	}
	switch {
	case route(http.MethodGet, "state"):
		return http.StatusOK, s.adminState(), nil
	case route(http.MethodGet, "tenants"):
		return s.adminTenants()
	case route(http.MethodPost, "tenants"):
		return s.adminAddTenants(r)
	case route(http.MethodGet, "tenants", "*"):
		info, ok := s.Tenant(segs[1])
		if !ok {
			return 0, nil, notFound("tenant %q is unknown", segs[1])
		}
		return http.StatusOK, info, nil
	case route(http.MethodPost, "tenants", "*", "consents"):
		var req struct {
			ClientID string `json:"client_id"`
		}
		if err := decodeJSON(r, &req); err != nil {
			return 0, nil, err
		}
		objectID, err := s.ConsentApp(segs[1], req.ClientID)
		return okOrError(err, http.StatusCreated, map[string]string{"client_id": strings.ToLower(req.ClientID), "object_id": objectID})
	case route(http.MethodPatch, "tenants", "*"):
		return s.adminPatchTenant(r, segs[1])
	case route(http.MethodGet, "tenants", "*", "streams"):
		return s.adminTenantList(segs[1], func(name string) any { return s.Streams(name) })
	case route(http.MethodPut, "tenants", "*", "streams", "*"):
		var st Stream
		if err := decodeJSON(r, &st); err != nil {
			return 0, nil, err
		}
		if st.ID != "" && !strings.EqualFold(st.ID, segs[3]) {
			return 0, nil, badRequest("the body's id %q differs from the id %q in the path", st.ID, segs[3])
		}
		st.ID = segs[3]
		return okOrError(s.PutStream(segs[1], st), http.StatusOK, st)
	case route(http.MethodDelete, "tenants", "*", "streams", "*"):
		return okOrError(s.DeleteStream(segs[1], segs[3]), http.StatusNoContent, nil)
	case route(http.MethodGet, "tenants", "*", "agents"):
		return s.adminTenantList(segs[1], func(name string) any { return s.Agents(name) })
	case route(http.MethodPost, "tenants", "*", "agents"):
		var a Agent
		if err := decodeJSON(r, &a); err != nil {
			return 0, nil, err
		}
		if a.ID == "" {
			a.ID = newObjectID(time.Now())
		}
		return s.adminPutAgent(segs[1], a, http.StatusCreated)
	case route(http.MethodGet, "tenants", "*", "agents", "*"):
		for _, a := range s.Agents(segs[1]) {
			if strings.EqualFold(a.ID, segs[3]) {
				return http.StatusOK, a, nil
			}
		}
		return 0, nil, notFound("tenant %q has no SIEM agent %q", segs[1], segs[3])
	case route(http.MethodPut, "tenants", "*", "agents", "*"):
		var a Agent
		if err := decodeJSON(r, &a); err != nil {
			return 0, nil, err
		}
		if a.ID != "" && !strings.EqualFold(a.ID, segs[3]) {
			return 0, nil, badRequest("the body's id %q differs from the id %q in the path", a.ID, segs[3])
		}
		a.ID = segs[3]
		return s.adminPutAgent(segs[1], a, http.StatusOK)
	case route(http.MethodDelete, "tenants", "*", "agents", "*"):
		return okOrError(s.DeleteAgent(segs[1], segs[3]), http.StatusNoContent, nil)
	case route(http.MethodPatch, "workspaces"):
		var req struct {
			ID                          string  `json:"id"`
			SentinelEnabled             *bool   `json:"sentinel_enabled"`
			QueryAccess                 *bool   `json:"query_access"`
			OnboardingDelaySeconds      float64 `json:"onboarding_delay_seconds"`
			ConnectorWritesDelaySeconds float64 `json:"connector_writes_delay_seconds"`
		}
		if err := decodeJSON(r, &req); err != nil {
			return 0, nil, err
		}
		if req.SentinelEnabled == nil && req.QueryAccess == nil {
			return 0, nil, badRequest(`the body needs "sentinel_enabled" or "query_access": true or false`)
		}
		delayed := req.OnboardingDelaySeconds != 0 || req.ConnectorWritesDelaySeconds != 0
		switch {
		case delayed && (req.SentinelEnabled == nil || !*req.SentinelEnabled):
			return 0, nil, badRequest(`onboarding_delay_seconds and connector_writes_delay_seconds delay enabling Sentinel; they need "sentinel_enabled": true`)
		case delayed:
			if err := s.EnableSentinel(req.ID, SentinelPropagation{
				OnboardingState: time.Duration(req.OnboardingDelaySeconds * float64(time.Second)),
				ConnectorWrites: time.Duration(req.ConnectorWritesDelaySeconds * float64(time.Second)),
			}); err != nil {
				return okOrError(err, 0, nil)
			}
		case req.SentinelEnabled != nil:
			if err := s.SetSentinelEnabled(req.ID, *req.SentinelEnabled); err != nil {
				return okOrError(err, 0, nil)
			}
		}
		if req.QueryAccess != nil {
			return okOrError(s.SetQueryAccess(req.ID, *req.QueryAccess), http.StatusNoContent, nil)
		}
		return http.StatusNoContent, nil, nil
	case route(http.MethodGet, "clock"):
		return http.StatusOK, s.adminClock(), nil
	case route(http.MethodPost, "clock"):
		var req struct {
			Advance string `json:"advance"`
		}
		if err := decodeJSON(r, &req); err != nil {
			return 0, nil, err
		}
		d, err := time.ParseDuration(req.Advance)
		if err != nil {
			return 0, nil, badRequest(`the body needs "advance": a duration such as "20m" or "1h30m" (%s)`, err)
		}
		if _, err := s.AdvanceClock(d); err != nil {
			return 0, nil, badRequest("%s", err)
		}
		return http.StatusOK, s.adminClock(), nil
	case route(http.MethodGet, "ingestion"):
		periods := s.IngestionPeriods(r.URL.Query().Get("workspace"))
		if periods == nil {
			return 0, nil, notFound("workspace %q is unknown; pass its ARM id as ?workspace=", r.URL.Query().Get("workspace"))
		}
		return http.StatusOK, map[string]any{"delay_seconds": s.IngestionDelay().Seconds(), "periods": periods}, nil
	case route(http.MethodPut, "ingestion"):
		var req struct {
			Delay string `json:"delay"`
		}
		if err := decodeJSON(r, &req); err != nil {
			return 0, nil, err
		}
		d, err := time.ParseDuration(req.Delay)
		if err != nil {
			return 0, nil, badRequest(`the body needs "delay": a duration such as "15m" (%s)`, err)
		}
		if err := s.SetIngestionDelay(d); err != nil {
			return 0, nil, badRequest("%s", err)
		}
		return http.StatusOK, map[string]any{"delay_seconds": d.Seconds()}, nil
	case route(http.MethodPatch, "settings"):
		var req struct {
			NextLinkExplicitPort *bool   `json:"next_link_explicit_port"`
			FederatedErrors      *string `json:"federated_errors"`
		}
		if err := decodeJSON(r, &req); err != nil {
			return 0, nil, err
		}
		if req.FederatedErrors != nil {
			if err := s.SetFederatedErrors(*req.FederatedErrors); err != nil {
				return 0, nil, badRequest("%s", err)
			}
		}
		if req.NextLinkExplicitPort != nil {
			s.SetNextLinkExplicitPort(*req.NextLinkExplicitPort)
		}
		return http.StatusOK, map[string]any{"next_link_explicit_port": s.nextLinkExplicitPort(), "federated_errors": s.federatedErrorsSetting()}, nil
	case route(http.MethodGet, "throttle"):
		return http.StatusOK, s.adminThrottle(), nil
	case route(http.MethodPut, "throttle"):
		var req struct {
			Limit         *int    `json:"limit"`
			WindowSeconds float64 `json:"window_seconds"`
		}
		if err := decodeJSON(r, &req); err != nil {
			return 0, nil, err
		}
		if req.Limit == nil {
			return 0, nil, badRequest(`the body needs "limit" (requests per window and tenant; 0 turns throttling off)`)
		}
		s.SetCloudAppsRateLimit(*req.Limit, time.Duration(req.WindowSeconds*float64(time.Second)))
		return http.StatusOK, s.adminThrottle(), nil
	case route(http.MethodGet, "faults"):
		return http.StatusOK, s.adminFaults(), nil
	case route(http.MethodPost, "faults"):
		var f adminFault
		if err := decodeJSON(r, &f); err != nil {
			return 0, nil, err
		}
		id, err := s.InjectFault(f.fault())
		if err != nil {
			return 0, nil, badRequest("%s", err)
		}
		return http.StatusCreated, map[string]string{"id": id}, nil
	case route(http.MethodDelete, "faults"):
		s.ClearFaults()
		return http.StatusNoContent, nil, nil
	case route(http.MethodDelete, "faults", "*"):
		if !s.RemoveFault(segs[1]) {
			return 0, nil, notFound("fault %q is not active", segs[1])
		}
		return http.StatusNoContent, nil, nil
	case route(http.MethodGet, "requests"):
		pattern, err := regexp.Compile(r.URL.Query().Get("path"))
		if err != nil {
			return 0, nil, badRequest("the path parameter is not a valid regular expression: %s", err)
		}
		matched := filterRequests(s.Requests(), r.URL.Query().Get("method"), pattern)
		return http.StatusOK, map[string]any{"count": len(matched), "requests": matched}, nil
	case route(http.MethodDelete, "requests"):
		s.ResetRequests()
		return http.StatusNoContent, nil, nil
	case route(http.MethodPost, "oidc", "token"):
		return s.adminOIDCToken(r)
	case route(http.MethodPost, "entra", "token"):
		return s.adminAccessToken(r)
	}
	return 0, nil, notFound("no admin endpoint %s %s; see internal/fakeapi/README.md", r.Method, r.URL.Path)
}

// adminClock is the JSON form of the fake's clock.
func (s *Server) adminClock() map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return map[string]any{
		"now":                     s.nowLocked().Format(time.RFC3339Nano),
		"offset_seconds":          s.clockOffset.Seconds(),
		"ingestion_delay_seconds": s.ingestionDelay.Seconds(),
	}
}

// decodeJSON decodes a request body strictly (unknown fields are refused).
func decodeJSON(r *http.Request, v any) error {
	body, err := readBody(r)
	if err != nil {
		return badRequest("%s", err)
	}
	return decodeStrict(body, v)
}

// decodeStrict decodes JSON, refusing unknown fields.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("the request body is not the expected JSON: %s", err)
	}
	return nil
}

// okOrError turns the error of an edit into an admin answer.
func okOrError(err error, status int, body any) (int, any, error) {
	switch {
	case errors.Is(err, ErrNotFound):
		return 0, nil, notFound("%s", err)
	case err != nil:
		return 0, nil, badRequest("%s", err)
	}
	return status, body, nil
}

// adminAddTenants seeds one tenant (a TenantSpec; answers its TenantInfo) or many at once (an array
// of them; answers an array of TenantInfo without client certificates, all or none added).
func (s *Server) adminAddTenants(r *http.Request) (int, any, error) {
	body, err := readBody(r)
	if err != nil {
		return 0, nil, badRequest("%s", err)
	}
	if trimmed := bytes.TrimSpace(body); len(trimmed) > 0 && trimmed[0] == '[' {
		var specs []TenantSpec
		if err := decodeStrict(trimmed, &specs); err != nil {
			return 0, nil, err
		}
		infos, err := s.AddTenants(specs)
		if err != nil {
			return 0, nil, badRequest("%s", err)
		}
		return http.StatusCreated, infos, nil
	}
	var spec TenantSpec
	if err := decodeStrict(body, &spec); err != nil {
		return 0, nil, err
	}
	info, err := s.AddTenant(spec)
	if err != nil {
		return 0, nil, badRequest("%s", err)
	}
	return http.StatusCreated, info, nil
}

// adminTenants lists the connection facts of every tenant.
func (s *Server) adminTenants() (int, any, error) {
	out := []TenantInfo{}
	for _, name := range s.TenantNames() {
		if info, ok := s.Tenant(name); ok {
			out = append(out, info)
		}
	}
	return http.StatusOK, out, nil
}

// adminTenantList answers a per-tenant list, 404 for an unknown tenant.
func (s *Server) adminTenantList(name string, list func(string) any) (int, any, error) {
	if _, ok := s.Tenant(name); !ok {
		return 0, nil, notFound("tenant %q is unknown", name)
	}
	return http.StatusOK, list(name), nil
}

// adminPutAgent stores an agent and answers it as stored.
func (s *Server) adminPutAgent(tenant string, a Agent, status int) (int, any, error) {
	if err := s.PutAgent(tenant, a); err != nil {
		return okOrError(err, 0, nil)
	}
	for _, stored := range s.Agents(tenant) {
		if strings.EqualFold(stored.ID, a.ID) {
			return status, stored, nil
		}
	}
	return 0, nil, notFound("agent %q vanished while it was stored", a.ID)
}

// adminPatchTenant applies the license, role, envelope and SIEM route switches of a tenant.
func (s *Server) adminPatchTenant(r *http.Request, name string) (int, any, error) {
	var req struct {
		LicenseValid        *bool   `json:"license_valid"`
		RolePresent         *bool   `json:"role_present"`
		ReadAccess          *bool   `json:"read_access"`
		AdminConsent        *bool   `json:"admin_consent"`
		ClientSecretExpired *bool   `json:"client_secret_expired"`
		StreamsEnvelope     *string `json:"streams_envelope"`
		SIEMRoute           *string `json:"siem_route"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return 0, nil, err
	}
	if req.StreamsEnvelope != nil {
		if err := validateEnvelope(*req.StreamsEnvelope); err != nil {
			return 0, nil, badRequest("%s", err)
		}
	}
	if req.SIEMRoute != nil {
		if err := validateSIEMRoute(*req.SIEMRoute); err != nil {
			return 0, nil, badRequest("%s", err)
		}
	}
	if req.ClientSecretExpired != nil {
		if err := s.SetClientSecretExpired(name, *req.ClientSecretExpired); err != nil {
			return okOrError(err, 0, nil)
		}
	}
	err := s.editTenant(name, func(t *tenant) {
		if req.SIEMRoute != nil {
			t.siemRoute = *req.SIEMRoute
		}
		if req.ReadAccess != nil {
			t.readAccess = *req.ReadAccess
		}
		if req.AdminConsent != nil {
			t.adminConsent = *req.AdminConsent
		}
		if req.LicenseValid != nil {
			t.licenseValid = *req.LicenseValid
		}
		if req.RolePresent != nil {
			t.rolePresent = *req.RolePresent
		}
		if req.StreamsEnvelope != nil {
			t.envelope = *req.StreamsEnvelope
		}
	})
	if err != nil {
		return okOrError(err, 0, nil)
	}
	state := s.adminState()
	for _, t := range state.Tenants {
		if t.Name == name {
			return http.StatusOK, t, nil
		}
	}
	return 0, nil, notFound("tenant %q is unknown", name)
}

// adminARM serves GET, PUT and DELETE /admin/arm/<data connector id>, and GET of a workspace's
// dataConnectors collection.
func (s *Server) adminARM(r *http.Request, id string) (int, any, error) {
	if rt, ok := parseARMPath(id); ok && rt.kind == routeConnectorList && r.Method == http.MethodGet {
		workspaceID := id[:len(id)-len("/providers/Microsoft.SecurityInsights/dataConnectors")]
		list := s.DataConnectors(workspaceID)
		if list == nil {
			return 0, nil, notFound("workspace %q does not exist", workspaceID)
		}
		return http.StatusOK, map[string]any{"value": list}, nil
	}
	switch r.Method {
	case http.MethodGet:
		body, ok := s.DataConnector(id)
		if !ok {
			return 0, nil, notFound("data connector %q does not exist", id)
		}
		return http.StatusOK, body, nil
	case http.MethodPut:
		body, err := readBody(r)
		if err != nil {
			return 0, nil, badRequest("%s", err)
		}
		if err := s.PutDataConnector(id, body); err != nil {
			return okOrError(err, 0, nil)
		}
		stored, _ := s.DataConnector(id)
		return http.StatusOK, stored, nil
	case http.MethodDelete:
		return okOrError(s.DeleteDataConnector(id), http.StatusNoContent, nil)
	}
	return 0, nil, &adminError{status: http.StatusMethodNotAllowed, msg: "use GET, PUT or DELETE on /admin/arm/<data connector id>"}
}

// adminOIDCToken mints a federated token: the tenant's default one, or with the subject and audience given.
func (s *Server) adminOIDCToken(r *http.Request) (int, any, error) {
	var req struct {
		Tenant     string  `json:"tenant"`
		TTLSeconds float64 `json:"ttl_seconds"`
		Subject    string  `json:"subject"`
		Audience   string  `json:"audience"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return 0, nil, err
	}
	ttl := time.Duration(req.TTLSeconds * float64(time.Second))
	subject, audience := req.Subject, req.Audience
	if subject == "" {
		cred, err := s.defaultFederatedCredential(req.Tenant)
		if err != nil {
			return okOrError(err, 0, nil)
		}
		subject, audience = cred.Subject, defaultString(audience, cred.Audience)
	}
	token, err := s.MintOIDCToken(subject, audience, ttl)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]string{"token": token}, nil
}

// adminAccessToken mints an access token as MintAccessToken does.
func (s *Server) adminAccessToken(r *http.Request) (int, any, error) {
	var req struct {
		Tenant     string  `json:"tenant"`
		Resource   string  `json:"resource"`
		TTLSeconds float64 `json:"ttl_seconds"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return 0, nil, err
	}
	token, expires, err := s.MintAccessToken(req.Tenant, req.Resource, time.Duration(req.TTLSeconds*float64(time.Second)))
	if err != nil {
		return okOrError(err, 0, nil)
	}
	return http.StatusOK, map[string]any{"access_token": token, "expires_on": expires.Unix()}, nil
}

// adminFault is the JSON form of a Fault.
type adminFault struct {
	ID          string    `json:"id,omitempty"`
	Method      string    `json:"method,omitempty"`
	PathPattern string    `json:"path_pattern,omitempty"`
	Count       int       `json:"count,omitempty"`
	Remaining   int       `json:"remaining,omitempty"`
	Kind        FaultKind `json:"kind,omitempty"`
	Status      int       `json:"status,omitempty"`
	RetryAfter  string    `json:"retry_after,omitempty"`
	Body        string    `json:"body,omitempty"`
	LatencyMS   int64     `json:"latency_ms,omitempty"`
}

// fault converts the JSON form to a Fault.
func (f adminFault) fault() Fault {
	return Fault{Method: f.Method, PathPattern: f.PathPattern, Count: f.Count, Kind: f.Kind, Status: f.Status,
		RetryAfter: f.RetryAfter, Body: f.Body, Latency: time.Duration(f.LatencyMS) * time.Millisecond}
}

// adminFaults lists the active faults.
func (s *Server) adminFaults() []adminFault {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []adminFault{}
	for _, f := range s.faults {
		out = append(out, adminFault{ID: f.id, Method: f.fault.Method, PathPattern: f.fault.PathPattern, Count: f.fault.Count,
			Remaining: f.remaining, Kind: f.fault.Kind, Status: f.fault.Status, RetryAfter: f.fault.RetryAfter, Body: f.fault.Body,
			LatencyMS: f.fault.Latency.Milliseconds()})
	}
	return out
}

// adminThrottle is the JSON form of the Cloud Apps throttle.
type adminThrottle struct {
	Limit         int     `json:"limit"`
	WindowSeconds float64 `json:"window_seconds"`
}

// adminThrottle returns the current throttle.
func (s *Server) adminThrottle() adminThrottle {
	limit, window := s.CloudAppsRateLimit()
	return adminThrottle{Limit: limit, WindowSeconds: window.Seconds()}
}

// stateJSON is the whole world as GET /admin/state shows it. Credentials are left out: GET
// /admin/tenants/{name} hands them out.
type stateJSON struct {
	URL                           string        `json:"url"`
	CAFile                        string        `json:"ca_file"`
	OIDCIssuer                    string        `json:"oidc_issuer"`
	AzureDevOpsOIDCRequestURI     string        `json:"azure_devops_oidc_request_uri"`
	TokenLifetimeSeconds          float64       `json:"token_lifetime_seconds"`
	FederatedTokenLifetimeSeconds float64       `json:"federated_token_lifetime_seconds"`
	ConnectorPageSize             int           `json:"connector_page_size"`
	NextLinkExplicitPort          bool          `json:"next_link_explicit_port"`
	FederatedErrors               string        `json:"federated_errors"`
	Throttle                      adminThrottle `json:"throttle"`
	Tenants                       []tenantJSON  `json:"tenants"`
	Faults                        []adminFault  `json:"faults"`
	RequestCount                  int           `json:"request_count"`
}

type tenantJSON struct {
	Name            string    `json:"name"`
	TenantID        string    `json:"tenant_id"`
	Domain          string    `json:"domain"`
	SubscriptionID  string    `json:"subscription_id"`
	ResourceGroup   string    `json:"resource_group"`
	PortalURL       string    `json:"portal_url"`
	LicenseValid    bool      `json:"license_valid"`
	RolePresent     bool      `json:"role_present"`
	ReadAccess      bool      `json:"read_access"`
	AdminConsent    bool      `json:"admin_consent"`
	StreamsEnvelope string    `json:"streams_envelope"`
	SIEMRoute       string    `json:"siem_route"`
	Apps            []appJSON `json:"apps"`
	// ConsentedApps are the service principals of other tenants' multi-tenant apps.
	ConsentedApps []consentJSON `json:"consented_apps"`
	// ManagedIdentityEndpoint is the IDENTITY_ENDPOINT of the tenant's App Service host.
	ManagedIdentityEndpoint string                `json:"managed_identity_endpoint"`
	ManagedIdentities       []managedIdentityJSON `json:"managed_identities"`
	Workspaces              []workspaceJSON       `json:"workspaces"`
	Streams                 []Stream              `json:"streams"`
	Agents                  []Agent               `json:"agents"`
}

type appJSON struct {
	ClientID               string                `json:"client_id"`
	ObjectID               string                `json:"object_id"`
	HasSecret              bool                  `json:"has_secret"`
	SecretExpired          bool                  `json:"secret_expired"`
	CertificateThumbprints []string              `json:"certificate_thumbprints"`
	GeneratesCertificate   bool                  `json:"generates_certificate"`
	FederatedCredentials   []FederatedCredential `json:"federated_credentials"`
	MultiTenant            bool                  `json:"multi_tenant"`
}

type consentJSON struct {
	ClientID   string `json:"client_id"`
	ObjectID   string `json:"object_id"`
	HomeTenant string `json:"home_tenant"`
}

type managedIdentityJSON struct {
	Name           string `json:"name,omitempty"`
	ClientID       string `json:"client_id"`
	ObjectID       string `json:"object_id"`
	ResourceID     string `json:"resource_id"`
	SystemAssigned bool   `json:"system_assigned"`
}

type workspaceJSON struct {
	ID              string `json:"id"`
	Name            string `json:"name"`
	ResourceGroup   string `json:"resource_group"`
	CustomerID      string `json:"customer_id"`
	Location        string `json:"location"`
	SentinelEnabled bool   `json:"sentinel_enabled"`
	// OnboardedFrom and ConnectorWritesFrom are when the effects of enabling Sentinel show (RFC 3339),
	// empty when they were not delayed.
	OnboardedFrom       string            `json:"onboarded_from,omitempty"`
	ConnectorWritesFrom string            `json:"connector_writes_from,omitempty"`
	DataConnectors      []json.RawMessage `json:"data_connectors"`
}

// adminState returns the whole world.
func (s *Server) adminState() stateJSON {
	faults := s.adminFaults()
	names := s.TenantNames()
	state := stateJSON{
		URL:                           s.url,
		CAFile:                        s.caFile,
		OIDCIssuer:                    s.OIDCIssuer(),
		AzureDevOpsOIDCRequestURI:     s.AzureDevOpsOIDCRequestURI(),
		TokenLifetimeSeconds:          s.tokenLifetime.Seconds(),
		FederatedTokenLifetimeSeconds: s.federatedTokenLifetime.Seconds(),
		ConnectorPageSize:             s.pageSize,
		NextLinkExplicitPort:          s.nextLinkExplicitPort(),
		FederatedErrors:               s.federatedErrorsSetting(),
		Throttle:                      s.adminThrottle(),
		Faults:                        faults,
		RequestCount:                  len(s.Requests()),
		Tenants:                       []tenantJSON{},
	}
	for _, name := range names {
		streams, agents := s.Streams(name), s.Agents(name)
		s.mu.Lock()
		t := s.tenantByName(name)
		tj := tenantJSON{
			Name: t.name, TenantID: t.id, Domain: t.domain, SubscriptionID: t.subscriptionID, ResourceGroup: t.resourceGroup,
			PortalURL: s.PortalURL(t.name), LicenseValid: t.licenseValid, RolePresent: t.rolePresent, ReadAccess: t.readAccess,
			AdminConsent: t.adminConsent, StreamsEnvelope: t.envelope, SIEMRoute: cmp.Or(t.siemRoute, SIEMRouteModeled),
			Apps: []appJSON{}, ConsentedApps: []consentJSON{}, Workspaces: []workspaceJSON{}, Streams: streams, Agents: agents,
			ManagedIdentityEndpoint: s.ManagedIdentityEndpoint(t.name), ManagedIdentities: []managedIdentityJSON{},
		}
		for _, mi := range t.identities {
			tj.ManagedIdentities = append(tj.ManagedIdentities, managedIdentityJSON{Name: mi.name, ClientID: mi.clientID,
				ObjectID: mi.objectID, ResourceID: mi.resourceID(t), SystemAssigned: mi.systemAssigned})
		}
		for _, a := range t.apps {
			aj := appJSON{ClientID: a.clientID, ObjectID: a.objectID, HasSecret: a.secret != "", SecretExpired: a.secretExpired, GeneratesCertificate: a.generate,
				CertificateThumbprints: []string{}, FederatedCredentials: []FederatedCredential{}, MultiTenant: a.multiTenant}
			for _, c := range a.certs {
				aj.CertificateThumbprints = append(aj.CertificateThumbprints, strings.ToUpper(hex.EncodeToString(c.sha1Thumb)))
			}
			for _, fc := range a.federated {
				fc.Issuer = s.federatedIssuer(fc)
				aj.FederatedCredentials = append(aj.FederatedCredentials, fc)
			}
			tj.Apps = append(tj.Apps, aj)
		}
		for _, clientID := range slices.Sorted(maps.Keys(t.consents)) {
			sp := t.consents[clientID]
			tj.ConsentedApps = append(tj.ConsentedApps, consentJSON{ClientID: clientID, ObjectID: sp.objectID, HomeTenant: sp.app.home})
		}
		workspaceIDs := make([]string, 0, len(t.workspaces))
		for _, w := range t.workspaces {
			workspaceIDs = append(workspaceIDs, w.id)
			tj.Workspaces = append(tj.Workspaces, workspaceJSON{ID: w.id, Name: w.name, ResourceGroup: w.resourceGroup,
				CustomerID: w.customerID, Location: w.location, SentinelEnabled: w.sentinel,
				OnboardedFrom: formatTime(w.onboardedFrom), ConnectorWritesFrom: formatTime(w.connectorWritesFrom)})
		}
		s.mu.Unlock()
		for i, id := range workspaceIDs {
			tj.Workspaces[i].DataConnectors = s.DataConnectors(id)
		}
		state.Tenants = append(state.Tenants, tj)
	}
	return state
}

// formatTime writes a time as RFC 3339 in UTC, or "" for the zero time.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// nextLinkExplicitPort returns Options.NextLinkExplicitPort as currently set.
func (s *Server) nextLinkExplicitPort() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.explicitPortLinks
}

// federatedErrorsSetting returns Options.FederatedErrors as currently set.
func (s *Server) federatedErrorsSetting() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.federatedErrors
}

// tenantInfoJSON is the JSON form of TenantInfo.
type tenantInfoJSON struct {
	Name                  string `json:"name"`
	TenantID              string `json:"tenant_id"`
	Domain                string `json:"domain"`
	SubscriptionID        string `json:"subscription_id"`
	ResourceGroup         string `json:"resource_group"`
	WorkspaceID           string `json:"workspace_id"`
	WorkspaceCustomerID   string `json:"workspace_customer_id"`
	NoSentinelWorkspaceID string `json:"no_sentinel_workspace_id"`
	PortalURL             string `json:"portal_url"`
	ClientID              string `json:"client_id"`
	ClientSecret          string `json:"client_secret"`
	ClientCertificatePEM  string `json:"client_certificate_pem"`
	FederatedSubject      string `json:"federated_subject"`
	ServiceConnectionID   string `json:"service_connection_id"`
	SystemAssignedID      string `json:"system_assigned_identity_client_id"`
	ManagedIdentityID     string `json:"managed_identity_client_id"`
	ManagedIdentityRes    string `json:"managed_identity_resource_id"`
	APIToken              string `json:"api_token"`
}

// MarshalJSON encodes TenantInfo with snake_case names and the certificate PEM as a string.
func (t TenantInfo) MarshalJSON() ([]byte, error) {
	return json.Marshal(tenantInfoJSON{
		Name: t.Name, TenantID: t.TenantID, Domain: t.Domain, SubscriptionID: t.SubscriptionID, ResourceGroup: t.ResourceGroup,
		WorkspaceID: t.WorkspaceID, WorkspaceCustomerID: t.WorkspaceCustomerID, NoSentinelWorkspaceID: t.NoSentinelWorkspaceID,
		PortalURL: t.PortalURL, ClientID: t.ClientID, ClientSecret: t.ClientSecret, ClientCertificatePEM: string(t.ClientCertificatePEM),
		FederatedSubject: t.FederatedSubject, ServiceConnectionID: t.ServiceConnectionID, SystemAssignedID: t.SystemAssignedIdentityClientID,
		ManagedIdentityID: t.ManagedIdentityClientID, ManagedIdentityRes: t.ManagedIdentityResourceID, APIToken: t.APIToken,
	})
}

// UnmarshalJSON decodes the form MarshalJSON writes.
func (t *TenantInfo) UnmarshalJSON(data []byte) error {
	var j tenantInfoJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	*t = TenantInfo{
		Name: j.Name, TenantID: j.TenantID, Domain: j.Domain, SubscriptionID: j.SubscriptionID, ResourceGroup: j.ResourceGroup,
		WorkspaceID: j.WorkspaceID, WorkspaceCustomerID: j.WorkspaceCustomerID, NoSentinelWorkspaceID: j.NoSentinelWorkspaceID,
		PortalURL: j.PortalURL, ClientID: j.ClientID, ClientSecret: j.ClientSecret, FederatedSubject: j.FederatedSubject,
		ServiceConnectionID: j.ServiceConnectionID, SystemAssignedIdentityClientID: j.SystemAssignedID,
		ManagedIdentityClientID: j.ManagedIdentityID, ManagedIdentityResourceID: j.ManagedIdentityRes, APIToken: j.APIToken,
	}
	if j.ClientCertificatePEM != "" {
		t.ClientCertificatePEM = []byte(j.ClientCertificatePEM)
	}
	return nil
}

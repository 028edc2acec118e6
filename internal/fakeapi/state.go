package fakeapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// The methods in this file edit and inspect the world out of band, as someone working in the portals
// would (drift). They bypass authentication, throttling and the services' rules.

// ErrNotFound is matched (errors.Is) by the errors of out-of-band edits that name a tenant, stream,
// agent, workspace or data connector that does not exist.
var ErrNotFound = errors.New("not found")

// notFoundError is an error that matches ErrNotFound.
type notFoundError string

func (e notFoundError) Error() string { return string(e) }

// Is makes errors.Is(err, ErrNotFound) true.
func (e notFoundError) Is(target error) bool { return target == ErrNotFound }

// notFoundf returns a formatted error that matches ErrNotFound.
func notFoundf(format string, args ...any) error {
	return notFoundError(fmt.Sprintf(format, args...))
}

// lookupTenant returns a tenant by name or an error naming the known tenants; the caller holds s.mu.
func (s *Server) lookupTenant(name string) (*tenant, error) {
	if t := s.tenantByName(name); t != nil {
		return t, nil
	}
	names := make([]string, 0, len(s.tenants))
	for _, t := range s.tenants {
		names = append(names, t.name)
	}
	return nil, notFoundf("tenant %q is unknown; known tenants: %s", name, strings.Join(names, ", "))
}

// Streams returns a tenant's discovery streams in their stored order; nil when the tenant is unknown.
func (s *Server) Streams(tenant string) []Stream {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenantByName(tenant)
	if t == nil {
		return nil
	}
	out := make([]Stream, 0, len(t.streams))
	for _, st := range t.streams {
		if st.LastDataReceived != nil {
			v := *st.LastDataReceived
			st.LastDataReceived = &v
		}
		out = append(out, st)
	}
	return out
}

// PutStream adds a stream or replaces the one with the same id. An empty ID gets a new random id,
// empty timestamps the current time.
func (s *Server) PutStream(tenant string, st Stream) error {
	st, err := normalizeStream(st, time.Now())
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.lookupTenant(tenant)
	if err != nil {
		return err
	}
	t.putStream(st)
	t.observeIngestion(s.nowLocked())
	return nil
}

// DeleteStream deletes a stream; SIEM agents that name it keep naming it, as after a portal edit.
func (s *Server) DeleteStream(tenant, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.lookupTenant(tenant)
	if err != nil {
		return err
	}
	i := t.findStream(id)
	if i < 0 {
		return notFoundf("tenant %q has no stream %q", tenant, id)
	}
	t.streams = append(t.streams[:i], t.streams[i+1:]...)
	t.observeIngestion(s.nowLocked())
	return nil
}

// Agents returns a tenant's SIEM agents sorted by id; nil when the tenant is unknown.
func (s *Server) Agents(tenant string) []Agent {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenantByName(tenant)
	if t == nil {
		return nil
	}
	out := []Agent{}
	for _, a := range t.sortedAgents() {
		c := *a
		c.Streams = append([]string{}, a.Streams...)
		out = append(out, c)
	}
	return out
}

// PutAgent creates an agent (an empty ID gets a new id) or replaces the agent with the same id. Only
// the id and type are checked: the singleton and stream rules of the API do not apply.
func (s *Server) PutAgent(tenant string, a Agent) error {
	a, err := normalizeAgent(a, time.Now())
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.lookupTenant(tenant)
	if err != nil {
		return err
	}
	t.agents[a.ID] = &a
	t.observeIngestion(s.nowLocked())
	return nil
}

// DeleteAgent deletes a SIEM agent.
func (s *Server) DeleteAgent(tenant, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.lookupTenant(tenant)
	if err != nil {
		return err
	}
	key := strings.ToLower(id)
	if t.agents[key] == nil {
		return notFoundf("tenant %q has no SIEM agent %q", tenant, id)
	}
	delete(t.agents, key)
	t.observeIngestion(s.nowLocked())
	return nil
}

// lookupWorkspace returns the tenant and workspace of a workspace ARM id; the caller holds s.mu.
func (s *Server) lookupWorkspace(workspaceID string) (*tenant, *workspace, error) {
	rt, ok := parseARMPath(workspaceID)
	if !ok || rt.kind != routeWorkspace {
		return nil, nil, fmt.Errorf("%q is not a workspace id; expected /subscriptions/{id}/resourceGroups/{rg}/providers/Microsoft.OperationalInsights/workspaces/{name}", workspaceID)
	}
	return s.findWorkspaceOf(rt)
}

// findWorkspaceOf returns the tenant and workspace a parsed route names; the caller holds s.mu.
func (s *Server) findWorkspaceOf(rt armRoute) (*tenant, *workspace, error) {
	t := s.tenantBySubscription(rt.subscription)
	if t == nil {
		return nil, nil, notFoundf("subscription %q is not owned by any tenant of this server", rt.subscription)
	}
	ws := t.findWorkspace(rt.resourceGroup, rt.workspace)
	if ws == nil {
		return nil, nil, notFoundf("workspace %q in resource group %q of subscription %s does not exist", rt.workspace, rt.resourceGroup, rt.subscription)
	}
	return t, ws, nil
}

// lookupConnector parses a data connector ARM id and returns its workspace and connector name; the
// caller holds s.mu.
func (s *Server) lookupConnector(connectorID string) (*tenant, *workspace, string, error) {
	rt, ok := parseARMPath(connectorID)
	if !ok || rt.kind != routeConnector {
		return nil, nil, "", fmt.Errorf("%q is not a data connector id; expected <workspace id>/providers/Microsoft.SecurityInsights/dataConnectors/{name}", connectorID)
	}
	t, ws, err := s.findWorkspaceOf(rt)
	return t, ws, rt.child, err
}

// DataConnectors returns the data connectors of a workspace as GET returns them, sorted by name; nil
// when the workspace is unknown.
func (s *Server) DataConnectors(workspaceID string) []json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ws, err := s.lookupWorkspace(workspaceID)
	if err != nil {
		return nil
	}
	keys := make([]string, 0, len(ws.connectors))
	for k := range ws.connectors {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := []json.RawMessage{}
	for _, k := range keys {
		out = append(out, ws.connectors[k].render(ws))
	}
	return out
}

// DataConnector returns one data connector as GET returns it.
func (s *Server) DataConnector(connectorID string) (json.RawMessage, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ws, name, err := s.lookupConnector(connectorID)
	if err != nil {
		return nil, false
	}
	c := ws.connectors[strings.ToLower(name)]
	if c == nil {
		return nil, false
	}
	return c.render(ws), true
}

// PutDataConnector stores a data connector body as a portal user would, without applying any rule
// (not even Sentinel being enabled); the body must be a JSON object.
func (s *Server) PutDataConnector(connectorID string, body json.RawMessage) error {
	fields, err := connectorBody(body)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ws, name, err := s.lookupConnector(connectorID)
	if err != nil {
		return err
	}
	by := "admin@" + t.domain
	now := time.Now()
	if c := ws.connectors[strings.ToLower(name)]; c != nil {
		c.update(fields, by, "User", now)
		t.observeIngestion(s.nowLocked())
		return nil
	}
	ws.connectors[strings.ToLower(name)] = newDataConnector(name, fields, by, "User", now)
	t.observeIngestion(s.nowLocked())
	return nil
}

// DeleteDataConnector deletes a data connector.
func (s *Server) DeleteDataConnector(connectorID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ws, name, err := s.lookupConnector(connectorID)
	if err != nil {
		return err
	}
	if ws.connectors[strings.ToLower(name)] == nil {
		return notFoundf("data connector %q does not exist in workspace %q", name, ws.name)
	}
	delete(ws.connectors, strings.ToLower(name))
	t.observeIngestion(s.nowLocked())
	return nil
}

// SetSentinelEnabled turns Microsoft Sentinel on or off for a workspace at once (EnableSentinel delays
// the effects); its data connectors stay stored.
func (s *Server) SetSentinelEnabled(workspaceID string, enabled bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ws, err := s.lookupWorkspace(workspaceID)
	if err != nil {
		return err
	}
	ws.sentinel = enabled
	t.observeIngestion(s.nowLocked())
	ws.onboardedFrom, ws.connectorWritesFrom = time.Time{}, time.Time{}
	return nil
}

// SentinelPropagation delays the effects of enabling Microsoft Sentinel on a workspace, which are
// eventually consistent: right after Sentinel is enabled its onboarding state may still answer 404 (the
// azurerm provider's azurerm_sentinel_log_analytics_workspace_onboarding polls it from 404 to 200 after
// its PUT, every 15 seconds, internal/services/sentinel/sentinel_log_analytics_workspace_onboard_resource.go
// in hashicorp/terraform-provider-azurerm), and data connector writes may be refused meanwhile (our
// model, with the 400 of a workspace without Sentinel).
type SentinelPropagation struct {
	// OnboardingState is how long the onboarding state keeps answering 404 and every data connector
	// request 400.
	OnboardingState time.Duration
	// ConnectorWrites is how long data connector writes keep answering 400, counted from the same
	// moment; a value below OnboardingState counts as OnboardingState.
	ConnectorWrites time.Duration
}

// EnableSentinel enables Microsoft Sentinel on a workspace, as the portal or
// azurerm_sentinel_log_analytics_workspace_onboarding would, with its effects delayed by p on the
// fake's clock (see Now), so AdvanceClock ends the delays at once.
func (s *Server) EnableSentinel(workspaceID string, p SentinelPropagation) error {
	if p.OnboardingState < 0 || p.ConnectorWrites < 0 {
		return fmt.Errorf("the propagation delays %s and %s must not be negative", p.OnboardingState, p.ConnectorWrites)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ws, err := s.lookupWorkspace(workspaceID)
	if err != nil {
		return err
	}
	now := s.nowLocked()
	ws.sentinel = true
	ws.onboardedFrom = now.Add(p.OnboardingState)
	ws.connectorWritesFrom = now.Add(max(p.OnboardingState, p.ConnectorWrites))
	t.observeIngestion(now)
	return nil
}

// SetLicenseValid sets whether a tenant has a Defender for Cloud Apps license: without one, Cloud Apps
// calls answer 403 and PUT of a MicrosoftCloudAppSecurity connector answers 401 InvalidLicense.
func (s *Server) SetLicenseValid(name string, valid bool) error {
	return s.editTenant(name, func(t *tenant) { t.licenseValid = valid })
}

// SetRolePresent sets whether the tenant's callers hold the needed roles: without them, data connector
// writes answer 403 AuthorizationFailed and SIEM agent writes answer 403.
func (s *Server) SetRolePresent(name string, present bool) error {
	return s.editTenant(name, func(t *tenant) { t.rolePresent = present })
}

// SetReadAccess sets whether the tenant's callers hold at least Microsoft Sentinel Reader on its
// workspaces: without it, reading the onboarding state and the data connectors answers 403
// AuthorizationFailed.
func (s *Server) SetReadAccess(name string, present bool) error {
	return s.editTenant(name, func(t *tenant) { t.readAccess = present })
}

// SetAdminConsent sets whether the tenant gave the consent that Microsoft Sentinel asks of service
// principals: without it, a service principal's write of a MicrosoftCloudAppSecurity connector answers
// 401 InvalidLicense "Missing consent".
func (s *Server) SetAdminConsent(name string, granted bool) error {
	return s.editTenant(name, func(t *tenant) { t.adminConsent = granted })
}

// SetClientSecretExpired sets whether the client secret of the tenant's first app registration has
// expired: the token endpoint then refuses it with AADSTS7000222.
func (s *Server) SetClientSecretExpired(name string, expired bool) error {
	var err error
	editErr := s.editTenant(name, func(t *tenant) {
		if len(t.apps) == 0 || t.apps[0].secret == "" {
			err = fmt.Errorf("tenant %q has no app registration with a client secret", name)
			return
		}
		t.apps[0].secretExpired = expired
	})
	return errors.Join(editErr, err)
}

// SetStreamsEnvelope sets how the tenant's streams list is wrapped: EnvelopeStreams, EnvelopeArray or EnvelopeData.
func (s *Server) SetStreamsEnvelope(name string, envelope string) error {
	if err := validateEnvelope(envelope); err != nil {
		return err
	}
	return s.editTenant(name, func(t *tenant) { t.envelope = envelope })
}

// The realities the tenant's SIEM agent route can play. Microsoft documents no SIEM agent API; the only
// public trace is a read, Get-MCASSiemAgent in Microsoft's MCAS PowerShell module, which lists
// /api/v1/agents/siem/ with legacy token auth and reads ".data". The rest of the route is our model, and
// a real tenant may answer it otherwise; these switches let tests play that.
const (
	// SIEMRouteModeled answers the whole route as modeled (the default).
	SIEMRouteModeled = "modeled"
	// SIEMRouteReadOnly answers GET of the list only; every other agent call, GET by id included,
	// answers 405, as a Django REST framework view that allows GET of the list alone would (our model
	// of a read-only route: the one public trace reads the list and nothing else).
	SIEMRouteReadOnly = "read-only"
	// SIEMRouteAbsent answers every agent call 404, as for a path the API does not have.
	SIEMRouteAbsent = "absent"
)

func validateSIEMRoute(route string) error {
	switch route {
	case SIEMRouteModeled, SIEMRouteReadOnly, SIEMRouteAbsent:
		return nil
	}
	return fmt.Errorf("unknown SIEM agent route %q: use %q, %q or %q", route, SIEMRouteModeled, SIEMRouteReadOnly, SIEMRouteAbsent)
}

// SetSIEMRoute sets how the tenant's Cloud Apps API answers the SIEM agent route: SIEMRouteModeled,
// SIEMRouteReadOnly or SIEMRouteAbsent.
func (s *Server) SetSIEMRoute(name, route string) error {
	if err := validateSIEMRoute(route); err != nil {
		return err
	}
	return s.editTenant(name, func(t *tenant) { t.siemRoute = route })
}

// editTenant applies an edit to a tenant under the lock.
func (s *Server) editTenant(name string, edit func(*tenant)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.lookupTenant(name)
	if err != nil {
		return err
	}
	edit(t)
	return nil
}

// SetCloudAppsRateLimit changes the Cloud Apps throttle: limit requests per sliding window and
// tenant; a limit <= 0 turns throttling off and a window <= 0 keeps the current window.
func (s *Server) SetCloudAppsRateLimit(limit int, window time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rateLimit = limit
	if limit <= 0 {
		s.rateLimit = -1
	}
	if window > 0 {
		s.rateWindow = window
	}
}

// SetNextLinkExplicitPort sets whether data connector lists write their nextLinks with the scheme's
// default port when the client's host named none (see Options.NextLinkExplicitPort).
func (s *Server) SetNextLinkExplicitPort(explicit bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.explicitPortLinks = explicit
}

// SetFederatedErrors sets how the token endpoint refuses a federated token that matches no federated
// credential: FederatedErrorsGeneric or FederatedErrorsSpecific.
func (s *Server) SetFederatedErrors(value string) error {
	if err := validateFederatedErrors(value); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.federatedErrors = value
	return nil
}

// CloudAppsRateLimit returns the current Cloud Apps throttle: the limit (negative when off) and the window.
func (s *Server) CloudAppsRateLimit() (int, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rateLimit, s.rateWindow
}

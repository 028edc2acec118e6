package fakeapi

import (
	"fmt"
	"maps"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
)

// tenantIndex finds tenants by every identifier requests carry, so that a server with hundreds of
// tenants answers as fast as one with three. Keys are lower-case. It is guarded by Server.mu.
type tenantIndex struct {
	byName, byID, byDomain, bySubscription map[string]*tenant
	// principals maps the client ids of app registrations and managed identities to their tenant.
	principals map[string]*tenant
	// apps maps the client ids of app registrations to the registration.
	apps map[string]*app
	// serviceConnections maps Azure DevOps service connection ids to the tenant of their app.
	serviceConnections map[string]*tenant
	// apiTokens maps legacy Cloud Apps API tokens (case-sensitive) to their tenant.
	apiTokens map[string]*tenant
	// byCustomerID maps workspace customer ids, the workspace GUIDs of the Log Analytics query API,
	// to their workspace.
	byCustomerID map[string]workspaceRef
}

// workspaceRef is a workspace with the tenant that owns it.
type workspaceRef struct {
	tenant    *tenant
	workspace *workspace
}

func newTenantIndex() *tenantIndex {
	return &tenantIndex{
		byName: map[string]*tenant{}, byID: map[string]*tenant{}, byDomain: map[string]*tenant{}, bySubscription: map[string]*tenant{},
		principals: map[string]*tenant{}, apps: map[string]*app{}, serviceConnections: map[string]*tenant{}, apiTokens: map[string]*tenant{},
		byCustomerID: map[string]workspaceRef{},
	}
}

// clone returns a copy whose maps can be changed without changing x's.
func (x *tenantIndex) clone() *tenantIndex {
	return &tenantIndex{
		byName: maps.Clone(x.byName), byID: maps.Clone(x.byID), byDomain: maps.Clone(x.byDomain), bySubscription: maps.Clone(x.bySubscription),
		principals: maps.Clone(x.principals), apps: maps.Clone(x.apps), serviceConnections: maps.Clone(x.serviceConnections),
		apiTokens: maps.Clone(x.apiTokens), byCustomerID: maps.Clone(x.byCustomerID),
	}
}

// add indexes t, or says which of its names or identifiers another tenant already has.
func (x *tenantIndex) add(t *tenant) error {
	switch {
	case x.byName[t.name] != nil:
		return fmt.Errorf("tenant %q already exists; choose another name", t.name)
	case x.byID[t.id] != nil:
		return fmt.Errorf("tenant id %s is already used by tenant %q", t.id, x.byID[t.id].name)
	case x.byDomain[t.domain] != nil:
		return fmt.Errorf("domain %s is already used by tenant %q", t.domain, x.byDomain[t.domain].name)
	case x.bySubscription[t.subscriptionID] != nil:
		return fmt.Errorf("subscription %s is already owned by tenant %q", t.subscriptionID, x.bySubscription[t.subscriptionID].name)
	}
	for _, id := range t.principalIDs() {
		if other := x.principals[id]; other != nil {
			return fmt.Errorf("client id %s is already registered in tenant %q", id, other.name)
		}
	}
	for _, id := range t.serviceConnectionIDs() {
		if other := x.serviceConnections[id]; other != nil {
			return fmt.Errorf("service connection %s already belongs to tenant %q", id, other.name)
		}
	}
	seen := map[string]*workspace{}
	for _, ws := range t.workspaces {
		// A customer id names one workspace in all of Azure, since the query API addresses a
		// workspace by it alone.
		if other, ok := x.byCustomerID[ws.customerID]; ok {
			return fmt.Errorf("tenant %q: workspace %q has customer id %s, which workspace %q of tenant %q already has; choose another customer_id or leave it empty for a random one",
				t.name, ws.name, ws.customerID, other.workspace.name, other.tenant.name)
		}
		if other := seen[ws.customerID]; other != nil {
			return fmt.Errorf("tenant %q: workspaces %q and %q have the same customer id %s; give each its own customer_id or leave them empty for random ones",
				t.name, other.name, ws.name, ws.customerID)
		}
		seen[ws.customerID] = ws
	}
	x.byName[t.name], x.byID[t.id], x.byDomain[t.domain], x.bySubscription[t.subscriptionID] = t, t, t, t
	for _, id := range t.principalIDs() {
		x.principals[id] = t
	}
	for _, a := range t.apps {
		x.apps[a.clientID] = a
	}
	for _, id := range t.serviceConnectionIDs() {
		x.serviceConnections[id] = t
	}
	for _, ws := range t.workspaces {
		x.byCustomerID[ws.customerID] = workspaceRef{tenant: t, workspace: ws}
	}
	for _, token := range t.apiTokens {
		// A token shared by two tenants belongs to the first; the second cannot use it, as in the
		// real service, where tokens are unique.
		if x.apiTokens[token] == nil {
			x.apiTokens[token] = t
		}
	}
	return nil
}

// tenantByName returns a tenant by its short name; the caller holds s.mu.
func (s *Server) tenantByName(name string) *tenant {
	return s.index.byName[strings.ToLower(name)]
}

// tenantByIDOrDomain returns a tenant by GUID or domain name; the caller holds s.mu.
func (s *Server) tenantByIDOrDomain(value string) *tenant {
	value = strings.ToLower(value)
	if t := s.index.byID[value]; t != nil {
		return t
	}
	return s.index.byDomain[value]
}

// tenantBySubscription returns the tenant owning a subscription; the caller holds s.mu.
func (s *Server) tenantBySubscription(id string) *tenant {
	return s.index.bySubscription[strings.ToLower(id)]
}

// tenantByAPIToken returns the tenant a legacy Cloud Apps API token belongs to; the caller holds s.mu.
func (s *Server) tenantByAPIToken(token string) *tenant {
	return s.index.apiTokens[token]
}

// AddTenants seeds many tenants at once (see TenantSpec for the defaults) and returns their
// connection facts in the order of specs. Either all are added or, when one is invalid or takes a
// name or identifier already used, none. A tenant may consent to an app of another tenant of the same
// call. Unlike AddTenant it does not generate the apps' client certificates, which would take most of
// the time for hundreds of tenants; Tenant(name) generates one when it is asked for, so
// ClientCertificatePEM is empty here.
func (s *Server) AddTenants(specs []TenantSpec) ([]TenantInfo, error) {
	added, err := s.addTenants(specs)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	infos := make([]TenantInfo, len(added))
	for i, t := range added {
		// Without the certificate, tenantInfo cannot fail.
		infos[i], _ = s.tenantInfo(t, false)
	}
	return infos, nil
}

// addTenants validates specs and adds their tenants, all or none.
func (s *Server) addTenants(specs []TenantSpec) ([]*tenant, error) {
	now := time.Now()
	added := make([]*tenant, 0, len(specs))
	for _, spec := range specs {
		t, err := newTenant(spec, now)
		if err != nil {
			return nil, err
		}
		added = append(added, t)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	index := s.index.clone()
	for _, t := range added {
		if err := index.add(t); err != nil {
			return nil, err
		}
	}
	// Consents are given once every tenant of the call is known, so that they may name each other's apps.
	for i, t := range added {
		for _, c := range specs[i].ConsentedApps {
			if _, err := t.consent(index, c); err != nil {
				return nil, err
			}
		}
	}
	s.index = index
	s.tenants = append(s.tenants, added...)
	sort.Slice(s.tenants, func(i, j int) bool { return s.tenants[i].name < s.tenants[j].name })
	observed := s.nowLocked()
	for _, t := range added {
		t.observeIngestion(observed)
	}
	return added, nil
}

// servicePrincipal is the service principal of another tenant's multi-tenant app in a tenant that
// consented to it.
type servicePrincipal struct {
	app      *app
	objectID string
}

// consent creates the service principal of the app that c names in t. Consenting again to the same
// app keeps the existing service principal. The caller holds s.mu.
func (t *tenant) consent(index *tenantIndex, c ConsentSpec) (*servicePrincipal, error) {
	clientID := strings.ToLower(c.ClientID)
	if err := validateUUID("consented app client_id", clientID); err != nil {
		return nil, fmt.Errorf("tenant %q: %w", t.name, err)
	}
	a := index.apps[clientID]
	switch {
	case a == nil:
		return nil, notFoundf("tenant %q: no tenant of this server registers an app with client id %s, so it cannot be consented to", t.name, clientID)
	case a.home == t.name:
		return nil, fmt.Errorf("tenant %q: the app %s is registered in this tenant; consent is for the apps of other tenants", t.name, clientID)
	case !a.multiTenant:
		// Microsoft Entra offers consent in other tenants only for multi-tenant registrations
		// (https://learn.microsoft.com/entra/identity-platform/howto-convert-app-to-be-multi-tenant).
		return nil, fmt.Errorf("tenant %q: the app %s of tenant %q is single-tenant, so other tenants cannot consent to it; register it with multi_tenant", t.name, clientID, a.home)
	}
	if sp := t.consents[clientID]; sp != nil {
		return sp, nil
	}
	sp := &servicePrincipal{app: a, objectID: strings.ToLower(defaultString(c.ObjectID, uuid.NewString()))}
	if err := validateUUID("consented app object_id", sp.objectID); err != nil {
		return nil, fmt.Errorf("tenant %q: %w", t.name, err)
	}
	t.consents[clientID] = sp
	return sp, nil
}

// ConsentApp plays the admin consent of a tenant to a multi-tenant app registered in another tenant
// (the admin consent URL, or `az ad sp create --id <client id>`): the app gets a service principal in
// the tenant and, with its own credentials, tokens for the tenant. It returns the service principal's
// object id. Consenting again is a no-op that returns the same id.
func (s *Server) ConsentApp(tenantName, clientID string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.lookupTenant(tenantName)
	if err != nil {
		return "", err
	}
	sp, err := t.consent(s.index, ConsentSpec{ClientID: clientID})
	if err != nil {
		return "", err
	}
	return sp.objectID, nil
}

// principal returns the app registration behind a client id in t and the object id of its service
// principal there: the tenant's own app, or another tenant's multi-tenant app that t consented to. It
// returns nil when the app has no service principal in t. The caller holds s.mu.
func (t *tenant) principal(clientID string) (*app, string) {
	for _, a := range t.apps {
		if strings.EqualFold(a.clientID, clientID) {
			return a, a.objectID
		}
	}
	if sp := t.consents[strings.ToLower(clientID)]; sp != nil {
		return sp.app, sp.objectID
	}
	return nil, ""
}

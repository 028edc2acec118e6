package fakeapi

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// appServiceIdentityAPIVersion is the api-version of the App Service managed identity protocol that
// MSAL speaks (IDENTITY_ENDPOINT with the X-IDENTITY-HEADER header).
const appServiceIdentityAPIVersion = "2019-08-01"

// defaultIdentityName is the name of a tenant's first user-assigned identity when its spec has none.
const defaultIdentityName = "id-mcas-terraform"

// appServiceSiteName is the name of the App Service site that hosts a tenant's managed identities.
const appServiceSiteName = "app-mcas-terraform"

// identityNameRE matches the names Azure accepts for user-assigned identities.
var identityNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$`)

// managedIdentity is a managed identity of a tenant's App Service host. All fields are guarded by
// Server.mu.
type managedIdentity struct {
	name, clientID, objectID string
	systemAssigned           bool
}

// resourceID returns the ARM id of the identity: the App Service site for the system-assigned
// identity, the userAssignedIdentities resource otherwise.
func (m *managedIdentity) resourceID(t *tenant) string {
	if m.systemAssigned {
		return fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Web/sites/%s", t.subscriptionID, t.resourceGroup, appServiceSiteName)
	}
	return fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.ManagedIdentity/userAssignedIdentities/%s", t.subscriptionID, t.resourceGroup, m.name)
}

// addManagedIdentities validates identity specs, fills in their defaults and adds them to the tenant.
func (t *tenant) addManagedIdentities(specs []ManagedIdentitySpec) error {
	userAssigned := 0
	for _, spec := range specs {
		mi := &managedIdentity{
			clientID:       strings.ToLower(defaultString(spec.ClientID, uuid.NewString())),
			objectID:       strings.ToLower(defaultString(spec.ObjectID, uuid.NewString())),
			systemAssigned: spec.SystemAssigned,
		}
		if err := validateUUID("managed identity client_id", mi.clientID); err != nil {
			return err
		}
		if err := validateUUID("managed identity object_id", mi.objectID); err != nil {
			return err
		}
		if mi.systemAssigned {
			if t.systemAssignedIdentity() != nil {
				return fmt.Errorf("more than one system-assigned managed identity; an App Service host has at most one")
			}
		} else {
			userAssigned++
			mi.name = spec.Name
			if mi.name == "" {
				mi.name = defaultIdentityName
				if userAssigned > 1 {
					mi.name += "-" + strconv.Itoa(userAssigned)
				}
			}
			if !identityNameRE.MatchString(mi.name) {
				return fmt.Errorf("managed identity name %q is invalid: expected 3-128 letters, digits, '-' and '_', starting with a letter or digit", mi.name)
			}
		}
		for _, other := range t.identities {
			if !other.systemAssigned && !mi.systemAssigned && strings.EqualFold(other.name, mi.name) {
				return fmt.Errorf("managed identity name %q appears twice", mi.name)
			}
		}
		if containsFold(t.principalIDs(), mi.clientID) {
			return fmt.Errorf("client id %s of a managed identity is already used in the tenant", mi.clientID)
		}
		t.identities = append(t.identities, mi)
	}
	return nil
}

// systemAssignedIdentity returns the tenant's system-assigned identity, or nil.
func (t *tenant) systemAssignedIdentity() *managedIdentity {
	for _, mi := range t.identities {
		if mi.systemAssigned {
			return mi
		}
	}
	return nil
}

// principalIDs returns the client ids of the tenant's app registrations and managed identities.
func (t *tenant) principalIDs() []string {
	ids := make([]string, 0, len(t.apps)+len(t.identities))
	for _, a := range t.apps {
		ids = append(ids, a.clientID)
	}
	for _, mi := range t.identities {
		ids = append(ids, mi.clientID)
	}
	return ids
}

// ManagedIdentityEndpoint returns the managed identity endpoint (IDENTITY_ENDPOINT) of the tenant's App
// Service host. It speaks the App Service protocol of api-version 2019-08-01 and requires the header
// X-IDENTITY-HEADER: IdentityHeader().
func (s *Server) ManagedIdentityEndpoint(tenant string) string {
	return s.url + "/msi/" + tenant + "/token"
}

// IdentityHeader returns the secret (IDENTITY_HEADER) that requests to ManagedIdentityEndpoint must
// carry in the X-IDENTITY-HEADER header.
func (s *Server) IdentityHeader() string { return s.identityHeader }

// serveManagedIdentity serves GET /msi/{tenant}/token like App Service's managed identity endpoint:
// ?api-version=2019-08-01&resource=<resource>, optionally with client_id, object_id (principal_id) or
// mi_res_id (msi_res_id) selecting a user-assigned identity; without one, the system-assigned identity.
func (s *Server) serveManagedIdentity(w http.ResponseWriter, r *http.Request) {
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(segs) != 3 || segs[2] != "token" {
		writeIdentityError(w, http.StatusNotFound, fmt.Sprintf("The managed identity endpoint is %s/msi/{tenant}/token, not %s.", s.url, r.URL.Path))
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		writeIdentityError(w, http.StatusMethodNotAllowed, fmt.Sprintf("The method %s is not allowed; the managed identity endpoint answers GET.", r.Method))
		return
	}
	header := r.Header.Get("X-IDENTITY-HEADER")
	if header == "" || subtle.ConstantTimeCompare([]byte(header), []byte(s.identityHeader)) != 1 {
		writeIdentityError(w, http.StatusUnauthorized, "The X-IDENTITY-HEADER header is missing or does not match; send the value of the IDENTITY_HEADER environment variable.")
		return
	}
	q := r.URL.Query()
	switch v := q.Get("api-version"); v {
	case appServiceIdentityAPIVersion:
	case "":
		writeIdentityError(w, http.StatusBadRequest, "The api-version query parameter is required; use "+appServiceIdentityAPIVersion+".")
		return
	default:
		writeIdentityError(w, http.StatusBadRequest, fmt.Sprintf("The api-version %q is not supported; use %s.", v, appServiceIdentityAPIVersion))
		return
	}
	resource := q.Get("resource")
	switch {
	case resource == "":
		writeIdentityError(w, http.StatusBadRequest, "The resource query parameter is required, for example resource="+ResourceManagerAudience+".")
		return
	case !knownResource(resource):
		writeIdentityError(w, http.StatusBadRequest, fmt.Sprintf(
			"AADSTS500011: The resource principal named %s was not found in the tenant. Request a token for %s, %s or %s.",
			resource, ResourceManagerAudience, CloudAppsAudience, LogAnalyticsAudience))
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenantByName(segs[1])
	if t == nil {
		writeIdentityError(w, http.StatusNotFound, fmt.Sprintf("There is no App Service host for tenant %q on this server.", segs[1]))
		return
	}
	mi, msg := t.selectIdentity(q)
	if mi == nil {
		writeIdentityError(w, http.StatusBadRequest, msg)
		return
	}
	token, expires, err := s.signAccessToken(t, resource, s.tokenLifetime, jwt.MapClaims{
		"appid":     mi.clientID,
		"azp":       mi.clientID,
		"oid":       mi.objectID,
		"sub":       mi.objectID,
		"idtyp":     "app",
		"xms_mirid": mi.resourceID(t),
	})
	if err != nil {
		writeIdentityError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{
		"access_token": token,
		"expires_on":   strconv.FormatInt(expires.Unix(), 10),
		"resource":     resource,
		"token_type":   "Bearer",
		"client_id":    mi.clientID,
	})
}

// selectIdentity returns the identity a managed identity request selects, or nil and the reason.
func (t *tenant) selectIdentity(q map[string][]string) (*managedIdentity, string) {
	type selector struct{ name, value string }
	var selectors []selector
	for _, name := range []string{"client_id", "object_id", "principal_id", "mi_res_id", "msi_res_id"} {
		if values := q[name]; len(values) > 0 && values[0] != "" {
			selectors = append(selectors, selector{name, values[0]})
		}
	}
	const notFound = "No managed identity found for specified ClientId/ResourceId/PrincipalId."
	switch len(selectors) {
	case 0:
		if mi := t.systemAssignedIdentity(); mi != nil {
			return mi, ""
		}
		return nil, "No system-assigned managed identity is enabled on this App Service; enable it, or select a user-assigned identity with client_id."
	case 1:
	default:
		return nil, "Only one of client_id, object_id (principal_id) and mi_res_id may select the identity."
	}
	sel := selectors[0]
	for _, mi := range t.identities {
		var match bool
		switch sel.name {
		case "client_id":
			match = strings.EqualFold(mi.clientID, sel.value)
		case "object_id", "principal_id":
			match = strings.EqualFold(mi.objectID, sel.value)
		default:
			match = strings.EqualFold(mi.resourceID(t), sel.value)
		}
		if match {
			return mi, ""
		}
	}
	return nil, notFound
}

// writeIdentityError writes an error in the App Service managed identity endpoint's format.
func writeIdentityError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"statusCode": status, "message": msg, "correlationId": uuid.NewString()})
}

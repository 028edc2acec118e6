package fakeapi

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Supported api-versions, per resource provider.
var (
	workspaceAPIVersions        = []string{"2022-10-01", "2023-09-01", "2025-02-01"}
	securityInsightsAPIVersions = []string{"2023-02-01", "2024-03-01", "2025-09-01"}
)

// KindMicrosoftCloudAppSecurity is the data connector kind of the Defender for Cloud Apps connector.
const KindMicrosoftCloudAppSecurity = "MicrosoftCloudAppSecurity"

// knownConnectorKinds are the data connector kinds the fake accepts: those of the REST specification's
// list example plus MicrosoftCloudAppSecurity. Kinds compare case-sensitively, like the service's
// discriminator.
var knownConnectorKinds = []string{
	"AmazonWebServicesCloudTrail",
	"AzureActiveDirectory",
	"AzureAdvancedThreatProtection",
	"AzureSecurityCenter",
	KindMicrosoftCloudAppSecurity,
	"MicrosoftDefenderAdvancedThreatProtection",
	"Office365",
	"ThreatIntelligence",
	"ThreatIntelligenceTaxii",
}

const (
	dataConnectorType  = "Microsoft.SecurityInsights/dataConnectors"
	onboardingType     = "Microsoft.SecurityInsights/onboardingStates"
	workspaceType      = "Microsoft.OperationalInsights/workspaces"
	securityInsightsNS = "/providers/Microsoft.SecurityInsights"
)

// armRouteKind names the Resource Manager resources the fake serves.
type armRouteKind int

const (
	routeWorkspace armRouteKind = iota + 1
	routeOnboardingState
	routeConnectorList
	routeConnector
)

// armRoute is a parsed Resource Manager path.
type armRoute struct {
	kind                                          armRouteKind
	subscription, resourceGroup, workspace, child string
}

// parseARMPath parses the paths of the resources the fake serves; literal segments compare
// case-insensitively, like Resource Manager.
func parseARMPath(path string) (armRoute, bool) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if slices.Contains(segs, "") {
		return armRoute{}, false
	}
	lit := func(i int, want string) bool { return i < len(segs) && strings.EqualFold(segs[i], want) }
	if len(segs) < 8 || !lit(0, "subscriptions") || !lit(2, "resourceGroups") || !lit(4, "providers") ||
		!lit(5, "Microsoft.OperationalInsights") || !lit(6, "workspaces") {
		return armRoute{}, false
	}
	rt := armRoute{subscription: segs[1], resourceGroup: segs[3], workspace: segs[7]}
	switch {
	case len(segs) == 8:
		rt.kind = routeWorkspace
	case len(segs) < 11 || len(segs) > 12 || !lit(8, "providers") || !lit(9, "Microsoft.SecurityInsights"):
		return armRoute{}, false
	case lit(10, "onboardingStates") && len(segs) == 12:
		rt.kind, rt.child = routeOnboardingState, segs[11]
	case lit(10, "dataConnectors") && len(segs) == 11:
		rt.kind = routeConnectorList
	case lit(10, "dataConnectors"):
		rt.kind, rt.child = routeConnector, segs[11]
	default:
		return armRoute{}, false
	}
	return rt, true
}

// apiVersions returns the api-versions of the resource provider that serves the route.
func (rt armRoute) apiVersions() []string {
	if rt.kind == routeWorkspace {
		return workspaceAPIVersions
	}
	return securityInsightsAPIVersions
}

// armResult is a computed Resource Manager response.
type armResult struct {
	status int
	body   any // nil for an empty body
}

// armError returns an error result in Resource Manager's format.
func armError(status int, code, message string) armResult {
	return armResult{status: status, body: armErrorBody(code, message)}
}

// armErrorBody returns {"error":{"code","message"}}.
func armErrorBody(code, message string) map[string]any {
	return map[string]any{"error": map[string]string{"code": code, "message": message}}
}

// writeARMError writes an error in Resource Manager's format.
func writeARMError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, armErrorBody(code, message))
}

// serveARM serves the Resource Manager paths under /subscriptions/.
func (s *Server) serveARM(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("x-ms-request-id", uuid.NewString())
	w.Header().Set("x-ms-correlation-request-id", uuid.NewString())

	subscription := strings.Split(strings.Trim(r.URL.Path, "/"), "/")[1]
	s.mu.Lock()
	owner := s.tenantBySubscription(subscription)
	s.mu.Unlock()

	claims, status, code, message := s.authenticateARM(r)
	if claims == nil {
		authority := s.url + "/common"
		if owner != nil {
			authority = s.url + "/" + owner.id
		}
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer authorization_uri=%q, error="invalid_token", error_description=%q`, authority, message))
		writeARMError(w, status, code, message)
		return
	}

	res := s.handleARM(r, claims)
	if res.body == nil {
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(res.status)
		return
	}
	writeJSON(w, res.status, res.body)
}

// authenticateARM checks the bearer token of a Resource Manager request; on failure it returns nil
// claims with the status, code and message to answer.
func (s *Server) authenticateARM(r *http.Request) (*accessClaims, int, string, string) {
	claims, failure, err := s.checkBearer(r, isResourceManagerAudience)
	switch failure {
	case bearerMissing:
		return nil, http.StatusUnauthorized, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing."
	case bearerMalformed:
		return nil, http.StatusUnauthorized, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is provided in an invalid format; expected 'Bearer <access token>'."
	case bearerInvalid:
		return nil, http.StatusUnauthorized, "InvalidAuthenticationToken", "The access token is invalid: " + err.Error() + "."
	case bearerExpired:
		return nil, http.StatusUnauthorized, "InvalidAuthenticationToken", fmt.Sprintf(
			"The access token expiry UTC time is earlier than current UTC time '%s'. Get a new token.", time.Now().UTC().Format(time.RFC3339))
	case bearerWrongAudience:
		return nil, http.StatusUnauthorized, "InvalidAuthenticationToken", fmt.Sprintf(
			"The access token has an invalid audience '%s'. Request a token for the scope %s.default.",
			strings.Join(claims.Audience, ","), ResourceManagerAudience)
	}
	return claims, 0, "", ""
}

// handleARM serves an authenticated Resource Manager request.
func (s *Server) handleARM(r *http.Request, claims *accessClaims) armResult {
	rt, ok := parseARMPath(r.URL.Path)
	if !ok {
		return armError(http.StatusNotFound, "NotFound", fmt.Sprintf(
			"The fake Resource Manager does not serve %s. It serves Microsoft.OperationalInsights/workspaces/{name} and, below it, providers/Microsoft.SecurityInsights/onboardingStates/default and dataConnectors[/{id}].",
			r.URL.Path))
	}
	versions := rt.apiVersions()
	apiVersion := r.URL.Query().Get("api-version")
	switch {
	case apiVersion == "":
		return armError(http.StatusBadRequest, "MissingApiVersionParameter",
			"The api-version query parameter (?api-version=) is required for all requests.")
	case !slices.Contains(versions, apiVersion):
		return armError(http.StatusBadRequest, "InvalidApiVersionParameter", fmt.Sprintf(
			"The api-version '%s' is invalid. The supported versions are '%s'.", apiVersion, strings.Join(versions, ",")))
	}

	var body []byte
	if r.Method == http.MethodPut {
		var err error
		if body, err = readBody(r); err != nil {
			return armError(http.StatusBadRequest, "InvalidRequestContent", err.Error()+".")
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenantBySubscription(rt.subscription)
	if t == nil {
		return armError(http.StatusNotFound, "SubscriptionNotFound", fmt.Sprintf("The subscription '%s' could not be found.", rt.subscription))
	}
	if !strings.EqualFold(t.id, claims.TenantID) {
		return armError(http.StatusUnauthorized, "InvalidAuthenticationTokenTenant", fmt.Sprintf(
			"The access token is from the wrong issuer '%s/%s/v2.0'. It must match the tenant '%s/%s/v2.0' associated with this subscription. Please use the authority (URL) '%s/%s' to get the token.",
			s.url, claims.TenantID, s.url, t.id, s.url, t.id))
	}

	allowed := []string{http.MethodGet}
	if rt.kind == routeConnector {
		allowed = []string{http.MethodGet, http.MethodPut, http.MethodDelete}
	}
	if !slices.Contains(allowed, r.Method) {
		return armError(http.StatusMethodNotAllowed, "MethodNotAllowed", fmt.Sprintf(
			"The fake Resource Manager does not support %s on %s; allowed: %s.", r.Method, r.URL.Path, strings.Join(allowed, ", ")))
	}
	if r.Method != http.MethodGet && !t.rolePresent {
		action := dataConnectorType + "/write"
		if r.Method == http.MethodDelete {
			action = dataConnectorType + "/delete"
		}
		return authorizationFailed(claims, action, r.URL.Path)
	}

	// Reads need a role too: an identity without at least Microsoft Sentinel Reader on the workspace may
	// not read its onboarding state or data connectors (Roles and permissions in Microsoft Sentinel,
	// learn.microsoft.com/azure/sentinel/roles, where Reader is the least role that views Sentinel's
	// resources). The answer is 403 AuthorizationFailed even for what does not exist, as authorization
	// comes before the lookup (our model).
	if r.Method == http.MethodGet && rt.kind != routeWorkspace && !t.readAccess {
		action := dataConnectorType + "/read"
		if rt.kind == routeOnboardingState {
			action = onboardingType + "/read"
		}
		return authorizationFailed(claims, action, r.URL.Path)
	}

	if _, ok := t.resourceGroups[strings.ToLower(rt.resourceGroup)]; !ok {
		return armError(http.StatusNotFound, "ResourceGroupNotFound", fmt.Sprintf("Resource group '%s' could not be found.", rt.resourceGroup))
	}
	ws := t.findWorkspace(rt.resourceGroup, rt.workspace)
	if ws == nil {
		return armError(http.StatusNotFound, "ResourceNotFound", fmt.Sprintf(
			"The Resource 'Microsoft.OperationalInsights/workspaces/%s' under resource group '%s' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
			rt.workspace, rt.resourceGroup))
	}

	switch rt.kind {
	case routeWorkspace:
		return armResult{status: http.StatusOK, body: ws.render()}
	case routeOnboardingState:
		if !ws.onboarded(s.nowLocked()) || !strings.EqualFold(rt.child, "default") {
			return armError(http.StatusNotFound, "NotFound", fmt.Sprintf(
				"The onboarding state '%s' of workspace '%s' was not found: Microsoft Sentinel is not enabled on the workspace.", rt.child, ws.name))
		}
		return armResult{status: http.StatusOK, body: map[string]any{
			"id":         ws.id + securityInsightsNS + "/onboardingStates/default",
			"name":       "default",
			"type":       onboardingType,
			"properties": map[string]any{},
		}}
	}

	// The delays of EnableSentinel run on the fake's clock.
	now := s.nowLocked()
	if !ws.onboarded(now) || (r.Method == http.MethodPut && now.Before(ws.connectorWritesFrom)) {
		return notOnboarded(ws)
	}
	if rt.kind == routeConnectorList {
		return s.listConnectors(r, ws, apiVersion)
	}
	switch r.Method {
	case http.MethodGet:
		c := ws.connectors[strings.ToLower(rt.child)]
		if c == nil {
			return connectorNotFound(ws, rt.child)
		}
		return armResult{status: http.StatusOK, body: c.render(ws)}
	case http.MethodDelete:
		if ws.connectors[strings.ToLower(rt.child)] == nil {
			return connectorNotFound(ws, rt.child)
		}
		delete(ws.connectors, strings.ToLower(rt.child))
		t.observeIngestion(s.nowLocked())
		return armResult{status: http.StatusOK}
	default:
		return s.putConnector(t, ws, rt.child, claims, apiVersion, body)
	}
}

// authorizationFailed is the 403 of a caller without a role that allows action over scope.
func authorizationFailed(claims *accessClaims, action, scope string) armResult {
	return armError(http.StatusForbidden, "AuthorizationFailed", fmt.Sprintf(
		"The client '%s' with object id '%s' does not have authorization to perform action '%s' over scope '%s' or the scope is invalid. If access was recently granted, please refresh your credentials.",
		claims.ObjectID, claims.ObjectID, action, scope))
}

// notOnboarded is the 400 of a data connector request to a workspace without Microsoft Sentinel, or
// to one where enabling it has not taken effect yet. Our model: the service's wording is not
// documented.
func notOnboarded(ws *workspace) armResult {
	return armError(http.StatusBadRequest, "BadRequest", fmt.Sprintf(
		"The workspace '%s' is not onboarded to Microsoft Sentinel. Enable Microsoft Sentinel on the workspace before managing data connectors.", ws.name))
}

// connectorNotFound is the 404 of a missing data connector.
func connectorNotFound(ws *workspace, name string) armResult {
	return armError(http.StatusNotFound, "NotFound", fmt.Sprintf("The data connector '%s' was not found in workspace '%s'.", name, ws.name))
}

// listConnectors answers one page of a workspace's data connectors, sorted by name. A full page always
// carries a nextLink (as many Resource Manager providers do), so a list whose length is a multiple of
// the page size ends with an empty page.
func (s *Server) listConnectors(r *http.Request, ws *workspace, apiVersion string) armResult {
	keys := make([]string, 0, len(ws.connectors))
	for k := range ws.connectors {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	start := 0
	if token := r.URL.Query().Get("$skipToken"); token != "" {
		after, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil {
			return armError(http.StatusBadRequest, "BadRequest", "The $skipToken is invalid; use the nextLink of the previous page as it is.")
		}
		start = sort.SearchStrings(keys, string(after))
		if start < len(keys) && keys[start] == string(after) {
			start++
		}
	}
	page := []json.RawMessage{}
	for _, k := range keys[start:min(start+s.pageSize, len(keys))] {
		page = append(page, ws.connectors[k].render(ws))
	}
	body := map[string]any{"value": page}
	if len(page) == s.pageSize {
		token := base64.RawURLEncoding.EncodeToString([]byte(keys[start+len(page)-1]))
		body["nextLink"] = s.linkBase(r) + r.URL.Path + "?api-version=" + url.QueryEscape(apiVersion) + "&$skipToken=" + token
	}
	return armResult{status: http.StatusOK, body: body}
}

// linkBase returns the scheme and host that nextLinks name: the host the client asked for, as Resource
// Manager answers with its public host name. With explicit-port links (Options.NextLinkExplicitPort) a
// host without a port gets the scheme's default one, https://<host>:443, as some Resource Manager
// providers write their nextLinks (Azure answered management.azure.com:443 links to vmagent's
// Azure service discovery, VictoriaMetrics/VictoriaMetrics#6912 and #6915); a client must treat that as
// the same endpoint. The caller holds s.mu.
func (s *Server) linkBase(r *http.Request) string {
	host := r.Host
	if s.explicitPortLinks {
		if _, _, err := net.SplitHostPort(host); err != nil {
			host = net.JoinHostPort(strings.Trim(host, "[]"), "443")
		}
	}
	return "https://" + host
}

// putConnector creates or replaces a data connector after checking the service's rules. The caller holds s.mu.
func (s *Server) putConnector(t *tenant, ws *workspace, name string, claims *accessClaims, apiVersion string, raw []byte) armResult {
	body, err := connectorBody(raw)
	if err != nil {
		return armError(http.StatusBadRequest, "BadRequest", err.Error())
	}
	var kind string
	if err := json.Unmarshal(body["kind"], &kind); err != nil || kind == "" {
		return armError(http.StatusBadRequest, "BadRequest", fmt.Sprintf(
			"The data connector kind is required: set \"kind\" to one of %s.", strings.Join(knownConnectorKinds, ", ")))
	}
	if !slices.Contains(knownConnectorKinds, kind) {
		return armError(http.StatusBadRequest, "BadRequest", fmt.Sprintf(
			"The data connector kind '%s' is not supported in api-version '%s'. Supported kinds: %s.", kind, apiVersion, strings.Join(knownConnectorKinds, ", ")))
	}
	existing := ws.connectors[strings.ToLower(name)]
	if existing != nil && existing.kind != kind {
		return armError(http.StatusBadRequest, "BadRequest", fmt.Sprintf(
			"The kind of data connector '%s' cannot be changed from '%s' to '%s'; delete the connector and create it again.", existing.name, existing.kind, kind))
	}
	if kind == KindMicrosoftCloudAppSecurity {
		switch {
		case !t.licenseValid:
			return armError(http.StatusUnauthorized, "InvalidLicense", "License is invalid")
		case !t.adminConsent && claims.IdentityType == "app":
			// The same 401 InvalidLicense comes with "Missing consent" when a service principal writes a
			// connector that the portal, with a signed-in administrator, writes without complaint
			// (Azure/Azure-Sentinel#5007 and Azure/SimuLand#23, for the Defender for Endpoint and
			// Microsoft 365 Defender connectors). Our model: it applies to service principals only.
			return armError(http.StatusUnauthorized, "InvalidLicense", "Missing consent")
		}
		if msg := validateCloudAppsProperties(body["properties"], claims.TenantID); msg != "" {
			return armError(http.StatusBadRequest, "BadRequest", msg)
		}
		if other := ws.otherConnectorOfKind(name, kind, parseConnectorProperties(body["properties"]).tenantID); other != nil {
			// One connector per kind and context: Sentinel refuses a second one under another name
			// (reported for other kinds in Azure/Azure-Sentinel#15075). For MicrosoftCloudAppSecurity the
			// context is the tenant, which must be the caller's own, so a workspace holds at most one.
			return armError(http.StatusBadRequest, "BadRequest",
				"connector validation failed there are two connectors with different names and the same kind and context id")
		}
	}
	now := time.Now()
	if existing == nil {
		c := newDataConnector(name, body, claims.ObjectID, "Application", now)
		ws.connectors[strings.ToLower(name)] = c
		t.observeIngestion(s.nowLocked())
		return armResult{status: http.StatusCreated, body: c.render(ws)}
	}
	existing.update(body, claims.ObjectID, "Application", now)
	t.observeIngestion(s.nowLocked())
	return armResult{status: http.StatusOK, body: existing.render(ws)}
}

// validateCloudAppsProperties checks the properties of a MicrosoftCloudAppSecurity connector and
// returns the service's complaint, or "" when they are acceptable.
func validateCloudAppsProperties(raw json.RawMessage, callerTenant string) string {
	type dataType struct {
		State *string `json:"state"`
	}
	var props struct {
		TenantID  string `json:"tenantId"`
		DataTypes *struct {
			Alerts        *dataType `json:"alerts"`
			DiscoveryLogs *dataType `json:"discoveryLogs"`
		} `json:"dataTypes"`
	}
	if len(raw) == 0 || string(raw) == "null" {
		return "The properties of a MicrosoftCloudAppSecurity data connector are required: tenantId and dataTypes."
	}
	if err := json.Unmarshal(raw, &props); err != nil {
		return "The properties of the data connector are malformed: " + err.Error() + "."
	}
	switch {
	case props.TenantID == "":
		return "properties.tenantId is required: set it to the Microsoft Entra tenant id of the caller."
	case !strings.EqualFold(props.TenantID, callerTenant):
		return fmt.Sprintf("properties.tenantId '%s' is not the caller's tenant '%s'. A MicrosoftCloudAppSecurity data connector can only connect the caller's own tenant; cross-tenant connections are not allowed.",
			props.TenantID, callerTenant)
	case props.DataTypes == nil || props.DataTypes.Alerts == nil || props.DataTypes.Alerts.State == nil:
		return "properties.dataTypes.alerts.state is required: set it to Enabled or Disabled."
	}
	alerts, ok := parseState(*props.DataTypes.Alerts.State)
	if !ok {
		return fmt.Sprintf("properties.dataTypes.alerts.state '%s' is invalid: expected Enabled or Disabled.", *props.DataTypes.Alerts.State)
	}
	discovery := false
	if dl := props.DataTypes.DiscoveryLogs; dl != nil {
		if dl.State == nil {
			return "properties.dataTypes.discoveryLogs.state is required when discoveryLogs is given: set it to Enabled or Disabled."
		}
		if discovery, ok = parseState(*dl.State); !ok {
			return fmt.Sprintf("properties.dataTypes.discoveryLogs.state '%s' is invalid: expected Enabled or Disabled.", *dl.State)
		}
	}
	if !alerts && !discovery {
		return "At least one data type must be enabled: alerts and discoveryLogs are both Disabled."
	}
	return ""
}

// connectorProperties are the facts the fake reads from a data connector's properties, decoded once
// when the connector is written.
type connectorProperties struct {
	// tenantID is properties.tenantId in lower case ("" when the properties name none): the context
	// of a MicrosoftCloudAppSecurity connector, and the tenant whose data it brings in.
	tenantID string
	// enabled holds the names of the data types whose properties.dataTypes.<name>.state is Enabled.
	enabled map[string]bool
}

// parseConnectorProperties decodes the properties of a data connector. Properties that are not a
// JSON object name no tenant and enable no data type.
func parseConnectorProperties(raw json.RawMessage) connectorProperties {
	var props struct {
		TenantID  string `json:"tenantId"`
		DataTypes map[string]struct {
			State string `json:"state"`
		} `json:"dataTypes"`
	}
	// A field of the wrong type is skipped and the others are still read, as encoding/json does.
	_ = json.Unmarshal(raw, &props)
	out := connectorProperties{tenantID: strings.ToLower(props.TenantID), enabled: map[string]bool{}}
	for name, dt := range props.DataTypes {
		if enabled, _ := parseState(dt.State); enabled {
			out.enabled[name] = true
		}
	}
	return out
}

// otherConnectorOfKind returns a connector of the workspace other than the one named name with the
// same kind and context, or nil.
func (w *workspace) otherConnectorOfKind(name, kind, context string) *dataConnector {
	for key, c := range w.connectors {
		if key != strings.ToLower(name) && c.kind == kind && c.props.tenantID == context {
			return c
		}
	}
	return nil
}

// onboarded reports whether the workspace's onboarding state is visible at now: Sentinel is enabled
// and the delay that EnableSentinel may set has passed.
func (w *workspace) onboarded(now time.Time) bool {
	return w.sentinel && !now.Before(w.onboardedFrom)
}

// parseState parses a data type state, ignoring case.
func parseState(state string) (enabled, ok bool) {
	switch {
	case strings.EqualFold(state, "Enabled"):
		return true, true
	case strings.EqualFold(state, "Disabled"):
		return false, true
	}
	return false, false
}

// readOnlyConnectorFields are the fields of a data connector the service sets itself.
var readOnlyConnectorFields = []string{"id", "name", "type", "etag", "systemData"}

// connectorBody parses a data connector body, which must be a JSON object.
func connectorBody(raw []byte) (map[string]json.RawMessage, error) {
	var body map[string]json.RawMessage
	if err := json.Unmarshal(raw, &body); err != nil || body == nil {
		return nil, errors.New("the request body is not a JSON object; send the data connector as {\"kind\": ..., \"properties\": {...}}")
	}
	return body, nil
}

// newDataConnector builds a connector from a body, dropping its read-only fields.
func newDataConnector(name string, body map[string]json.RawMessage, by, byType string, now time.Time) *dataConnector {
	c := &dataConnector{name: name, createdAt: now, createdBy: by, createdByType: byType}
	c.update(body, by, byType, now)
	return c
}

// update replaces the connector's body, with the kind and properties read from it, and gives it a new
// etag.
func (c *dataConnector) update(body map[string]json.RawMessage, by, byType string, now time.Time) {
	c.body = map[string]json.RawMessage{}
	for k, v := range body {
		if !slices.Contains(readOnlyConnectorFields, k) {
			c.body[k] = v
		}
	}
	c.kind = ""
	_ = json.Unmarshal(c.body["kind"], &c.kind)
	c.props = parseConnectorProperties(c.body["properties"])
	c.etag = fmt.Sprintf("%q", uuid.NewString())
	c.modifiedAt, c.modifiedBy, c.modifiedByType = now, by, byType
}

// render returns the connector as Resource Manager answers it.
func (c *dataConnector) render(ws *workspace) json.RawMessage {
	out := map[string]any{}
	for k, v := range c.body {
		out[k] = v
	}
	out["id"] = ws.id + securityInsightsNS + "/dataConnectors/" + c.name
	out["name"] = c.name
	out["type"] = dataConnectorType
	out["etag"] = c.etag
	out["systemData"] = map[string]string{
		"createdBy":          c.createdBy,
		"createdByType":      c.createdByType,
		"createdAt":          c.createdAt.UTC().Format(time.RFC3339Nano),
		"lastModifiedBy":     c.modifiedBy,
		"lastModifiedByType": c.modifiedByType,
		"lastModifiedAt":     c.modifiedAt.UTC().Format(time.RFC3339Nano),
	}
	raw, _ := json.Marshal(out) // Every value is a string, a map of strings or valid JSON.
	return raw
}

// render returns the workspace as Resource Manager answers it.
func (w *workspace) render() map[string]any {
	return map[string]any{
		"id":       w.id,
		"name":     w.name,
		"type":     workspaceType,
		"location": w.location,
		"properties": map[string]any{
			"customerId":                      w.customerID,
			"provisioningState":               "Succeeded",
			"sku":                             map[string]string{"name": "PerGB2018"},
			"retentionInDays":                 90,
			"publicNetworkAccessForIngestion": "Enabled",
			"publicNetworkAccessForQuery":     "Enabled",
		},
	}
}

// cutPrefixFold is strings.CutPrefix ignoring the case of the prefix.
func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

package fakeapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

const (
	// maxAgents is the number of SIEM agents a tenant may have, of all types.
	maxAgents = 5
	// maxPageSize is the largest number of items the Cloud Apps API returns at once.
	maxPageSize = 100
)

// cloudAppsResult is a computed Cloud Apps response; a nil body means no content.
type cloudAppsResult struct {
	status int
	body   any
}

// detail returns a Django REST framework style error result, {"detail": "..."}.
func detail(status int, format string, args ...any) cloudAppsResult {
	return cloudAppsResult{status: status, body: map[string]string{"detail": fmt.Sprintf(format, args...)}}
}

// serveCloudApps serves /mcas/{tenant}/api/...: authentication, throttling and the license check,
// then the discovery streams and SIEM agents endpoints.
func (s *Server) serveCloudApps(w http.ResponseWriter, r *http.Request) {
	name, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/mcas/"), "/")
	var res cloudAppsResult
	body, err := readBody(r)
	if err != nil {
		res = detail(http.StatusBadRequest, "%s.", err)
	} else {
		res = s.handleCloudApps(r, body, name, "/"+strings.TrimSuffix(rest, "/"))
	}
	if res.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Token, Bearer`)
	}
	if res.body == nil {
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(res.status)
		return
	}
	writeJSON(w, res.status, res.body)
}

// handleCloudApps computes the response of a Cloud Apps request with its body for the tenant name
// and the path below its portal URL (without trailing slash).
func (s *Server) handleCloudApps(r *http.Request, body []byte, name, path string) cloudAppsResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenantByName(name)
	if t == nil {
		return detail(http.StatusNotFound, "Not found: there is no Defender for Cloud Apps tenant %q on this server.", name)
	}
	if msg := s.authenticateCloudApps(t, r.Header.Get("Authorization")); msg != "" {
		return detail(http.StatusUnauthorized, "%s", msg)
	}
	if !s.admitCloudAppsRequest(t, time.Now()) {
		return detail(http.StatusTooManyRequests,
			"Request was throttled: the Defender for Cloud Apps API allows %d requests per %s for a tenant. Wait and retry.", s.rateLimit, s.rateWindow)
	}
	if !t.licenseValid {
		return detail(http.StatusForbidden,
			"Your tenant does not have a valid Microsoft Defender for Cloud Apps license. Assign a Defender for Cloud Apps or Microsoft 365 E5 license to use the API.")
	}

	switch {
	case path == "/api/discovery/streams":
		if r.Method != http.MethodGet {
			return methodNotAllowed(r)
		}
		return t.renderStreams(r)
	case (path == "/api/v1/agents/siem" || strings.HasPrefix(path, "/api/v1/agents/siem/")) && t.siemRoute == SIEMRouteAbsent:
		return detail(http.StatusNotFound, "Not found: the Cloud Apps API has no endpoint %s.", path)
	case (path == "/api/v1/agents/siem" || strings.HasPrefix(path, "/api/v1/agents/siem/")) && t.siemRoute == SIEMRouteReadOnly &&
		(path != "/api/v1/agents/siem" || r.Method != http.MethodGet):
		return methodNotAllowed(r)
	case path == "/api/v1/agents/siem":
		switch r.Method {
		case http.MethodGet:
			return t.listAgents(r)
		case http.MethodPost:
			return t.createAgent(body, s.nowLocked())
		}
		return methodNotAllowed(r)
	case strings.HasPrefix(path, "/api/v1/agents/siem/"):
		id := strings.TrimPrefix(path, "/api/v1/agents/siem/")
		switch r.Method {
		case http.MethodGet, http.MethodPut, http.MethodDelete:
			return t.agentByID(r.Method, body, id, s.nowLocked())
		}
		return methodNotAllowed(r)
	}
	return detail(http.StatusNotFound, "Not found: the Cloud Apps API has no endpoint %s.", path)
}

// methodNotAllowed is Django REST framework's 405.
func methodNotAllowed(r *http.Request) cloudAppsResult {
	return detail(http.StatusMethodNotAllowed, "Method \"%s\" not allowed.", r.Method)
}

// authenticateCloudApps checks a Cloud Apps Authorization header ("Token <legacy token>" or
// "Bearer <Entra token>") for tenant t and returns why it is refused, or "". The caller holds s.mu.
func (s *Server) authenticateCloudApps(t *tenant, header string) string {
	if header == "" {
		return "Authentication credentials were not provided. Send 'Authorization: Token <API token>' or 'Authorization: Bearer <Microsoft Entra token>'."
	}
	scheme, value, _ := strings.Cut(header, " ")
	value = strings.TrimSpace(value)
	switch {
	case strings.EqualFold(scheme, "Token"):
		if !legacyTokenRE.MatchString(value) {
			return "Invalid token header: an API token is 64 to 192 characters of [0-9a-zA-Z=]."
		}
		if slices.Contains(t.apiTokens, value) {
			return ""
		}
		if owner := s.tenantByAPIToken(value); owner != nil && owner != t {
			return "Invalid token: the API token belongs to another tenant, not to this portal."
		}
		return "Invalid token: the API token is unknown or was revoked."
	case strings.EqualFold(scheme, "Bearer"):
		claims, err := s.verifyAccessToken(value)
		switch {
		case errors.Is(err, errTokenExpired):
			return "Invalid token: the Microsoft Entra token has expired; get a new one."
		case err != nil:
			return "Invalid token: " + err.Error() + "."
		case !slices.ContainsFunc(claims.Audience, isCloudAppsAudience):
			return fmt.Sprintf("Invalid token: the audience is '%s', expected '%s' (request the scope %s/.default).",
				strings.Join(claims.Audience, ","), CloudAppsAudience, CloudAppsAudience)
		case !strings.EqualFold(claims.TenantID, t.id):
			return fmt.Sprintf("Invalid token: it was issued for tenant '%s', but this portal belongs to tenant '%s'.", claims.TenantID, t.id)
		}
		return ""
	}
	return "Invalid authorization header: expected the scheme Token or Bearer."
}

// admitCloudAppsRequest applies the per-tenant sliding-window throttle and records an admitted
// request. The caller holds s.mu.
func (s *Server) admitCloudAppsRequest(t *tenant, now time.Time) bool {
	var admitted bool
	t.recent, admitted = admitWindow(t.recent, s.rateLimit, s.rateWindow, now)
	return admitted
}

// renderStreams answers GET /api/discovery/streams/ in the tenant's envelope. The envelope of the
// API's lists, {"total","hasNext","data"}, pages with skip and limit and holds at most 100 items (the
// Cloud Apps list endpoints cap a request at 100 records and page with limit and skip: Microsoft's
// answer in the Tech Community thread "Fetch Activity with Curl retrieves limited entries", and the
// list endpoints of the Defender for Cloud Apps API reference). The documented {"streams": [...]} and
// the bare array carry no paging fields, so there the whole list comes at once (our model: no page of
// them is documented).
func (t *tenant) renderStreams(r *http.Request) cloudAppsResult {
	all := t.streams
	if t.envelope == EnvelopeData {
		skip, err := queryInt(r, "skip", 0)
		if err != nil {
			return detail(http.StatusBadRequest, "%s", err)
		}
		limit, err := queryInt(r, "limit", maxPageSize)
		if err != nil {
			return detail(http.StatusBadRequest, "%s", err)
		}
		if limit == 0 || limit > maxPageSize {
			limit = maxPageSize
		}
		all = t.streams[min(skip, len(t.streams)):min(skip+limit, len(t.streams))]
	}
	list := make([]map[string]any, 0, len(all))
	for _, st := range all {
		list = append(list, renderStream(st))
	}
	var body any
	switch t.envelope {
	case EnvelopeArray:
		body = list
	case EnvelopeData:
		skip, _ := queryInt(r, "skip", 0)
		body = map[string]any{"total": len(t.streams), "hasNext": skip+len(list) < len(t.streams), "data": list}
	default:
		body = map[string]any{"streams": list}
	}
	return cloudAppsResult{status: http.StatusOK, body: body}
}

// renderStream returns a stream as the Cloud Apps API answers it.
func renderStream(st Stream) map[string]any {
	var lastData any
	if st.LastDataReceived != nil {
		lastData = *st.LastDataReceived
	}
	return map[string]any{
		"_id":                   st.ID,
		"displayName":           st.DisplayName,
		"streamType":            st.StreamType,
		"logType":               st.LogType,
		"receiverType":          st.ReceiverType,
		"created":               st.Created,
		"lastModified":          st.LastModified,
		"lastDataReceived":      lastData,
		"globalAggregated":      st.GlobalAggregated,
		"anonymizeUsers":        false,
		"anonymizeMachines":     false,
		"isManual":              st.StreamType == StreamTypeSnapshot,
		"comment":               "",
		"supportedEntityTypes":  []string{"users", "machines", "ips"},
		"supportedTrafficTypes": []string{"cloud"},
		"userTags":              []string{},
	}
}

// agentWire is a SIEM agent as the Cloud Apps API answers it.
type agentWire struct {
	ID           string         `json:"_id"`
	AgentType    string         `json:"agentType"`
	DisplayName  string         `json:"displayName"`
	DataTypes    agentDataTypes `json:"dataTypes"`
	Created      int64          `json:"created"`
	LastModified int64          `json:"lastModified"`
}

type agentDataTypes struct {
	Alerts        bool               `json:"alerts"`
	DiscoveryLogs agentDiscoveryLogs `json:"discoveryLogs"`
}

type agentDiscoveryLogs struct {
	Enabled bool     `json:"enabled"`
	Streams []string `json:"streams"`
}

// renderAgent returns an agent in its wire form.
func renderAgent(a *Agent) agentWire {
	return agentWire{
		ID:          a.ID,
		AgentType:   a.AgentType,
		DisplayName: a.DisplayName,
		DataTypes: agentDataTypes{
			Alerts:        a.Alerts,
			DiscoveryLogs: agentDiscoveryLogs{Enabled: a.DiscoveryLogsEnabled, Streams: append([]string{}, a.Streams...)},
		},
		Created:      a.Created,
		LastModified: a.LastModified,
	}
}

// sortedAgents returns the tenant's agents sorted by id.
func (t *tenant) sortedAgents() []*Agent {
	list := make([]*Agent, 0, len(t.agents))
	for _, a := range t.agents {
		list = append(list, a)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	return list
}

// listAgents answers GET /api/v1/agents/siem/?skip=&limit=.
func (t *tenant) listAgents(r *http.Request) cloudAppsResult {
	skip, err := queryInt(r, "skip", 0)
	if err != nil {
		return detail(http.StatusBadRequest, "%s", err)
	}
	limit, err := queryInt(r, "limit", maxPageSize)
	if err != nil {
		return detail(http.StatusBadRequest, "%s", err)
	}
	if limit == 0 || limit > maxPageSize {
		limit = maxPageSize
	}
	all := t.sortedAgents()
	data := []agentWire{}
	for _, a := range all[min(skip, len(all)):min(skip+limit, len(all))] {
		data = append(data, renderAgent(a))
	}
	return cloudAppsResult{status: http.StatusOK, body: map[string]any{
		"total":   len(all),
		"hasNext": skip+len(data) < len(all),
		"data":    data,
	}}
}

// queryInt parses a non-negative integer query parameter.
func queryInt(r *http.Request, name string, def int) (int, error) {
	raw := r.URL.Query().Get(name)
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("the %s parameter %q is invalid: expected a non-negative integer", name, raw)
	}
	return n, nil
}

// agentRequest is the body of POST and PUT on SIEM agents.
type agentRequest struct {
	AgentType   *string `json:"agentType"`
	DisplayName *string `json:"displayName"`
	DataTypes   *struct {
		Alerts        bool `json:"alerts"`
		DiscoveryLogs *struct {
			Enabled bool     `json:"enabled"`
			Streams []string `json:"streams"`
		} `json:"discoveryLogs"`
	} `json:"dataTypes"`
}

// parseAgentRequest parses an agent body.
func parseAgentRequest(body []byte) (*agentRequest, *cloudAppsResult) {
	req := &agentRequest{}
	if err := json.Unmarshal(body, req); err != nil {
		res := detail(http.StatusBadRequest, "JSON parse error - %s", err)
		return nil, &res
	}
	return req, nil
}

// applyAgentRequest validates a request against the agent rules and applies it to a (copy of an) agent.
func (t *tenant) applyAgentRequest(a *Agent, req *agentRequest) *cloudAppsResult {
	if req.DisplayName != nil {
		a.DisplayName = *req.DisplayName
	}
	a.Alerts, a.DiscoveryLogsEnabled, a.Streams = false, false, []string{}
	if req.DataTypes != nil {
		a.Alerts = req.DataTypes.Alerts
		if dl := req.DataTypes.DiscoveryLogs; dl != nil {
			a.DiscoveryLogsEnabled = dl.Enabled
			for _, id := range dl.Streams {
				if t.findStream(id) < 0 {
					res := detail(http.StatusBadRequest,
						"Unknown stream id '%s' in dataTypes.discoveryLogs.streams; list the tenant's streams at /api/discovery/streams/.", id)
					return &res
				}
				a.Streams = append(a.Streams, strings.ToLower(id))
			}
		}
	}
	if a.AgentType == AgentTypeSentinel && !a.Alerts {
		res := detail(http.StatusBadRequest, "dataTypes.alerts must be true for a Microsoft Sentinel agent: alerts are always sent to Microsoft Sentinel.")
		return &res
	}
	return nil
}

// validAgentType checks the agentType of a request.
func validAgentType(agentType string) *cloudAppsResult {
	if agentType == AgentTypeSentinel || agentType == AgentTypeGeneric {
		return nil
	}
	res := detail(http.StatusBadRequest, "agentType '%s' is invalid: expected '%s' or '%s'.", agentType, AgentTypeSentinel, AgentTypeGeneric)
	return &res
}

// roleMissing is the 403 of a caller without the Security Administrator role.
func roleMissing() cloudAppsResult {
	return detail(http.StatusForbidden,
		"You do not have permission to perform this action. Managing SIEM agents requires at least the Security Administrator role.")
}

// createAgent answers POST /api/v1/agents/siem/; observed is the time of the fake's clock at which
// the new agent starts forwarding data. The caller holds s.mu.
func (t *tenant) createAgent(body []byte, observed time.Time) cloudAppsResult {
	if !t.rolePresent {
		return roleMissing()
	}
	req, bad := parseAgentRequest(body)
	if bad != nil {
		return *bad
	}
	if req.AgentType == nil {
		return *validAgentType("")
	}
	if bad := validAgentType(*req.AgentType); bad != nil {
		return *bad
	}
	if existing := t.sentinelAgent(); existing != nil && *req.AgentType == AgentTypeSentinel {
		return detail(http.StatusConflict, "A Microsoft Sentinel SIEM agent already exists (id %s); a tenant can have only one.", existing.ID)
	}
	if len(t.agents) >= maxAgents {
		return detail(http.StatusBadRequest, "A tenant can have at most %d SIEM agents; delete one before adding another.", maxAgents)
	}
	now := time.Now()
	a := &Agent{ID: newObjectID(now), AgentType: *req.AgentType, DisplayName: "Microsoft Sentinel", Created: now.UnixMilli(), LastModified: now.UnixMilli()}
	if a.AgentType == AgentTypeGeneric {
		a.DisplayName = "SIEM agent"
	}
	if bad := t.applyAgentRequest(a, req); bad != nil {
		return *bad
	}
	t.agents[a.ID] = a
	t.observeIngestion(observed)
	return cloudAppsResult{status: http.StatusCreated, body: renderAgent(a)}
}

// agentByID answers GET, PUT and DELETE /api/v1/agents/siem/{id}/; observed is the time of the fake's
// clock at which a change to the agent changes what it forwards. The caller holds s.mu.
func (t *tenant) agentByID(method string, body []byte, id string, observed time.Time) cloudAppsResult {
	if method != http.MethodGet && !t.rolePresent {
		return roleMissing()
	}
	var existing *Agent
	if objectIDRE.MatchString(id) {
		existing = t.agents[strings.ToLower(id)]
	}
	if existing == nil {
		return detail(http.StatusNotFound, "Not found: there is no SIEM agent with id '%s'.", id)
	}
	switch method {
	case http.MethodGet:
		return cloudAppsResult{status: http.StatusOK, body: renderAgent(existing)}
	case http.MethodDelete:
		delete(t.agents, existing.ID)
		t.observeIngestion(observed)
		return cloudAppsResult{status: http.StatusNoContent}
	}
	req, bad := parseAgentRequest(body)
	if bad != nil {
		return *bad
	}
	if req.AgentType != nil {
		if bad := validAgentType(*req.AgentType); bad != nil {
			return *bad
		}
		if *req.AgentType != existing.AgentType {
			return detail(http.StatusBadRequest, "agentType cannot be changed from '%s' to '%s'; delete the agent and create another.", existing.AgentType, *req.AgentType)
		}
	}
	updated := *existing
	if bad := t.applyAgentRequest(&updated, req); bad != nil {
		return *bad
	}
	updated.LastModified = max(time.Now().UnixMilli(), existing.LastModified+1)
	*existing = updated
	t.observeIngestion(observed)
	return cloudAppsResult{status: http.StatusOK, body: renderAgent(existing)}
}

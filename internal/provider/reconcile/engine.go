// Package reconcile is the engine of the mcas_sentinel_integration resource. It observes both halves
// of one tenant's integration, the Sentinel SIEM agent in Defender for Cloud Apps and the
// MicrosoftCloudAppSecurity data connector of a Microsoft Sentinel workspace, converges them to what
// the configuration asks, and says what the services hold after a failure.
//
// The engine works on two small interfaces, [Connectors] and [Agents], which the Resource Manager and
// Cloud Apps clients satisfy and tests replace with fakes. It speaks the services' terms, never
// Terraform's: internal/provider reads plans and state, calls the engine, turns its results into
// state, and turns its typed errors ([*ExistsError], [*PortalStepsError], [*AgentRouteError], ...)
// into diagnostics.
//
// The SIEM agent half rests on a route Microsoft does not document; only listing agents has public
// evidence. In [ModeObserve] the engine therefore never writes agents: it lists them, compares, and
// returns the portal steps when the agent must change.
package reconcile

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/cloudapps"
	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/resourcemanager"
)

// Connectors is what the engine needs of Azure Resource Manager.
type Connectors interface {
	GetWorkspace(ctx context.Context, id resourcemanager.WorkspaceID) (*resourcemanager.Workspace, error)
	SentinelOnboarded(ctx context.Context, id resourcemanager.WorkspaceID) (bool, error)
	ListDataConnectors(ctx context.Context, ws resourcemanager.WorkspaceID) ([]resourcemanager.DataConnector, error)
	GetDataConnector(ctx context.Context, id resourcemanager.DataConnectorID) (*resourcemanager.DataConnector, error)
	PutDataConnector(ctx context.Context, id resourcemanager.DataConnectorID, dc resourcemanager.DataConnector) (*resourcemanager.DataConnector, error)
	DeleteDataConnector(ctx context.Context, id resourcemanager.DataConnectorID) error
}

// Agents is what the engine needs of Defender for Cloud Apps.
type Agents interface {
	FindSentinelAgent(ctx context.Context) (*cloudapps.Agent, error)
	CreateAgent(ctx context.Context, a cloudapps.Agent) (*cloudapps.Agent, error)
	UpdateAgent(ctx context.Context, id string, a cloudapps.Agent) (*cloudapps.Agent, error)
	DeleteAgent(ctx context.Context, id string) error
	ListStreams(ctx context.Context) ([]cloudapps.Stream, error)
}

// Mode says how the engine treats the SIEM agent.
type Mode string

const (
	// ModeManage writes the Sentinel SIEM agent through the modeled route.
	ModeManage Mode = "manage"
	// ModeObserve only lists agents; the agent is added and edited in the portal.
	ModeObserve Mode = "observe"
)

// Modes lists the modes in the order the documentation gives them.
var Modes = []string{string(ModeManage), string(ModeObserve)}

// SentinelAgentDisplayName is the name the portal's wizard gives the Sentinel SIEM agent.
const SentinelAgentDisplayName = "Microsoft Sentinel"

// AfterFailureTimeout bounds the look at the services after a failed operation. The operation's own
// time may be used up, or Terraform may be waiting to stop after an interrupt.
const AfterFailureTimeout = 30 * time.Second

// Desired is what the configuration asks of both halves.
type Desired struct {
	TenantID  string
	Alerts    bool
	Discovery bool
	// Streams are the stream ids, normalized with [NormalizeStreams]; nil means all streams.
	Streams []string
}

// Observed is what the services hold; a nil half is missing.
type Observed struct {
	Connector *resourcemanager.DataConnector
	Props     resourcemanager.CloudAppSecurityProperties
	Agent     *cloudapps.Agent
	// AgentUnreadable is set in observe mode when the tenant's Cloud Apps API did not answer the agent
	// list as modeled: the Cloud Apps half is then unknown rather than missing.
	AgentUnreadable *AgentRouteError
}

// Engine reconciles the integration of one workspace's data connector.
type Engine struct {
	Connectors Connectors
	Agents     Agents
	Workspace  resourcemanager.WorkspaceID
	Connector  resourcemanager.DataConnectorID
	Mode       Mode

	// streams are the tenant's streams once listed: an engine serves one operation, and Cloud Apps
	// allows few requests per minute, so the stream check and the portal steps share one listing.
	streams []cloudapps.Stream
}

// listStreams lists the tenant's streams once per engine.
func (e *Engine) listStreams(ctx context.Context) ([]cloudapps.Stream, error) {
	if e.streams == nil {
		streams, err := e.Agents.ListStreams(ctx)
		if err != nil {
			return nil, err
		}
		e.streams = append(make([]cloudapps.Stream, 0, len(streams)), streams...)
	}
	return e.streams, nil
}

// Observe reads both halves: the data connector by its id, the Sentinel agent by listing the tenant's
// agents (the only agent call with public evidence), so one read costs one request per half.
func (e *Engine) Observe(ctx context.Context) (Observed, error) {
	var o Observed
	dc, err := e.Connectors.GetDataConnector(ctx, e.Connector)
	switch {
	case resourcemanager.IsNotFound(err):
	case err != nil:
		return o, err
	case !strings.EqualFold(dc.Kind, resourcemanager.KindCloudAppSecurity):
		return o, &WrongKindError{Connector: e.Connector, Kind: dc.Kind}
	default:
		props, err := dc.CloudAppSecurity()
		if err != nil {
			return o, fmt.Errorf("the data connector %s is no longer a readable Defender for Cloud Apps connector: %w", e.Connector, err)
		}
		o.Connector, o.Props = dc, props
	}
	o.Agent, o.AgentUnreadable, err = e.findAgent(ctx)
	return o, err
}

// findAgent lists the tenant's agents for the Sentinel one. In observe mode, an answer showing that the
// modeled route is not there leaves the agent unknown (unreadable) instead of failing.
func (e *Engine) findAgent(ctx context.Context) (*cloudapps.Agent, *AgentRouteError, error) {
	agent, err := e.Agents.FindSentinelAgent(ctx)
	routeErr := asRouteError("listing SIEM agents", err)
	switch {
	case routeErr != nil && e.Mode == ModeObserve:
		tflog.Warn(ctx, "The tenant's Cloud Apps API did not answer the SIEM agent list as modeled; the Cloud Apps half is not observed", map[string]any{"error": err.Error()})
		return nil, routeErr, nil
	case routeErr != nil:
		return nil, nil, routeErr
	}
	return agent, nil, err
}

// Prerequisites verifies, before anything is created, that the workspace exists and has Sentinel, that
// the integration does not exist yet, and that the chosen streams exist. It returns what it observed
// of the Cloud Apps half, which in observe mode is the agent the portal holds.
func (e *Engine) Prerequisites(ctx context.Context, d Desired) (Observed, error) {
	var o Observed
	if _, err := e.Connectors.GetWorkspace(ctx, e.Workspace); err != nil {
		if resourcemanager.IsNotFound(err) {
			return o, &WorkspaceNotFoundError{Workspace: e.Workspace}
		}
		return o, &StepError{Step: "Reading the Log Analytics workspace", Err: err}
	}
	onboarded, err := e.Connectors.SentinelOnboarded(ctx, e.Workspace)
	if err != nil {
		return o, &StepError{Step: "Checking that Microsoft Sentinel is enabled on the workspace", Err: err}
	}
	if !onboarded {
		return o, &SentinelNotEnabledError{Workspace: e.Workspace}
	}

	if o.Agent, o.AgentUnreadable, err = e.findAgent(ctx); err != nil {
		var routeErr *AgentRouteError
		if errors.As(err, &routeErr) {
			return o, err
		}
		return o, &StepError{Step: "Looking for an existing Sentinel SIEM agent", Err: err}
	}
	connectors, err := e.Connectors.ListDataConnectors(ctx, e.Workspace)
	if err != nil {
		return o, &StepError{Step: "Listing the workspace's data connectors", Err: err}
	}
	exists := &ExistsError{ImportID: e.Connector.String()}
	if o.Agent != nil && e.Mode == ModeManage {
		exists.AgentID = o.Agent.ID
	}
	for _, c := range connectors {
		switch {
		case strings.EqualFold(c.Kind, resourcemanager.KindCloudAppSecurity):
			exists.ConnectorIDs = append(exists.ConnectorIDs, c.ID)
			exists.ImportID = c.ID
		case strings.EqualFold(c.Name, e.Connector.Name):
			return o, &ConnectorNameTakenError{Name: c.Name, Kind: c.Kind}
		}
	}
	if exists.AgentID != "" || len(exists.ConnectorIDs) > 0 {
		return o, exists
	}
	return o, e.CheckStreams(ctx, d)
}

// CheckStreams verifies that every chosen stream exists in the tenant.
func (e *Engine) CheckStreams(ctx context.Context, d Desired) error {
	if d.Streams == nil {
		return nil
	}
	streams, err := e.listStreams(ctx)
	if err != nil {
		return &StepError{Step: "Listing discovery streams", Err: err}
	}
	known := make(map[string]bool, len(streams))
	for _, s := range streams {
		known[strings.ToLower(s.ID)] = true
	}
	var unknown []string
	for _, id := range d.Streams {
		if !known[strings.ToLower(id)] {
			unknown = append(unknown, id)
		}
	}
	if len(unknown) > 0 {
		return &UnknownStreamsError{IDs: unknown}
	}
	return nil
}

// Create checks the prerequisites and then converges both halves from nothing. written reports whether
// a write of the resource's own may have happened: when it is false, nothing of it exists.
//
// In observe mode the Cloud Apps half is checked before anything is written, as the portal's wizard
// adds the agent first: a create that fails after writing the connector would leave the resource
// tainted, and the next apply would replace the connector instead of finding nothing to do.
func (e *Engine) Create(ctx context.Context, d Desired) (o Observed, written bool, err error) {
	if o, err = e.Prerequisites(ctx, d); err != nil {
		return o, false, err
	}
	if e.Mode == ModeObserve {
		if err := e.CheckAgent(ctx, d, o); err != nil {
			return o, false, err
		}
	}
	o, err = e.Converge(ctx, d, o)
	// A 409 on creating the agent is the first write, refused: nothing of the resource's exists, and
	// the agent the tenant holds is someone else's, which the state must not take.
	var exists *ExistsError
	return o, !errors.As(err, &exists), err
}

// Update observes both halves and converges them to d. When the connector is gone and the workspace
// holds another MicrosoftCloudAppSecurity connector, it stops with an [*OtherConnectorError] instead of
// sending a write that Sentinel refuses. observed reports whether the first observation succeeded.
func (e *Engine) Update(ctx context.Context, d Desired) (o Observed, observed bool, err error) {
	if o, err = e.Observe(ctx); err != nil {
		return o, false, err
	}
	if o.Connector == nil {
		if err := e.checkConnectorSlot(ctx); err != nil {
			return o, true, err
		}
	}
	o, err = e.Converge(ctx, d, o)
	return o, true, err
}

// checkConnectorSlot returns an [*OtherConnectorError] when the workspace holds a MicrosoftCloudAppSecurity
// connector other than the resource's.
func (e *Engine) checkConnectorSlot(ctx context.Context) error {
	connectors, err := e.Connectors.ListDataConnectors(ctx, e.Workspace)
	if err != nil {
		return &StepError{Step: "Listing the workspace's data connectors", Err: err}
	}
	for _, dc := range connectors {
		if strings.EqualFold(dc.Kind, resourcemanager.KindCloudAppSecurity) && !strings.EqualFold(dc.Name, e.Connector.Name) {
			return &OtherConnectorError{Connector: e.Connector, Other: dc.ID, OtherName: dc.Name}
		}
	}
	return nil
}

// Converge creates or updates whichever half differs from d and leaves alone what already matches. In
// manage mode the agent comes first, as in the portal's wizard; in observe mode only the connector is
// written, and an agent that must change ends in a [*PortalStepsError] after the connector converged.
// Converge never touches generic SIEM agents or data connectors of other kinds. It returns what the
// services hold afterwards as far as it knows, also when it fails half-way.
func (e *Engine) Converge(ctx context.Context, d Desired, o Observed) (Observed, error) {
	if e.Mode == ModeObserve {
		o, err := e.convergeConnector(ctx, d, o)
		if err != nil {
			return o, err
		}
		return o, e.CheckAgent(ctx, d, o)
	}
	want := cloudapps.Agent{
		AgentType:   cloudapps.AgentTypeSentinel,
		DisplayName: SentinelAgentDisplayName,
		DataTypes: cloudapps.AgentDataTypes{
			Alerts:        true,
			DiscoveryLogs: cloudapps.DiscoveryLogs{Enabled: d.Discovery, Streams: d.Streams},
		},
	}
	switch {
	case o.Agent == nil:
		tflog.Info(ctx, "Creating the Sentinel SIEM agent in Defender for Cloud Apps")
		agent, err := e.Agents.CreateAgent(ctx, want)
		switch {
		case cloudapps.IsConflict(err):
			return o, &ExistsError{AgentConflict: true, ImportID: e.Connector.String(), Err: err}
		case err != nil:
			return o, routeErrorOr("creating the Sentinel SIEM agent", err)
		}
		o.Agent = agent
	case !AgentMatches(o.Agent, d):
		want.DisplayName = o.Agent.DisplayName
		tflog.Info(ctx, "Updating the Sentinel SIEM agent in Defender for Cloud Apps", map[string]any{"agent_id": o.Agent.ID})
		agent, err := e.Agents.UpdateAgent(ctx, o.Agent.ID, want)
		if err != nil {
			return o, routeErrorOr("updating the Sentinel SIEM agent", err)
		}
		o.Agent = agent
	}
	return e.convergeConnector(ctx, d, o)
}

func (e *Engine) convergeConnector(ctx context.Context, d Desired, o Observed) (Observed, error) {
	if o.Connector != nil && ConnectorMatches(o.Props, d) {
		return o, nil
	}
	tflog.Info(ctx, "Writing the Microsoft Sentinel data connector", map[string]any{"connector_id": e.Connector.String()})
	dc, err := e.Connectors.PutDataConnector(ctx, e.Connector, resourcemanager.NewCloudAppSecurityConnector(d.TenantID, d.Alerts, d.Discovery))
	if err != nil {
		return o, err
	}
	props, err := dc.CloudAppSecurity()
	if err != nil {
		return o, err
	}
	o.Connector, o.Props = dc, props
	return o, nil
}

// CheckAgent is the observe mode's comparison of the Cloud Apps half: nil when the agent the portal
// holds matches d, or when the tenant's agents cannot be read (the caller warns), else a
// [*PortalStepsError] with the steps that make it match.
func (e *Engine) CheckAgent(ctx context.Context, d Desired, o Observed) error {
	if o.AgentUnreadable != nil || (o.Agent != nil && AgentMatches(o.Agent, d)) {
		return nil //nolint:nilerr // An agent list that cannot be read leaves the agent unknown, not wrong; the caller warns.
	}
	steps := &PortalStepsError{Desired: d, Agent: o.Agent}
	if d.Discovery && d.Streams != nil {
		// The portal's "Apply to" list shows stream names, not ids. Without the names the steps still
		// give the ids.
		if streams, err := e.listStreams(ctx); err == nil {
			steps.StreamNames = make(map[string]string, len(streams))
			for _, s := range streams {
				steps.StreamNames[strings.ToLower(s.ID)] = s.DisplayName
			}
		}
	}
	return steps
}

// AfterFailure returns what the services hold after a failed write: a fresh observation when the
// services answer (fresh is true), else what the write itself knew.
func (e *Engine) AfterFailure(ctx context.Context, partial Observed) (o Observed, fresh bool) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), AfterFailureTimeout)
	defer cancel()
	if o, err := e.Observe(ctx); err == nil {
		return o, true
	}
	return partial, false
}

// Delete deletes the data connector and, in manage mode, the agent the state knows (agentID, empty
// when none); a half that is already gone counts as deleted. In observe mode the agent is left in
// place, and agentLeft says so.
func (e *Engine) Delete(ctx context.Context, agentID string) (agentLeft bool, err error) {
	if err := e.Connectors.DeleteDataConnector(ctx, e.Connector); err != nil && !resourcemanager.IsNotFound(err) {
		return false, &StepError{Step: "Deleting the Microsoft Sentinel data connector", Err: err}
	}
	if agentID == "" {
		return false, nil
	}
	if e.Mode == ModeObserve {
		return true, nil
	}
	if err := e.Agents.DeleteAgent(ctx, agentID); err != nil && !cloudapps.IsNotFound(err) {
		return false, &StepError{Step: "Deleting the Sentinel SIEM agent in Defender for Cloud Apps", Err: routeErrorOr("deleting the Sentinel SIEM agent", err)}
	}
	return false, nil
}

// MayHaveActed reports whether a failed write may still have been carried out by the service: it was
// not refused with a client error (4xx) but timed out, lost its connection, got a server error or an
// answer that could not be read.
func MayHaveActed(err error) bool {
	var routeErr *AgentRouteError
	if errors.As(err, &routeErr) && routeErr.StatusCode != 0 {
		return false
	}
	// Both clients classify their answers with the same function.
	return !cloudapps.IsRefused(err)
}

// AgentMatches reports whether the agent forwards what d asks.
func AgentMatches(a *cloudapps.Agent, d Desired) bool {
	return a.DataTypes.Alerts &&
		a.DataTypes.DiscoveryLogs.Enabled == d.Discovery &&
		sameStreams(NormalizeStreams(a.DataTypes.DiscoveryLogs.Streams), d.Streams)
}

// ConnectorMatches reports whether the connector's properties are what d asks.
func ConnectorMatches(p resourcemanager.CloudAppSecurityProperties, d Desired) bool {
	return strings.EqualFold(p.TenantID, d.TenantID) && p.AlertsEnabled() == d.Alerts && p.DiscoveryLogsEnabled() == d.Discovery
}

// NormalizeStreams sorts stream ids and drops duplicates; an empty list means all streams (nil).
func NormalizeStreams(ids []string) []string {
	if len(ids) == 0 {
		return nil
	}
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// SameStreams compares two stream filters, nil meaning all streams; stream ids are hexadecimal, so
// case does not matter.
func SameStreams(a, b []string) bool {
	return sameStreams(NormalizeStreams(a), NormalizeStreams(b))
}

func sameStreams(a, b []string) bool {
	return slices.EqualFunc(a, b, strings.EqualFold)
}

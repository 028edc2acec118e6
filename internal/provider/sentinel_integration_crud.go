package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/cloudapps"
	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/resourcemanager"
)

// sentinelAgentDisplayName is the name the portal's wizard gives the Sentinel SIEM agent.
const sentinelAgentDisplayName = "Microsoft Sentinel"

// desiredIntegration is what the configuration asks of both halves.
type desiredIntegration struct {
	tenantID  string
	alerts    bool
	discovery bool
	// streams are the stream ids, sorted; nil means all streams.
	streams []string
}

// observedIntegration is what the services hold; a nil half is missing.
type observedIntegration struct {
	connector *resourcemanager.DataConnector
	props     resourcemanager.CloudAppSecurityProperties
	agent     *cloudapps.Agent
}

// integrationTarget holds the clients and ids one operation works with.
type integrationTarget struct {
	rm        *resourcemanager.Client
	ca        *cloudapps.Client
	workspace resourcemanager.WorkspaceID
	connector resourcemanager.DataConnectorID
	// onboarding, set by create, makes the checks and writes wait for Sentinel's onboarding to take
	// effect (sentinel_onboarding.go).
	onboarding *onboardingWait
}

// target resolves the clients and the ids of m; m's workspace_id and connector_name must be known.
func (r *sentinelIntegrationResource) target(m sentinelIntegrationModel) (*integrationTarget, diag.Diagnostics) {
	var diags diag.Diagnostics
	rm, err := r.clients.ResourceManager()
	if err != nil {
		diags.AddError("Azure Resource Manager is not configured", err.Error())
	}
	ca, err := r.clients.CloudApps()
	if err != nil {
		diags.AddError("Defender for Cloud Apps is not configured", err.Error())
	}
	ws, err := resourcemanager.ParseWorkspaceID(m.WorkspaceID.ValueString())
	if err != nil {
		diags.AddAttributeError(path.Root("workspace_id"), "Invalid workspace id", err.Error())
	}
	if diags.HasError() {
		return nil, diags
	}
	return &integrationTarget{
		rm:        rm,
		ca:        ca,
		workspace: ws,
		connector: resourcemanager.NewDataConnectorID(ws, m.ConnectorName.ValueString()),
	}, diags
}

// plannedTarget resolves the target of a plan and what the plan asks of both halves.
func (r *sentinelIntegrationResource) plannedTarget(ctx context.Context, plan sentinelIntegrationModel) (*integrationTarget, desiredIntegration, diag.Diagnostics) {
	t, diags := r.target(plan)
	d, desiredDiags := desiredFrom(ctx, plan)
	diags.Append(desiredDiags...)
	return t, d, diags
}

// desiredFrom reads the configuration's wishes from a plan.
func desiredFrom(ctx context.Context, m sentinelIntegrationModel) (desiredIntegration, diag.Diagnostics) {
	d := desiredIntegration{tenantID: m.TenantID.ValueString(), alerts: m.AlertsEnabled.ValueBool(), discovery: true}
	var diags diag.Diagnostics
	if m.DiscoveryLogs.IsNull() || m.DiscoveryLogs.IsUnknown() {
		return d, diags
	}
	var dl discoveryLogsModel
	diags.Append(m.DiscoveryLogs.As(ctx, &dl, basetypes.ObjectAsOptions{})...)
	d.discovery = dl.Enabled.IsNull() || dl.Enabled.ValueBool()
	if !dl.StreamIDs.IsNull() && !dl.StreamIDs.IsUnknown() {
		diags.Append(dl.StreamIDs.ElementsAs(ctx, &d.streams, false)...)
		d.streams = normalizeStreams(d.streams)
	}
	return d, diags
}

// normalizeStreams sorts stream ids and drops duplicates; an empty list means all streams (nil).
func normalizeStreams(ids []string) []string {
	if len(ids) == 0 {
		return nil
	}
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// sameStreams compares two normalized stream lists; stream ids are hexadecimal, so case does not matter.
func sameStreams(a, b []string) bool {
	return slices.EqualFunc(a, b, strings.EqualFold)
}

// observe reads both halves. agentID is the agent the state knows; when it is gone, the tenant's
// Sentinel agent is looked up by listing, so an agent re-created in the portal is found.
func (t *integrationTarget) observe(ctx context.Context, agentID string) (observedIntegration, error) {
	var o observedIntegration
	dc, err := t.rm.GetDataConnector(ctx, t.connector)
	switch {
	case resourcemanager.IsNotFound(err):
	case err != nil:
		return o, err
	default:
		props, err := dc.CloudAppSecurity()
		if err != nil {
			return o, fmt.Errorf("the data connector %s is no longer a Defender for Cloud Apps connector: %w", t.connector, err)
		}
		o.connector, o.props = dc, props
	}
	if agentID != "" {
		agent, err := t.ca.GetAgent(ctx, agentID)
		switch {
		case cloudapps.IsNotFound(err):
		case err != nil:
			return o, err
		case agent.AgentType == cloudapps.AgentTypeSentinel:
			o.agent = agent
			return o, nil
		}
	}
	o.agent, err = t.ca.FindSentinelAgent(ctx)
	return o, err
}

// converge creates or updates whichever half differs from d, agent first, and leaves alone what
// already matches. It never touches generic SIEM agents or data connectors of other kinds. It returns
// what the services hold afterwards as far as it knows, also when it fails half-way.
func (t *integrationTarget) converge(ctx context.Context, d desiredIntegration, o observedIntegration) (observedIntegration, error) {
	wantAgent := cloudapps.Agent{
		AgentType:   cloudapps.AgentTypeSentinel,
		DisplayName: sentinelAgentDisplayName,
		DataTypes: cloudapps.AgentDataTypes{
			Alerts:        true,
			DiscoveryLogs: cloudapps.DiscoveryLogs{Enabled: d.discovery, Streams: d.streams},
		},
	}
	switch {
	case o.agent == nil:
		tflog.Info(ctx, "Creating the Sentinel SIEM agent in Defender for Cloud Apps")
		agent, err := t.ca.CreateAgent(ctx, wantAgent)
		if err != nil {
			return o, err
		}
		o.agent = agent
	case !agentMatches(o.agent, d):
		wantAgent.DisplayName = o.agent.DisplayName
		tflog.Info(ctx, "Updating the Sentinel SIEM agent in Defender for Cloud Apps", map[string]any{"agent_id": o.agent.ID})
		agent, err := t.ca.UpdateAgent(ctx, o.agent.ID, wantAgent)
		if err != nil {
			return o, err
		}
		o.agent = agent
	}
	if o.connector == nil || !connectorMatches(o.props, d) {
		tflog.Info(ctx, "Writing the Microsoft Sentinel data connector", map[string]any{"connector_id": t.connector.String()})
		dc, _, err := t.connectorCalls().PutDataConnector(ctx, t.connector, resourcemanager.NewCloudAppSecurityConnector(d.tenantID, d.alerts, d.discovery))
		if err != nil {
			return o, err
		}
		props, err := dc.CloudAppSecurity()
		if err != nil {
			return o, err
		}
		o.connector, o.props = dc, props
	}
	return o, nil
}

// afterFailureTimeout bounds the look at the services after a failed operation. The operation's own
// time may be used up, or Terraform may be waiting to stop after an interrupt.
const afterFailureTimeout = 30 * time.Second

// afterFailure returns what the services hold after a failed write: a fresh observation when the
// services answer (fresh is true), else what the write itself knew.
func (t *integrationTarget) afterFailure(ctx context.Context, agentID string, partial observedIntegration) (o observedIntegration, fresh bool) {
	if partial.agent != nil {
		agentID = partial.agent.ID
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), afterFailureTimeout)
	defer cancel()
	if o, err := t.observe(ctx, agentID); err == nil {
		return o, true
	}
	return partial, false
}

// mayHaveActed reports whether a failed write may still have been carried out by the service: it was
// not refused with a client error (4xx) but timed out, lost its connection, got a server error or an
// answer that could not be read.
func mayHaveActed(err error) bool {
	return !cloudapps.IsRefused(err) && !resourcemanager.IsRefused(err)
}

func agentMatches(a *cloudapps.Agent, d desiredIntegration) bool {
	return a.DataTypes.Alerts &&
		a.DataTypes.DiscoveryLogs.Enabled == d.discovery &&
		sameStreams(normalizeStreams(a.DataTypes.DiscoveryLogs.Streams), d.streams)
}

func connectorMatches(p resourcemanager.CloudAppSecurityProperties, d desiredIntegration) bool {
	return strings.EqualFold(p.TenantID, d.tenantID) && p.AlertsEnabled() == d.alerts && p.DiscoveryLogsEnabled() == d.discovery
}

// toState writes what o shows into m. A data type reads as enabled only when both halves forward it,
// so a missing or edited half always differs from any valid configuration and plan shows the fix.
func (o observedIntegration) toState(m *sentinelIntegrationModel, t *integrationTarget) {
	// Keep the spelling the configuration used: ARM ids compare case-insensitively, and rewriting them
	// would plan a replacement.
	setIfDifferent := func(v *types.String, canonical string) {
		if v.IsNull() || v.IsUnknown() || !strings.EqualFold(v.ValueString(), canonical) {
			*v = types.StringValue(canonical)
		}
	}
	setIfDifferent(&m.ID, t.connector.String())
	setIfDifferent(&m.WorkspaceID, t.workspace.String())
	setIfDifferent(&m.ConnectorName, t.connector.Name)
	if o.connector != nil && o.props.TenantID != "" {
		m.TenantID = types.StringValue(o.props.TenantID)
	}
	bothHalves := o.connector != nil && o.agent != nil
	m.AlertsEnabled = types.BoolValue(bothHalves && o.agent.DataTypes.Alerts && o.props.AlertsEnabled())
	discovery := bothHalves && o.agent.DataTypes.DiscoveryLogs.Enabled && o.props.DiscoveryLogsEnabled()
	streams := types.SetNull(types.StringType)
	if o.agent != nil {
		if ids := normalizeStreams(o.agent.DataTypes.DiscoveryLogs.Streams); ids != nil {
			values := make([]attr.Value, len(ids))
			for i, id := range ids {
				values[i] = types.StringValue(id)
			}
			streams = types.SetValueMust(types.StringType, values)
		}
		m.CloudAppsAgentID = types.StringValue(o.agent.ID)
	} else {
		m.CloudAppsAgentID = types.StringNull()
	}
	m.DiscoveryLogs = types.ObjectValueMust(discoveryLogsAttrTypes, map[string]attr.Value{
		"enabled":    types.BoolValue(discovery),
		"stream_ids": streams,
	})
}

func (r *sentinelIntegrationResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan sentinelIntegrationModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := plan.Timeouts.Create(ctx, defaultCreateTimeout)
	resp.Diagnostics.Append(diags...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	t, d, diags := r.plannedTarget(ctx, plan)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	t.onboarding = &r.clients.onboardingWait
	resp.Diagnostics.Append(t.checkPrerequisites(ctx, d)...)
	if resp.Diagnostics.HasError() {
		return
	}

	o, err := t.converge(ctx, d, observedIntegration{})
	if err != nil {
		resp.Diagnostics.Append(integrationDiagnostic("Creating the Defender for Cloud Apps - Microsoft Sentinel integration failed", err))
		// Record whatever was created, and also a write whose outcome is unknown, as the service may
		// carry it out after the provider gave up. The resource is then tainted: the next plan refreshes
		// it (a Sentinel agent created meanwhile is found by listing, and a resource with neither half
		// is dropped), and the next apply replaces it, deleting what exists before creating both halves.
		if o, _ := t.afterFailure(ctx, "", o); o.agent != nil || o.connector != nil || mayHaveActed(err) {
			o.toState(&plan, t)
			resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		}
		return
	}
	o.toState(&plan, t)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// checkPrerequisites verifies, before anything is created, that the workspace exists and has
// Sentinel, that neither half exists yet, and that the chosen streams exist.
func (t *integrationTarget) checkPrerequisites(ctx context.Context, d desiredIntegration) diag.Diagnostics {
	var diags diag.Diagnostics
	if _, err := t.rm.GetWorkspace(ctx, t.workspace); err != nil {
		if resourcemanager.IsNotFound(err) {
			diags.AddAttributeError(path.Root("workspace_id"), "Log Analytics workspace not found",
				fmt.Sprintf("There is no Log Analytics workspace %s (or the identity cannot see it). Check workspace_id: the subscription, "+
					"the resource group and the workspace name, and that the identity has at least Reader access to the workspace.", t.workspace))
		} else {
			diags.Append(integrationDiagnostic("Reading the Log Analytics workspace failed", err))
		}
		return diags
	}
	onboarded, err := t.connectorCalls().SentinelOnboarded(ctx, t.workspace)
	if err != nil {
		diags.Append(integrationDiagnostic("Checking that Microsoft Sentinel is enabled on the workspace failed", err))
		return diags
	}
	if !onboarded {
		diags.AddAttributeError(path.Root("workspace_id"), "Microsoft Sentinel is not enabled on the workspace",
			fmt.Sprintf("The workspace %s does not have Microsoft Sentinel enabled, so it cannot have a data connector. Enable Microsoft "+
				"Sentinel on it first (in the portal, or with azurerm_sentinel_log_analytics_workspace_onboarding), then apply again.", t.workspace))
		return diags
	}

	agent, err := t.ca.FindSentinelAgent(ctx)
	if err != nil {
		diags.Append(integrationDiagnostic("Looking for an existing Sentinel SIEM agent failed", err))
		return diags
	}
	connectors, err := t.rm.ListDataConnectors(ctx, t.workspace)
	if err != nil {
		diags.Append(integrationDiagnostic("Listing the workspace's data connectors failed", err))
		return diags
	}
	importID := t.connector.String()
	var existing []string
	if agent != nil {
		existing = append(existing, fmt.Sprintf("the Sentinel SIEM agent %s in Defender for Cloud Apps", agent.ID))
	}
	for _, c := range connectors {
		switch {
		case strings.EqualFold(c.Kind, resourcemanager.KindCloudAppSecurity):
			existing = append(existing, "the data connector "+c.ID)
			importID = c.ID
		case strings.EqualFold(c.Name, t.connector.Name):
			diags.AddAttributeError(path.Root("connector_name"), "Data connector name taken",
				fmt.Sprintf("The workspace already has a data connector named %q, of kind %s. Choose another connector_name.", c.Name, c.Kind))
			return diags
		}
	}
	if len(existing) > 0 {
		diags.AddError("Microsoft Sentinel integration already exists",
			fmt.Sprintf("%s already exist%s, so this tenant is already integrated (a tenant has at most one Sentinel SIEM agent). "+
				"To manage it with Terraform, import it:\n\n  terraform import mcas_sentinel_integration.<name> %s\n\nor add an import block:\n\n"+
				"  import {\n    to = mcas_sentinel_integration.<name>\n    id = %q\n  }\n\nthen plan and apply again.",
				capitalize(strings.Join(existing, " and ")), pluralSuffix(len(existing)), importID, importID))
		return diags
	}
	diags.Append(t.checkStreams(ctx, d)...)
	return diags
}

// checkStreams verifies that every chosen stream exists in the tenant.
func (t *integrationTarget) checkStreams(ctx context.Context, d desiredIntegration) diag.Diagnostics {
	var diags diag.Diagnostics
	if d.streams == nil {
		return diags
	}
	streams, err := t.ca.ListStreams(ctx)
	if err != nil {
		diags.Append(cloudAppsDiagnostic("Listing discovery streams failed", err))
		return diags
	}
	known := make(map[string]bool, len(streams))
	for _, s := range streams {
		known[strings.ToLower(s.ID)] = true
	}
	var unknown []string
	for _, id := range d.streams {
		if !known[strings.ToLower(id)] {
			unknown = append(unknown, id)
		}
	}
	if len(unknown) > 0 {
		diags.AddAttributeError(path.Root("discovery_logs").AtName("stream_ids"), "Unknown discovery stream",
			fmt.Sprintf("The tenant has no discovery stream with the id %s. Use the ids that the mcas_discovery_streams data source lists "+
				"(for example discovery_logs = { stream_ids = data.mcas_discovery_streams.selected.ids }).", strings.Join(unknown, ", ")))
	}
	return diags
}

func (r *sentinelIntegrationResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state sentinelIntegrationModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := state.Timeouts.Read(ctx, defaultReadTimeout)
	resp.Diagnostics.Append(diags...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	t, diags := r.target(state)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	o, err := t.observe(ctx, state.CloudAppsAgentID.ValueString())
	if err != nil {
		resp.Diagnostics.Append(integrationDiagnostic("Reading the Defender for Cloud Apps - Microsoft Sentinel integration failed", err))
		return
	}
	if o.agent == nil && o.connector == nil {
		tflog.Warn(ctx, "Both halves of the integration are gone; removing it from the state", map[string]any{"id": t.connector.String()})
		resp.State.RemoveResource(ctx)
		return
	}
	o.toState(&state, t)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *sentinelIntegrationResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state sentinelIntegrationModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := plan.Timeouts.Update(ctx, defaultUpdateTimeout)
	resp.Diagnostics.Append(diags...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	t, d, diags := r.plannedTarget(ctx, plan)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	// Only a changed stream filter needs the tenant's streams listed again: Cloud Apps allows few
	// requests per minute.
	if prior, diags := desiredFrom(ctx, state); diags.HasError() || !sameStreams(prior.streams, d.streams) {
		resp.Diagnostics.Append(t.checkStreams(ctx, d)...)
		if resp.Diagnostics.HasError() {
			return
		}
	}
	agentID := state.CloudAppsAgentID.ValueString()
	o, err := t.observe(ctx, agentID)
	observed := err == nil
	if observed && o.connector == nil {
		// Sentinel refuses a second connector of the kind: say what to do instead of a PUT bound to fail.
		err = checkConnectorSlot(ctx, t.rm, t.connector)
	}
	if observed && err == nil {
		o, err = t.converge(ctx, d, o)
	}
	if err != nil {
		resp.Diagnostics.Append(integrationDiagnostic("Updating the Defender for Cloud Apps - Microsoft Sentinel integration failed", err))
		// Keep the state true to the services, so the next plan shows what is still to do. When the
		// services could be read neither before nor after, nothing was written: keep the prior state.
		after, fresh := t.afterFailure(ctx, agentID, o)
		if !fresh && !observed {
			resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
			return
		}
		after.toState(&plan, t)
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		return
	}
	o.toState(&plan, t)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *sentinelIntegrationResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state sentinelIntegrationModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := state.Timeouts.Delete(ctx, defaultDeleteTimeout)
	resp.Diagnostics.Append(diags...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	t, diags := r.target(state)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	if err := t.rm.DeleteDataConnector(ctx, t.connector); err != nil && !resourcemanager.IsNotFound(err) {
		resp.Diagnostics.Append(integrationDiagnostic("Deleting the Microsoft Sentinel data connector failed", err))
		return
	}
	if id := state.CloudAppsAgentID.ValueString(); id != "" {
		if err := t.ca.DeleteAgent(ctx, id); err != nil && !cloudapps.IsNotFound(err) {
			// The resource stays in the state, so the next destroy deletes the agent (the connector's
			// 404 then counts as success).
			resp.Diagnostics.Append(integrationDiagnostic("Deleting the Sentinel SIEM agent in Defender for Cloud Apps failed", err))
			return
		}
	}
}

// ImportState imports by the data connector's ARM id; the Sentinel agent is found by listing the
// tenant's SIEM agents.
func (r *sentinelIntegrationResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	id, err := resourcemanager.ParseDataConnectorID(req.ID)
	if err != nil {
		resp.Diagnostics.AddError("Invalid import id",
			fmt.Sprintf("%v\n\nImport mcas_sentinel_integration by the ARM id of its MicrosoftCloudAppSecurity data connector, as the Sentinel "+
				"data connector page or `az sentinel data-connector list` shows it.", err))
		return
	}
	if r.clients == nil {
		resp.Diagnostics.AddError("Provider not configured", "The provider must be configured before a resource can be imported.")
		return
	}
	// Import has no timeouts block; it reads, so it gets the default read timeout.
	ctx, cancel := context.WithTimeout(ctx, defaultReadTimeout)
	defer cancel()
	rm, err := r.clients.ResourceManager()
	if err != nil {
		resp.Diagnostics.AddError("Azure Resource Manager is not configured", err.Error())
		return
	}
	ca, err := r.clients.CloudApps()
	if err != nil {
		resp.Diagnostics.AddError("Defender for Cloud Apps is not configured", err.Error())
		return
	}
	agent, err := ca.FindSentinelAgent(ctx)
	if err != nil {
		resp.Diagnostics.Append(integrationDiagnostic("Looking for the Sentinel SIEM agent failed", err))
		return
	}
	observed := observedIntegration{agent: agent}
	tenantID := r.clients.TenantID
	dc, err := rm.GetDataConnector(ctx, id)
	switch {
	case resourcemanager.IsNotFound(err) && agent != nil && tenantID != "":
		// Only the Cloud Apps half exists (the portal wizard was left before its Sentinel step): import
		// the agent, and the next plan shows the update that creates the connector at this id.
		tflog.Info(ctx, "Importing the Sentinel SIEM agent; the data connector does not exist yet", map[string]any{"agent_id": agent.ID})
	case resourcemanager.IsNotFound(err):
		resp.Diagnostics.AddError("Data connector not found",
			fmt.Sprintf("There is no data connector %s to import, and no Sentinel SIEM agent in Defender for Cloud Apps either "+
				"(or the provider has no tenant_id to give the connector). Check the id, or create the integration with Terraform instead.", id))
		return
	case err != nil:
		resp.Diagnostics.Append(integrationDiagnostic("Reading the data connector to import failed", err))
		return
	case !strings.EqualFold(dc.Kind, resourcemanager.KindCloudAppSecurity):
		resp.Diagnostics.AddError("Not a Defender for Cloud Apps data connector",
			fmt.Sprintf("The data connector %s is of kind %q, not %q; mcas_sentinel_integration only manages the Defender for Cloud Apps "+
				"connector. Import the workspace's MicrosoftCloudAppSecurity connector instead.", id, dc.Kind, resourcemanager.KindCloudAppSecurity))
		return
	default:
		props, err := dc.CloudAppSecurity()
		if err != nil {
			resp.Diagnostics.AddError("Unreadable data connector",
				fmt.Sprintf("The Defender for Cloud Apps data connector %s could not be read: %v.", id, err))
			return
		}
		observed.connector, observed.props = dc, props
		tenantID = props.TenantID
	}
	t := &integrationTarget{rm: rm, ca: ca, workspace: id.Workspace, connector: id}
	m := sentinelIntegrationModel{TenantID: types.StringValue(tenantID)}
	observed.toState(&m, t)
	m.Timeouts = timeouts.Value{Object: types.ObjectNull(timeoutsAttrTypes)}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func pluralSuffix(n int) string {
	if n == 1 {
		return "s"
	}
	return ""
}

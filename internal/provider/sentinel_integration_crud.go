package provider

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/resourcemanager"
	"github.com/mcas-terraform/terraform-provider-mcas/internal/provider/reconcile"
)

// engine builds the reconcile engine for m; m's workspace_id and connector_name must be known.
func (r *sentinelIntegrationResource) engine(m sentinelIntegrationModel) (*reconcile.Engine, diag.Diagnostics) {
	rm, ca, err := r.clients.ForTenant(m.TenantID.ValueString(), m.PortalURL.ValueString())
	diags := tenantDiagnostics(err)
	ws, err := resourcemanager.ParseWorkspaceID(m.WorkspaceID.ValueString())
	if err != nil {
		diags.AddAttributeError(path.Root("workspace_id"), "Invalid workspace id", err.Error())
	}
	if diags.HasError() {
		return nil, diags
	}
	return &reconcile.Engine{
		Connectors: rm,
		Agents:     ca,
		Workspace:  ws,
		Connector:  resourcemanager.NewDataConnectorID(ws, m.ConnectorName.ValueString()),
		Mode:       modeOf(m),
	}, diags
}

// modeOf returns the SIEM agent mode of m; null (as in a state written before siem_agent existed)
// means manage.
func modeOf(m sentinelIntegrationModel) reconcile.Mode {
	if m.SIEMAgent.ValueString() == string(reconcile.ModeObserve) {
		return reconcile.ModeObserve
	}
	return reconcile.ModeManage
}

// desiredFrom reads the configuration's wishes from a plan.
func desiredFrom(ctx context.Context, m sentinelIntegrationModel) (reconcile.Desired, diag.Diagnostics) {
	d := reconcile.Desired{TenantID: m.TenantID.ValueString(), Alerts: m.AlertsEnabled.ValueBool(), Discovery: true}
	var diags diag.Diagnostics
	if m.DiscoveryLogs.IsNull() || m.DiscoveryLogs.IsUnknown() {
		return d, diags
	}
	var dl discoveryLogsModel
	diags.Append(m.DiscoveryLogs.As(ctx, &dl, basetypes.ObjectAsOptions{})...)
	d.Discovery = dl.Enabled.IsNull() || dl.Enabled.ValueBool()
	if !dl.StreamIDs.IsNull() && !dl.StreamIDs.IsUnknown() {
		diags.Append(dl.StreamIDs.ElementsAs(ctx, &d.Streams, false)...)
		d.Streams = reconcile.NormalizeStreams(d.Streams)
	}
	return d, diags
}

// writeState writes what o shows into m. A data type reads as enabled only when both halves forward
// it, so a missing or edited half always differs from any valid configuration and plan shows the fix.
// When the Cloud Apps half could not be observed (observe mode on a tenant whose agent list does not
// answer as modeled), m keeps what it says of that half and the connector alone decides.
func writeState(ctx context.Context, o reconcile.Observed, m *sentinelIntegrationModel, e *reconcile.Engine) diag.Diagnostics {
	// Keep the spelling the configuration used: ARM ids compare case-insensitively, and rewriting them
	// would plan a replacement.
	setIfDifferent := func(v *types.String, canonical string) {
		if v.IsNull() || v.IsUnknown() || !strings.EqualFold(v.ValueString(), canonical) {
			*v = types.StringValue(canonical)
		}
	}
	setIfDifferent(&m.ID, e.Connector.String())
	setIfDifferent(&m.WorkspaceID, e.Workspace.String())
	setIfDifferent(&m.ConnectorName, e.Connector.Name)
	m.SIEMAgent = types.StringValue(string(e.Mode))
	if o.Connector != nil && o.Props.TenantID != "" {
		m.TenantID = types.StringValue(o.Props.TenantID)
	}
	if o.AgentUnreadable != nil {
		var diags diag.Diagnostics
		if m.CloudAppsAgentID.IsUnknown() {
			m.CloudAppsAgentID = types.StringNull()
		}
		prior, d := desiredFrom(ctx, *m)
		diags.Append(d...)
		// An import knows nothing of the configuration: the connector alone decides there.
		prior.Alerts = prior.Alerts || m.AlertsEnabled.IsNull()
		return append(diags, setDataTypes(ctx, m, o.Connector != nil && prior.Alerts && o.Props.AlertsEnabled(),
			o.Connector != nil && prior.Discovery && o.Props.DiscoveryLogsEnabled(), prior.Streams)...)
	}
	bothHalves := o.Connector != nil && o.Agent != nil
	var streams []string
	if o.Agent != nil {
		streams = reconcile.NormalizeStreams(o.Agent.DataTypes.DiscoveryLogs.Streams)
		m.CloudAppsAgentID = types.StringValue(o.Agent.ID)
	} else {
		m.CloudAppsAgentID = types.StringNull()
	}
	return setDataTypes(ctx, m,
		bothHalves && o.Agent.DataTypes.Alerts && o.Props.AlertsEnabled(),
		bothHalves && o.Agent.DataTypes.DiscoveryLogs.Enabled && o.Props.DiscoveryLogsEnabled(),
		streams)
}

// setDataTypes sets alerts_enabled and discovery_logs; streams nil means all streams (null).
func setDataTypes(ctx context.Context, m *sentinelIntegrationModel, alerts, discovery bool, streams []string) diag.Diagnostics {
	m.AlertsEnabled = types.BoolValue(alerts)
	dl := discoveryLogsModel{Enabled: types.BoolValue(discovery), StreamIDs: types.SetNull(types.StringType)}
	var diags diag.Diagnostics
	if streams != nil {
		dl.StreamIDs, diags = types.SetValueFrom(ctx, types.StringType, streams)
	}
	var d diag.Diagnostics
	m.DiscoveryLogs, d = types.ObjectValueFrom(ctx, discoveryLogsAttrTypes, dl)
	return append(diags, d...)
}

// saveState writes o into m and m into the response's state.
func saveState(ctx context.Context, o reconcile.Observed, m *sentinelIntegrationModel, e *reconcile.Engine, state interface {
	Set(context.Context, any) diag.Diagnostics
}, diags *diag.Diagnostics) {
	written := writeState(ctx, o, m, e)
	diags.Append(written...)
	if !written.HasError() {
		diags.Append(state.Set(ctx, m)...)
	}
}

// start reads the model with get (the plan's or the state's), bounds ctx by the operation's timeout
// (timeout is the timeouts block's method of the operation, with its default) and builds the engine;
// the engine is nil when diags has an error. The caller calls cancel.
func (r *sentinelIntegrationResource) start(ctx context.Context, get func(context.Context, any) diag.Diagnostics, m *sentinelIntegrationModel,
	timeout func(timeouts.Value, context.Context, time.Duration) (time.Duration, diag.Diagnostics), def time.Duration, diags *diag.Diagnostics,
) (_ context.Context, cancel context.CancelFunc, _ *reconcile.Engine) {
	if diags.Append(get(ctx, m)...); diags.HasError() {
		return ctx, func() {}, nil
	}
	limit, d := timeout(m.Timeouts, ctx, def)
	diags.Append(d...)
	ctx, cancel = context.WithTimeout(ctx, limit)
	e, d := r.engine(*m)
	if diags.Append(d...); diags.HasError() {
		return ctx, cancel, nil
	}
	return ctx, cancel, e
}

func (r *sentinelIntegrationResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan sentinelIntegrationModel
	ctx, cancel, e := r.start(ctx, req.Plan.Get, &plan, timeouts.Value.Create, defaultCreateTimeout, &resp.Diagnostics)
	defer cancel()
	d, diags := desiredFrom(ctx, plan)
	if resp.Diagnostics.Append(diags...); e == nil || diags.HasError() {
		return
	}
	// Only a create waits for Sentinel's onboarding, which may have been enabled moments ago.
	e.Connectors = waitingConnectors{Connectors: e.Connectors, wait: r.clients.onboardingWait}
	o, written, err := e.Create(ctx, d)
	if err != nil {
		resp.Diagnostics.Append(engineDiagnostic("Creating the Defender for Cloud Apps - Microsoft Sentinel integration failed", err, true)...)
		if !written {
			return
		}
		// Record whatever was created, and also a write whose outcome is unknown, as the service may
		// carry it out after the provider gave up. The resource is then tainted: the next plan refreshes
		// it (a Sentinel agent created meanwhile is found by listing, and a resource with neither half
		// is dropped), and the next apply replaces it, deleting what exists before creating both halves.
		if o, _ := e.AfterFailure(ctx, o); o.Agent != nil || o.Connector != nil || reconcile.MayHaveActed(err) {
			saveState(ctx, o, &plan, e, &resp.State, &resp.Diagnostics)
		}
		return
	}
	resp.Diagnostics.Append(unobservedWarning(o)...)
	saveState(ctx, o, &plan, e, &resp.State, &resp.Diagnostics)
}

func (r *sentinelIntegrationResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state sentinelIntegrationModel
	ctx, cancel, e := r.start(ctx, req.State.Get, &state, timeouts.Value.Read, defaultReadTimeout, &resp.Diagnostics)
	defer cancel()
	if e == nil {
		return
	}
	o, err := e.Observe(ctx)
	if err != nil {
		resp.Diagnostics.Append(engineDiagnostic("Reading the Defender for Cloud Apps - Microsoft Sentinel integration failed", err, false)...)
		return
	}
	if o.Agent == nil && o.Connector == nil && o.AgentUnreadable == nil {
		tflog.Warn(ctx, "Both halves of the integration are gone; removing it from the state", map[string]any{"id": e.Connector.String()})
		resp.State.RemoveResource(ctx)
		return
	}
	saveState(ctx, o, &state, e, &resp.State, &resp.Diagnostics)
}

func (r *sentinelIntegrationResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state sentinelIntegrationModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	ctx, cancel, e := r.start(ctx, req.Plan.Get, &plan, timeouts.Value.Update, defaultUpdateTimeout, &resp.Diagnostics)
	defer cancel()
	d, diags := desiredFrom(ctx, plan)
	if resp.Diagnostics.Append(diags...); e == nil || diags.HasError() {
		return
	}
	// Only a changed stream filter needs the tenant's streams listed again: Cloud Apps allows few
	// requests per minute.
	if prior, diags := desiredFrom(ctx, state); diags.HasError() || !reconcile.SameStreams(prior.Streams, d.Streams) {
		if err := e.CheckStreams(ctx, d); err != nil {
			resp.Diagnostics.Append(engineDiagnostic("Updating the Defender for Cloud Apps - Microsoft Sentinel integration failed", err, false)...)
			return
		}
	}
	o, observed, err := e.Update(ctx, d)
	var steps *reconcile.PortalStepsError
	switch {
	case err == nil:
		resp.Diagnostics.Append(unobservedWarning(o)...)
	case errors.As(err, &steps):
		// Observe mode: the connector converged and o is what both halves hold.
		resp.Diagnostics.Append(engineDiagnostic("The Sentinel SIEM agent must be changed in the Defender for Cloud Apps portal", err, false)...)
	default:
		resp.Diagnostics.Append(engineDiagnostic("Updating the Defender for Cloud Apps - Microsoft Sentinel integration failed", err, false)...)
		// Keep the state true to the services, so the next plan shows what is still to do. When the
		// services could be read neither before nor after, nothing was written: keep the prior state.
		after, fresh := e.AfterFailure(ctx, o)
		if !fresh && !observed {
			resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
			return
		}
		o = after
	}
	saveState(ctx, o, &plan, e, &resp.State, &resp.Diagnostics)
}

func (r *sentinelIntegrationResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state sentinelIntegrationModel
	ctx, cancel, e := r.start(ctx, req.State.Get, &state, timeouts.Value.Delete, defaultDeleteTimeout, &resp.Diagnostics)
	defer cancel()
	if e == nil {
		return
	}
	// When deleting the agent fails, the resource stays in the state, so the next destroy deletes the
	// agent (the connector's 404 then counts as success).
	agentLeft, err := e.Delete(ctx, state.CloudAppsAgentID.ValueString())
	if err != nil {
		resp.Diagnostics.Append(engineDiagnostic("Deleting the Defender for Cloud Apps - Microsoft Sentinel integration failed", err, false)...)
		return
	}
	if agentLeft {
		resp.Diagnostics.AddWarning("The Sentinel SIEM agent was left in place",
			fmt.Sprintf("siem_agent is \"observe\", so the provider deleted only the Microsoft Sentinel data connector. The Sentinel SIEM agent %s "+
				"still exists in Defender for Cloud Apps; to end the integration there too, delete it in the portal under Settings > Cloud Apps > "+
				"System > SIEM agents.", state.CloudAppsAgentID.ValueString()))
	}
}

// ImportState imports by the data connector's ARM id. It does what ImportStatePassthroughID followed by
// Read cannot: it refuses a connector of another kind with its own message, imports the Cloud Apps half
// alone when the connector does not exist yet, and picks the observe mode when the tenant's agent list
// does not answer as modeled.
func (r *sentinelIntegrationResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	connectorID, tenantID, portalURL, err := splitImportID(req.ID)
	var id resourcemanager.DataConnectorID
	if err == nil {
		id, err = resourcemanager.ParseDataConnectorID(connectorID)
	}
	if err != nil {
		resp.Diagnostics.AddError("Invalid import id",
			fmt.Sprintf("%v\n\nImport mcas_sentinel_integration by the ARM id of its MicrosoftCloudAppSecurity data connector, as the Sentinel "+
				"data connector page or `az sentinel data-connector list` shows it; %s", err, importIDTenantHint))
		return
	}
	if r.clients == nil {
		resp.Diagnostics.AddError("Provider not configured", "The provider must be configured before a resource can be imported.")
		return
	}
	// Import has no timeouts block; it reads, so it gets the default read timeout.
	ctx, cancel := context.WithTimeout(ctx, defaultReadTimeout)
	defer cancel()
	m := sentinelIntegrationModel{
		WorkspaceID:   types.StringValue(id.Workspace.String()),
		ConnectorName: types.StringValue(id.Name),
		TenantID:      types.StringValue(cmp.Or(tenantID, r.clients.TenantID)),
		PortalURL:     stringOrNull(portalURL),
		SIEMAgent:     types.StringValue(string(reconcile.ModeObserve)),
		Timeouts:      timeouts.Value{Object: types.ObjectNull(timeoutsAttrTypes)},
	}
	e, diags := r.engine(m)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	e.Connector = id
	// Observe mode tolerates an agent list that does not answer as modeled.
	o, err := e.Observe(ctx)
	var wrongKind *reconcile.WrongKindError
	switch {
	case errors.As(err, &wrongKind):
		resp.Diagnostics.AddError("Not a Defender for Cloud Apps data connector",
			fmt.Sprintf("The data connector %s is of kind %q, not %q; mcas_sentinel_integration only manages the Defender for Cloud Apps "+
				"connector. Import the workspace's MicrosoftCloudAppSecurity connector instead.", id, wrongKind.Kind, resourcemanager.KindCloudAppSecurity))
		return
	case err != nil:
		resp.Diagnostics.Append(engineDiagnostic("Reading the integration to import failed", err, false)...)
		return
	}
	switch {
	case o.Connector == nil && (o.Agent == nil || m.TenantID.ValueString() == ""):
		resp.Diagnostics.AddError("Data connector not found",
			fmt.Sprintf("There is no data connector %s to import, and no Sentinel SIEM agent in Defender for Cloud Apps either "+
				"(or the provider has no tenant_id to give the connector). Check the id, or create the integration with Terraform instead.", id))
		return
	case o.Connector == nil:
		// Only the Cloud Apps half exists (the portal wizard was left before its Sentinel step): import
		// the agent, and the next plan shows the update that creates the connector at this id.
		tflog.Info(ctx, "Importing the Sentinel SIEM agent; the data connector does not exist yet", map[string]any{"agent_id": o.Agent.ID})
	}
	if o.AgentUnreadable != nil {
		resp.Diagnostics.AddWarning("Imported with siem_agent = \"observe\"",
			fmt.Sprintf("%v\n\nThe provider cannot read this tenant's SIEM agents through the modeled route, so the integration was imported "+
				"in observe mode: set siem_agent = \"observe\" in the configuration.", o.AgentUnreadable))
	} else {
		e.Mode = reconcile.ModeManage
	}
	saveState(ctx, o, &m, e, &resp.State, &resp.Diagnostics)
}

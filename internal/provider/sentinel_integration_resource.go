package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/objectdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/resourcemanager"
	"github.com/mcas-terraform/terraform-provider-mcas/internal/provider/reconcile"
	"github.com/mcas-terraform/terraform-provider-mcas/internal/validators"
)

var (
	_ resource.ResourceWithConfigure      = (*sentinelIntegrationResource)(nil)
	_ resource.ResourceWithImportState    = (*sentinelIntegrationResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*sentinelIntegrationResource)(nil)
	_ resource.ResourceWithValidateConfig = (*sentinelIntegrationResource)(nil)
)

// Default timeouts of the resource's operations.
const (
	defaultCreateTimeout = 30 * time.Minute
	defaultReadTimeout   = 5 * time.Minute
	defaultUpdateTimeout = 30 * time.Minute
	defaultDeleteTimeout = 30 * time.Minute
)

// NewSentinelIntegrationResource returns the mcas_sentinel_integration resource.
func NewSentinelIntegrationResource() resource.Resource {
	return &sentinelIntegrationResource{}
}

type sentinelIntegrationResource struct {
	clients *Clients
}

type sentinelIntegrationModel struct {
	ID               types.String   `tfsdk:"id"`
	WorkspaceID      types.String   `tfsdk:"workspace_id"`
	ConnectorName    types.String   `tfsdk:"connector_name"`
	TenantID         types.String   `tfsdk:"tenant_id"`
	AlertsEnabled    types.Bool     `tfsdk:"alerts_enabled"`
	DiscoveryLogs    types.Object   `tfsdk:"discovery_logs"`
	CloudAppsAgentID types.String   `tfsdk:"cloud_apps_agent_id"`
	SIEMAgent        types.String   `tfsdk:"siem_agent"`
	PortalURL        types.String   `tfsdk:"portal_url"`
	Timeouts         timeouts.Value `tfsdk:"timeouts"`
}

type discoveryLogsModel struct {
	Enabled   types.Bool `tfsdk:"enabled"`
	StreamIDs types.Set  `tfsdk:"stream_ids"`
}

// timeoutsAttrTypes is the object type of the timeouts block.
var timeoutsAttrTypes = timeouts.BlockAll(context.Background()).Type().(timeouts.Type).AttrTypes //nolint:forcetypeassert // The block's type is the package's Type.

// computedOnceReplaced are the plan modifiers of an attribute whose default is computed when the
// integration is created and kept afterwards, and whose change replaces the integration.
var computedOnceReplaced = []planmodifier.String{stringplanmodifier.UseStateForUnknown(), stringplanmodifier.RequiresReplace()}

// discoveryLogsAttributes is the schema of discovery_logs, from which its object type is derived.
var discoveryLogsAttributes = map[string]schema.Attribute{
	"enabled": schema.BoolAttribute{
		Optional: true,
		Computed: true,
		Default:  booldefault.StaticBool(true),
		MarkdownDescription: "Whether discovery logs are forwarded (on the agent and on the connector). Defaults to `true`. " +
			"Reads `false` when either half is missing.",
	},
	"stream_ids": schema.SetAttribute{
		ElementType: types.StringType,
		Optional:    true,
		MarkdownDescription: "The streams whose discovery logs are forwarded (the portal's \"Apply to\" filter), as 24-hexadecimal " +
			"stream ids such as `mcas_discovery_streams` lists. Leave it out (null) for all streams; an empty set is an error.",
		Validators: []validator.Set{
			validators.StreamIDSet(),
			setvalidator.ValueStringsAre(validators.StreamID()),
		},
	},
}

var discoveryLogsAttrTypes = schema.NestedAttributeObject{Attributes: discoveryLogsAttributes}.Type().(types.ObjectType).AttrTypes //nolint:forcetypeassert // Without a CustomType, the type is an ObjectType.

// discoveryLogsObject is the discovery_logs value of enabled and streams (a set of stream ids, or null
// for all streams).
func discoveryLogsObject(enabled bool, streams types.Set) types.Object {
	value, diags := types.ObjectValueFrom(context.Background(), discoveryLogsAttrTypes, discoveryLogsModel{Enabled: types.BoolValue(enabled), StreamIDs: streams})
	if diags.HasError() {
		// The model and the schema are declared together; like types.ObjectValueMust, a mismatch is a bug.
		panic(fmt.Sprintf("discovery_logs: %v", diags))
	}
	return value
}

func (r *sentinelIntegrationResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_sentinel_integration"
}

func (r *sentinelIntegrationResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The integration of one tenant's Microsoft Defender for Cloud Apps with Microsoft Sentinel, both halves of it: " +
			"the Sentinel SIEM agent on the Cloud Apps side (Settings > Cloud Apps > System > SIEM agents), which forwards alerts and, " +
			"optionally, discovery logs; and the `MicrosoftCloudAppSecurity` data connector of the Sentinel workspace, which receives them " +
			"into the `SecurityAlert` and `McasShadowItReporting` tables.\n\n" +
			"A tenant has at most one Sentinel SIEM agent. Creating the resource fails with an import instruction when the data " +
			"connector already exists, and in `manage` mode also when the agent does (in `observe` mode the agent added in the portal is " +
			"expected). When Sentinel was enabled on the workspace moments before (for example by " +
			"`azurerm_sentinel_log_analytics_workspace_onboarding` in the same apply), creating waits for it to take effect, for up to " +
			defaultOnboardingWait.limit.String() + " within the create timeout. When either half is deleted or changed in a portal, `terraform plan` shows an update that " +
			"restores it. Available in the commercial cloud only: GCC, GCC High and DoD tenants use the Microsoft Defender XDR connector. " +
			"Microsoft documents no API for the Cloud Apps SIEM agent. The provider uses the route the portal calls, " +
			"`/api/v1/agents/siem/`, of which only the list has public evidence (made with a legacy API token); its writes and their " +
			"body are our model, and `siem_agent = \"observe\"` keeps the provider from using them. Microsoft documents no " +
			"permission for it either: whether a Security Administrator's `api_token` may write agents, or an application permission " +
			"of a Microsoft Entra ID credential may read or write them, is not confirmed.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "ARM id of the data connector; also the import id.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"workspace_id": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "ARM id of the Log Analytics workspace that has Microsoft Sentinel, of the form " +
					"`/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.OperationalInsights/workspaces/{name}`. " +
					"Changing it replaces the integration.",
				Validators:    []validator.String{validators.WorkspaceID()},
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"connector_name": schema.StringAttribute{
				Optional: true,
				Computed: true,
				MarkdownDescription: "Name (id) of the data connector. Defaults to the tenant id, so that a create interrupted half-way " +
					"finds its connector again instead of creating a second one. Changing it replaces the integration.",
				Validators:    []validator.String{validators.ConnectorName()},
				PlanModifiers: computedOnceReplaced,
			},
			"tenant_id": schema.StringAttribute{
				Optional: true,
				Computed: true,
				MarkdownDescription: "Microsoft Entra tenant whose Defender for Cloud Apps is connected (a UUID), which is also the tenant " +
					"of the workspace's subscription. Defaults to the provider's `tenant_id`. Another tenant lets one provider block manage " +
					"many tenants: it must be listed in the provider's `additional_tenant_ids` (or `\"*\"` be), the provider must sign in " +
					"as a multi-tenant app registration consented in that tenant (with a client secret, a client certificate or a " +
					"federated token, not the Azure CLI, a managed identity or `api_token`), and `portal_url` must be set. " +
					"Changing it replaces the integration.",
				Validators:    []validator.String{validators.UUID()},
				PlanModifiers: computedOnceReplaced,
			},
			"alerts_enabled": schema.BoolAttribute{
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(true),
				MarkdownDescription: "Whether Defender for Cloud Apps alerts reach Sentinel (the connector's `alerts` data type; the " +
					"Cloud Apps agent always sends alerts). Defaults to `true`. Reads `false` when either half is missing.",
			},
			"discovery_logs": schema.SingleNestedAttribute{
				Optional:            true,
				Computed:            true,
				Default:             objectdefault.StaticValue(discoveryLogsObject(true, types.SetNull(types.StringType))),
				MarkdownDescription: "Cloud Discovery logs forwarded to Sentinel. Defaults to `{ enabled = true }`: the logs of all streams.",
				Attributes:          discoveryLogsAttributes,
			},
			"siem_agent": schema.StringAttribute{
				Optional: true,
				Computed: true,
				Default:  stringdefault.StaticString(string(reconcile.ModeManage)),
				MarkdownDescription: "How the provider treats the Sentinel SIEM agent of Defender for Cloud Apps, whose API Microsoft does not " +
					"document. `manage` (the default): the provider creates, updates and deletes the agent through the route the portal calls, " +
					"whose writes are our model. `observe`: the provider never writes to that route; it only lists the tenant's agents (the call with " +
					"public evidence), shows drift of the agent in `terraform plan`, manages the data connector alone, and when the agent must " +
					"be added or changed, fails the apply with the exact portal steps; destroy leaves the agent in place. Pick `observe` when " +
					"the tenant's API does not accept the modeled route, or when the agent is owned in the portal. Switching modes is an " +
					"in-place update.",
				Validators: []validator.String{stringvalidator.OneOf(reconcile.Modes...)},
			},
			"portal_url": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Base URL of the Defender for Cloud Apps API of the tenant, overriding the provider's `portal_url` " +
					"for this integration, for example `https://contoso.eu2.portal.cloudappsecurity.com` (Settings > Cloud Apps > " +
					"System > About). Required when `tenant_id` names another tenant than the provider's. Changing it replaces the " +
					"integration.",
				Validators:    []validator.String{validators.PortalURL()},
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"cloud_apps_agent_id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "Id of the Sentinel SIEM agent in Defender for Cloud Apps; null while the agent is missing.",
				// An agent that exists keeps its id through every update; a missing one (null) is created
				// again by the update, so its id stays unknown in the plan.
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseNonNullStateForUnknown()},
			},
		},
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.BlockAll(ctx),
		},
	}
}

func (r *sentinelIntegrationResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.clients = providerClients(req.ProviderData, &resp.Diagnostics)
}

// ValidateConfig refuses a configuration that forwards nothing: the data connector cannot exist with
// both data types disabled.
func (r *sentinelIntegrationResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var cfg sentinelIntegrationModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if cfg.AlertsEnabled.IsUnknown() || cfg.DiscoveryLogs.IsUnknown() {
		return
	}
	alerts := cfg.AlertsEnabled.IsNull() || cfg.AlertsEnabled.ValueBool()
	discovery := true
	if !cfg.DiscoveryLogs.IsNull() {
		var dl discoveryLogsModel
		resp.Diagnostics.Append(cfg.DiscoveryLogs.As(ctx, &dl, basetypes.ObjectAsOptions{})...)
		if dl.Enabled.IsUnknown() {
			return
		}
		discovery = dl.Enabled.IsNull() || dl.Enabled.ValueBool()
	}
	if !alerts && !discovery {
		resp.Diagnostics.AddAttributeError(path.Root("alerts_enabled"), "Nothing to forward",
			"alerts_enabled is false and discovery_logs.enabled is false, but the Microsoft Sentinel data connector needs at least one "+
				"data type enabled. Enable alerts or discovery logs, or remove the mcas_sentinel_integration resource to end the integration.")
	}
}

// ModifyPlan refuses clouds where the direct integration does not exist and fills in the defaults that
// depend on the provider: the tenant, the connector name, the ARM id.
func (r *sentinelIntegrationResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.clients == nil {
		return // Destroy, or the provider is not configured yet (validation only).
	}
	switch r.clients.Environment {
	case EnvironmentUSGovernment, EnvironmentChina:
		resp.Diagnostics.AddError("Microsoft Sentinel integration not available in this cloud",
			fmt.Sprintf("The provider is configured for the %q environment, but the direct Defender for Cloud Apps - Microsoft Sentinel "+
				"integration is available to commercial customers only. GCC, GCC High and DoD customers get Defender for Cloud Apps data in "+
				"Microsoft Sentinel through the Microsoft Defender XDR connector instead: install the Microsoft Defender XDR solution in "+
				"Sentinel and remove this resource.", r.clients.Environment))
		return
	}

	var plan sentinelIntegrationModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// Only attributes left out of the configuration get defaults; a configured value known only after
	// apply stays unknown in the plan.
	var configTenantID, configConnectorName types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("tenant_id"), &configTenantID)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("connector_name"), &configConnectorName)...)
	if resp.Diagnostics.HasError() {
		return
	}
	changed := false
	if plan.TenantID.IsUnknown() && configTenantID.IsNull() && req.State.Raw.IsNull() {
		if r.clients.TenantID == "" {
			resp.Diagnostics.AddAttributeError(path.Root("tenant_id"), "Tenant unknown",
				"tenant_id is not set and the provider has no tenant_id either (it authenticates with the Azure CLI or a managed identity "+
					"without one). Set tenant_id on this resource, or "+label("tenant_id")+" on the provider.")
			return
		}
		plan.TenantID = types.StringValue(r.clients.TenantID)
		changed = true
	}
	// A tenant or portal the provider cannot reach is refused now rather than half-way through apply.
	resp.Diagnostics.Append(r.clients.checkTenantPlan(plan.TenantID, plan.PortalURL)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if plan.ConnectorName.IsUnknown() && configConnectorName.IsNull() && !plan.TenantID.IsUnknown() {
		plan.ConnectorName = plan.TenantID
		changed = true
	}
	if plan.ID.IsUnknown() && !plan.WorkspaceID.IsUnknown() && !plan.ConnectorName.IsUnknown() {
		if ws, err := resourcemanager.ParseWorkspaceID(plan.WorkspaceID.ValueString()); err == nil {
			plan.ID = types.StringValue(resourcemanager.NewDataConnectorID(ws, plan.ConnectorName.ValueString()).String())
			changed = true
		}
	}
	if changed {
		resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
	}
}

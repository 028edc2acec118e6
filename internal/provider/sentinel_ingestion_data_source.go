package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/loganalytics"
	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/resourcemanager"
	"github.com/mcas-terraform/terraform-provider-mcas/internal/validators"
)

var (
	_ datasource.DataSource              = (*sentinelIngestionDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*sentinelIngestionDataSource)(nil)
)

// defaultLookback is the lookback of mcas_sentinel_ingestion when the configuration sets none.
const defaultLookback = "24h"

// NewSentinelIngestionDataSource returns the mcas_sentinel_ingestion data source.
func NewSentinelIngestionDataSource() datasource.DataSource {
	return &sentinelIngestionDataSource{}
}

type sentinelIngestionDataSource struct {
	clients *Clients
}

type sentinelIngestionModel struct {
	WorkspaceID   types.String           `tfsdk:"workspace_id"`
	Lookback      types.String           `tfsdk:"lookback"`
	DiscoveryLogs *discoveryFiguresModel `tfsdk:"discovery_logs"`
	Alerts        *alertFiguresModel     `tfsdk:"alerts"`
	QueriedAt     types.String           `tfsdk:"queried_at"`
}

// The computed figures; a last_received of nil is null.
type (
	rowFiguresModel struct {
		Rows         int64   `tfsdk:"rows"`
		LastReceived *string `tfsdk:"last_received"`
	}
	discoveryFiguresModel struct {
		Rows         int64                      `tfsdk:"rows"`
		LastReceived *string                    `tfsdk:"last_received"`
		Streams      map[string]rowFiguresModel `tfsdk:"streams"`
	}
	alertFiguresModel struct {
		Count        int64   `tfsdk:"count"`
		LastReceived *string `tfsdk:"last_received"`
	}
)

func (d *sentinelIngestionDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_sentinel_ingestion"
}

func (d *sentinelIngestionDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	lastReceived := func(what string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, MarkdownDescription: "`TimeGenerated` of the newest " + what + " within the lookback (RFC 3339); null when there is none."}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Shows whether the Defender for Cloud Apps - Microsoft Sentinel integration delivers data: how many discovery " +
			"log rows (`McasShadowItReporting`, per stream) and Defender for Cloud Apps alerts (`SecurityAlert` rows whose `ProductName` is " +
			"\"Microsoft Cloud App Security\") reached the workspace within the lookback, and when the newest arrived. It reads the workspace " +
			"through Azure Resource Manager for its Log Analytics workspace id, then sends one query per table to the Log Analytics query " +
			"API, so it needs a Microsoft Entra ID credential with Log Analytics Reader or Microsoft Sentinel Reader on the workspace, " +
			"and the cloud's Log Analytics endpoint (built in, or `endpoint.log_analytics_endpoint` with `environment = \"custom\"`).\n\n" +
			"New discovery logs usually appear within 15 minutes of the integration's creation, sometimes later. Use the data source in a " +
			"`check` block to be warned when a forwarded stream stays silent, or with a `postcondition` to fail a pipeline.",
		Attributes: map[string]schema.Attribute{
			"workspace_id": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "ARM id of the Log Analytics workspace, as `mcas_sentinel_integration` takes it: " +
					"`/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.OperationalInsights/workspaces/{name}`.",
				Validators: []validator.String{validators.WorkspaceID()},
			},
			"lookback": schema.StringAttribute{
				Optional: true,
				Computed: true,
				MarkdownDescription: "How far back to count, as a duration such as `24h`, `90m` or `1h30m` (the syntax of Go and of " +
					"Terraform's `timeadd`); from `1m` to `17520h` (730 days, the longest interactive retention of a workspace). Defaults to `" +
					defaultLookback + "`.",
				Validators: []validator.String{validators.Lookback()},
			},
			"discovery_logs": schema.SingleNestedAttribute{
				Computed:            true,
				MarkdownDescription: "Discovery logs in `McasShadowItReporting` within the lookback.",
				Attributes: map[string]schema.Attribute{
					"rows":          schema.Int64Attribute{Computed: true, MarkdownDescription: "Rows of all streams."},
					"last_received": lastReceived("row"),
					"streams": schema.MapNestedAttribute{
						Computed: true,
						MarkdownDescription: "Rows per stream, keyed by the stream's display name (`StreamName`, as `mcas_discovery_streams` " +
							"shows it). A stream without rows within the lookback has no entry: look it up with `try(...streams[name].rows, 0)`.",
						NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
							"rows":          schema.Int64Attribute{Computed: true, MarkdownDescription: "Rows of the stream."},
							"last_received": lastReceived("row of the stream"),
						}},
					},
				},
			},
			"alerts": schema.SingleNestedAttribute{
				Computed:            true,
				MarkdownDescription: "Defender for Cloud Apps alerts in `SecurityAlert` within the lookback.",
				Attributes: map[string]schema.Attribute{
					"count":         schema.Int64Attribute{Computed: true, MarkdownDescription: "Alerts received."},
					"last_received": lastReceived("alert"),
				},
			},
			"queried_at": schema.StringAttribute{
				Computed: true,
				MarkdownDescription: "When the query API answered (RFC 3339, whole seconds), by the service's clock (its `Date` header; the " +
					"provider's clock when it sends none), so that it compares with the `last_received` times. Compare it with the time the " +
					"integration was created to tell a delay from a fault.",
			},
		},
	}
}

func (d *sentinelIngestionDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.clients = providerClients(req.ProviderData, &resp.Diagnostics)
}

func (d *sentinelIngestionDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var data sentinelIngestionModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if data.Lookback.IsNull() {
		data.Lookback = types.StringValue(defaultLookback)
	}
	lookback, err := validators.ParseLookback(data.Lookback.ValueString())
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("lookback"), "Invalid lookback", err.Error())
	}
	workspaceID, err := resourcemanager.ParseWorkspaceID(data.WorkspaceID.ValueString())
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("workspace_id"), "Invalid workspace id", err.Error())
	}
	rm, rmErr := d.clients.ResourceManager()
	la, laErr := d.clients.LogAnalytics()
	switch {
	case resp.Diagnostics.HasError():
		return
	case rmErr != nil:
		resp.Diagnostics.AddError("Azure Resource Manager is not configured", rmErr.Error())
		return
	case laErr != nil:
		resp.Diagnostics.AddError("Log Analytics is not configured", laErr.Error())
		return
	}

	ws, err := rm.GetWorkspace(ctx, workspaceID)
	if err != nil {
		resp.Diagnostics.Append(ingestionDiagnostic("Reading the Log Analytics workspace failed", err))
		return
	}
	if ws.CustomerID == "" {
		resp.Diagnostics.AddError("Reading the Log Analytics workspace failed",
			fmt.Sprintf("Azure Resource Manager answered for workspace %s without properties.customerId, the id the Log Analytics query API takes. "+
				"Check that workspace_id names a Log Analytics workspace, then try again.", workspaceID))
		return
	}

	logs, err := la.DiscoveryLogs(ctx, ws.CustomerID, lookback)
	if err != nil {
		resp.Diagnostics.Append(ingestionDiagnostic("Counting the discovery logs failed", err))
		return
	}
	alerts, err := la.CloudAppsAlerts(ctx, ws.CustomerID, lookback)
	if err != nil {
		resp.Diagnostics.Append(ingestionDiagnostic("Counting the alerts failed", err))
		return
	}
	resp.Diagnostics.Append(answerWarnings(workspaceID.String(), loganalytics.TableDiscoveryLogs, "discovery_logs", logs.Answer)...)
	resp.Diagnostics.Append(answerWarnings(workspaceID.String(), loganalytics.TableAlerts, "alerts", alerts.Answer)...)

	data.DiscoveryLogs = &discoveryFiguresModel{Rows: logs.Rows, LastReceived: timeValue(logs.LastReceived), Streams: map[string]rowFiguresModel{}}
	for name, f := range logs.Streams {
		data.DiscoveryLogs.Streams[name] = rowFiguresModel{Rows: f.Rows, LastReceived: timeValue(f.LastReceived)}
	}
	data.Alerts = &alertFiguresModel{Count: alerts.Rows, LastReceived: timeValue(alerts.LastReceived)}
	queriedAt := alerts.AnsweredAt
	if logs.AnsweredAt.After(queriedAt) {
		queriedAt = logs.AnsweredAt
	}
	data.QueriedAt = types.StringValue(queriedAt.UTC().Truncate(time.Second).Format(time.RFC3339))
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}

// timeValue renders an optional time as RFC 3339 in UTC; nil (null) when absent.
func timeValue(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := t.UTC().Format(time.RFC3339Nano)
	return &s
}

// answerWarnings turns what the service said about a query besides its figures into warnings that
// name the table and the attribute whose figures they concern.
func answerWarnings(workspace, table, attribute string, a loganalytics.Answer) diag.Diagnostics {
	var diags diag.Diagnostics
	if a.Partial != nil {
		diags.AddAttributeWarning(path.Root(attribute), "Partial result from Log Analytics: "+table+" figures may be incomplete",
			fmt.Sprintf("The query of %s in workspace %s answered only in part, so %s may count fewer rows, and show an older "+
				"last_received, than the table holds: %s\n\nThis is usually passing (a storage node that timed out); the next refresh "+
				"queries again. If it persists, shorten lookback.", table, workspace, attribute, a.Partial))
	}
	if a.TableMissing {
		diags.AddAttributeWarning(path.Root(attribute), "Table "+table+" does not exist in the workspace",
			fmt.Sprintf("Workspace %s has no %s table, so %s counts zero rows. The table appears with Microsoft Sentinel and the first "+
				"data of its kind; check that Sentinel is enabled on the workspace and that the integration forwards %s.",
				workspace, table, attribute, strings.ReplaceAll(attribute, "_", " ")))
	}
	return diags
}

// ingestionDiagnostic turns an error of the workspace read or of a query into a diagnostic that says
// what to do.
func ingestionDiagnostic(summary string, err error) diag.Diagnostic {
	const roles = "Log Analytics Reader or Microsoft Sentinel Reader on the workspace (or a role that includes it, such as " +
		"Reader or Microsoft Sentinel Contributor)"
	// The clients share one error type: only a Resource Manager answer is about the workspace read.
	if armErr := serviceAnswer(err); armErr != nil && armErr.Service == resourcemanager.ServiceName {
		switch {
		case armErr.StatusCode == http.StatusForbidden || strings.EqualFold(armErr.Code, "AuthorizationFailed"):
			return withAdvice(summary+": permission missing", err,
				"The identity Terraform runs as may not read the workspace. Give it %s; role assignments can take a "+
					"few minutes to apply.", roles)
		case armErr.StatusCode == http.StatusNotFound:
			return withAdvice(summary+": workspace not found", err,
				"Check workspace_id: the subscription, resource group and workspace name must exist, and the "+
					"provider's credential must belong to the subscription's tenant.")
		}
		return integrationDiagnostic(summary, err)
	}
	switch {
	case loganalytics.IsForbidden(err):
		return withAdvice(summary+": Log Analytics denied access", err,
			"Querying the workspace's logs needs %s for the identity Terraform runs as. Assign the role, wait a few "+
				"minutes for it to apply, then refresh again.", roles)
	case loganalytics.IsUnauthorized(err):
		return withAdvice(summary+": Log Analytics rejected the credentials", err,
			"The query API took no token from the request. Check the provider's Microsoft Entra ID credential and, "+
				"with environment = \"custom\", that %s is the audience the cloud's query API expects.", label("endpoint.log_analytics_audience"))
	case loganalytics.IsThrottled(err):
		return withAdvice(summary+": throttled by Log Analytics", err,
			"The query API allows a user 200 queries per 30 seconds and the provider already retried with back-off "+
				"for longer than that. Other automation with the same identity is querying heavily: wait a minute and refresh again, or "+
				"give Terraform an identity of its own.")
	case loganalytics.IsNotFound(err):
		return withAdvice(summary+": workspace unknown to the query API", err,
			"The Log Analytics query endpoint does not know the workspace's id. Check that the provider's environment "+
				"(or endpoint.log_analytics_endpoint) is the workspace's cloud; a workspace deleted a moment ago also answers this.")
	}
	var laErr *loganalytics.Error
	if errors.As(err, &laErr) && laErr.Service == loganalytics.ServiceName && laErr.StatusCode == http.StatusBadRequest {
		return withAdvice(summary+": the query API refused the query", err,
			"The provider sends fixed queries, so this is unexpected: please report it with this message.")
	}
	return diag.NewErrorDiagnostic(summary, err.Error())
}

package provider

import (
	"cmp"
	"context"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/cloudapps"
	"github.com/mcas-terraform/terraform-provider-mcas/internal/validators"
)

var (
	_ datasource.DataSource              = (*discoveryStreamsDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*discoveryStreamsDataSource)(nil)
)

// NewDiscoveryStreamsDataSource returns the mcas_discovery_streams data source.
func NewDiscoveryStreamsDataSource() datasource.DataSource {
	return &discoveryStreamsDataSource{}
}

type discoveryStreamsDataSource struct {
	clients *Clients
}

type discoveryStreamsModel struct {
	TenantID     types.String `tfsdk:"tenant_id"`
	PortalURL    types.String `tfsdk:"portal_url"`
	DisplayNames types.Set    `tfsdk:"display_names"`
	NameRegex    types.String `tfsdk:"name_regex"`
	Streams      types.List   `tfsdk:"streams"`
	IDs          types.List   `tfsdk:"ids"`
}

// streamModel is one element of streams.
type streamModel struct {
	ID               string       `tfsdk:"id"`
	DisplayName      string       `tfsdk:"display_name"`
	Type             string       `tfsdk:"type"`
	LogType          int64        `tfsdk:"log_type"`
	ReceiverType     string       `tfsdk:"receiver_type"`
	GlobalAggregated bool         `tfsdk:"global_aggregated"`
	Created          types.String `tfsdk:"created"`
	LastModified     types.String `tfsdk:"last_modified"`
	LastDataReceived types.String `tfsdk:"last_data_received"`
}

// streamAttributes is the schema of one element of streams, from which its object type is derived.
var streamAttributes = map[string]schema.Attribute{
	"id":                 schema.StringAttribute{Computed: true, MarkdownDescription: "Stream id (24 hexadecimal characters)."},
	"display_name":       schema.StringAttribute{Computed: true, MarkdownDescription: "Name shown in the portal."},
	"type":               schema.StringAttribute{Computed: true, MarkdownDescription: "`input` (a log collector or data source), `view` (created in the portal), `snapshot`, or `unknown`."},
	"log_type":           schema.Int64Attribute{Computed: true, MarkdownDescription: "Log format number, for example 112 for Palo Alto or 120 for Zscaler."},
	"receiver_type":      schema.StringAttribute{Computed: true, MarkdownDescription: "How logs are received, for example `syslog` or `ftp`."},
	"global_aggregated":  schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether this is the aggregate of all streams (the built-in \"Global View\")."},
	"created":            schema.StringAttribute{Computed: true, MarkdownDescription: "Creation time (RFC 3339)."},
	"last_modified":      schema.StringAttribute{Computed: true, MarkdownDescription: "Last modification time (RFC 3339)."},
	"last_data_received": schema.StringAttribute{Computed: true, MarkdownDescription: "When data last arrived (RFC 3339); null when none has."},
}

// streamTypes maps the API's streamType numbers to the names the data source exposes.
var streamTypes = map[int]string{cloudapps.StreamTypeInput: "input", cloudapps.StreamTypeView: "view", cloudapps.StreamTypeSnapshot: "snapshot"}

func (d *discoveryStreamsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_discovery_streams"
}

func (d *discoveryStreamsDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the tenant's Defender for Cloud Apps discovery streams (continuous reports), mainly to choose the " +
			"streams whose discovery logs `mcas_sentinel_integration` forwards to Microsoft Sentinel (`discovery_logs.stream_ids`). " +
			"Needs `portal_url` and either `api_token` or a Microsoft Entra ID credential whose app has the `Discovery.read` permission. " +
			"Every stream is listed, also when Defender for Cloud Apps answers them 100 at a time.",
		Attributes: map[string]schema.Attribute{
			"tenant_id": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Microsoft Entra tenant whose streams are listed (a UUID); defaults to the provider's `tenant_id`. " +
					"Another tenant must be listed in the provider's `additional_tenant_ids` (or `\"*\"` be), needs `portal_url`, " +
					"and is called with Microsoft Entra ID tokens of a multi-tenant app registration consented in that tenant.",
				Validators: []validator.String{validators.UUID()},
			},
			"portal_url": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Base URL of the tenant's Defender for Cloud Apps API, overriding the provider's `portal_url`; " +
					"required with a `tenant_id` of another tenant than the provider's.",
				Validators: []validator.String{validators.PortalURL()},
			},
			"display_names": schema.SetAttribute{
				ElementType:         types.StringType,
				Optional:            true,
				MarkdownDescription: "Keep only the streams whose display name is exactly one of these.",
				Validators:          []validator.Set{setvalidator.SizeAtLeast(1)},
			},
			"name_regex": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Keep only the streams whose display name matches this regular expression (RE2 syntax). Combined with `display_names`, a stream must match both.",
				Validators:          []validator.String{validators.Regexp()},
			},
			"ids": schema.ListAttribute{
				ElementType:         types.StringType,
				Computed:            true,
				MarkdownDescription: "The ids of the streams, in the order of `streams`.",
			},
			"streams": schema.ListNestedAttribute{
				Computed:            true,
				MarkdownDescription: "The streams, ordered by display name and then id.",
				NestedObject:        schema.NestedAttributeObject{Attributes: streamAttributes},
			},
		},
	}
}

func (d *discoveryStreamsDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.clients = providerClients(req.ProviderData, &resp.Diagnostics)
}

func (d *discoveryStreamsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var data discoveryStreamsModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &data)...)
	if resp.Diagnostics.HasError() {
		return
	}
	client, err := d.clients.CloudAppsForTenant(data.TenantID.ValueString(), data.PortalURL.ValueString())
	if err != nil {
		resp.Diagnostics.Append(tenantDiagnostics(err)...)
		return
	}

	var names []string // nil when display_names is null
	resp.Diagnostics.Append(data.DisplayNames.ElementsAs(ctx, &names, false)...)
	var pattern *regexp.Regexp
	if !data.NameRegex.IsNull() {
		pattern, err = regexp.Compile(data.NameRegex.ValueString())
		if err != nil {
			resp.Diagnostics.AddAttributeError(pathNameRegex, "Invalid regular expression", err.Error())
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}

	streams, err := client.ListStreams(ctx)
	if err != nil {
		resp.Diagnostics.Append(cloudAppsDiagnostic("Listing discovery streams failed", err))
		return
	}
	selected := make([]cloudapps.Stream, 0, len(streams))
	for _, s := range streams {
		if names != nil && !slices.Contains(names, s.DisplayName) {
			continue
		}
		if pattern != nil && !pattern.MatchString(s.DisplayName) {
			continue
		}
		selected = append(selected, s)
	}
	slices.SortStableFunc(selected, func(a, b cloudapps.Stream) int {
		return cmp.Or(strings.Compare(a.DisplayName, b.DisplayName), strings.Compare(a.ID, b.ID))
	})

	streamModels := make([]streamModel, len(selected))
	ids := make([]string, len(selected))
	for i, s := range selected {
		streamModels[i] = streamModel{
			ID: s.ID, DisplayName: s.DisplayName, Type: cmp.Or(streamTypes[s.StreamType], "unknown"), LogType: int64(s.LogType), ReceiverType: s.ReceiverType,
			GlobalAggregated: s.GlobalAggregated, Created: timestampValue(s.Created), LastModified: timestampValue(s.LastModified),
			LastDataReceived: timestampValue(s.LastDataReceived),
		}
		ids[i] = s.ID
	}
	var diags diag.Diagnostics
	data.Streams, diags = types.ListValueFrom(ctx, schema.NestedAttributeObject{Attributes: streamAttributes}.Type(), streamModels)
	resp.Diagnostics.Append(diags...)
	data.IDs, diags = types.ListValueFrom(ctx, types.StringType, ids)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &data)...)
}

// timestampLayouts are the forms in which the Cloud Apps API has been seen to send times.
var timestampLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
}

// timestampValue normalises an ISO-8601 time to RFC 3339 in UTC. A time in a form it does not know is
// passed through unchanged rather than lost; an absent one is null.
func timestampValue(raw *string) types.String {
	if raw == nil || *raw == "" {
		return types.StringNull()
	}
	for _, layout := range timestampLayouts {
		if t, err := time.Parse(layout, *raw); err == nil {
			return types.StringValue(t.UTC().Format(time.RFC3339))
		}
	}
	return types.StringValue(*raw)
}

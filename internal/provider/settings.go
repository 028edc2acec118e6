package provider

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/cloudapps"
	"github.com/mcas-terraform/terraform-provider-mcas/internal/validators"
)

// settingKind is the Terraform type of a setting.
type settingKind int

const (
	textSetting settingKind = iota
	flagSetting
	numberSetting
	// listSetting is a list of strings; an environment variable separates them with ";" (as
	// azurerm's ARM_AUXILIARY_TENANT_IDS does) or ",".
	listSetting
)

// setting is one attribute of the provider block: what it means, the environment variables that stand
// in for it when the configuration leaves it out (the first one set wins), its default, and the checks
// of its value. The schema and so the documentation, the reading of the configuration and the
// environment in Configure, and the messages that name an attribute with its environment variables
// all read the table of settings, so that each of these facts is written once.
type setting struct {
	// name is the attribute's name; "endpoint.x" is the attribute x of the endpoint block.
	name        string
	kind        settingKind
	description string
	sensitive   bool
	envs        []string
	// def is the value, as an environment variable would spell it, used when neither the
	// configuration nor the environment sets one.
	def string
	// text and number check a value of the setting, and elements each element of a list, from the
	// configuration or from the environment.
	text     []validator.String
	number   []validator.Int64
	elements []validator.String
	// configOnly checks the configuration alone, such as attributes that exclude each other.
	configOnly []validator.String
}

// Accepted range of cloud_apps_requests_per_minute.
const (
	minRequestsPerMinute = 1
	maxRequestsPerMinute = 1000
)

// envSystemAccessToken is the Azure DevOps pipeline's access token, which the request token falls
// back to with ado_pipeline_service_connection_id.
const envSystemAccessToken = "SYSTEM_ACCESSTOKEN"

// endpointBlock is the nested attribute that holds the endpoints of a custom environment.
const endpointBlock = "endpoint"

var settings = []setting{
	{
		name: "portal_url", envs: []string{"MCAS_PORTAL_URL"}, text: []validator.String{validators.PortalURL()},
		description: "Base URL of the tenant's Defender for Cloud Apps API, for example `https://contoso.eu2.portal.cloudappsecurity.com` " +
			"(the portal shows it under Settings > Cloud Apps > System > About). Needed by everything that calls Cloud Apps.",
	},
	{
		name: "api_token", sensitive: true, envs: []string{"MCAS_API_TOKEN"}, text: []validator.String{validators.LegacyAPIToken()},
		description: "Legacy Defender for Cloud Apps API token. When unset, Cloud Apps is called with a Microsoft Entra ID token of " +
			"the configured credential.",
	},
	{
		name: "cloud_apps_requests_per_minute", kind: numberSetting, envs: []string{"MCAS_CLOUD_APPS_REQUESTS_PER_MINUTE"},
		def:    strconv.Itoa(cloudapps.DefaultRequestsPerMinute),
		number: []validator.Int64{int64validator.Between(minRequestsPerMinute, maxRequestsPerMinute)},
		description: fmt.Sprintf("Most requests per minute that the provider sends to the tenant's Defender for Cloud Apps API, "+
			"retries included, from %d to %d; the default is the service's limit per tenant. Further requests wait for their turn "+
			"instead of being throttled: a sixth of the limit may go at once, the rest are spaced evenly. The count is kept per "+
			"tenant and provider process: resources that name many tenants under one provider block share that process, which keeps "+
			"each tenant's count, whereas Terraform starts one process per provider configuration (alias), so when several aliases "+
			"reach the same tenant, divide the tenant's budget between them. Throttled answers that still happen (for example from other "+
			"automation on the tenant) are retried with back-off. Waiting counts against the operation's time: the resource's "+
			"`timeouts`, and 5 minutes for a data source read.", minRequestsPerMinute, maxRequestsPerMinute),
	},
	{
		name: "tenant_id", envs: []string{"ARM_TENANT_ID"}, text: []validator.String{validators.UUID()},
		description: "Microsoft Entra tenant ID (a UUID); the default tenant of resources and data sources, which may name other " +
			"tenants of `additional_tenant_ids` with their own `tenant_id`.",
	},
	{
		name: "additional_tenant_ids", kind: listSetting, envs: []string{"ARM_AUXILIARY_TENANT_IDS"},
		elements: []validator.String{validators.TenantIDOrAny()},
		description: "Tenants besides `tenant_id` that resources and data sources may name with their own `tenant_id`, so that one " +
			"provider block manages many tenants; `\"*\"` allows any tenant. The provider then signs in to each of them as the same " +
			"app registration, which must be multi-tenant and consented in each (with a client secret, a client certificate or a " +
			"federated token; the Azure CLI, a managed identity and `api_token` act in their own tenant only). Tokens are cached per " +
			"tenant, and the Cloud Apps request limit is kept per tenant for every tenant of the process. In the environment variable, " +
			"separate the ids with `;`.",
	},
	{
		name: "client_id", envs: []string{"ARM_CLIENT_ID"}, text: []validator.String{validators.UUID()},
		description: "Client ID of the app registration, or of the user-assigned managed identity with `use_msi`.",
	},
	{
		name: "client_secret", sensitive: true, envs: []string{"ARM_CLIENT_SECRET"},
		description: "Client secret of the app registration.",
	},
	{
		name: "client_certificate", sensitive: true, envs: []string{"ARM_CLIENT_CERTIFICATE"},
		configOnly:  []validator.String{stringvalidator.ConflictsWith(path.MatchRoot("client_certificate_path"))},
		description: "Base64-encoded PKCS#12 archive, or PEM text, holding the client certificate and its private key.",
	},
	{
		name: "client_certificate_path", envs: []string{"ARM_CLIENT_CERTIFICATE_PATH"},
		description: "Path to a PKCS#12 (`.pfx`) or PEM file holding the client certificate and its private key.",
	},
	{
		name: "client_certificate_password", sensitive: true, envs: []string{"ARM_CLIENT_CERTIFICATE_PASSWORD"},
		description: "Password of the PKCS#12 archive.",
	},
	{
		name: "use_oidc", kind: flagSetting, envs: []string{"ARM_USE_OIDC"}, def: "false",
		description: "Request federated (OIDC) tokens from `oidc_request_url`, as GitHub Actions provides them. A token given by " +
			"`oidc_token` or `oidc_token_file_path` is used without it.",
	},
	{
		name: "oidc_token", sensitive: true, envs: []string{"ARM_OIDC_TOKEN"},
		description: "A federated token to exchange for Microsoft Entra ID tokens.",
	},
	{
		name: "oidc_token_file_path", envs: []string{"ARM_OIDC_TOKEN_FILE_PATH", "AZURE_FEDERATED_TOKEN_FILE"},
		description: "Path to a file holding a federated token; the file is read again for every token exchange, so a rotated " +
			"token is picked up.",
	},
	{
		name: "oidc_request_url", envs: []string{"ARM_OIDC_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_URL"},
		text:        []validator.String{validators.HTTPSURL()},
		description: "URL to request federated tokens from (GitHub Actions).",
	},
	{
		name: "oidc_request_token", sensitive: true, envs: []string{"ARM_OIDC_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"},
		description: "Bearer token for `oidc_request_url`, or the system access token with `ado_pipeline_service_connection_id`, " +
			"which is taken from `" + envSystemAccessToken + "` when neither this attribute nor its environment variables are set.",
	},
	{
		name: "ado_pipeline_service_connection_id", envs: []string{"ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID"},
		description: "ID of the Azure DevOps service connection to use for workload identity federation.",
	},
	{
		name: "use_msi", kind: flagSetting, envs: []string{"ARM_USE_MSI"}, def: "false",
		description: "Authenticate with a managed identity.",
	},
	{
		name: "use_cli", kind: flagSetting, envs: []string{"ARM_USE_CLI"}, def: "true",
		description: "Authenticate with the Azure CLI's login, for people at a desk; set it to `false` in pipelines.",
	},
	{
		name: "environment", envs: []string{"ARM_ENVIRONMENT"}, def: EnvironmentPublic,
		text:        []validator.String{stringvalidator.OneOfCaseInsensitive(environments...)},
		description: "Cloud to use: `public`, `usgovernment`, `china` or `custom` (with `endpoint`).",
	},
	{
		name: "endpoint.active_directory_authority_host", envs: []string{"ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST"},
		text:        []validator.String{validators.HTTPSURL()},
		description: "Microsoft Entra ID authority host.",
	},
	{
		name: "endpoint.resource_manager_endpoint", envs: []string{"ARM_RESOURCE_MANAGER_ENDPOINT"},
		text:        []validator.String{validators.HTTPSURL()},
		description: "Azure Resource Manager endpoint.",
	},
	{
		name: "endpoint.resource_manager_audience", envs: []string{"ARM_RESOURCE_MANAGER_AUDIENCE"},
		description: "Token audience of Azure Resource Manager.",
	},
	{
		name: "endpoint.log_analytics_endpoint", envs: []string{"ARM_LOG_ANALYTICS_ENDPOINT"},
		text:        []validator.String{validators.HTTPSURL()},
		description: "Log Analytics query endpoint, read by `mcas_sentinel_ingestion`.",
	},
	{
		name: "endpoint.log_analytics_audience", envs: []string{"ARM_LOG_ANALYTICS_AUDIENCE"},
		description: "Token audience of the Log Analytics query endpoint; defaults to `log_analytics_endpoint` itself, as in every Azure cloud.",
	},
}

// settingIndex finds a setting by name.
var settingIndex = func() map[string]*setting {
	index := make(map[string]*setting, len(settings))
	for i := range settings {
		index[settings[i].name] = &settings[i]
	}
	return index
}()

// lookupSetting returns the setting of that name; a name missing from the table is a bug.
func lookupSetting(name string) *setting {
	s, ok := settingIndex[name]
	if !ok {
		panic("provider: no setting named " + name)
	}
	return s
}

// path is the setting's attribute path.
func (s *setting) path() path.Path {
	if parent, child, nested := strings.Cut(s.name, "."); nested {
		return path.Root(parent).AtName(child)
	}
	return path.Root(s.name)
}

// label names a setting with the environment variables that stand in for it, as messages do:
// "portal_url (MCAS_PORTAL_URL)".
func label(name string) string {
	s := lookupSetting(name)
	return fmt.Sprintf("%s (%s)", s.name, strings.Join(s.envs, " or "))
}

// markdownDescription is the documentation of the setting: its description, its default and its
// environment variables.
func (s *setting) markdownDescription() string {
	text := s.description
	if s.def != "" {
		text += fmt.Sprintf(" Defaults to `%s`.", s.def)
	}
	quoted := make([]string, len(s.envs))
	for i, env := range s.envs {
		quoted[i] = "`" + env + "`"
	}
	if len(quoted) == 1 {
		return text + " Environment variable " + quoted[0] + "."
	}
	return text + " Environment variables " + strings.Join(quoted, ", then ") + "."
}

// attribute is the setting's schema attribute.
func (s *setting) attribute() schema.Attribute {
	switch s.kind {
	case flagSetting:
		return schema.BoolAttribute{Optional: true, Sensitive: s.sensitive, MarkdownDescription: s.markdownDescription()}
	case numberSetting:
		return schema.Int64Attribute{Optional: true, Sensitive: s.sensitive, MarkdownDescription: s.markdownDescription(), Validators: s.number}
	case listSetting:
		return schema.ListAttribute{ElementType: types.StringType, Optional: true, Sensitive: s.sensitive,
			MarkdownDescription: s.markdownDescription(), Validators: []validator.List{listvalidator.ValueStringsAre(s.elements...)}}
	default:
		return schema.StringAttribute{Optional: true, Sensitive: s.sensitive, MarkdownDescription: s.markdownDescription(),
			Validators: append(append([]validator.String(nil), s.text...), s.configOnly...)}
	}
}

// settingAttributes is the provider schema's attributes, built from the table of settings.
func settingAttributes() map[string]schema.Attribute {
	attributes := make(map[string]schema.Attribute, len(settings))
	endpoint := map[string]schema.Attribute{}
	for i := range settings {
		s := &settings[i]
		if parent, child, nested := strings.Cut(s.name, "."); nested && parent == endpointBlock {
			endpoint[child] = s.attribute()
			continue
		}
		attributes[s.name] = s.attribute()
	}
	attributes[endpointBlock] = schema.SingleNestedAttribute{
		Optional: true,
		MarkdownDescription: "Endpoints of a `custom` environment (a sovereign cloud, Azure Stack or a test server). " +
			"Required with `environment = \"custom\"`, unless given by the environment variables named below.",
		Attributes: endpoint,
	}
	return attributes
}

// settingValues holds what Configure resolved for each setting: the configuration's value, else the
// environment's, else the default. A setting with none of them has no entry.
type settingValues struct {
	values map[string]attr.Value
	// endpointConfigured reports whether the configuration has an endpoint block.
	endpointConfigured bool
}

func (v settingValues) text(name string) string {
	lookupSetting(name)
	s, _ := v.values[name].(types.String)
	return s.ValueString()
}

func (v settingValues) flag(name string) bool {
	lookupSetting(name)
	b, _ := v.values[name].(types.Bool)
	return b.ValueBool()
}

func (v settingValues) number(name string) int64 {
	lookupSetting(name)
	n, _ := v.values[name].(types.Int64)
	return n.ValueInt64()
}

func (v settingValues) list(name string) []string {
	lookupSetting(name)
	l, _ := v.values[name].(types.List)
	out := make([]string, 0, len(l.Elements()))
	for _, e := range l.Elements() {
		if s, ok := e.(types.String); ok {
			out = append(out, s.ValueString())
		}
	}
	return out
}

// readSettings resolves every setting of the configuration. A value known only after apply is an
// error, as the provider must be configured before Terraform can plan. A value from the environment
// gets the checks that the schema gives a configured one, since the schema never sees it.
func readSettings(ctx context.Context, config tfsdk.Config, diags *diag.Diagnostics) settingValues {
	v := settingValues{values: make(map[string]attr.Value, len(settings))}
	var endpoint types.Object
	diags.Append(config.GetAttribute(ctx, path.Root(endpointBlock), &endpoint)...)
	v.endpointConfigured = !endpoint.IsNull()
	for i := range settings {
		s := &settings[i]
		var configured attr.Value
		d := config.GetAttribute(ctx, s.path(), &configured)
		diags.Append(d...)
		if endpoint.IsUnknown() && strings.HasPrefix(s.name, endpointBlock+".") {
			configured = endpoint // Its attributes read as null, but are as unknown as the block.
		}
		switch {
		case d.HasError():
		case configured.IsUnknown() || hasUnknownElement(configured):
			diags.AddAttributeError(s.path(), "Provider attribute not known at plan time",
				fmt.Sprintf("%s depends on a value that is known only after apply (for example another resource's attribute), but the provider "+
					"must be configured before Terraform can plan. Set it to a value known at plan time (a literal, a variable, a local), "+
					"or leave it out and set the environment variable %s instead.", s.path(), strings.Join(s.envs, " or ")))
		case !configured.IsNull():
			v.values[s.name] = configured
		default:
			if value := s.fromEnvironment(ctx, diags); value != nil {
				v.values[s.name] = value
			} else if s.def != "" {
				v.values[s.name], _ = s.parse(s.def)
			}
		}
	}
	return v
}

// fromEnvironment returns the value of the first of the setting's environment variables that is set
// and checks it, or nil when none is set.
func (s *setting) fromEnvironment(ctx context.Context, diags *diag.Diagnostics) attr.Value {
	for _, env := range s.envs {
		raw := os.Getenv(env)
		if raw == "" {
			continue
		}
		value, problem := s.parse(raw)
		if problem != "" {
			diags.AddAttributeError(s.path(), "Invalid environment variable "+env,
				fmt.Sprintf("%s is %q, which is not %s, or set %s in the provider block.", env, raw, problem, s.name))
			return nil
		}
		for _, d := range s.check(ctx, value) {
			diags.AddAttributeError(s.path(), d.Summary(), fmt.Sprintf("From the environment variable %s: %s", env, d.Detail()))
		}
		return value
	}
	return nil
}

// parse reads a value as an environment variable spells it; problem says what it should have been
// and how to write it.
func (s *setting) parse(raw string) (value attr.Value, problem string) {
	switch s.kind {
	case flagSetting:
		b, err := strconv.ParseBool(strings.TrimSpace(raw))
		if err != nil {
			return nil, "a boolean; set it to true or false"
		}
		return types.BoolValue(b), ""
	case numberSetting:
		n, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 64)
		if err != nil {
			return nil, "a whole number; set it to one"
		}
		return types.Int64Value(n), ""
	case listSetting:
		var elements []attr.Value
		for _, e := range strings.FieldsFunc(raw, func(r rune) bool { return r == ';' || r == ',' }) {
			if e = strings.TrimSpace(e); e != "" {
				elements = append(elements, types.StringValue(e))
			}
		}
		if len(elements) == 0 {
			return nil, "a list; separate its values with ;"
		}
		return types.ListValueMust(types.StringType, elements), ""
	default:
		return types.StringValue(raw), ""
	}
}

// check runs the setting's value checks on a value, as the schema runs them on the configuration.
func (s *setting) check(ctx context.Context, value attr.Value) diag.Diagnostics {
	var diags diag.Diagnostics
	p := s.path()
	switch v := value.(type) {
	case types.String:
		for _, c := range s.text {
			resp := &validator.StringResponse{}
			c.ValidateString(ctx, validator.StringRequest{Path: p, PathExpression: p.Expression(), ConfigValue: v}, resp)
			diags.Append(resp.Diagnostics...)
		}
	case types.Int64:
		for _, c := range s.number {
			resp := &validator.Int64Response{}
			c.ValidateInt64(ctx, validator.Int64Request{Path: p, PathExpression: p.Expression(), ConfigValue: v}, resp)
			diags.Append(resp.Diagnostics...)
		}
	case types.List:
		resp := &validator.ListResponse{}
		listvalidator.ValueStringsAre(s.elements...).ValidateList(ctx, validator.ListRequest{Path: p, PathExpression: p.Expression(), ConfigValue: v}, resp)
		diags.Append(resp.Diagnostics...)
	}
	return diags
}

// hasUnknownElement reports whether a list value is known but holds an element known only after apply.
func hasUnknownElement(value attr.Value) bool {
	l, ok := value.(types.List)
	return ok && slices.ContainsFunc(l.Elements(), attr.Value.IsUnknown)
}

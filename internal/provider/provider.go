// Package provider is the Terraform layer of terraform-provider-mcas: the provider configuration, the
// mcas_sentinel_integration resource and the mcas_discovery_streams data source. It speaks schemas and
// diagnostics; the service clients under internal/clients speak HTTP and JSON.
package provider

import (
	"context"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/validators"
)

var _ provider.Provider = (*mcasProvider)(nil)

// Option adjusts how a provider instance reaches the services. Production builds use none; tests use
// them to trust a fake server and to shorten retry delays.
type Option func(*options)

type options struct {
	transport            policy.Transporter
	retry                *policy.RetryOptions
	cloudApps            *policy.RetryOptions
	cloudAppsCallTimeout time.Duration
	onboardingWait       *onboardingWait
}

// WithTransport sends every HTTP request of the provider (Microsoft Entra ID, Resource Manager, Cloud
// Apps, federated token requests) through t.
func WithTransport(t policy.Transporter) Option {
	return func(o *options) { o.transport = t }
}

// WithRetry replaces the retry options of every service client (Resource Manager, Cloud Apps and
// Microsoft Entra ID).
func WithRetry(r policy.RetryOptions) Option {
	return func(o *options) {
		o.retry = &r
		o.cloudApps = &r
	}
}

// WithCloudAppsCallTimeout bounds each Defender for Cloud Apps call whose operation sets no deadline
// of its own, such as a data source read; the default is cloudapps.DefaultCallTimeout.
func WithCloudAppsCallTimeout(d time.Duration) Option {
	return func(o *options) { o.cloudAppsCallTimeout = d }
}

// WithOnboardingWait replaces how a create waits for Microsoft Sentinel's onboarding to take effect:
// the first pause between looks, the longest pause (pauses double up to it) and the longest wait in
// all; the default is 2 s, 15 s and 5 minutes.
func WithOnboardingWait(first, longest, limit time.Duration) Option {
	return func(o *options) { o.onboardingWait = &onboardingWait{first: first, max: longest, limit: limit} }
}

type mcasProvider struct {
	version string
	opts    options
}

// New returns a factory for the provider at version (set by the release build; "dev" for local
// builds and "test" in acceptance tests).
func New(version string, opts ...Option) func() provider.Provider {
	return func() provider.Provider {
		p := &mcasProvider{version: version}
		for _, o := range opts {
			o(&p.opts)
		}
		return p
	}
}

func (p *mcasProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "mcas"
	resp.Version = p.version
}

func (p *mcasProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The `mcas` provider manages the integration between Microsoft Defender for Cloud Apps " +
			"(formerly Microsoft Cloud App Security, MCAS) and Microsoft Sentinel: the Sentinel SIEM agent on the Cloud Apps " +
			"side and the `MicrosoftCloudAppSecurity` data connector on the Sentinel side. Every attribute is optional and " +
			"can come from the environment variable named in its description; an attribute set in the configuration wins.\n\n" +
			"Microsoft Entra ID authentication methods are tried in this order, using only those that are configured: " +
			"a federated token (token, token file, token request endpoint, Azure DevOps service connection), a client secret, " +
			"a client certificate, a managed identity, the Azure CLI.",
		Attributes: map[string]schema.Attribute{
			"portal_url": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Base URL of the tenant's Defender for Cloud Apps API, for example " +
					"`https://contoso.eu2.portal.cloudappsecurity.com` (the portal shows it under Settings > Cloud Apps > System > About). " +
					"Needed by everything that calls Cloud Apps. Environment variable `MCAS_PORTAL_URL`.",
				Validators: []validator.String{validators.PortalURL()},
			},
			"api_token": schema.StringAttribute{
				Optional:  true,
				Sensitive: true,
				MarkdownDescription: "Legacy Defender for Cloud Apps API token. When unset, Cloud Apps is called with a Microsoft Entra ID " +
					"token of the configured credential. Environment variable `MCAS_API_TOKEN`.",
				Validators: []validator.String{validators.LegacyAPIToken()},
			},
			"cloud_apps_requests_per_minute": schema.Int64Attribute{
				Optional: true,
				MarkdownDescription: "Most requests per minute that the provider sends to the tenant's Defender for Cloud Apps API, " +
					"retries included; between 1 and 1000, default 30 (the service's limit per tenant). Further requests wait for " +
					"their turn instead of being throttled: a sixth of the limit may go at once, the rest are spaced evenly. The count " +
					"is kept per provider process, and Terraform starts one process per provider configuration (alias): when several " +
					"aliases reach the same tenant, divide the tenant's budget between them. Throttled answers that still happen (for " +
					"example from other automation on the tenant) are retried with back-off. Waiting counts against the operation's " +
					"time: the resource's `timeouts`, and 5 minutes for a data source read. Environment variable " +
					"`MCAS_CLOUD_APPS_REQUESTS_PER_MINUTE`.",
				Validators: []validator.Int64{requestsPerMinuteValidator{}},
			},
			"tenant_id": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Microsoft Entra tenant ID (a UUID). Environment variable `ARM_TENANT_ID`.",
				Validators:          []validator.String{validators.UUID()},
			},
			"client_id": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Client ID of the app registration, or of the user-assigned managed identity with `use_msi`. " +
					"Environment variable `ARM_CLIENT_ID`.",
				Validators: []validator.String{validators.UUID()},
			},
			"client_secret": schema.StringAttribute{
				Optional:            true,
				Sensitive:           true,
				MarkdownDescription: "Client secret of the app registration. Environment variable `ARM_CLIENT_SECRET`.",
			},
			"client_certificate": schema.StringAttribute{
				Optional:  true,
				Sensitive: true,
				MarkdownDescription: "Base64-encoded PKCS#12 archive, or PEM text, holding the client certificate and its private key. " +
					"Environment variable `ARM_CLIENT_CERTIFICATE`.",
				Validators: []validator.String{stringvalidator.ConflictsWith(path.MatchRoot("client_certificate_path"))},
			},
			"client_certificate_path": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Path to a PKCS#12 (`.pfx`) or PEM file holding the client certificate and its private key. " +
					"Environment variable `ARM_CLIENT_CERTIFICATE_PATH`.",
			},
			"client_certificate_password": schema.StringAttribute{
				Optional:            true,
				Sensitive:           true,
				MarkdownDescription: "Password of the PKCS#12 archive. Environment variable `ARM_CLIENT_CERTIFICATE_PASSWORD`.",
			},
			"use_oidc": schema.BoolAttribute{
				Optional: true,
				MarkdownDescription: "Request federated (OIDC) tokens from `oidc_request_url`, as GitHub Actions provides them. A token given " +
					"by `oidc_token` or `oidc_token_file_path` is used without it. Environment variable `ARM_USE_OIDC`.",
			},
			"oidc_token": schema.StringAttribute{
				Optional:            true,
				Sensitive:           true,
				MarkdownDescription: "A federated token to exchange for Microsoft Entra ID tokens. Environment variable `ARM_OIDC_TOKEN`.",
			},
			"oidc_token_file_path": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Path to a file holding a federated token; the file is read again for every token exchange, so a " +
					"rotated token is picked up. Environment variables `ARM_OIDC_TOKEN_FILE_PATH`, then `AZURE_FEDERATED_TOKEN_FILE`.",
			},
			"oidc_request_url": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "URL to request federated tokens from (GitHub Actions). Environment variables `ARM_OIDC_REQUEST_URL`, " +
					"then `ACTIONS_ID_TOKEN_REQUEST_URL`.",
				Validators: []validator.String{validators.HTTPSURL()},
			},
			"oidc_request_token": schema.StringAttribute{
				Optional:  true,
				Sensitive: true,
				MarkdownDescription: "Bearer token for `oidc_request_url`, or the system access token with " +
					"`ado_pipeline_service_connection_id`. Environment variables `ARM_OIDC_REQUEST_TOKEN`, then `ACTIONS_ID_TOKEN_REQUEST_TOKEN` " +
					"(and `SYSTEM_ACCESSTOKEN` for Azure DevOps).",
			},
			"ado_pipeline_service_connection_id": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "ID of the Azure DevOps service connection to use for workload identity federation. " +
					"Environment variable `ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID`.",
			},
			"use_msi": schema.BoolAttribute{
				Optional:            true,
				MarkdownDescription: "Authenticate with a managed identity. Environment variable `ARM_USE_MSI`.",
			},
			"use_cli": schema.BoolAttribute{
				Optional: true,
				MarkdownDescription: "Authenticate with the Azure CLI's login, for people at a desk. Defaults to `true`; set it to `false` in " +
					"pipelines. Environment variable `ARM_USE_CLI`.",
			},
			"environment": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Cloud to use: `public` (default), `usgovernment`, `china` or `custom` (with `endpoint`). " +
					"Environment variable `ARM_ENVIRONMENT`.",
				Validators: []validator.String{stringvalidator.OneOfCaseInsensitive(environments...)},
			},
			"endpoint": schema.SingleNestedAttribute{
				Optional: true,
				MarkdownDescription: "Endpoints of a `custom` environment (a sovereign cloud, Azure Stack or a test server). " +
					"Required with `environment = \"custom\"`, unless given by the environment variables named below.",
				Attributes: map[string]schema.Attribute{
					"active_directory_authority_host": schema.StringAttribute{
						Optional:            true,
						MarkdownDescription: "Microsoft Entra ID authority host. Environment variable `ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST`.",
						Validators:          []validator.String{validators.HTTPSURL()},
					},
					"resource_manager_endpoint": schema.StringAttribute{
						Optional:            true,
						MarkdownDescription: "Azure Resource Manager endpoint. Environment variable `ARM_RESOURCE_MANAGER_ENDPOINT`.",
						Validators:          []validator.String{validators.HTTPSURL()},
					},
					"resource_manager_audience": schema.StringAttribute{
						Optional:            true,
						MarkdownDescription: "Token audience of Azure Resource Manager. Environment variable `ARM_RESOURCE_MANAGER_AUDIENCE`.",
					},
					"log_analytics_endpoint": schema.StringAttribute{
						Optional:            true,
						MarkdownDescription: "Log Analytics query endpoint. Environment variable `ARM_LOG_ANALYTICS_ENDPOINT`.",
						Validators:          []validator.String{validators.HTTPSURL()},
					},
				},
			},
		},
	}
}

func (p *mcasProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		NewSentinelIntegrationResource,
	}
}

func (p *mcasProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		NewDiscoveryStreamsDataSource,
	}
}

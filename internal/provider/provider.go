// Package provider is the Terraform layer of terraform-provider-mcas: the provider configuration, the
// mcas_sentinel_integration resource and the mcas_discovery_streams and mcas_sentinel_ingestion data
// sources. It speaks schemas and diagnostics; the service clients under internal/clients speak HTTP
// and JSON.
//
// settings.go is the table of the provider's settings: each attribute with its description, its
// environment variables, its default and its checks, from which the schema (and so the
// documentation), the reading of the configuration and the environment, and the messages that name a
// setting are made. config.go turns the settings into a credential and the service clients, which
// tenants.go builds and keeps per tenant and portal (loganalytics_config.go builds the Log Analytics
// one). diagnostics.go turns the clients' errors into
// diagnostics and adds what to do in Terraform: the attributes to check, the permissions, the import
// instruction when the tenant is already integrated. The resource's schema and plan are in
// sentinel_integration_resource.go; its CRUD methods in sentinel_integration_crud.go read the plan or
// state, call the reconcile engine (package reconcile) and write the state, and
// sentinel_integration_diagnostics.go turns the engine's errors into diagnostics. The data sources
// are in discovery_streams_data_source.go and sentinel_ingestion_data_source.go.
package provider

import (
	"context"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
)

var _ provider.Provider = (*mcasProvider)(nil)

// Option adjusts how a provider instance reaches the services. Production builds use none; tests use
// them to trust a fake server and to shorten retry delays.
type Option func(*options)

type options struct {
	transport            policy.Transporter
	retry                policy.RetryOptions
	cloudAppsCallTimeout time.Duration
	onboardingWait       onboardingWait
}

// WithTransport sends every HTTP request of the provider (Microsoft Entra ID, Resource Manager, Cloud
// Apps, federated token requests) through t.
func WithTransport(t policy.Transporter) Option {
	return func(o *options) { o.transport = t }
}

// WithRetry replaces the retry options of every service client (Resource Manager, Cloud Apps and
// Microsoft Entra ID).
func WithRetry(r policy.RetryOptions) Option {
	return func(o *options) { o.retry = r }
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
	return func(o *options) { o.onboardingWait = onboardingWait{first: first, max: longest, limit: limit} }
}

type mcasProvider struct {
	version string
	opts    options
}

// New returns a factory for the provider at version (set by the release build; "dev" for local
// builds and "test" in acceptance tests).
func New(version string, opts ...Option) func() provider.Provider {
	return func() provider.Provider {
		p := &mcasProvider{version: version, opts: options{onboardingWait: defaultOnboardingWait}}
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
		Attributes: settingAttributes(),
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
		NewSentinelIngestionDataSource,
	}
}

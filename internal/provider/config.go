package provider

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/auth"
	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/cloudapps"
	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/httplog"
	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/resourcemanager"
	"github.com/mcas-terraform/terraform-provider-mcas/internal/validators"
)

// Environment names accepted by the environment attribute.
const (
	EnvironmentPublic       = "public"
	EnvironmentUSGovernment = "usgovernment"
	EnvironmentChina        = "china"
	EnvironmentCustom       = "custom"
)

var environments = []string{EnvironmentPublic, EnvironmentUSGovernment, EnvironmentChina, EnvironmentCustom}

// logAnalyticsEndpoints are the Log Analytics query endpoints of the built-in clouds.
var logAnalyticsEndpoints = map[string]string{
	EnvironmentPublic:       "https://api.loganalytics.io",
	EnvironmentUSGovernment: "https://api.loganalytics.us",
	EnvironmentChina:        "https://api.loganalytics.azure.cn",
}

// microsoftAuthorityHosts are the authority hosts MSAL's instance discovery knows; any other host is
// used with instance discovery disabled.
var microsoftAuthorityHosts = map[string]bool{
	"login.microsoftonline.com":        true,
	"login.microsoftonline.us":         true,
	"login.chinacloudapi.cn":           true,
	"login.partner.microsoftonline.cn": true,
}

type providerModel struct {
	PortalURL                 types.String `tfsdk:"portal_url"`
	APIToken                  types.String `tfsdk:"api_token"`
	TenantID                  types.String `tfsdk:"tenant_id"`
	ClientID                  types.String `tfsdk:"client_id"`
	ClientSecret              types.String `tfsdk:"client_secret"`
	ClientCertificate         types.String `tfsdk:"client_certificate"`
	ClientCertificatePath     types.String `tfsdk:"client_certificate_path"`
	ClientCertificatePassword types.String `tfsdk:"client_certificate_password"`
	UseOIDC                   types.Bool   `tfsdk:"use_oidc"`
	OIDCToken                 types.String `tfsdk:"oidc_token"`
	OIDCTokenFilePath         types.String `tfsdk:"oidc_token_file_path"`
	OIDCRequestURL            types.String `tfsdk:"oidc_request_url"`
	OIDCRequestToken          types.String `tfsdk:"oidc_request_token"`
	ADOServiceConnectionID    types.String `tfsdk:"ado_pipeline_service_connection_id"`
	UseMSI                    types.Bool   `tfsdk:"use_msi"`
	UseCLI                    types.Bool   `tfsdk:"use_cli"`
	Environment               types.String `tfsdk:"environment"`
	Endpoint                  types.Object `tfsdk:"endpoint"`
	RequestsPerMinute         types.Int64  `tfsdk:"cloud_apps_requests_per_minute"`
}

type endpointModel struct {
	ActiveDirectoryAuthorityHost types.String `tfsdk:"active_directory_authority_host"`
	ResourceManagerEndpoint      types.String `tfsdk:"resource_manager_endpoint"`
	ResourceManagerAudience      types.String `tfsdk:"resource_manager_audience"`
	LogAnalyticsEndpoint         types.String `tfsdk:"log_analytics_endpoint"`
}

// Clients is what a configured provider instance hands to its resources and data sources: one
// credential and one client per service, shared by every object of that instance.
type Clients struct {
	// TenantID is the provider's Microsoft Entra tenant (it may be empty with the Azure CLI or a
	// managed identity).
	TenantID string
	// Environment is the cloud the provider was configured for.
	Environment string
	// LogAnalyticsEndpoint is the Log Analytics query endpoint of that cloud.
	LogAnalyticsEndpoint string

	resourceManager    *resourcemanager.Client
	resourceManagerErr error
	cloudApps          *cloudapps.Client
	cloudAppsErr       error
	// onboardingWait is how a create waits for Microsoft Sentinel's onboarding to take effect.
	onboardingWait onboardingWait
}

// ResourceManager returns the Azure Resource Manager client, or an error that says which
// configuration it lacks.
func (c *Clients) ResourceManager() (*resourcemanager.Client, error) {
	return c.resourceManager, c.resourceManagerErr
}

// CloudApps returns the Defender for Cloud Apps client, or an error that says which configuration it
// lacks.
func (c *Clients) CloudApps() (*cloudapps.Client, error) {
	return c.cloudApps, c.cloudAppsErr
}

// setting names a configuration attribute and the environment variables that can replace it.
type setting struct {
	attr  path.Path
	value attr.Value
	envs  []string
}

// envFirst returns the first non-empty environment variable of names.
func envFirst(names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return ""
}

// stringSetting returns the attribute's value, or the first set environment variable.
func stringSetting(v types.String, envs ...string) string {
	if !v.IsNull() && !v.IsUnknown() {
		return v.ValueString()
	}
	return envFirst(envs...)
}

// boolSetting returns the attribute's value, or the environment variable's, or def.
func boolSetting(v types.Bool, env string, def bool, diags *diag.Diagnostics, p path.Path) bool {
	if !v.IsNull() && !v.IsUnknown() {
		return v.ValueBool()
	}
	raw := os.Getenv(env)
	if raw == "" {
		return def
	}
	b, err := strconv.ParseBool(raw)
	if err != nil {
		diags.AddAttributeError(p, "Invalid environment variable "+env,
			fmt.Sprintf("%s is %q, which is not a boolean; set it to true or false, or set %s in the provider block.", env, raw, p))
		return def
	}
	return b
}

func (p *mcasProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var cfg providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	var endpoint endpointModel
	if !cfg.Endpoint.IsNull() && !cfg.Endpoint.IsUnknown() {
		resp.Diagnostics.Append(cfg.Endpoint.As(ctx, &endpoint, basetypes.ObjectAsOptions{})...)
	}
	p.refuseUnknown(cfg, endpoint, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}

	clients, settings := p.resolve(cfg, endpoint, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}

	clientOptions := azcore.ClientOptions{
		Cloud:     settings.Cloud,
		Transport: p.opts.transport,
		// azcore keeps at most 24 characters of the application id, so the name is short.
		Telemetry: policy.TelemetryOptions{ApplicationID: "tf-mcas/" + p.version},
	}
	if p.opts.retry != nil {
		clientOptions.Retry = *p.opts.retry
	}
	credentialOptions := clientOptions
	credentialOptions.PerRetryPolicies = []policy.Policy{httplog.NewPolicy("entra", httplog.Options{RedactBodies: true})}

	var credential azcore.TokenCredential
	cred, err := auth.NewCredential(settings, credentialOptions)
	switch {
	case errors.Is(err, auth.ErrNoMethod):
		// Not an error yet: a configuration that only reads Cloud Apps with api_token needs no credential.
	case err != nil:
		resp.Diagnostics.AddError("Invalid authentication settings", err.Error())
		return
	default:
		credential = cred
		tflog.Debug(ctx, "Microsoft Entra ID authentication methods configured", map[string]any{"methods": cred.Methods()})
	}

	noCredential := errors.New("no Microsoft Entra ID authentication method is configured. Set one in the provider block or its environment variables: " +
		"client_id and tenant_id with client_secret (ARM_CLIENT_SECRET), client_certificate or client_certificate_path, a federated token " +
		"(oidc_token, oidc_token_file_path, or use_oidc with a token request endpoint), use_msi = true, or use_cli = true after `az login`")

	if credential != nil {
		rm, err := resourcemanager.NewClient(credential, &arm.ClientOptions{ClientOptions: clientOptions, DisableRPRegistration: true})
		if err != nil {
			clients.resourceManagerErr = fmt.Errorf("building the Resource Manager client: %w", err)
		}
		clients.resourceManager = rm
	} else {
		clients.resourceManagerErr = noCredential
	}

	portalURL := stringSetting(cfg.PortalURL, "MCAS_PORTAL_URL")
	apiToken := stringSetting(cfg.APIToken, "MCAS_API_TOKEN")
	switch {
	case portalURL == "":
		clients.cloudAppsErr = errors.New("portal_url is not set: set it in the provider block or in MCAS_PORTAL_URL to the tenant's Defender for Cloud Apps API URL " +
			"(Settings > Cloud Apps > System > About in the portal), for example https://contoso.eu2.portal.cloudappsecurity.com")
	case apiToken == "" && credential == nil:
		clients.cloudAppsErr = fmt.Errorf("calling Defender for Cloud Apps needs either api_token (MCAS_API_TOKEN) or a Microsoft Entra ID credential, and %w", noCredential)
	default:
		cloudAppsOptions := clientOptions
		if p.opts.cloudApps != nil {
			cloudAppsOptions.Retry = *p.opts.cloudApps
		}
		perMinute := requestsPerMinute(cfg.RequestsPerMinute, &resp.Diagnostics)
		if resp.Diagnostics.HasError() {
			return
		}
		ca, err := cloudapps.NewClient(cloudapps.Options{
			PortalURL:         portalURL,
			APIToken:          apiToken,
			Credential:        credential,
			ClientOptions:     cloudAppsOptions,
			RequestsPerMinute: perMinute,
			CallTimeout:       p.opts.cloudAppsCallTimeout,
		})
		if err != nil {
			clients.cloudAppsErr = fmt.Errorf("building the Defender for Cloud Apps client: %w", err)
		}
		clients.cloudApps = ca
	}

	clients.onboardingWait = defaultOnboardingWait
	if p.opts.onboardingWait != nil {
		clients.onboardingWait = *p.opts.onboardingWait
	}
	resp.DataSourceData = clients
	resp.ResourceData = clients
}

// Accepted range of cloud_apps_requests_per_minute.
const (
	minRequestsPerMinute = 1
	maxRequestsPerMinute = 1000
)

// requestsPerMinuteProblem explains why a requests-per-minute value is out of range, or returns "".
func requestsPerMinuteProblem(v int64, source string) string {
	if v >= minRequestsPerMinute && v <= maxRequestsPerMinute {
		return ""
	}
	return fmt.Sprintf("%s is %d, but it must be between %d and %d requests per minute. Defender for Cloud Apps allows %d per "+
		"minute and tenant; leave it unset for that, or set the limit your tenant really has.",
		source, v, minRequestsPerMinute, maxRequestsPerMinute, cloudapps.DefaultRequestsPerMinute)
}

// requestsPerMinuteValidator checks the range of cloud_apps_requests_per_minute in the configuration.
type requestsPerMinuteValidator struct{}

func (requestsPerMinuteValidator) Description(context.Context) string {
	return fmt.Sprintf("value must be between %d and %d", minRequestsPerMinute, maxRequestsPerMinute)
}

func (v requestsPerMinuteValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (requestsPerMinuteValidator) ValidateInt64(_ context.Context, req validator.Int64Request, resp *validator.Int64Response) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if problem := requestsPerMinuteProblem(req.ConfigValue.ValueInt64(), req.Path.String()); problem != "" {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Cloud Apps request limit", problem)
	}
}

// requestsPerMinute returns the Cloud Apps request limit from the attribute, else from
// MCAS_CLOUD_APPS_REQUESTS_PER_MINUTE, else the service's default.
func requestsPerMinute(v types.Int64, diags *diag.Diagnostics) int {
	p := path.Root("cloud_apps_requests_per_minute")
	if !v.IsNull() && !v.IsUnknown() {
		if problem := requestsPerMinuteProblem(v.ValueInt64(), p.String()); problem != "" {
			diags.AddAttributeError(p, "Invalid Cloud Apps request limit", problem)
		}
		return int(v.ValueInt64())
	}
	const env = "MCAS_CLOUD_APPS_REQUESTS_PER_MINUTE"
	raw := os.Getenv(env)
	if raw == "" {
		return cloudapps.DefaultRequestsPerMinute
	}
	n, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 64)
	if err != nil {
		diags.AddAttributeError(p, "Invalid environment variable "+env,
			fmt.Sprintf("%s is %q, which is not a whole number; set it to the number of requests per minute (%d to %d), or set %s in the provider block.",
				env, raw, minRequestsPerMinute, maxRequestsPerMinute, p))
		return cloudapps.DefaultRequestsPerMinute
	}
	if problem := requestsPerMinuteProblem(n, env); problem != "" {
		diags.AddAttributeError(p, "Invalid Cloud Apps request limit", problem)
	}
	return int(n)
}

// refuseUnknown reports every attribute whose value is not known until apply: the provider must be
// configured before it can plan.
func (p *mcasProvider) refuseUnknown(cfg providerModel, endpoint endpointModel, diags *diag.Diagnostics) {
	settings := []setting{
		{path.Root("portal_url"), cfg.PortalURL, []string{"MCAS_PORTAL_URL"}},
		{path.Root("api_token"), cfg.APIToken, []string{"MCAS_API_TOKEN"}},
		{path.Root("tenant_id"), cfg.TenantID, []string{"ARM_TENANT_ID"}},
		{path.Root("client_id"), cfg.ClientID, []string{"ARM_CLIENT_ID"}},
		{path.Root("client_secret"), cfg.ClientSecret, []string{"ARM_CLIENT_SECRET"}},
		{path.Root("client_certificate"), cfg.ClientCertificate, []string{"ARM_CLIENT_CERTIFICATE"}},
		{path.Root("client_certificate_path"), cfg.ClientCertificatePath, []string{"ARM_CLIENT_CERTIFICATE_PATH"}},
		{path.Root("client_certificate_password"), cfg.ClientCertificatePassword, []string{"ARM_CLIENT_CERTIFICATE_PASSWORD"}},
		{path.Root("use_oidc"), cfg.UseOIDC, []string{"ARM_USE_OIDC"}},
		{path.Root("oidc_token"), cfg.OIDCToken, []string{"ARM_OIDC_TOKEN"}},
		{path.Root("oidc_token_file_path"), cfg.OIDCTokenFilePath, []string{"ARM_OIDC_TOKEN_FILE_PATH", "AZURE_FEDERATED_TOKEN_FILE"}},
		{path.Root("oidc_request_url"), cfg.OIDCRequestURL, []string{"ARM_OIDC_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_URL"}},
		{path.Root("oidc_request_token"), cfg.OIDCRequestToken, []string{"ARM_OIDC_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"}},
		{path.Root("ado_pipeline_service_connection_id"), cfg.ADOServiceConnectionID, []string{"ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID"}},
		{path.Root("use_msi"), cfg.UseMSI, []string{"ARM_USE_MSI"}},
		{path.Root("use_cli"), cfg.UseCLI, []string{"ARM_USE_CLI"}},
		{path.Root("environment"), cfg.Environment, []string{"ARM_ENVIRONMENT"}},
		{path.Root("endpoint"), cfg.Endpoint, []string{"ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST", "ARM_RESOURCE_MANAGER_ENDPOINT", "ARM_RESOURCE_MANAGER_AUDIENCE", "ARM_LOG_ANALYTICS_ENDPOINT"}},
		{path.Root("endpoint").AtName("active_directory_authority_host"), endpoint.ActiveDirectoryAuthorityHost, []string{"ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST"}},
		{path.Root("endpoint").AtName("resource_manager_endpoint"), endpoint.ResourceManagerEndpoint, []string{"ARM_RESOURCE_MANAGER_ENDPOINT"}},
		{path.Root("endpoint").AtName("resource_manager_audience"), endpoint.ResourceManagerAudience, []string{"ARM_RESOURCE_MANAGER_AUDIENCE"}},
		{path.Root("endpoint").AtName("log_analytics_endpoint"), endpoint.LogAnalyticsEndpoint, []string{"ARM_LOG_ANALYTICS_ENDPOINT"}},
		{path.Root("cloud_apps_requests_per_minute"), cfg.RequestsPerMinute, []string{"MCAS_CLOUD_APPS_REQUESTS_PER_MINUTE"}},
	}
	for _, s := range settings {
		if s.value == nil || !s.value.IsUnknown() {
			continue
		}
		diags.AddAttributeError(s.attr, "Provider attribute not known at plan time",
			fmt.Sprintf("%s depends on a value that is known only after apply (for example another resource's attribute), but the provider "+
				"must be configured before Terraform can plan. Set it to a value known at plan time (a literal, a variable, a local), "+
				"or leave it out and set the environment variable %s instead.", s.attr, strings.Join(s.envs, " or ")))
	}
}

// resolve applies the environment variable fallbacks, validates what came from the environment (the
// schema validators only see the configuration), and returns the authentication settings.
func (p *mcasProvider) resolve(cfg providerModel, endpoint endpointModel, diags *diag.Diagnostics) (*Clients, auth.Settings) {
	s := auth.Settings{
		TenantID:                  stringSetting(cfg.TenantID, "ARM_TENANT_ID"),
		ClientID:                  stringSetting(cfg.ClientID, "ARM_CLIENT_ID"),
		ClientSecret:              stringSetting(cfg.ClientSecret, "ARM_CLIENT_SECRET"),
		ClientCertificatePassword: stringSetting(cfg.ClientCertificatePassword, "ARM_CLIENT_CERTIFICATE_PASSWORD"),
		OIDCToken:                 stringSetting(cfg.OIDCToken, "ARM_OIDC_TOKEN"),
		OIDCTokenFilePath:         stringSetting(cfg.OIDCTokenFilePath, "ARM_OIDC_TOKEN_FILE_PATH", "AZURE_FEDERATED_TOKEN_FILE"),
		OIDCRequestURL:            stringSetting(cfg.OIDCRequestURL, "ARM_OIDC_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_URL"),
		OIDCRequestToken:          stringSetting(cfg.OIDCRequestToken, "ARM_OIDC_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"),
		ADOServiceConnectionID:    stringSetting(cfg.ADOServiceConnectionID, "ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID"),
		UseOIDC:                   boolSetting(cfg.UseOIDC, "ARM_USE_OIDC", false, diags, path.Root("use_oidc")),
		UseMSI:                    boolSetting(cfg.UseMSI, "ARM_USE_MSI", false, diags, path.Root("use_msi")),
		UseCLI:                    boolSetting(cfg.UseCLI, "ARM_USE_CLI", true, diags, path.Root("use_cli")),
	}
	if s.ADOServiceConnectionID != "" {
		s.SystemAccessToken = stringSetting(cfg.OIDCRequestToken, "ARM_OIDC_REQUEST_TOKEN", "SYSTEM_ACCESSTOKEN")
	}

	if s.TenantID != "" && !validators.IsUUID(s.TenantID) {
		diags.AddAttributeError(path.Root("tenant_id"), "Invalid UUID",
			fmt.Sprintf("The tenant id %q (from tenant_id or ARM_TENANT_ID) is not a UUID; use the Directory (tenant) ID shown in the Azure portal, of the form 00000000-0000-0000-0000-000000000000.", s.TenantID))
	}
	if s.ClientID != "" && !validators.IsUUID(s.ClientID) {
		diags.AddAttributeError(path.Root("client_id"), "Invalid UUID",
			fmt.Sprintf("The client id %q (from client_id or ARM_CLIENT_ID) is not a UUID; use the Application (client) ID of the app registration or managed identity.", s.ClientID))
	}
	if portal := stringSetting(cfg.PortalURL, "MCAS_PORTAL_URL"); portal != "" {
		if err := validators.CheckPortalURL(portal); err != nil {
			diags.AddAttributeError(path.Root("portal_url"), "Invalid URL", "portal_url (or MCAS_PORTAL_URL): "+err.Error())
		}
	}
	if token := stringSetting(cfg.APIToken, "MCAS_API_TOKEN"); token != "" && !validators.IsLegacyAPIToken(token) {
		diags.AddAttributeError(path.Root("api_token"), "Invalid API token",
			fmt.Sprintf("The API token (from api_token or MCAS_API_TOKEN, %d characters) is not a Defender for Cloud Apps API token, which has 64 to 192 characters of 0-9, a-z, A-Z and =.", len(token)))
	}
	s.ClientCertificate = p.certificate(cfg, diags)

	environment := strings.ToLower(stringSetting(cfg.Environment, "ARM_ENVIRONMENT"))
	if environment == "" {
		environment = EnvironmentPublic
	}
	clients := &Clients{TenantID: s.TenantID, Environment: environment}
	authority := stringSetting(endpoint.ActiveDirectoryAuthorityHost, "ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST")
	rmEndpoint := stringSetting(endpoint.ResourceManagerEndpoint, "ARM_RESOURCE_MANAGER_ENDPOINT")
	rmAudience := stringSetting(endpoint.ResourceManagerAudience, "ARM_RESOURCE_MANAGER_AUDIENCE")
	laEndpoint := stringSetting(endpoint.LogAnalyticsEndpoint, "ARM_LOG_ANALYTICS_ENDPOINT")
	switch environment {
	case EnvironmentPublic:
		s.Cloud = cloud.AzurePublic
	case EnvironmentUSGovernment:
		s.Cloud = cloud.AzureGovernment
	case EnvironmentChina:
		s.Cloud = cloud.AzureChina
	case EnvironmentCustom:
		var missing []string
		for _, m := range []struct{ name, value string }{
			{"endpoint.active_directory_authority_host (ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST)", authority},
			{"endpoint.resource_manager_endpoint (ARM_RESOURCE_MANAGER_ENDPOINT)", rmEndpoint},
			{"endpoint.resource_manager_audience (ARM_RESOURCE_MANAGER_AUDIENCE)", rmAudience},
		} {
			if m.value == "" {
				missing = append(missing, m.name)
			}
		}
		if len(missing) > 0 {
			diags.AddAttributeError(path.Root("endpoint"), "Missing custom endpoints",
				"environment is \"custom\", which needs the endpoints of that cloud, but these are not set: "+strings.Join(missing, ", ")+".")
			return clients, s
		}
		for _, u := range []struct {
			attr, env, value string
		}{
			{"active_directory_authority_host", "ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST", authority},
			{"resource_manager_endpoint", "ARM_RESOURCE_MANAGER_ENDPOINT", rmEndpoint},
			{"log_analytics_endpoint", "ARM_LOG_ANALYTICS_ENDPOINT", laEndpoint},
		} {
			if u.value == "" {
				continue
			}
			if err := validators.CheckHTTPSURL(u.value); err != nil {
				diags.AddAttributeError(path.Root("endpoint").AtName(u.attr), "Invalid URL",
					fmt.Sprintf("endpoint.%s (or %s): %v", u.attr, u.env, err))
			}
		}
		if !strings.HasSuffix(authority, "/") {
			authority += "/"
		}
		s.Cloud = cloud.Configuration{
			ActiveDirectoryAuthorityHost: authority,
			Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
				cloud.ResourceManager: {Endpoint: strings.TrimSuffix(rmEndpoint, "/"), Audience: rmAudience},
			},
		}
		clients.LogAnalyticsEndpoint = laEndpoint
	default:
		diags.AddAttributeError(path.Root("environment"), "Unknown environment",
			fmt.Sprintf("The environment %q (from environment or ARM_ENVIRONMENT) is not one of %s.", environment, strings.Join(environments, ", ")))
		return clients, s
	}
	if environment != EnvironmentCustom {
		if authority != "" || rmEndpoint != "" || rmAudience != "" || laEndpoint != "" {
			if !cfg.Endpoint.IsNull() {
				diags.AddAttributeError(path.Root("endpoint"), "Endpoints need the custom environment",
					fmt.Sprintf("endpoint is set, but environment is %q, whose endpoints are built in. Set environment = \"custom\" to use your own endpoints, or remove the endpoint block.", environment))
			}
		}
		clients.LogAnalyticsEndpoint = logAnalyticsEndpoints[environment]
	}
	s.DisableInstanceDiscovery = environment == EnvironmentCustom || !microsoftAuthorityHosts[hostOf(s.Cloud.ActiveDirectoryAuthorityHost)]
	return clients, s
}

// certificate loads the client certificate from client_certificate (base64 PKCS#12, or PEM) or from
// client_certificate_path.
func (p *mcasProvider) certificate(cfg providerModel, diags *diag.Diagnostics) []byte {
	inline := stringSetting(cfg.ClientCertificate, "ARM_CLIENT_CERTIFICATE")
	file := stringSetting(cfg.ClientCertificatePath, "ARM_CLIENT_CERTIFICATE_PATH")
	switch {
	case inline != "" && file != "":
		diags.AddAttributeError(path.Root("client_certificate"), "Conflicting certificate settings",
			"Both client_certificate (or ARM_CLIENT_CERTIFICATE) and client_certificate_path (or ARM_CLIENT_CERTIFICATE_PATH) are set; set only one of them.")
		return nil
	case inline != "":
		if strings.Contains(inline, "-----BEGIN") {
			return []byte(inline)
		}
		data, err := base64.StdEncoding.DecodeString(strings.TrimSpace(inline))
		if err != nil {
			diags.AddAttributeError(path.Root("client_certificate"), "Invalid client certificate",
				"client_certificate (or ARM_CLIENT_CERTIFICATE) is neither PEM text nor base64; encode the PKCS#12 file with `base64 -w0 cert.pfx`, or use client_certificate_path.")
			return nil
		}
		return data
	case file != "":
		data, err := os.ReadFile(file)
		if err != nil {
			diags.AddAttributeError(path.Root("client_certificate_path"), "Unreadable client certificate",
				fmt.Sprintf("The client certificate file could not be read: %v. Check client_certificate_path (or ARM_CLIENT_CERTIFICATE_PATH).", err))
			return nil
		}
		return data
	}
	return nil
}

func hostOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

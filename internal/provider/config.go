package provider

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/auth"
	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/cloudapps"
	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/httplog"
	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/loganalytics"
	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/resourcemanager"
)

// Environment names accepted by the environment attribute.
const (
	EnvironmentPublic       = "public"
	EnvironmentUSGovernment = "usgovernment"
	EnvironmentChina        = "china"
	EnvironmentCustom       = "custom"
)

var environments = []string{EnvironmentPublic, EnvironmentUSGovernment, EnvironmentChina, EnvironmentCustom}

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

	// own are the clients of the provider's own tenant and portal.
	own             builtClients
	logAnalytics    *loganalytics.Client
	logAnalyticsErr error

	// tenants builds and keeps the clients of each tenant and portal that objects name (ForTenant).
	tenants *tenantClients
	// onboardingWait is how a create waits for Microsoft Sentinel's onboarding to take effect.
	onboardingWait onboardingWait
}

// ResourceManager returns the Azure Resource Manager client, or an error that says which
// configuration it lacks.
func (c *Clients) ResourceManager() (*resourcemanager.Client, error) {
	return c.own.rm, c.own.rmErr
}

func (p *mcasProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	values := readSettings(ctx, req.Config, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	clients, settings := p.resolve(values, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}

	clientOptions := azcore.ClientOptions{
		Cloud:     settings.Cloud,
		Transport: p.opts.transport,
		Retry:     p.opts.retry,
		// azcore keeps at most 24 characters of the application id, so the name is short.
		Telemetry: policy.TelemetryOptions{ApplicationID: "tf-mcas/" + p.version},
	}
	credentialOptions := clientOptions
	credentialOptions.PerRetryPolicies = []policy.Policy{httplog.NewPolicy("entra", httplog.Options{RedactBodies: true})}

	t := clients.tenants
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
		t.credential = cred
		tflog.Debug(ctx, "Microsoft Entra ID authentication methods configured", map[string]any{"methods": cred.Methods()})
	}

	t.armOptions = &arm.ClientOptions{ClientOptions: clientOptions, DisableRPRegistration: true}
	t.apiToken, t.portalURL = values.text("api_token"), values.text("portal_url")
	t.cloudApps = cloudapps.Options{ClientOptions: clientOptions,
		RequestsPerMinute: int(values.number("cloud_apps_requests_per_minute")), CallTimeout: p.opts.cloudAppsCallTimeout}
	clients.own.rm, clients.own.rmErr = t.newResourceManager(credential)
	clients.own.ca, clients.own.caErr = t.newCloudApps(credential, t.portalURL)
	t.built = map[string]*builtClients{clientsKey(clients.TenantID, t.portalURL): &clients.own}
	clients.logAnalytics, clients.logAnalyticsErr = newLogAnalyticsClient(clients, values.text("endpoint.log_analytics_audience"), credential, clientOptions)

	clients.onboardingWait = p.opts.onboardingWait
	resp.DataSourceData = clients
	resp.ResourceData = clients
}

// resolve turns the settings into the authentication settings and the clients' cloud, and checks
// the settings that depend on each other.
func (p *mcasProvider) resolve(values settingValues, diags *diag.Diagnostics) (*Clients, auth.Settings) {
	s := auth.Settings{
		TenantID:                  values.text("tenant_id"),
		ClientID:                  values.text("client_id"),
		ClientSecret:              values.text("client_secret"),
		ClientCertificatePassword: values.text("client_certificate_password"),
		OIDCToken:                 values.text("oidc_token"),
		OIDCTokenFilePath:         values.text("oidc_token_file_path"),
		OIDCRequestURL:            values.text("oidc_request_url"),
		OIDCRequestToken:          values.text("oidc_request_token"),
		ADOServiceConnectionID:    values.text("ado_pipeline_service_connection_id"),
		UseOIDC:                   values.flag("use_oidc"),
		UseMSI:                    values.flag("use_msi"),
		UseCLI:                    values.flag("use_cli"),
		AdditionalTenants:         values.list("additional_tenant_ids"),
	}
	if s.ADOServiceConnectionID != "" {
		s.SystemAccessToken = s.OIDCRequestToken
		if s.SystemAccessToken == "" {
			s.SystemAccessToken = os.Getenv(envSystemAccessToken)
		}
	}
	s.ClientCertificate = certificate(values, diags)

	environment := strings.ToLower(values.text("environment"))
	clients := &Clients{TenantID: s.TenantID, Environment: environment, tenants: &tenantClients{}}
	authority := values.text("endpoint.active_directory_authority_host")
	rmEndpoint := values.text("endpoint.resource_manager_endpoint")
	rmAudience := values.text("endpoint.resource_manager_audience")
	laEndpoint := values.text("endpoint.log_analytics_endpoint")
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
			{"endpoint.active_directory_authority_host", authority},
			{"endpoint.resource_manager_endpoint", rmEndpoint},
			{"endpoint.resource_manager_audience", rmAudience},
		} {
			if m.value == "" {
				missing = append(missing, label(m.name))
			}
		}
		if len(missing) > 0 {
			diags.AddAttributeError(path.Root(endpointBlock), "Missing custom endpoints",
				"environment is \"custom\", which needs the endpoints of that cloud, but these are not set: "+strings.Join(missing, ", ")+".")
			return clients, s
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
	}
	if environment != EnvironmentCustom {
		if (authority != "" || rmEndpoint != "" || rmAudience != "" || laEndpoint != "" || values.text("endpoint.log_analytics_audience") != "") && values.endpointConfigured {
			diags.AddAttributeError(path.Root(endpointBlock), "Endpoints need the custom environment",
				fmt.Sprintf("endpoint is set, but environment is %q, whose endpoints are built in. Set environment = \"custom\" to use your own endpoints, or remove the endpoint block.", environment))
		}
	}
	clients.LogAnalyticsEndpoint = loganalytics.CloudEndpoint(s.Cloud)
	if environment == EnvironmentCustom {
		clients.LogAnalyticsEndpoint = laEndpoint
	}
	// MSAL's instance discovery knows the authority hosts of the built-in clouds only; a custom
	// environment's host is used with it disabled.
	s.DisableInstanceDiscovery = environment == EnvironmentCustom
	return clients, s
}

// certificate loads the client certificate from client_certificate (base64 PKCS#12, or PEM) or from
// client_certificate_path.
func certificate(values settingValues, diags *diag.Diagnostics) []byte {
	inline, file := values.text("client_certificate"), values.text("client_certificate_path")
	switch {
	case inline != "" && file != "":
		diags.AddAttributeError(path.Root("client_certificate"), "Conflicting certificate settings",
			fmt.Sprintf("Both %s and %s are set; set only one of them.", label("client_certificate"), label("client_certificate_path")))
		return nil
	case inline != "":
		if strings.Contains(inline, "-----BEGIN") {
			return []byte(inline)
		}
		data, err := base64.StdEncoding.DecodeString(strings.TrimSpace(inline))
		if err != nil {
			diags.AddAttributeError(path.Root("client_certificate"), "Invalid client certificate",
				label("client_certificate")+" is neither PEM text nor base64; encode the PKCS#12 file with `base64 -w0 cert.pfx`, or use client_certificate_path.")
			return nil
		}
		return data
	case file != "":
		data, err := os.ReadFile(file)
		if err != nil {
			diags.AddAttributeError(path.Root("client_certificate_path"), "Unreadable client certificate",
				fmt.Sprintf("The client certificate file could not be read: %v. Check %s.", err, label("client_certificate_path")))
			return nil
		}
		return data
	}
	return nil
}

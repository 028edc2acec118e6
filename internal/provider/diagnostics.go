package provider

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/cloudapps"
	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/resourcemanager"
)

var pathNameRegex = path.Root("name_regex")

// providerClients returns the clients a configured provider hands to its resources and data sources;
// nil without error while the provider is not configured yet (validation).
func providerClients(providerData any) (*Clients, diag.Diagnostics) {
	var diags diag.Diagnostics
	if providerData == nil {
		return nil, diags
	}
	clients, ok := providerData.(*Clients)
	if !ok {
		diags.AddError("Unexpected provider data", fmt.Sprintf("Expected *provider.Clients, got %T. This is a bug in the provider; please report it.", providerData))
	}
	return clients, diags
}

// cloudAppsDiagnostic turns a Cloud Apps client error into a diagnostic that says what to do.
func cloudAppsDiagnostic(summary string, err error) diag.Diagnostic {
	var apiErr *cloudapps.Error
	isAPI := errors.As(err, &apiErr)
	switch {
	case cloudapps.IsThrottled(err):
		return diag.NewErrorDiagnostic(summary+": throttled by Defender for Cloud Apps",
			fmt.Sprintf("%v\n\nThe Cloud Apps API allows 30 requests per minute per tenant and the provider already retried with back-off. "+
				"Wait a minute and run again. If it keeps happening, other automation (or several provider aliases) shares the tenant's "+
				"budget: lower cloud_apps_requests_per_minute (MCAS_CLOUD_APPS_REQUESTS_PER_MINUTE) so that together they stay under 30, "+
				"or run fewer operations at once (terraform apply -parallelism=1).", err))
	case cloudapps.IsUnauthorized(err) && isAPI && apiErr.StatusCode == 401:
		return diag.NewErrorDiagnostic(summary+": Defender for Cloud Apps rejected the credentials",
			fmt.Sprintf("%v\n\nCheck that api_token (MCAS_API_TOKEN) is a valid, unrevoked token of this tenant, or, without api_token, that the "+
				"Microsoft Entra ID credential belongs to the tenant of portal_url (MCAS_PORTAL_URL).", err))
	case cloudapps.IsUnauthorized(err):
		return diag.NewErrorDiagnostic(summary+": Defender for Cloud Apps denied access",
			fmt.Sprintf("%v\n\nThe caller is authenticated but not allowed. With a Microsoft Entra ID credential, grant the app registration "+
				"the Microsoft Cloud App Security application permissions it needs (Discovery.read to list streams, Settings.manage for SIEM agents) "+
				"and admin consent; the signed-in user or app needs at least the Security Administrator role. Also check the tenant's "+
				"Defender for Cloud Apps license.", err))
	default:
		return diag.NewErrorDiagnostic(summary, err.Error())
	}
}

// integrationDiagnostic turns an error of either service into a diagnostic that says what to do.
func integrationDiagnostic(summary string, err error) diag.Diagnostic {
	var armErr *resourcemanager.Error
	if errors.As(err, &armErr) {
		switch {
		case strings.EqualFold(armErr.Code, "InvalidLicense"):
			return diag.NewErrorDiagnostic(summary+": Defender for Cloud Apps license missing",
				fmt.Sprintf("%v\n\nMicrosoft Sentinel refused the Defender for Cloud Apps data connector because the tenant has no valid "+
					"license for it. The tenant needs a Microsoft Defender for Cloud Apps license (for example Microsoft 365 E5 or EMS E5) and "+
					"admin consent; assign one, wait for it to take effect, then apply again.", err))
		case strings.EqualFold(armErr.Code, "AuthorizationFailed") || armErr.StatusCode == http.StatusForbidden:
			return diag.NewErrorDiagnostic(summary+": permission missing",
				fmt.Sprintf("%v\n\nThe identity Terraform runs as is not allowed this operation on the workspace. Give it a role that may "+
					"read the workspace and read and write its Microsoft Sentinel data connectors (for example Microsoft Sentinel Contributor "+
					"on the workspace), and make sure it is at least Security Administrator in the tenant, as the integration requires; "+
					"then apply again.", err))
		case armErr.StatusCode == http.StatusTooManyRequests:
			return diag.NewErrorDiagnostic(summary+": throttled by Azure Resource Manager",
				fmt.Sprintf("%v\n\nAzure Resource Manager kept answering HTTP 429 after the provider's retries, which honour its "+
					"Retry-After. Wait a few minutes and run again, or run fewer operations at once (terraform apply -parallelism=2).", err))
		case strings.EqualFold(armErr.Code, "InvalidAuthenticationTokenTenant"):
			return diag.NewErrorDiagnostic(summary+": workspace in another tenant",
				fmt.Sprintf("%v\n\nThe workspace's subscription belongs to a different Microsoft Entra tenant than the integration's "+
					"tenant_id (the provider's tenant_id unless the resource sets its own). Set the resource's tenant_id and portal_url to the "+
					"workspace's tenant, with that tenant in the provider's additional_tenant_ids, or use a provider configured for that tenant.", err))
		}
		return diag.NewErrorDiagnostic(summary, err.Error())
	}
	var caErr *cloudapps.Error
	if errors.As(err, &caErr) {
		if caErr.StatusCode == http.StatusForbidden {
			return diag.NewErrorDiagnostic(summary+": Defender for Cloud Apps denied access",
				fmt.Sprintf("%v\n\nManaging the Sentinel SIEM agent needs at least the Security Administrator role in the tenant, and with a "+
					"Microsoft Entra ID credential the Settings.manage application permission of Microsoft Cloud App Security with admin "+
					"consent. Also check the tenant's Defender for Cloud Apps license.", err))
		}
		return cloudAppsDiagnostic(summary, err)
	}
	return diag.NewErrorDiagnostic(summary, err.Error())
}

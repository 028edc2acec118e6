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
	var other *otherConnectorError
	if errors.As(err, &other) {
		return diag.NewErrorDiagnostic(summary+": another Defender for Cloud Apps data connector exists", err.Error())
	}
	var armErr *resourcemanager.Error
	if errors.As(err, &armErr) {
		reading := strings.HasPrefix(armErr.Operation, "reading ") || strings.HasPrefix(armErr.Operation, "listing ")
		switch {
		case strings.EqualFold(armErr.Code, "InvalidLicense") && strings.Contains(strings.ToLower(armErr.Message), "consent"):
			return diag.NewErrorDiagnostic(summary+": consent missing",
				fmt.Sprintf("%v\n\nThis is not a license problem: Microsoft Sentinel gives this answer when a service principal writes a data "+
					"connector that a signed-in administrator may write (reported for other connectors in Azure/Azure-Sentinel#5007). Create the "+
					"connector once as a signed-in user who is at least Security Administrator and has Microsoft Sentinel Contributor on the "+
					"workspace: apply with use_cli = true after az login, or connect Defender for Cloud Apps on the workspace's Microsoft "+
					"Sentinel data connector page and import the connector (terraform import mcas_sentinel_integration.<name> <connector id>).", err))
		case strings.EqualFold(armErr.Code, "InvalidLicense"):
			return diag.NewErrorDiagnostic(summary+": Defender for Cloud Apps license missing",
				fmt.Sprintf("%v\n\nMicrosoft Sentinel refused the Defender for Cloud Apps data connector because the tenant has no valid "+
					"license for it. The tenant needs a Microsoft Defender for Cloud Apps license (for example Microsoft 365 E5 or EMS E5); "+
					"assign one, wait for it to take effect, then apply again.", err))
		case (strings.EqualFold(armErr.Code, "AuthorizationFailed") || armErr.StatusCode == http.StatusForbidden) && reading:
			return diag.NewErrorDiagnostic(summary+": read permission missing",
				fmt.Sprintf("%v\n\nThe identity Terraform runs as may not read the workspace's Microsoft Sentinel objects. Reading the "+
					"onboarding state and the data connectors needs at least the Microsoft Sentinel Reader role on the workspace (or its "+
					"resource group); managing the integration needs Microsoft Sentinel Contributor, which includes it. Assign the role, wait "+
					"a few minutes for it to apply, then run again.", err))
		case isNotOnboarded(err):
			return diag.NewErrorDiagnostic(summary+": Microsoft Sentinel not enabled on the workspace",
				fmt.Sprintf("%v\n\nEnable Microsoft Sentinel on the workspace first (in the portal, or with "+
					"azurerm_sentinel_log_analytics_workspace_onboarding). When it was enabled moments ago, it can take minutes to take effect, "+
					"and a create waits for it within its timeout: apply again.", err))
		case armErr.StatusCode == http.StatusBadRequest && strings.Contains(armErr.Message, "same kind and context id"):
			return diag.NewErrorDiagnostic(summary+": another Defender for Cloud Apps data connector exists",
				fmt.Sprintf("%v\n\nMicrosoft Sentinel allows one Defender for Cloud Apps data connector per workspace, and the workspace "+
					"has one under another name. Import that one (terraform import mcas_sentinel_integration.<name> <its id>, with "+
					"connector_name set to its name), or delete it, then apply again.", err))
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
				fmt.Sprintf("%v\n\nThe workspace's subscription belongs to a different Microsoft Entra tenant than the provider's credential. "+
					"The integration cannot cross tenants: use a provider configured for the workspace's tenant.", err))
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

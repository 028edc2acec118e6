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
func providerClients(providerData any, diags *diag.Diagnostics) *Clients {
	clients, ok := providerData.(*Clients)
	if !ok && providerData != nil {
		diags.AddError("Unexpected provider data", fmt.Sprintf("Expected *provider.Clients, got %T. This is a bug in the provider; please report it.", providerData))
	}
	return clients
}

// serviceAnswer returns the answer of either service that err reports, or nil. The clients say what
// the service answered; the diagnostics below add what to do about it in Terraform.
func serviceAnswer(err error) *resourcemanager.Error {
	var answer *resourcemanager.Error
	if errors.As(err, &answer) {
		return answer
	}
	return nil
}

// withAdvice is a diagnostic whose detail is the error followed by a paragraph of advice.
func withAdvice(summary string, err error, advice string, args ...any) diag.Diagnostic {
	return diag.NewErrorDiagnostic(summary, fmt.Sprintf("%v\n\n", err)+fmt.Sprintf(advice, args...))
}

// cloudAppsDiagnostic turns a Defender for Cloud Apps error into a diagnostic that says what to do.
// Its advice on HTTP 403 is that of the discovery streams; integrationDiagnostic gives the SIEM
// agents'.
func cloudAppsDiagnostic(summary string, err error) diag.Diagnostic {
	switch {
	case cloudapps.IsThrottled(err):
		return withAdvice(summary+": throttled by Defender for Cloud Apps", err,
			"The Cloud Apps API allows %d requests per minute per tenant and the provider already retried with back-off. "+
				"Wait a minute and run again. If it keeps happening, other automation (or several provider aliases) shares the tenant's "+
				"budget: lower %s so that together they stay under %d, or run fewer operations at once (terraform apply -parallelism=1).",
			cloudapps.DefaultRequestsPerMinute, label("cloud_apps_requests_per_minute"), cloudapps.DefaultRequestsPerMinute)
	case !cloudapps.IsUnauthorized(err):
		return diag.NewErrorDiagnostic(summary, err.Error())
	case serviceAnswer(err).StatusCode == http.StatusUnauthorized:
		return withAdvice(summary+": Defender for Cloud Apps rejected the credentials", err,
			"Check that %s is a valid, unrevoked token of this tenant, or, without api_token, that the Microsoft Entra ID credential "+
				"belongs to the tenant of %s.", label("api_token"), label("portal_url"))
	default:
		return withAdvice(summary+": Defender for Cloud Apps denied access", err,
			"The caller is authenticated but not allowed to read discovery data. With a Microsoft Entra ID credential, grant the app "+
				"registration the Discovery.read application permission of Microsoft Cloud App Security, with admin consent; with "+
				"api_token, use a token of a user with at least the Security Administrator role. Also check the tenant's Defender for "+
				"Cloud Apps license.")
	}
}

// integrationDiagnostic turns an error of either service, met while managing the integration, into a
// diagnostic that says what to do.
func integrationDiagnostic(summary string, err error) diag.Diagnostic {
	answer := serviceAnswer(err)
	switch {
	case answer == nil:
		return diag.NewErrorDiagnostic(summary, err.Error())
	case answer.Service == cloudapps.ServiceName && answer.StatusCode == http.StatusForbidden:
		return withAdvice(summary+": Defender for Cloud Apps denied access", err,
			"Microsoft documents no permission for the SIEM agents. The only call of their route with public evidence is the "+
				"list, made with %s, a legacy API token (of a user with at least the Security Administrator role in the tenant); "+
				"that any token or role may write agents, and that an application permission of Microsoft Cloud App Security lets "+
				"a Microsoft Entra ID credential do either, is not confirmed. Also check the tenant's Defender for Cloud Apps "+
				"license. If the tenant keeps refusing, set siem_agent = \"observe\" on the resource and add the Sentinel SIEM "+
				"agent in the portal under %s > Add SIEM agent > Sentinel.", label("api_token"), portalAgentsPath)
	case answer.Service == cloudapps.ServiceName:
		return cloudAppsDiagnostic(summary, err)
	case strings.EqualFold(answer.Code, "InvalidLicense") && strings.Contains(strings.ToLower(answer.Message), "consent"):
		return withAdvice(summary+": consent missing", err,
			"This is not a license problem: Microsoft Sentinel gives this answer when a service principal writes a data connector "+
				"that a signed-in administrator may write (reported for other connectors in Azure/Azure-Sentinel#5007). Create the "+
				"connector once as a signed-in user who is at least Security Administrator and has Microsoft Sentinel Contributor on the "+
				"workspace: apply with use_cli = true after az login, or connect Defender for Cloud Apps on the workspace's Microsoft "+
				"Sentinel data connector page and import the connector (terraform import mcas_sentinel_integration.<name> <connector id>).")
	case strings.EqualFold(answer.Code, "InvalidLicense"):
		return withAdvice(summary+": Defender for Cloud Apps license missing", err,
			"Microsoft Sentinel refused the Defender for Cloud Apps data connector because the tenant has no valid license for it. "+
				"The tenant needs a Microsoft Defender for Cloud Apps license (for example Microsoft 365 E5 or EMS E5); assign one, "+
				"wait for it to take effect, then apply again.")
	case (strings.EqualFold(answer.Code, "AuthorizationFailed") || answer.StatusCode == http.StatusForbidden) &&
		(strings.HasPrefix(answer.Operation, "reading ") || strings.HasPrefix(answer.Operation, "listing ")):
		return withAdvice(summary+": read permission missing", err,
			"The identity Terraform runs as may not read the workspace's Microsoft Sentinel objects. Reading the onboarding state "+
				"and the data connectors needs at least the Microsoft Sentinel Reader role on the workspace (or its resource group); "+
				"managing the integration needs Microsoft Sentinel Contributor, which includes it. Assign the role, wait a few minutes "+
				"for it to apply, then run again.")
	case isNotOnboarded(err):
		return withAdvice(summary+": Microsoft Sentinel not enabled on the workspace", err,
			"Enable Microsoft Sentinel on the workspace first (in the portal, or with azurerm_sentinel_log_analytics_workspace_onboarding). "+
				"When it was enabled moments ago, it can take minutes to take effect, and a create waits for it within its timeout: "+
				"apply again.")
	case answer.StatusCode == http.StatusBadRequest && strings.Contains(answer.Message, "same kind and context id"):
		return withAdvice(summary+": another Defender for Cloud Apps data connector exists", err,
			"Microsoft Sentinel refuses a second data connector of the same kind and context under another name (reported for "+
				"other kinds in Azure/Azure-Sentinel#15075), and the workspace has a Defender for Cloud Apps connector under another "+
				"name. Import that one by its id (with connector_name set to its name), or delete it, then apply again.")
	case strings.EqualFold(answer.Code, "AuthorizationFailed") || answer.StatusCode == http.StatusForbidden:
		return withAdvice(summary+": permission missing", err,
			"The identity Terraform runs as is not allowed this operation on the workspace. Give it a role that may read the "+
				"workspace and read and write its Microsoft Sentinel data connectors (for example Microsoft Sentinel Contributor on "+
				"the workspace), and make sure it is at least Security Administrator in the tenant, as the integration requires; "+
				"then apply again.")
	case answer.StatusCode == http.StatusTooManyRequests:
		return withAdvice(summary+": throttled by Azure Resource Manager", err,
			"Azure Resource Manager kept answering HTTP 429 after the provider's retries, which honour its Retry-After. Wait a "+
				"few minutes and run again, or run fewer operations at once (terraform apply -parallelism=2).")
	case strings.EqualFold(answer.Code, "InvalidAuthenticationTokenTenant"):
		return withAdvice(summary+": workspace in another tenant", err,
			"The workspace's subscription belongs to a different Microsoft Entra tenant than the integration's tenant_id (the "+
				"provider's tenant_id unless the resource sets its own). Set the resource's tenant_id and portal_url to the workspace's "+
				"tenant, with that tenant in the provider's additional_tenant_ids, or use a provider configured for that tenant.")
	default:
		return diag.NewErrorDiagnostic(summary, err.Error())
	}
}

// alreadyIntegratedDiagnostic reports that the tenant is already integrated, as what says, and how
// to bring the integration under Terraform by importing it by importID.
func alreadyIntegratedDiagnostic(what, importID string) diag.Diagnostic {
	return diag.NewErrorDiagnostic("Microsoft Sentinel integration already exists",
		what+" To manage it with Terraform, import it"+importBy(importID)+"then plan and apply again.")
}

// importBy shows the two ways to import the integration by importID: the command and the block.
func importBy(importID string) string {
	return fmt.Sprintf(":\n\n  terraform import mcas_sentinel_integration.<name> %s\n\nor add an import block:\n\n"+
		"  import {\n    to = mcas_sentinel_integration.<name>\n    id = %q\n  }\n\n", importID, importID)
}

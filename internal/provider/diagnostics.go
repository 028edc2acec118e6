package provider

import (
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/cloudapps"
)

var pathNameRegex = path.Root("name_regex")

// cloudAppsDiagnostic turns a Cloud Apps client error into a diagnostic that says what to do.
func cloudAppsDiagnostic(summary string, err error) diag.Diagnostic {
	var apiErr *cloudapps.Error
	isAPI := errors.As(err, &apiErr)
	switch {
	case cloudapps.IsThrottled(err):
		return diag.NewErrorDiagnostic(summary+": throttled by Defender for Cloud Apps",
			fmt.Sprintf("%v\n\nThe Cloud Apps API allows 30 requests per minute per tenant and the provider already retried with back-off. "+
				"Wait a minute and run again; if it keeps happening, lower the number of Cloud Apps objects refreshed at once "+
				"(terraform -parallelism=2) or check for other automation calling the same tenant.", err))
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

package provider

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/provider/reconcile"
)

// portalAgentsPath is where the portal keeps SIEM agents.
const portalAgentsPath = "Settings > Cloud Apps > System > SIEM agents"

// engineDiagnostic turns an error of the reconcile engine into diagnostics that say what to do. creating
// is true for the create, whose failures leave nothing behind when they come before any write.
func engineDiagnostic(summary string, err error, creating bool) diag.Diagnostics {
	var diags diag.Diagnostics
	var (
		notFound   *reconcile.WorkspaceNotFoundError
		noSentinel *reconcile.SentinelNotEnabledError
		exists     *reconcile.ExistsError
		nameTaken  *reconcile.ConnectorNameTakenError
		unknown    *reconcile.UnknownStreamsError
		steps      *reconcile.PortalStepsError
		other      *reconcile.OtherConnectorError
		route      *reconcile.AgentRouteError
		step       *reconcile.StepError
	)
	switch {
	case errors.As(err, &notFound):
		diags.AddAttributeError(path.Root("workspace_id"), "Log Analytics workspace not found",
			fmt.Sprintf("There is no Log Analytics workspace %s (or the identity cannot see it). Check workspace_id: the subscription, "+
				"the resource group and the workspace name, and that the identity has at least Reader access to the workspace.", notFound.Workspace))
	case errors.As(err, &noSentinel):
		diags.AddAttributeError(path.Root("workspace_id"), "Microsoft Sentinel is not enabled on the workspace",
			fmt.Sprintf("The workspace %s does not have Microsoft Sentinel enabled, so it cannot have a data connector. Enable Microsoft "+
				"Sentinel on it first (in the portal, or with azurerm_sentinel_log_analytics_workspace_onboarding), then apply again.", noSentinel.Workspace))
	case errors.As(err, &exists):
		diags.Append(alreadyIntegratedDiagnostic(capitalize(exists.Error())+
			", so this tenant is already integrated (a tenant has at most one Sentinel SIEM agent).", exists.ImportID))
	case errors.As(err, &nameTaken):
		diags.AddAttributeError(path.Root("connector_name"), "Data connector name taken",
			fmt.Sprintf("The workspace already has a data connector named %q, of kind %s. Choose another connector_name.", nameTaken.Name, nameTaken.Kind))
	case errors.As(err, &unknown):
		diags.AddAttributeError(path.Root("discovery_logs").AtName("stream_ids"), "Unknown discovery stream",
			fmt.Sprintf("The tenant has no discovery stream with the id %s. Use the ids that the mcas_discovery_streams data source lists "+
				"(for example discovery_logs = { stream_ids = data.mcas_discovery_streams.selected.ids }).", strings.Join(unknown.IDs, ", ")))
	case errors.As(err, &other):
		diags.AddError(summary+": another Defender for Cloud Apps data connector exists",
			fmt.Sprintf("%s, so the provider did not try to create it again. Either manage the existing connector with Terraform: set "+
				"connector_name = %q, remove this resource from the state (terraform state rm mcas_sentinel_integration.<name>) and import "+
				"it%sOr delete that connector (on the workspace's Microsoft Sentinel data connector page, or with az sentinel "+
				"data-connector delete) and apply again, which creates %s.",
				capitalize(other.Error()), other.OtherName, importBy(other.Other), other.Connector.Name))
	case errors.As(err, &steps):
		diags.AddError(summaryOfPortalSteps(steps), portalSteps(steps, creating))
	case errors.As(err, &route):
		diags.AddError(summary+": the Cloud Apps API did not accept the modeled SIEM agent call",
			fmt.Sprintf("%v\n\nMicrosoft documents no API for SIEM agents; the provider's calls of /api/v1/agents/siem/ (beyond the list, "+
				"which has public evidence) are our model, and this tenant answered differently. Set siem_agent = \"observe\" on this resource: the provider then only "+
				"lists the tenant's agents and manages the data connector, and you add the Sentinel SIEM agent in the portal under %s > "+
				"Add SIEM agent > Sentinel. Whatever was already created is kept in the state.", route, portalAgentsPath))
	case errors.As(err, &step):
		if step.Step == "Listing discovery streams" {
			diags.Append(cloudAppsDiagnostic(step.Step+" failed", step.Err))
		} else {
			diags.Append(integrationDiagnostic(step.Step+" failed", step.Err))
		}
	default:
		diags.Append(integrationDiagnostic(summary, err))
	}
	return diags
}

func summaryOfPortalSteps(e *reconcile.PortalStepsError) string {
	if e.Agent == nil {
		return "Add the Sentinel SIEM agent in the Defender for Cloud Apps portal"
	}
	return "Change the Sentinel SIEM agent in the Defender for Cloud Apps portal"
}

// portalSteps gives the exact portal steps that make the Cloud Apps half match the configuration.
func portalSteps(e *reconcile.PortalStepsError, creating bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "siem_agent is \"observe\", so the provider does not write the Cloud Apps SIEM agent, and %s. ", e.Error())
	if creating {
		b.WriteString("Nothing was created. ")
	} else {
		b.WriteString("The Microsoft Sentinel data connector is as configured. ")
	}
	b.WriteString("In the Microsoft Defender portal:\n\n")
	if e.Agent == nil {
		fmt.Fprintf(&b, "  1. Go to %s and select Add SIEM agent > Sentinel.\n", portalAgentsPath)
	} else {
		fmt.Fprintf(&b, "  1. Go to %s and edit the Microsoft Sentinel agent (%s).\n", portalAgentsPath, e.Agent.ID)
	}
	b.WriteString("  2. Data types: Alerts are always on. ")
	switch {
	case !e.Desired.Discovery:
		b.WriteString("Turn Discovery logs off.\n")
	case e.Desired.Streams == nil:
		b.WriteString("Turn Discovery logs on, and in \"Apply to\" choose all streams.\n")
	default:
		fmt.Fprintf(&b, "Turn Discovery logs on, and in \"Apply to\" choose exactly these streams: %s.\n", strings.Join(e.Streams(), ", "))
	}
	if e.Agent == nil {
		b.WriteString("  3. Select Next, then finish the wizard; its Microsoft Sentinel step needs nothing more, as the data connector is managed by Terraform.\n\n")
	} else {
		b.WriteString("  3. Save.\n\n")
	}
	if creating {
		b.WriteString("Then run terraform apply again.")
	} else {
		b.WriteString("Once that is done, the next terraform plan shows no changes.")
	}
	return b.String()
}

// unobservedWarning warns, after an apply in observe mode, that the Cloud Apps half was not read.
func unobservedWarning(o reconcile.Observed) diag.Diagnostics {
	var diags diag.Diagnostics
	if o.AgentUnreadable != nil {
		diags.AddWarning("The Cloud Apps half of the integration was not observed",
			fmt.Sprintf("%v\n\nThe tenant's Defender for Cloud Apps API does not list SIEM agents through the modeled route, so the provider "+
				"cannot see the Sentinel SIEM agent, and terraform plan cannot show its drift. Check it in the portal under %s, and use the "+
				"mcas_sentinel_ingestion data source to verify that data arrives in the workspace.", o.AgentUnreadable, portalAgentsPath))
	}
	return diags
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

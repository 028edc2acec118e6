package provider

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/loganalytics"
	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/resourcemanager"
)

// TestIntegrationDiagnosticTellsCausesApart gives each Resource Manager refusal with a known cause its
// own reason and advice: a license from consent, a read from a write, a workspace without Sentinel,
// a second Defender for Cloud Apps connector.
func TestIntegrationDiagnosticTellsCausesApart(t *testing.T) {
	answer := func(op string, status int, code, message string) error {
		return &resourcemanager.Error{Service: resourcemanager.ServiceName, Operation: op + " /subscriptions/x", StatusCode: status, Code: code, Message: message}
	}
	const put, get, list = "creating or updating data connector", "reading data connector", "listing the data connectors of workspace"
	cases := []struct {
		name          string
		err           error
		reason        string
		advice, never string
	}{
		{"license", answer(put, 401, "InvalidLicense", "License is invalid"), ": Defender for Cloud Apps license missing", "Microsoft Defender for Cloud Apps license", "consent"},
		{"consent", answer(put, 401, "InvalidLicense", "Missing consent"), ": consent missing", "not a license problem", "assign one"},
		{"read refused", answer(get, 403, "AuthorizationFailed", "... 'Microsoft.SecurityInsights/dataConnectors/read' ..."), ": read permission missing", "at least the Microsoft Sentinel Reader role", "Security Administrator"},
		{"list refused", answer(list, 403, "AuthorizationFailed", "..."), ": read permission missing", "Microsoft Sentinel Reader", ""},
		{"write refused", answer(put, 403, "AuthorizationFailed", "... '/write' ..."), ": permission missing", "Microsoft Sentinel Contributor", "Sentinel Reader"},
		{"not onboarded", answer(put, 400, "BadRequest", "The workspace 'law' is not onboarded to Microsoft Sentinel."), ": Microsoft Sentinel not enabled on the workspace", "a create waits for it", ""},
		{"second connector", answer(put, 400, "BadRequest", "connector validation failed there are two connectors with different names and the same kind and context id"),
			": another Defender for Cloud Apps data connector exists", "refuses a second data connector of the same kind and context", ""},
		{"other bad request", answer(put, 400, "BadRequest", "properties.tenantId is required"), "", "", "\n\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := integrationDiagnostic("Doing failed", tc.err)
			if d.Summary() != "Doing failed"+tc.reason {
				t.Errorf("summary = %q, want %q", d.Summary(), "Doing failed"+tc.reason)
			}
			if !strings.HasPrefix(d.Detail(), tc.err.Error()) || !strings.Contains(d.Detail(), tc.advice) || (tc.never != "" && strings.Contains(d.Detail(), tc.never)) {
				t.Errorf("detail = %q, want the error, %q and not %q", d.Detail(), tc.advice, tc.never)
			}
		})
	}
}

// TestIngestionDiagnosticKeepsServicesApart: the clients share one error type, so a query API answer
// must not be taken for the workspace read's (nor get Resource Manager's advice).
func TestIngestionDiagnosticKeepsServicesApart(t *testing.T) {
	query := fmt.Errorf("counting discovery logs: %w", &resourcemanager.Error{Service: loganalytics.ServiceName, Operation: "counting", StatusCode: http.StatusTooManyRequests})
	if d := ingestionDiagnostic("Reading failed", query); d.Summary() != "Reading failed: throttled by Log Analytics" || strings.Contains(d.Detail(), "Azure Resource Manager") {
		t.Errorf("a throttled query gave %q / %q", d.Summary(), d.Detail())
	}
	workspace := &resourcemanager.Error{Service: resourcemanager.ServiceName, Operation: "reading Log Analytics workspace", StatusCode: http.StatusNotFound}
	if d := ingestionDiagnostic("Reading failed", workspace); d.Summary() != "Reading failed: workspace not found" {
		t.Errorf("a missing workspace gave %q", d.Summary())
	}
}

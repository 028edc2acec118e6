package validators

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func validate(v validator.String, value types.String) (summary, detail string) {
	resp := &validator.StringResponse{}
	v.ValidateString(context.Background(), validator.StringRequest{Path: path.Root("attr"), ConfigValue: value}, resp)
	if !resp.Diagnostics.HasError() {
		return "", ""
	}
	d := resp.Diagnostics.Errors()[0]
	return d.Summary(), d.Detail()
}

func TestValidators(t *testing.T) {
	workspace := "/subscriptions/4c2dd80b-1ccb-4d86-bcc7-fb007341aad6/resourceGroups/rg-security/providers/Microsoft.OperationalInsights/workspaces/law-sentinel"
	cases := []struct {
		name        string
		v           validator.String
		value       string
		wantSummary string   // empty: valid
		wantDetail  []string // parts of the detail
	}{
		{"uuid ok", UUID(), "d7bca20e-e2a1-40ba-952e-c61e79d572ac", "", nil},
		{"uuid upper case ok", UUID(), "D7BCA20E-E2A1-40BA-952E-C61E79D572AC", "", nil},
		{"uuid domain", UUID(), "contoso.onmicrosoft.com", "Invalid UUID", []string{`"contoso.onmicrosoft.com" is not a UUID`, "00000000-0000-0000-0000-000000000000"}},
		{"uuid braces", UUID(), "{d7bca20e-e2a1-40ba-952e-c61e79d572ac}", "Invalid UUID", nil},
		{"https ok", HTTPSURL(), "https://contoso.eu2.portal.cloudappsecurity.com", "", nil},
		{"https with path ok", HTTPSURL(), "https://127.0.0.1:8443/mcas/contoso", "", nil},
		{"http refused", HTTPSURL(), "http://contoso.eu2.portal.cloudappsecurity.com", "Invalid URL", []string{`scheme "http"`, "only https"}},
		{"relative refused", HTTPSURL(), "contoso.eu2.portal.cloudappsecurity.com", "Invalid URL", []string{"not an absolute URL"}},
		{"portal ok", PortalURL(), "https://contoso.eu2.portal.cloudappsecurity.com", "", nil},
		{"portal with fragment", PortalURL(), "https://contoso.eu2.portal.cloudappsecurity.com/#/dashboard", "Invalid URL", []string{"query or a fragment", "Settings > Cloud Apps > System > About"}},
		{"portal with query", PortalURL(), "https://contoso.eu2.portal.cloudappsecurity.com/?tab=1", "Invalid URL", []string{"query or a fragment"}},
		{"portal over http", PortalURL(), "http://contoso.eu2.portal.cloudappsecurity.com", "Invalid URL", []string{"only https"}},
		{"token ok", LegacyAPIToken(), strings.Repeat("aZ9=", 16), "", nil},
		{"token short", LegacyAPIToken(), "abc", "Invalid API token", []string{"(3 characters)", "64 to 192"}},
		{"token bad characters", LegacyAPIToken(), strings.Repeat("a-", 40), "Invalid API token", nil},
		{"stream ok", StreamID(), "2b71970898808dd3b257b647", "", nil},
		{"stream upper case", StreamID(), "2B71970898808DD3B257B647", "Invalid stream id", []string{"upper-case", `"2b71970898808dd3b257b647"`}},
		{"stream short", StreamID(), "2b7197", "Invalid stream id", []string{"24 hexadecimal", "mcas_discovery_streams"}},
		{"stream name", StreamID(), "Global View", "Invalid stream id", nil},
		{"regexp ok", Regexp(), "^(Palo|Zscaler) ", "", nil},
		{"regexp broken", Regexp(), "([unclosed", "Invalid regular expression", []string{"does not compile", "RE2"}},
		{"workspace ok", WorkspaceID(), workspace, "", nil},
		{"workspace lower-case segments ok", WorkspaceID(), strings.ToLower(workspace), "", nil},
		{"workspace name only", WorkspaceID(), "law-sentinel", "Invalid workspace id", []string{"law-sentinel"}},
		{"workspace of another type", WorkspaceID(), strings.Replace(workspace, "OperationalInsights/workspaces", "Storage/storageAccounts", 1), "Invalid workspace id", nil},
		{"connector name ok", ConnectorName(), "d7bca20e-e2a1-40ba-952e-c61e79d572ac", "", nil},
		{"connector name with slash", ConnectorName(), "a/b", "Invalid connector name", []string{"'/'"}},
		{"lookback ok", Lookback(), "24h", "", nil},
		{"lookback shortest", Lookback(), "1m", "", nil},
		{"lookback longest", Lookback(), "17520h", "", nil},
		{"lookback too short", Lookback(), "59s", "Invalid lookback", []string{"shorter than the minimum of 1m0s"}},
		{"lookback too long", Lookback(), "17521h", "Invalid lookback", []string{"longer than 730 days"}},
		{"lookback in days", Lookback(), "7d", "Invalid lookback", []string{"not a duration", "168h"}},
		{"lookback fraction of a second", Lookback(), "90m500ms", "Invalid lookback", []string{"whole number of seconds"}},
		{"tenant or any: id", TenantIDOrAny(), "d7bca20e-e2a1-40ba-952e-c61e79d572ac", "", nil},
		{"tenant or any: wildcard", TenantIDOrAny(), "*", "", nil},
		{"tenant or any: domain", TenantIDOrAny(), "contoso.onmicrosoft.com", "Invalid tenant id", []string{"contoso.onmicrosoft.com"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			summary, detail := validate(tc.v, types.StringValue(tc.value))
			if summary != tc.wantSummary {
				t.Fatalf("summary = %q (detail %q), want %q", summary, detail, tc.wantSummary)
			}
			for _, w := range tc.wantDetail {
				if !strings.Contains(detail, w) {
					t.Errorf("detail %q does not contain %q", detail, w)
				}
			}
		})
	}
}

func TestValidatorsSkipNullAndUnknown(t *testing.T) {
	for _, v := range []validator.String{UUID(), HTTPSURL(), PortalURL(), LegacyAPIToken(), StreamID(), Regexp(), WorkspaceID(), ConnectorName(), Lookback(), TenantIDOrAny()} {
		for _, value := range []types.String{types.StringNull(), types.StringUnknown()} {
			if summary, _ := validate(v, value); summary != "" {
				t.Errorf("%s refused %v: %s", v.Description(context.Background()), value, summary)
			}
		}
	}
}

func TestLegacyAPITokenNeverEchoesTheValue(t *testing.T) {
	secret := strings.Repeat("s3cr3t", 5)
	_, detail := validate(LegacyAPIToken(), types.StringValue(secret))
	if detail == "" || strings.Contains(detail, secret) {
		t.Errorf("detail %q must refuse the token without repeating it", detail)
	}
}

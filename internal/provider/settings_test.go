package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// testConfig builds a provider configuration with the given top-level attribute values; every other
// attribute is null.
func testConfig(t *testing.T, values map[string]tftypes.Value) tfsdk.Config {
	t.Helper()
	resp := &provider.SchemaResponse{}
	(&mcasProvider{}).Schema(context.Background(), provider.SchemaRequest{}, resp)
	objectType, ok := resp.Schema.Type().TerraformType(context.Background()).(tftypes.Object)
	if !ok {
		t.Fatal("the provider schema is not an object")
	}
	attributes := make(map[string]tftypes.Value, len(objectType.AttributeTypes))
	for name, typ := range objectType.AttributeTypes {
		attributes[name] = tftypes.NewValue(typ, nil)
		if v, ok := values[name]; ok {
			attributes[name] = v
		}
	}
	return tfsdk.Config{Schema: resp.Schema, Raw: tftypes.NewValue(objectType, attributes)}
}

// TestUnitSettingsFromEnvironment reads settings from the configuration, the environment and the
// defaults, and checks a value from the environment as the schema checks a configured one.
func TestUnitSettingsFromEnvironment(t *testing.T) {
	const tenant = "d7bca20e-e2a1-40ba-952e-c61e79d572ac"
	t.Setenv("ARM_CLIENT_ID", "not-a-uuid")
	t.Setenv("ARM_TENANT_ID", "ignored: the attribute wins")
	t.Setenv("AZURE_FEDERATED_TOKEN_FILE", "/var/run/token")
	t.Setenv("ARM_USE_MSI", "yes")
	t.Setenv("MCAS_CLOUD_APPS_REQUESTS_PER_MINUTE", "0")
	var diags diag.Diagnostics
	values := readSettings(context.Background(), testConfig(t, map[string]tftypes.Value{
		"tenant_id": tftypes.NewValue(tftypes.String, tenant),
		"use_cli":   tftypes.NewValue(tftypes.Bool, false),
	}), &diags)

	if got := values.text("tenant_id"); got != tenant {
		t.Errorf("tenant_id = %q, want the configured %q", got, tenant)
	}
	if got := values.text("oidc_token_file_path"); got != "/var/run/token" {
		t.Errorf("oidc_token_file_path = %q, want the second environment variable's value", got)
	}
	if values.flag("use_cli") || values.text("environment") != EnvironmentPublic || values.flag("use_oidc") {
		t.Errorf("use_cli %v, environment %q, use_oidc %v: want the configured false and the defaults public and false",
			values.flag("use_cli"), values.text("environment"), values.flag("use_oidc"))
	}
	want := map[string]string{
		"Invalid UUID": `From the environment variable ARM_CLIENT_ID: client_id: "not-a-uuid" is not a UUID`,
		"Invalid environment variable ARM_USE_MSI": `ARM_USE_MSI is "yes", which is not a boolean; set it to true or false, or set use_msi in the provider block.`,
		"Invalid Attribute Value":                  "From the environment variable MCAS_CLOUD_APPS_REQUESTS_PER_MINUTE: Attribute cloud_apps_requests_per_minute value must be between 1 and 1000, got: 0",
	}
	if len(diags) != len(want) {
		t.Errorf("got %d diagnostics, want %d: %v", len(diags), len(want), diags)
	}
	for _, d := range diags {
		if detail, ok := want[d.Summary()]; !ok || !strings.HasPrefix(d.Detail(), detail) {
			t.Errorf("diagnostic %q: %q, want %q", d.Summary(), d.Detail(), detail)
		}
	}
}

// TestUnitSettingsNotKnown refuses a value known only after apply, naming its environment variables,
// also for each attribute of an endpoint block known only after apply.
func TestUnitSettingsNotKnown(t *testing.T) {
	schemaResp := &provider.SchemaResponse{}
	(&mcasProvider{}).Schema(context.Background(), provider.SchemaRequest{}, schemaResp)
	endpointType := schemaResp.Schema.Attributes[endpointBlock].GetType().TerraformType(context.Background())
	var diags diag.Diagnostics
	readSettings(context.Background(), testConfig(t, map[string]tftypes.Value{
		"oidc_request_url": tftypes.NewValue(tftypes.String, tftypes.UnknownValue),
		endpointBlock:      tftypes.NewValue(endpointType, tftypes.UnknownValue),
	}), &diags)
	want := []string{"ARM_OIDC_REQUEST_URL or ACTIONS_ID_TOKEN_REQUEST_URL", "ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST",
		"ARM_RESOURCE_MANAGER_ENDPOINT", "ARM_RESOURCE_MANAGER_AUDIENCE", "ARM_LOG_ANALYTICS_ENDPOINT", "ARM_LOG_ANALYTICS_AUDIENCE"}
	if len(diags) != len(want) {
		t.Fatalf("diagnostics %v, want %d", diags, len(want))
	}
	for _, env := range want {
		found := false
		for _, d := range diags {
			found = found || (d.Summary() == "Provider attribute not known at plan time" && strings.Contains(d.Detail(), "set the environment variable "+env+" instead"))
		}
		if !found {
			t.Errorf("no diagnostic names %s: %v", env, diags)
		}
	}
}

// TestUnitSettingsDocumentation checks that the schema documents each setting's default and
// environment variables, from the table.
func TestUnitSettingsDocumentation(t *testing.T) {
	for name, want := range map[string]string{
		"use_cli":              "Defaults to `true`. Environment variable `ARM_USE_CLI`.",
		"oidc_token_file_path": "Environment variables `ARM_OIDC_TOKEN_FILE_PATH`, then `AZURE_FEDERATED_TOKEN_FILE`.",
		"environment":          "Defaults to `public`. Environment variable `ARM_ENVIRONMENT`.",
	} {
		if got := lookupSetting(name).markdownDescription(); !strings.HasSuffix(got, want) {
			t.Errorf("%s is documented as %q, want it to end with %q", name, got, want)
		}
	}
	if got := label("oidc_request_token"); got != "oidc_request_token (ARM_OIDC_REQUEST_TOKEN or ACTIONS_ID_TOKEN_REQUEST_TOKEN)" {
		t.Errorf("label = %q", got)
	}
}

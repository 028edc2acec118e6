// Package validators holds the plan-time checks of attribute values shared by the provider
// configuration, the resource and the data source. The provider's table of settings also runs them on
// values that come from environment variables. Where a service client owns a rule (the workspace id,
// the connector name, the portal URL), the validator wraps the client's check instead of writing the
// rule again. Every message says what was wrong and what a valid value looks like; none repeats a
// sensitive value.
package validators

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/cloudapps"
	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/loganalytics"
	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/resourcemanager"
)

var (
	uuidPattern     = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	apiTokenPattern = regexp.MustCompile(`^[0-9a-zA-Z=]{64,192}$`)
	streamIDPattern = regexp.MustCompile(`^[0-9a-f]{24}$`)
)

// IsUUID reports whether s is a UUID in its usual 8-4-4-4-12 hexadecimal form, as Microsoft Entra
// writes tenant ids.
func IsUUID(s string) bool {
	return uuidPattern.MatchString(s)
}

// checkHTTPSURL returns an error when s is not an absolute https URL with a host.
func checkHTTPSURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		// The parser's error repeats the URL; keep only its reason.
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			err = urlErr.Err
		}
		return fmt.Errorf("%q is not a valid URL (%v); expected an absolute https URL such as https://host.example.com/path", s, err)
	}
	if u.Host == "" || u.Scheme == "" {
		return fmt.Errorf("%q is not an absolute URL; expected https:// followed by a host name, such as https://host.example.com/path", s)
	}
	if u.Scheme != "https" {
		return fmt.Errorf("%q uses the scheme %q; only https URLs are accepted", s, u.Scheme)
	}
	return nil
}

// stringCheck is a string validator that skips null and unknown values and reports, under summary,
// what check finds wrong with a value, after the attribute's path.
type stringCheck struct {
	description string
	summary     string
	// check returns what is wrong with a value, or nil when it is valid.
	check func(string) error
}

func (v stringCheck) Description(context.Context) string         { return v.description }
func (v stringCheck) MarkdownDescription(context.Context) string { return v.description }

func (v stringCheck) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := v.check(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, v.summary, fmt.Sprintf("%s: %s", req.Path, err))
	}
}

// PortalURL accepts a Defender for Cloud Apps API base URL, by the rule of the Cloud Apps client
// (cloudapps.CheckPortalURL).
func PortalURL() validator.String {
	return stringCheck{description: "value must be the https base URL of a Defender for Cloud Apps API", summary: "Invalid URL", check: cloudapps.CheckPortalURL}
}

// UUID accepts a UUID such as 00000000-0000-0000-0000-000000000000.
func UUID() validator.String {
	return stringCheck{description: "value must be a UUID", summary: "Invalid UUID", check: func(s string) error {
		if uuidPattern.MatchString(s) {
			return nil
		}
		return fmt.Errorf("%q is not a UUID; expected the form 00000000-0000-0000-0000-000000000000 (the Directory (tenant) ID or Application (client) ID shown in the Azure portal)", s)
	}}
}

// TenantIDOrAny accepts a tenant id (a UUID) or "*", which stands for any tenant.
func TenantIDOrAny() validator.String {
	return stringCheck{description: `value must be a tenant id (a UUID) or "*"`, summary: "Invalid tenant id", check: func(s string) error {
		if s == "*" || uuidPattern.MatchString(s) {
			return nil
		}
		return fmt.Errorf(`%q is neither a tenant id nor "*": give the Directory (tenant) ID of each tenant, of the form `+
			`00000000-0000-0000-0000-000000000000, or "*" for any tenant`, s)
	}}
}

// HTTPSURL accepts an absolute https URL.
func HTTPSURL() validator.String {
	return stringCheck{description: "value must be an absolute https URL", summary: "Invalid URL", check: checkHTTPSURL}
}

// LegacyAPIToken accepts a Defender for Cloud Apps API token (64 to 192 characters of [0-9a-zA-Z=])
// without ever repeating the value in its message.
func LegacyAPIToken() validator.String {
	return stringCheck{description: "value must be a Defender for Cloud Apps API token", summary: "Invalid API token", check: func(s string) error {
		if apiTokenPattern.MatchString(s) {
			return nil
		}
		return fmt.Errorf("the value (%d characters) is not a Defender for Cloud Apps API token, which has 64 to 192 characters of 0-9, a-z, A-Z and =; "+
			"generate one under Settings > Cloud Apps > API tokens, or leave api_token unset to use a Microsoft Entra ID token", len(s))
	}}
}

// StreamID accepts a discovery stream id: 24 lower-case hexadecimal characters, as the Cloud Apps API
// writes them.
func StreamID() validator.String {
	return stringCheck{description: "value must be a discovery stream id of 24 lower-case hexadecimal characters", summary: "Invalid stream id", check: func(s string) error {
		switch {
		case streamIDPattern.MatchString(s):
			return nil
		case streamIDPattern.MatchString(strings.ToLower(s)):
			return fmt.Errorf("%q has upper-case letters; the Cloud Apps API writes stream ids in lower case, so write it as %q", s, strings.ToLower(s))
		default:
			return fmt.Errorf("%q is not a discovery stream id; stream ids are 24 hexadecimal characters, as listed by the mcas_discovery_streams data source", s)
		}
	}}
}

// Regexp accepts a valid Go regular expression (RE2 syntax).
func Regexp() validator.String {
	return stringCheck{description: "value must be a valid regular expression", summary: "Invalid regular expression", check: func(s string) error {
		if _, err := regexp.Compile(s); err != nil {
			return fmt.Errorf("%q does not compile (%v); the syntax is RE2, as in Go and Terraform's regex function", s, err)
		}
		return nil
	}}
}

// WorkspaceID accepts the ARM id of a Log Analytics workspace.
func WorkspaceID() validator.String {
	return stringCheck{description: "value must be the ARM id of a Log Analytics workspace", summary: "Invalid workspace id", check: func(s string) error {
		_, err := resourcemanager.ParseWorkspaceID(s)
		return err
	}}
}

// Lookback accepts a duration of Go's syntax (such as "24h" or "90m") that a Log Analytics query can
// look back over: whole seconds, from a minute to 730 days.
func Lookback() validator.String {
	return stringCheck{description: "value must be a duration such as 24h or 90m, from 1m to 17520h (730 days)", summary: "Invalid lookback", check: func(s string) error {
		_, err := ParseLookback(s)
		return err
	}}
}

// ParseLookback parses a lookback and checks its bounds; the error says what to write instead.
func ParseLookback(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration: write a number with a unit, such as 24h, 90m or 1h30m (d for days is not a unit; use 168h for a week)", s)
	}
	if err := loganalytics.CheckLookback(d); err != nil {
		return 0, fmt.Errorf("the lookback %q: %w; choose a duration from 1m to 17520h", s, err)
	}
	return d, nil
}

// ConnectorName accepts a Microsoft Sentinel data connector id (the last segment of its ARM id).
func ConnectorName() validator.String {
	return stringCheck{description: "value must be usable as a data connector id", summary: "Invalid connector name", check: resourcemanager.ValidateConnectorName}
}

// StreamIDSet refuses an empty set of stream ids, which would forward the discovery logs of no stream;
// a null set means all streams. It is written here rather than taken from setvalidator.SizeAtLeast(1)
// because its message says what to do instead: leave the set out for all streams, or turn the
// discovery logs off; the library's says only how many elements the set has.
func StreamIDSet() validator.Set {
	return streamIDSet{}
}

type streamIDSet struct{}

func (streamIDSet) Description(context.Context) string {
	return "set must hold at least one stream id; leave it out for all streams"
}

func (v streamIDSet) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (streamIDSet) ValidateSet(_ context.Context, req validator.SetRequest, resp *validator.SetResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() || len(req.ConfigValue.Elements()) > 0 {
		return
	}
	resp.Diagnostics.AddAttributeError(req.Path, "No streams selected",
		fmt.Sprintf("%s is an empty set, which would forward the discovery logs of no stream. Leave it out (null) to forward "+
			"the logs of all streams, list the ids of the streams to forward, or set discovery_logs.enabled = false.", req.Path))
}

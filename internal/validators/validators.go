// Package validators holds the plan-time checks of attribute values shared by the provider
// configuration, the resource and the data source. Every message says what was wrong and what a
// valid value looks like; none repeats a sensitive value.
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

	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/loganalytics"
	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/resourcemanager"
)

var (
	uuidPattern     = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	apiTokenPattern = regexp.MustCompile(`^[0-9a-zA-Z=]{64,192}$`)
	streamIDPattern = regexp.MustCompile(`^[0-9a-f]{24}$`)
)

// IsUUID reports whether s is a UUID in its usual textual form.
func IsUUID(s string) bool { return uuidPattern.MatchString(s) }

// IsLegacyAPIToken reports whether s has the form of a Defender for Cloud Apps API token.
func IsLegacyAPIToken(s string) bool { return apiTokenPattern.MatchString(s) }

// IsStreamID reports whether s is a discovery stream id: 24 lower-case hexadecimal characters, as the
// Cloud Apps API writes them.
func IsStreamID(s string) bool { return streamIDPattern.MatchString(s) }

// CheckHTTPSURL returns an error when s is not an absolute https URL with a host.
func CheckHTTPSURL(s string) error {
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

// CheckPortalURL returns an error when s is not a Defender for Cloud Apps API base URL: an absolute
// https URL without a query or fragment (the portal's address bar adds "#/..." to its pages).
func CheckPortalURL(s string) error {
	if err := CheckHTTPSURL(s); err != nil {
		return err
	}
	if u, _ := url.Parse(s); u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return fmt.Errorf("%q has a query or a fragment; give the base URL of the tenant's Defender for Cloud Apps API only, "+
			"as shown under Settings > Cloud Apps > System > About (for example https://contoso.eu2.portal.cloudappsecurity.com)", s)
	}
	return nil
}

type stringCheck struct {
	description string
	check       func(string) (summary, detail string, ok bool)
}

func (v stringCheck) Description(context.Context) string         { return v.description }
func (v stringCheck) MarkdownDescription(context.Context) string { return v.description }

func (v stringCheck) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if summary, detail, ok := v.check(req.ConfigValue.ValueString()); !ok {
		resp.Diagnostics.AddAttributeError(req.Path, summary, fmt.Sprintf("%s: %s", req.Path, detail))
	}
}

// PortalURL accepts a Defender for Cloud Apps API base URL (see CheckPortalURL).
func PortalURL() validator.String {
	return stringCheck{
		description: "value must be the https base URL of a Defender for Cloud Apps API",
		check: func(s string) (string, string, bool) {
			if err := CheckPortalURL(s); err != nil {
				return "Invalid URL", err.Error(), false
			}
			return "", "", true
		},
	}
}

// UUID accepts a UUID such as 00000000-0000-0000-0000-000000000000.
func UUID() validator.String {
	return stringCheck{
		description: "value must be a UUID",
		check: func(s string) (string, string, bool) {
			return "Invalid UUID", fmt.Sprintf("%q is not a UUID; expected the form 00000000-0000-0000-0000-000000000000 (the Directory (tenant) ID or Application (client) ID shown in the Azure portal)", s), IsUUID(s)
		},
	}
}

// HTTPSURL accepts an absolute https URL.
func HTTPSURL() validator.String {
	return stringCheck{
		description: "value must be an absolute https URL",
		check: func(s string) (string, string, bool) {
			if err := CheckHTTPSURL(s); err != nil {
				return "Invalid URL", err.Error(), false
			}
			return "", "", true
		},
	}
}

// LegacyAPIToken accepts a Defender for Cloud Apps API token (64 to 192 characters of [0-9a-zA-Z=])
// without ever repeating the value in its message.
func LegacyAPIToken() validator.String {
	return stringCheck{
		description: "value must be a Defender for Cloud Apps API token",
		check: func(s string) (string, string, bool) {
			return "Invalid API token",
				fmt.Sprintf("the value (%d characters) is not a Defender for Cloud Apps API token, which has 64 to 192 characters of 0-9, a-z, A-Z and =; "+
					"generate one under Settings > Cloud Apps > API tokens, or leave api_token unset to use a Microsoft Entra ID token", len(s)),
				IsLegacyAPIToken(s)
		},
	}
}

// StreamID accepts a discovery stream id: 24 lower-case hexadecimal characters.
func StreamID() validator.String {
	return stringCheck{
		description: "value must be a discovery stream id of 24 lower-case hexadecimal characters",
		check: func(s string) (string, string, bool) {
			if IsStreamID(strings.ToLower(s)) && !IsStreamID(s) {
				return "Invalid stream id", fmt.Sprintf("%q has upper-case letters; the Cloud Apps API writes stream ids in lower case, so write it as %q", s, strings.ToLower(s)), false
			}
			return "Invalid stream id", fmt.Sprintf("%q is not a discovery stream id; stream ids are 24 hexadecimal characters, as listed by the mcas_discovery_streams data source", s), IsStreamID(s)
		},
	}
}

// Regexp accepts a valid Go regular expression (RE2 syntax).
func Regexp() validator.String {
	return stringCheck{
		description: "value must be a valid regular expression",
		check: func(s string) (string, string, bool) {
			if _, err := regexp.Compile(s); err != nil {
				return "Invalid regular expression", fmt.Sprintf("%q does not compile (%v); the syntax is RE2, as in Go and Terraform's regex function", s, err), false
			}
			return "", "", true
		},
	}
}

// WorkspaceID accepts the ARM id of a Log Analytics workspace.
func WorkspaceID() validator.String {
	return stringCheck{
		description: "value must be the ARM id of a Log Analytics workspace",
		check: func(s string) (string, string, bool) {
			if _, err := resourcemanager.ParseWorkspaceID(s); err != nil {
				return "Invalid workspace id", err.Error(), false
			}
			return "", "", true
		},
	}
}

// Lookback accepts a duration of Go's syntax (such as "24h" or "90m") that a Log Analytics query can
// look back over: whole seconds, from a minute to 730 days.
func Lookback() validator.String {
	return stringCheck{
		description: "value must be a duration such as 24h or 90m, from 1m to 17520h (730 days)",
		check: func(s string) (string, string, bool) {
			if _, err := ParseLookback(s); err != nil {
				return "Invalid lookback", err.Error(), false
			}
			return "", "", true
		},
	}
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
	return stringCheck{
		description: "value must be usable as a data connector id",
		check: func(s string) (string, string, bool) {
			if err := resourcemanager.ValidateConnectorName(s); err != nil {
				return "Invalid connector name", err.Error(), false
			}
			return "", "", true
		},
	}
}

// StreamIDSet refuses an empty set of stream ids, which would forward the discovery logs of no stream;
// a null set means all streams.
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

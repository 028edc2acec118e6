// Package httplog logs the HTTP traffic of azcore pipelines to Terraform's
// log through tflog, with credentials redacted.
//
// Each request is logged into a tflog subsystem of the provider's logger. At
// DEBUG level every attempt logs its method, URL, status, duration and
// attempt number; at TRACE level the request and response headers and
// bodies are logged too. The level of a subsystem follows the provider's log
// level unless the environment variable TF_LOG_PROVIDER_MCAS_<SUBSYSTEM>
// (for example TF_LOG_PROVIDER_MCAS_RESOURCEMANAGER=TRACE) sets its own.
//
// Credentials never reach the log: Authorization, Cookie, Set-Cookie and
// other credential-bearing headers are replaced by REDACTED, so are
// credential-like query parameters and JSON fields, and form bodies are
// never logged.
package httplog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// LevelEnvPrefix is the prefix of the environment variable that sets the
// level of a subsystem's log: the variable is LevelEnvPrefix, an underscore
// and the subsystem name in upper case.
const LevelEnvPrefix = "TF_LOG_PROVIDER_MCAS"

// Redacted replaces every secret value in the log.
const Redacted = "REDACTED"

// maxLoggedBody caps the logged part of a request or response body.
const maxLoggedBody = 4 << 10

// Options configures the logging policy.
type Options struct {
	// RedactBodies keeps every request and response body out of the log.
	// Set it for traffic that carries credentials in bodies, such as the
	// Microsoft Entra token exchange.
	RedactBodies bool
}

// NewPolicy returns a per-retry azcore policy that logs each attempt of a
// request into the tflog subsystem named subsystem of the logger carried by
// the request's context. It logs nothing when the context carries no
// provider logger. The policy leaves request and response bodies readable
// for the rest of the pipeline and the caller.
func NewPolicy(subsystem string, opts Options) policy.Policy {
	return &logPolicy{subsystem: subsystem, opts: opts}
}

type logPolicy struct {
	subsystem string
	opts      Options
}

// attemptCount is the operation value that numbers the attempts of one
// request across retries.
type attemptCount struct {
	n int
}

// Do implements [policy.Policy].
func (p *logPolicy) Do(req *policy.Request) (*http.Response, error) {
	var attempt attemptCount
	req.OperationValue(&attempt)
	attempt.n++
	req.SetOperationValue(attempt)

	ctx := tflog.NewSubsystem(req.Raw().Context(), p.subsystem, tflog.WithLevelFromEnv(LevelEnvPrefix, p.subsystem))
	if !tflog.SubsystemIsDebug(ctx, p.subsystem) {
		return req.Next()
	}
	trace := tflog.SubsystemIsTrace(ctx, p.subsystem)

	raw := req.Raw()
	fields := map[string]any{
		"http_method":  raw.Method,
		"http_url":     redactURL(raw.URL),
		"http_attempt": attempt.n,
	}
	if trace {
		details := maps.Clone(fields)
		details["http_request_headers"] = redactHeaders(raw.Header)
		if body, ok := p.requestBody(req); ok {
			details["http_request_body"] = body
		}
		tflog.SubsystemTrace(ctx, p.subsystem, "Sending HTTP request", details)
	}

	start := time.Now()
	resp, err := req.Next()
	fields["http_duration_ms"] = time.Since(start).Milliseconds()

	if err != nil {
		fields["error"] = err.Error()
		tflog.SubsystemDebug(ctx, p.subsystem, "HTTP request failed", fields)
		return resp, err
	}
	fields["http_status_code"] = resp.StatusCode
	tflog.SubsystemDebug(ctx, p.subsystem, "Received HTTP response", fields)
	if trace {
		details := maps.Clone(fields)
		details["http_response_headers"] = redactHeaders(resp.Header)
		if body, ok := p.responseBody(resp); ok {
			details["http_response_body"] = body
		}
		tflog.SubsystemTrace(ctx, p.subsystem, "HTTP response details", details)
	}
	return resp, err
}

// requestBody returns the loggable form of the request body and restores
// the body for sending.
func (p *logPolicy) requestBody(req *policy.Request) (string, bool) {
	body := req.Body()
	if p.opts.RedactBodies || body == nil {
		return "", false
	}
	data, err := io.ReadAll(body)
	if _, seekErr := body.Seek(0, io.SeekStart); seekErr != nil || err != nil {
		return "", false
	}
	return describeBody(req.Raw().Header.Get("Content-Type"), data)
}

// responseBody returns the loggable form of the response body. The body is
// buffered by runtime.Payload, which leaves it readable for the caller.
func (p *logPolicy) responseBody(resp *http.Response) (string, bool) {
	if p.opts.RedactBodies || resp.Body == nil || resp.Body == http.NoBody {
		return "", false
	}
	data, err := runtime.Payload(resp)
	if err != nil {
		return "", false
	}
	return describeBody(resp.Header.Get("Content-Type"), data)
}

// redactHeaders returns the headers as a map, with the values of
// credential-bearing headers replaced by [Redacted].
func redactHeaders(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for name, values := range h {
		if sensitiveHeader(name) {
			out[name] = Redacted
			continue
		}
		out[name] = strings.Join(values, ", ")
	}
	return out
}

// sensitiveHeader reports whether a header may carry a credential:
// Authorization (Bearer and Token alike), Proxy-Authorization, Cookie,
// Set-Cookie, x-ms-*token* headers and anything named like a secret.
func sensitiveHeader(name string) bool {
	n := strings.ToLower(name)
	for _, word := range []string{"authorization", "cookie", "token", "secret", "password", "api-key", "apikey"} {
		if strings.Contains(n, word) {
			return true
		}
	}
	return false
}

// redactURL returns the URL with its query kept, except for the values of
// credential-like query parameters.
func redactURL(u *url.URL) string {
	if u.RawQuery == "" {
		return u.String()
	}
	query, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		c := *u
		c.RawQuery = Redacted
		return c.String()
	}
	changed := false
	for name := range query {
		if sensitiveField(name) || strings.EqualFold(name, "sig") || strings.EqualFold(name, "code") {
			query[name] = []string{Redacted}
			changed = true
		}
	}
	if !changed {
		return u.String()
	}
	c := *u
	c.RawQuery = query.Encode()
	return c.String()
}

// secretFields are normalised (lower case, without "_" and "-") names of
// JSON fields and query parameters that carry credentials.
var secretFields = map[string]bool{
	"accesstoken":     true,
	"refreshtoken":    true,
	"idtoken":         true,
	"clientsecret":    true,
	"clientassertion": true,
	"password":        true,
	"token":           true,
	"secret":          true,
	"apikey":          true,
}

// fieldSeparators drops the separators of a field name, so that client_secret, client-secret and
// clientSecret compare alike once lowered. A Replacer is safe for concurrent use; building one costs
// more than using it, which matters for bodies with thousands of fields.
var fieldSeparators = strings.NewReplacer("_", "", "-", "")

// sensitiveField reports whether a JSON field or query parameter name
// designates a credential.
func sensitiveField(name string) bool {
	n := fieldSeparators.Replace(strings.ToLower(name))
	return secretFields[n] || strings.Contains(n, "password") || strings.Contains(n, "secret")
}

// describeBody returns what the log shows of a body: redacted JSON, text,
// or a note saying why the body is left out.
func describeBody(contentType string, data []byte) (string, bool) {
	if len(data) == 0 {
		return "", false
	}
	mediaType, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mediaType = strings.ToLower(strings.TrimSpace(contentType))
	}
	switch {
	case mediaType == "application/x-www-form-urlencoded" || mediaType == "multipart/form-data":
		return fmt.Sprintf("(%d bytes of %s not logged)", len(data), mediaType), true
	case isJSON(mediaType, data):
		redacted, ok := redactJSON(data)
		if !ok {
			return fmt.Sprintf("(%d bytes of malformed JSON not logged)", len(data)), true
		}
		return capBody(redacted, len(data)), true
	case strings.HasPrefix(mediaType, "text/") && utf8.Valid(data):
		return capBody(string(data), len(data)), true
	default:
		if mediaType == "" {
			mediaType = "unknown content type"
		}
		return fmt.Sprintf("(%d bytes of %s not logged)", len(data), mediaType), true
	}
}

func isJSON(mediaType string, data []byte) bool {
	if mediaType == "application/json" || strings.HasSuffix(mediaType, "+json") || mediaType == "text/json" {
		return true
	}
	if mediaType != "" {
		return false
	}
	trimmed := bytes.TrimSpace(data)
	return len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[')
}

// redactJSON replaces the values of credential fields, and string values of
// fields named "value" (the token of a token response), with [Redacted].
func redactJSON(data []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return "", false
	}
	if _, err := dec.Token(); err != io.EOF {
		return "", false
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(redactValue(doc)); err != nil {
		return "", false
	}
	return strings.TrimSuffix(out.String(), "\n"), true
}

func redactValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, child := range t {
			_, isString := child.(string)
			if sensitiveField(k) || (strings.EqualFold(k, "value") && isString) {
				t[k] = Redacted
				continue
			}
			t[k] = redactValue(child)
		}
		return t
	case []any:
		for i, child := range t {
			t[i] = redactValue(child)
		}
		return t
	default:
		return v
	}
}

// capBody shortens a logged body to [maxLoggedBody] bytes, cutting at a
// character boundary and saying how long the body was.
func capBody(s string, total int) string {
	if len(s) <= maxLoggedBody {
		return s
	}
	cut := maxLoggedBody
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s... (truncated; %d bytes in total)", s[:cut], total)
}

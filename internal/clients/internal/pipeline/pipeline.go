// Package pipeline holds what the service clients share on top of azcore's
// HTTP pipeline: the module identity used for telemetry, the clients' options
// with each service's retry defaults ([ClientOptions]), the sending of a
// request ([Client.Send]), a policy that remembers the last HTTP answer across
// retries, the two errors of a request (an answer with a status the operation
// does not expect, [ResponseError], and no usable answer at all, [SendError])
// with one classification of both for every service ([IsNotFound],
// [IsRefused] and the others), the quoting of an answer in an error
// ([Snippet], [QuoteBody]), strict decoding of JSON answers, the rule of a
// service's base URL ([ParseBaseURL]), and the GUID rule of the ids the
// services take ([GUIDPattern]). It speaks HTTP only: what to
// do about an error in Terraform is the provider's to say.
package pipeline

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// ModuleName identifies the provider in azcore's telemetry (User-Agent) and
// tracing.
const ModuleName = "terraform-provider-mcas"

// fallbackVersion is reported when the binary carries no usable version,
// as in tests and local builds.
const fallbackVersion = "v0.0.0-dev"

// semverPattern is the module version form azcore's telemetry policy accepts.
var semverPattern = regexp.MustCompile(`^v\d+\.\d+\.\d+(?:-[a-zA-Z0-9_.-]+)?$`)

// GUIDPattern matches a GUID in its usual 8-4-4-4-12 hexadecimal form, in either case, such as a
// subscription ID or a workspace's customer ID.
var GUIDPattern = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)

// ModuleVersion returns the provider's module version as recorded in the
// binary's build information, without build metadata, or "v0.0.0-dev" when
// the binary carries no release version.
func ModuleVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return fallbackVersion
	}
	version, _, _ := strings.Cut(info.Main.Version, "+")
	if !semverPattern.MatchString(version) {
		return fallbackVersion
	}
	return version
}

// ClientOptions returns a copy of opts for a client to build its pipeline with: its policy lists are
// its own, so that the client can add to them, and its zero Retry fields take the values of defaults.
func ClientOptions(opts policy.ClientOptions, defaults policy.RetryOptions) policy.ClientOptions {
	opts.PerCallPolicies = slices.Clone(opts.PerCallPolicies)
	opts.PerRetryPolicies = slices.Clone(opts.PerRetryPolicies)
	opts.Retry.MaxRetries = cmp.Or(opts.Retry.MaxRetries, defaults.MaxRetries)
	opts.Retry.RetryDelay = cmp.Or(opts.Retry.RetryDelay, defaults.RetryDelay)
	opts.Retry.MaxRetryDelay = cmp.Or(opts.Retry.MaxRetryDelay, defaults.MaxRetryDelay)
	return opts
}

// maxRecordedBody caps the part of an answer body kept by the last-response
// policy; error bodies are small and only their beginning is ever shown.
const maxRecordedBody = 16 << 10

// lastResponse is the operation value in which the last-response policy
// keeps a copy of the most recent non-success answer.
type lastResponse struct {
	status     string
	statusCode int
	header     http.Header
	body       []byte
	request    *http.Request
}

// NewLastResponsePolicy returns a per-retry policy that keeps a copy of the
// most recent non-success HTTP answer of a request. azcore's retry policy
// discards that answer when a later attempt fails in transport or the
// context ends; [LastResponse] gives it back so that the error can say what
// the service last answered.
func NewLastResponsePolicy() policy.Policy {
	return lastResponsePolicy{}
}

type lastResponsePolicy struct{}

// Do implements [policy.Policy].
func (lastResponsePolicy) Do(req *policy.Request) (*http.Response, error) {
	resp, err := req.Next()
	if err != nil || resp == nil || resp.StatusCode < http.StatusMultipleChoices {
		return resp, err
	}
	body, readErr := runtime.Payload(resp)
	if readErr != nil {
		return resp, err
	}
	if len(body) > maxRecordedBody {
		body = body[:maxRecordedBody]
	}
	last := lastResponse{
		status:     resp.Status,
		statusCode: resp.StatusCode,
		header:     resp.Header.Clone(),
		body:       bytes.Clone(body),
		request:    resp.Request,
	}
	req.SetOperationValue(last)
	if holder, ok := req.Raw().Context().Value(lastResponseKey{}).(*lastResponse); ok {
		*holder = last
	}
	return resp, err
}

// lastResponseKey is the context key of the holder of [WithLastResponse].
type lastResponseKey struct{}

// WithLastResponse returns ctx carrying a holder into which a pipeline holding [NewLastResponsePolicy]
// copies the last non-success answer of the call made with it, and a function that returns a copy of
// that answer (nil when there was none). It serves clients whose requests an SDK builds, which have
// no request to give [LastResponse]. The call must be over before last is called.
func WithLastResponse(ctx context.Context) (_ context.Context, last func() *http.Response) {
	holder := &lastResponse{}
	return context.WithValue(ctx, lastResponseKey{}, holder), holder.response
}

// LastResponse returns a copy of the last non-success answer that req got
// from the service through a pipeline holding [NewLastResponsePolicy], or nil
// when it got none. Each call returns a fresh response whose body can be read.
func LastResponse(req *policy.Request) *http.Response {
	var last lastResponse
	if !req.OperationValue(&last) {
		return nil
	}
	return last.response()
}

// response returns the kept answer as a fresh response, or nil when none was kept.
func (last *lastResponse) response() *http.Response {
	if last.statusCode == 0 {
		return nil
	}
	return &http.Response{
		Status:        last.status,
		StatusCode:    last.statusCode,
		Header:        last.header.Clone(),
		Body:          io.NopCloser(bytes.NewReader(last.body)),
		ContentLength: int64(len(last.body)),
		Request:       last.request,
	}
}

// SendError reports a request that did not end with an HTTP answer: the
// connection failed, no token could be obtained, or the context ended while
// the request or its retries were under way.
type SendError struct {
	// Operation says what the client was doing, including the object
	// concerned, for example "reading data connector /subscriptions/...".
	Operation string
	// Service names the service for the message, for example "Azure Resource Manager".
	Service string
	// Err is the transport, credential or context error.
	Err error
	// Last is the last answer the service gave before Err, or nil when no
	// attempt got an answer.
	Last *ResponseError
}

// Error implements the error interface.
func (e *SendError) Error() string {
	var b strings.Builder
	b.WriteString(e.Operation)
	b.WriteString(": ")
	switch {
	case errors.Is(e.Err, context.DeadlineExceeded):
		fmt.Fprintf(&b, "the time allowed ran out before %s gave a usable answer (%v)", e.Service, e.Err)
	case errors.Is(e.Err, context.Canceled):
		fmt.Fprintf(&b, "cancelled before %s gave a usable answer (%v)", e.Service, e.Err)
	default:
		fmt.Fprintf(&b, "the request to %s failed: %v", e.Service, e.Err)
	}
	if e.Last != nil {
		fmt.Fprintf(&b, "; the last answer was %s", e.Last.Detail())
	}
	var adviser Adviser
	switch {
	case errors.As(e.Err, &adviser):
		b.WriteString("; " + adviser.Advice())
	case !errors.Is(e.Err, context.DeadlineExceeded):
	case e.Last != nil:
		b.WriteString("; try again later or allow more time")
	default:
		fmt.Fprintf(&b, "; check that %s is reachable from this machine or allow more time", e.Service)
	}
	return b.String()
}

// Adviser is an error that knows what to do about it better than the
// generic advice of [SendError], such as a wait for a client-side rate limit.
type Adviser interface {
	error
	// Advice says what to do, for example "allow more time".
	Advice() string
}

// Unwrap gives errors.Is and errors.As access to both the transport error
// and the last answer.
func (e *SendError) Unwrap() []error {
	if e.Last == nil {
		return []error{e.Err}
	}
	return []error{e.Err, e.Last}
}

// maxContentTypeLength caps the Content-Type quoted in an error; real ones are short.
const maxContentTypeLength = 128

// MaxMessageLength caps a service message, or the beginning of an answer body, quoted in an error.
const MaxMessageLength = 512

// DecodeJSON decodes the JSON body of a success answer into v. An empty
// body, a body that is not JSON, and malformed or truncated JSON become
// errors that name the operation, the status and the content type.
func DecodeJSON(operation string, resp *http.Response, v any) error {
	contentType := contentType(resp, "none")
	body, err := runtime.Payload(resp)
	if err != nil {
		return fmt.Errorf("%s: reading the HTTP %d answer (Content-Type %s) failed: %w", operation, resp.StatusCode, contentType, err)
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return fmt.Errorf("%s: the HTTP %d answer (Content-Type %s) has an empty body where a JSON document was expected", operation, resp.StatusCode, contentType)
	}
	if trimmed[0] != '{' && trimmed[0] != '[' {
		return fmt.Errorf("%s: the HTTP %d answer (Content-Type %s) is not JSON; it starts with %q; check that the endpoint URL points at the service's API", operation, resp.StatusCode, contentType, Snippet(trimmed, 80))
	}
	if err := json.Unmarshal(trimmed, v); err != nil {
		return fmt.Errorf("%s: the HTTP %d answer (Content-Type %s, %d bytes) is malformed or truncated JSON: %w", operation, resp.StatusCode, contentType, len(body), err)
	}
	return nil
}

// contentType returns the Content-Type of an answer, which comes from the answer, as one line of
// bounded length, or fallback when the answer names none.
func contentType(resp *http.Response, fallback string) string {
	if contentType := Snippet([]byte(resp.Header.Get("Content-Type")), maxContentTypeLength); contentType != "" {
		return contentType
	}
	return fallback
}

// QuoteBody quotes the beginning of the body of a non-success answer that holds no message the
// client can read, after its content type: `text/html body "<html>..."`, or `untyped body "..."` when
// the answer names no content type. It returns "" for an empty body.
func QuoteBody(resp *http.Response, body []byte) string {
	if len(bytes.TrimSpace(body)) == 0 {
		return ""
	}
	return fmt.Sprintf("%s body %q", contentType(resp, "untyped"), Snippet(body, MaxMessageLength))
}

// CheckOptionalJSON checks the body of a success answer that the caller
// does not decode, such as the answer to a DELETE: it must be empty or JSON.
// Anything else (a proxy's page, a broken document) did not come from the
// service as expected, so the request may not have been carried out; the
// error says so in the words of [DecodeJSON].
func CheckOptionalJSON(operation string, resp *http.Response) error {
	body, err := runtime.Payload(resp)
	if err == nil && len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	var doc json.RawMessage
	if err := DecodeJSON(operation, resp, &doc); err != nil {
		return fmt.Errorf("%w; the request may not have been carried out", err)
	}
	return nil
}

// Snippet returns the beginning of body as one line of valid, printable UTF-8
// text: runs of white space become one space, unprintable characters become
// U+FFFD, and a body longer than limit bytes is cut at a character boundary
// and ends with "...".
func Snippet(body []byte, limit int) string {
	// Control and other unprintable characters become U+FFFD: quoted in an error message, each would
	// otherwise grow to an escape of up to ten bytes.
	printable := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.IsPrint(r) {
			return r
		}
		return utf8.RuneError
	}, strings.ToValidUTF8(string(body), "\uFFFD"))
	text := strings.Join(strings.Fields(printable), " ")
	if len(text) <= limit {
		return text
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return text[:cut] + "..."
}

// ParseBaseURL checks that raw is the base URL of a service's API: an absolute https URL without user
// information, a query or a fragment. It returns the URL without a trailing slash, or an error that
// quotes raw, never its password, and ends with expected, which says what to give instead.
func ParseBaseURL(raw, expected string) (string, error) {
	u, err := url.Parse(raw)
	quoted := strconv.Quote(raw)
	switch {
	case err == nil && u.User != nil:
		quoted = strconv.Quote(u.Redacted())
	case err != nil && strings.Contains(raw, "@"):
		// The URL cannot be parsed, so its user information cannot be told apart: quote what follows it.
		quoted = strconv.Quote("…@" + raw[strings.LastIndex(raw, "@")+1:])
	}
	var urlErr *url.Error
	switch {
	case errors.As(err, &urlErr):
		// The parser's error repeats the URL; keep only its reason.
		return "", fmt.Errorf("%s is not a valid URL (%v); %s", quoted, urlErr.Err, expected)
	case u.Scheme == "" || u.Host == "" || u.Opaque != "":
		return "", fmt.Errorf("%s is not an absolute URL; expected https:// followed by a host name: %s", quoted, expected)
	case !strings.EqualFold(u.Scheme, "https"):
		return "", fmt.Errorf("%s uses the scheme %q; only https URLs are accepted", quoted, u.Scheme)
	case u.User != nil:
		return "", fmt.Errorf("%s carries user information; %s", quoted, expected)
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return "", fmt.Errorf("%s has a query or a fragment; %s", quoted, expected)
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

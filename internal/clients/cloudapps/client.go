// Package cloudapps is the Microsoft Defender for Cloud Apps client of the
// provider: discovery streams and SIEM agents.
//
// The client is built on azcore's runtime.NewPipeline, so retries, bearer
// tokens and telemetry come from the SDK. It authenticates with a legacy API
// token ("Authorization: Token <token>") when one is given and otherwise
// with a Microsoft Entra token for [Audience].
//
// The SIEM agent routes are not publicly documented by Microsoft; they are
// modeled on the endpoint the portal uses, /api/v1/agents/siem/.
//
// The service allows 30 requests per minute per tenant. With
// [Options.RequestsPerMinute] set, every attempt of every request waits for
// its turn under a limiter that all clients of the process calling the same
// portal URL share, so that many objects of one tenant queue instead of
// collecting HTTP 429 answers. Waiting counts against the caller's deadline;
// a call whose caller sets no deadline gets [Options.CallTimeout].
//
// Requests go out and errors come back through the clients' shared pipeline
// package: an answer with an unexpected status is an [Error], the same type
// as the Resource Manager client's, classified by [IsNotFound], [IsConflict],
// [IsUnauthorized], [IsThrottled] and [IsRefused]. Errors say what the
// service answered and never name Terraform attributes; the provider adds
// what to do. [CheckPortalURL] is the one rule for a portal URL, which the
// provider's validation uses too.
package cloudapps

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/httplog"
	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/internal/pipeline"
	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/ratelimit"
)

// Audience is the Microsoft Entra application ID of Defender for Cloud Apps;
// tokens are requested for the scope Audience + "/.default".
const Audience = "05a65629-4c1b-48c1-a78b-804c4abdd4af"

// LogSubsystem is the tflog subsystem into which the client logs its HTTP
// traffic.
const LogSubsystem = "cloudapps"

// Default retry settings, used for the fields the caller leaves zero.
// Defender for Cloud Apps throttles at 30 requests per minute per tenant and
// sends no Retry-After header, so the waits are long.
const (
	DefaultMaxRetries    = 3
	DefaultRetryDelay    = 5 * time.Second
	DefaultMaxRetryDelay = 60 * time.Second
)

// DefaultRequestsPerMinute is the service's documented limit of requests
// per minute and tenant.
const DefaultRequestsPerMinute = 30

// DefaultCallTimeout bounds a call whose caller sets no deadline, such as a
// data source read: it covers the waits for the rate limiter, the retries
// and the answers.
const DefaultCallTimeout = 5 * time.Minute

// ServiceName names the service in error messages and in [Error].Service.
const ServiceName = "Defender for Cloud Apps"

// pageSize is the largest page the service returns.
const pageSize = 100

var agentIDPattern = regexp.MustCompile(`^[0-9A-Fa-f]{24}$`)

// Options configures a [Client].
type Options struct {
	// PortalURL is the tenant's API base URL, an absolute https URL such as
	// https://contoso.us3.portal.cloudappsecurity.com; a trailing slash is
	// optional.
	PortalURL string
	// APIToken is a legacy Defender for Cloud Apps API token. When set,
	// requests carry "Authorization: Token <APIToken>" and Credential is not
	// used.
	APIToken string
	// Credential obtains Microsoft Entra tokens for the scope
	// Audience + "/.default" when APIToken is empty.
	Credential azcore.TokenCredential
	// ClientOptions configure the pipeline: Transport, Retry, Telemetry,
	// PerCallPolicies and PerRetryPolicies. Zero Retry fields take the
	// Default* values of this package.
	ClientOptions policy.ClientOptions
	// RequestsPerMinute, when positive, limits the requests (every attempt,
	// retries included) to that many in any minute. The limiter is shared by
	// every client of the process with the same portal URL; when they ask
	// for different limits, the lowest applies. Zero means no client-side
	// limit.
	RequestsPerMinute int
	// CallTimeout bounds each call whose context has no deadline; zero means
	// [DefaultCallTimeout].
	CallTimeout time.Duration
}

// Client calls the Defender for Cloud Apps API of one tenant. It is safe for
// concurrent use.
type Client struct {
	base        string
	sender      pipeline.Client
	retry       policy.RetryOptions
	callTimeout time.Duration
}

// NewClient validates opts and builds a client. PortalURL must be an
// absolute https URL, and either APIToken or Credential must be set.
func NewClient(opts Options) (*Client, error) {
	if opts.PortalURL == "" {
		return nil, errors.New("creating the Defender for Cloud Apps client: the portal URL is empty; set it to the tenant's API URL, such as https://contoso.us3.portal.cloudappsecurity.com")
	}
	base, err := parsePortalURL(opts.PortalURL)
	if err != nil {
		return nil, fmt.Errorf("creating the Defender for Cloud Apps client: the portal URL %w", err)
	}
	var auth policy.Policy
	switch {
	case opts.APIToken != "":
		auth = runtime.NewKeyCredentialPolicy(azcore.NewKeyCredential(opts.APIToken), "Authorization", &runtime.KeyCredentialPolicyOptions{Prefix: "Token "})
	case opts.Credential != nil:
		auth = runtime.NewBearerTokenPolicy(opts.Credential, []string{Audience + "/.default"}, nil)
	default:
		return nil, errors.New("creating the Defender for Cloud Apps client: no authentication was configured; set a Defender for Cloud Apps API token or configure a Microsoft Entra credential")
	}

	clientOptions := pipeline.ClientOptions(opts.ClientOptions,
		policy.RetryOptions{MaxRetries: DefaultMaxRetries, RetryDelay: DefaultRetryDelay, MaxRetryDelay: DefaultMaxRetryDelay})

	perRetry := []policy.Policy{auth}
	if opts.RequestsPerMinute > 0 {
		// After the token is obtained, so that the wait ends right before the request goes out.
		perRetry = append(perRetry, ratelimit.Shared(strings.ToLower(base), opts.RequestsPerMinute).Policy())
	}
	perRetry = append(perRetry, httplog.NewPolicy(LogSubsystem, httplog.Options{}), pipeline.NewLastResponsePolicy())
	pl := runtime.NewPipeline(pipeline.ModuleName, pipeline.ModuleVersion(), runtime.PipelineOptions{PerRetry: perRetry}, &clientOptions)
	callTimeout := opts.CallTimeout
	if callTimeout <= 0 {
		callTimeout = DefaultCallTimeout
	}
	sender := pipeline.Client{Service: ServiceName, Pipeline: pl, Message: errorMessage}
	return &Client{base: base, sender: sender, retry: clientOptions.Retry, callTimeout: callTimeout}, nil
}

// CheckPortalURL returns an error, which quotes raw, when raw is not the base URL of a tenant's
// Defender for Cloud Apps API: an absolute https URL without user information, a query or a fragment
// (the portal's address bar adds "#/..." to its pages).
func CheckPortalURL(raw string) error {
	_, err := parsePortalURL(raw)
	return err
}

// parsePortalURL checks a portal URL (see [CheckPortalURL]) and returns it without a trailing slash.
func parsePortalURL(raw string) (string, error) {
	return pipeline.ParseBaseURL(raw, "give the base URL of the tenant's Defender for Cloud Apps API only, as shown under Settings > Cloud Apps > "+
		"System > About (for example https://contoso.eu2.portal.cloudappsecurity.com)")
}

// send sends one request (see [pipeline.Client.Send]) under the call timeout when ctx has no
// deadline of its own.
func (c *Client) send(ctx context.Context, op, method, path string, body any, ok ...int) (*http.Response, error) {
	if _, hasDeadline := ctx.Deadline(); !hasDeadline {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.callTimeout)
		defer cancel()
	}
	return c.sender.Send(ctx, op, method, c.base+path, body, ok...)
}

// withoutAmbiguousRetries returns ctx carrying retry options under which a
// request is retried only after HTTP 429, when the service has certainly not
// acted on it. Requests that are not idempotent use it, so that a retry never
// repeats an action the service may already have taken.
func (c *Client) withoutAmbiguousRetries(ctx context.Context) context.Context {
	retry := c.retry
	retry.ShouldRetry = func(resp *http.Response, err error) bool {
		return err == nil && resp.StatusCode == http.StatusTooManyRequests
	}
	return policy.WithRetryOptions(ctx, retry)
}

// maxPages bounds the pages of one listing: 10,000 items, far more than a tenant has of streams or
// SIEM agents, so that a service that keeps reporting more cannot keep the provider paging forever.
const maxPages = 100

// listAll pages through a list of the items named noun, with skip and limit=100 while the service
// reports more: page fetches the page of a query and says whether more follow. It stops with an error,
// instead of paging forever, when a page repeats an item of an earlier one (by id), when the service
// reports more after an empty page, and after maxPages pages.
func listAll[T any](op, noun string, id func(T) string, page func(query string) ([]T, bool, error)) ([]T, error) {
	var all []T
	seen := map[string]bool{}
	for skip, pages := 0, 0; ; pages++ {
		if pages == maxPages {
			return nil, fmt.Errorf("%s: the service still reported more %ss after %d pages (%d %ss); try again later", op, noun, pages, len(all), noun)
		}
		items, hasNext, err := page(url.Values{"skip": {strconv.Itoa(skip)}, "limit": {strconv.Itoa(pageSize)}}.Encode())
		if err != nil {
			return nil, err
		}
		for _, item := range items {
			key := id(item)
			if key == "" {
				continue
			}
			if seen[key] {
				return nil, fmt.Errorf("%s: the page at skip %d repeats %s %q of an earlier page, so the list would never end; try again later", op, skip, noun, key)
			}
			seen[key] = true
		}
		all = append(all, items...)
		if !hasNext {
			return all, nil
		}
		if len(items) == 0 {
			return nil, fmt.Errorf("%s: the service reported more %ss after %d but sent an empty page", op, noun, skip)
		}
		skip += len(items)
	}
}

// decodePage decodes one page of a list of the items named noun, for [listAll]: a bare JSON array, or
// a JSON object with the list under the first of fields that it holds and is not null, and a boolean
// "hasNext" that says whether more pages follow (absent or null: none). Field names match exactly.
// Which fields each list accepts, and why, is said at the list's method.
func decodePage[T any](op string, resp *http.Response, noun string, fields ...string) (items []T, hasNext bool, err error) {
	var doc json.RawMessage
	if err := pipeline.DecodeJSON(op, resp, &doc); err != nil {
		return nil, false, err
	}
	list := doc
	if bytes.TrimSpace(doc)[0] == '{' {
		var envelope map[string]json.RawMessage
		if err := json.Unmarshal(doc, &envelope); err != nil {
			return nil, false, fmt.Errorf("%s: the HTTP %d answer is malformed JSON: %w", op, resp.StatusCode, err)
		}
		i := slices.IndexFunc(fields, func(field string) bool { return envelope[field] != nil && string(envelope[field]) != "null" })
		if i < 0 {
			return nil, false, fmt.Errorf("%s: the HTTP %d answer holds no %s list: it is a JSON object without a list in %q, and not an array", op, resp.StatusCode, noun, fields)
		}
		list = envelope[fields[i]]
		if raw, ok := envelope["hasNext"]; ok && json.Unmarshal(raw, &hasNext) != nil {
			return nil, false, fmt.Errorf("%s: the HTTP %d answer's \"hasNext\" is %s, not true or false", op, resp.StatusCode, pipeline.Snippet(raw, 40))
		}
	}
	if err := json.Unmarshal(list, &items); err != nil {
		return nil, false, fmt.Errorf("%s: the HTTP %d answer does not hold a valid list of %ss: %w", op, resp.StatusCode, noun, err)
	}
	return items, hasNext, nil
}

func validateAgentID(op, id string) error {
	if !agentIDPattern.MatchString(id) {
		return fmt.Errorf("%s: agent id %q is not a 24-character hexadecimal id", op, id)
	}
	return nil
}

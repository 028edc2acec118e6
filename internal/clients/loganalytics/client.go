// Package loganalytics is the Log Analytics query client of the provider: it counts what the
// Defender for Cloud Apps - Microsoft Sentinel integration wrote into a workspace, the discovery logs
// in McasShadowItReporting and the alerts in SecurityAlert.
//
// The client is built on the Azure SDK's Log Analytics query module (azlogs), so the bearer token
// (scope audience + "/.default"), retries (408, 429 and 5xx, honouring Retry-After) and telemetry come
// from azcore. Its queries are fixed KQL text with only validated values in it, one query per table.
// An answer with an unexpected status is an [Error], the clients' common error type, classified by
// [IsForbidden], [IsUnauthorized], [IsThrottled] and [IsNotFound] for this service's answers only.
//
// The query API allows a user 200 queries per 30 seconds and 5 at once, and answers HTTP 429 past
// that. The default retries wait long enough for a 30
// second window to pass.
package loganalytics

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/monitor/query/azlogs"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/httplog"
	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/internal/pipeline"
)

// LogSubsystem is the tflog subsystem into which the client logs its HTTP traffic.
const LogSubsystem = "loganalytics"

// ServiceName names the service in error messages and in the clients' common error.
const ServiceName = "the Log Analytics query API"

// Default retry settings, used for the fields the caller leaves zero. The service counts 200 queries
// per user in 30 seconds, and we know of no Retry-After it sends; azcore waits (2^n-1) times the
// delay, jittered and capped, so the waits (about 2, 6, 14 and 30 seconds) add up to more than that
// window.
const (
	DefaultMaxRetries    = 4
	DefaultRetryDelay    = 2 * time.Second
	DefaultMaxRetryDelay = 30 * time.Second
)

// DefaultCallTimeout bounds a call whose caller sets no deadline, such as a data source read.
const DefaultCallTimeout = 5 * time.Minute

// Options configures a [Client].
type Options struct {
	// Endpoint is the query endpoint of the cloud without the API version, such as
	// https://api.loganalytics.io; requests go to Endpoint + "/v1/workspaces/{id}/query".
	Endpoint string
	// Audience is the resource the tokens are requested for (scope Audience + "/.default"); empty
	// means Endpoint, as for every Azure cloud.
	Audience string
	// Credential obtains Microsoft Entra tokens.
	Credential azcore.TokenCredential
	// ClientOptions configure the pipeline: Transport, Retry, Telemetry and policies. Zero Retry
	// fields take the Default* values of this package; Cloud is set by the client.
	ClientOptions policy.ClientOptions
	// CallTimeout bounds each call whose context has no deadline; zero means [DefaultCallTimeout].
	CallTimeout time.Duration
}

// Client queries Log Analytics workspaces. It is safe for concurrent use.
type Client struct {
	logs        *azlogs.Client
	callTimeout time.Duration
	now         func() time.Time
}

// NewClient validates opts and builds a client.
func NewClient(opts Options) (*Client, error) {
	if opts.Credential == nil {
		return nil, errors.New("creating the Log Analytics client: no credential was given; configure one of the provider's Microsoft Entra ID authentication methods")
	}
	endpoint, err := checkEndpoint(opts.Endpoint)
	if err != nil {
		return nil, err
	}
	audience := strings.TrimSuffix(strings.TrimSpace(opts.Audience), "/")
	if audience == "" {
		audience = endpoint
	}
	clientOptions := pipeline.ClientOptions(opts.ClientOptions,
		policy.RetryOptions{MaxRetries: DefaultMaxRetries, RetryDelay: DefaultRetryDelay, MaxRetryDelay: DefaultMaxRetryDelay})
	clientOptions.PerRetryPolicies = append(clientOptions.PerRetryPolicies,
		httplog.NewPolicy(LogSubsystem, httplog.Options{}), pipeline.NewLastResponsePolicy())
	clientOptions.Cloud = cloud.Configuration{
		ActiveDirectoryAuthorityHost: opts.ClientOptions.Cloud.ActiveDirectoryAuthorityHost,
		Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
			azlogs.ServiceName: {Endpoint: endpoint + "/v1", Audience: audience},
		},
	}
	logs, err := azlogs.NewClient(opts.Credential, &azlogs.ClientOptions{ClientOptions: clientOptions})
	if err != nil {
		return nil, fmt.Errorf("creating the Log Analytics client: %w", err)
	}
	callTimeout := opts.CallTimeout
	if callTimeout <= 0 {
		callTimeout = DefaultCallTimeout
	}
	return &Client{logs: logs, callTimeout: callTimeout, now: time.Now}, nil
}

// checkEndpoint checks the endpoint, the base URL of the query API, and returns it without a trailing
// slash.
func checkEndpoint(raw string) (string, error) {
	const expected = "give the Log Analytics query endpoint of the cloud, such as https://api.loganalytics.io"
	if strings.TrimSpace(raw) == "" {
		return "", fmt.Errorf("creating the Log Analytics client: the endpoint is empty; %s", expected)
	}
	endpoint, err := pipeline.ParseBaseURL(strings.TrimSpace(raw), expected)
	if err != nil {
		return "", fmt.Errorf("creating the Log Analytics client: the endpoint %w", err)
	}
	return endpoint, nil
}

// CloudEndpoint returns the query endpoint, without the API version, that a cloud configuration holds
// for the query API: the SDK registers it for azcore's built-in clouds. It is empty for a
// configuration without it, such as a custom one.
func CloudEndpoint(c cloud.Configuration) string {
	return strings.TrimSuffix(strings.TrimSuffix(c.Services[azlogs.ServiceName].Endpoint, "/"), "/v1")
}

// query checks the lookback and the workspace, runs one query against the workspace over the last
// lookback and returns its first table with what the service said about it. A workspace that does
// not have the table is no error: the table is nil and the answer says it is missing.
func (c *Client) query(ctx context.Context, op, workspace, table, kql string, lookback time.Duration) (*azlogs.Table, Answer, error) {
	if err := CheckLookback(lookback); err != nil {
		return nil, Answer{}, fmt.Errorf("%s: the lookback %w", op, err)
	}
	if err := checkWorkspace(workspace); err != nil {
		return nil, Answer{}, fmt.Errorf("%s: %w", op, err)
	}
	if _, hasDeadline := ctx.Deadline(); !hasDeadline {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.callTimeout)
		defer cancel()
	}
	var raw *http.Response
	ctx, last := pipeline.WithLastResponse(policy.WithCaptureResponse(ctx, &raw))
	timespan := azlogs.TimeInterval(isoDuration(lookback))
	resp, err := c.logs.QueryWorkspace(ctx, workspace, azlogs.QueryBody{Query: &kql, Timespan: &timespan}, nil)
	var respErr *azcore.ResponseError
	switch {
	case errors.As(err, &respErr):
		e := newError(op, workspace, respErr.RawResponse)
		if tableMissing(e, table) {
			return nil, Answer{AnsweredAt: c.answerTime(respErr.RawResponse), TableMissing: true}, nil
		}
		return nil, Answer{}, e
	case err != nil && raw != nil && raw.StatusCode == http.StatusOK:
		// The answer came but is not a query result; say what it was in the words of DecodeJSON.
		var doc map[string]any
		if decodeErr := pipeline.DecodeJSON(op+" of workspace "+workspace, raw, &doc); decodeErr != nil {
			return nil, Answer{}, decodeErr
		}
		return nil, Answer{}, fmt.Errorf("%s of workspace %s: the HTTP 200 answer is not a query result: %w", op, workspace, err)
	case err != nil:
		sendErr := &pipeline.SendError{Operation: op + " of workspace " + workspace, Service: ServiceName, Err: err}
		if resp := last(); resp != nil {
			sendErr.Last = newError(op, workspace, resp)
		}
		return nil, Answer{}, sendErr
	}
	if len(resp.Tables) == 0 {
		return nil, Answer{}, fmt.Errorf("%s of workspace %s: the answer holds no table; expected the query's PrimaryResult", op, workspace)
	}
	a := Answer{AnsweredAt: c.answerTime(raw)}
	if resp.Error != nil {
		a.Partial = newPartialError(resp.Error)
	}
	return &resp.Tables[0], a, nil
}

// answerTime returns the service's time of an answer, from its Date header, or the client's clock
// when the answer has none.
func (c *Client) answerTime(resp *http.Response) time.Time {
	if resp != nil {
		if at, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
			return at.UTC()
		}
	}
	return c.now().UTC()
}

// checkWorkspace checks a workspace customer id, a GUID.
func checkWorkspace(id string) error {
	if !pipeline.GUIDPattern.MatchString(id) {
		return fmt.Errorf("the workspace id %q is not the workspace's customer id (a GUID such as 00000000-0000-0000-0000-000000000000, the \"Workspace ID\" of the portal)", pipeline.Snippet([]byte(id), 80))
	}
	return nil
}

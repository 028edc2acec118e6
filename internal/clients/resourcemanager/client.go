// Package resourcemanager is the Azure Resource Manager client of the
// provider: Log Analytics workspaces, the Microsoft Sentinel onboarding
// state and Microsoft Sentinel data connectors.
//
// The client is built on azcore's arm.Client, so the endpoint and the token
// audience come from the cloud configuration, and retries (408, 429 and 5xx,
// honouring Retry-After and retry-after-ms), bearer tokens and telemetry come
// from the SDK. Every answer that is not a success becomes an [*Error], the
// error type that every service client shares through their pipeline package,
// classified by [IsNotFound] (and the other functions of the cloudapps
// package, which hold for every client). Errors say what the service
// answered and never name Terraform attributes; the provider adds what to do.
// The ids of workspaces and data connectors, and their rules, are
// [ParseWorkspaceID], [ParseDataConnectorID] and [ValidateConnectorName].
package resourcemanager

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/httplog"
	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/internal/pipeline"
)

const (
	// SecurityInsightsAPIVersion is the Microsoft.SecurityInsights API
	// version used for onboarding states and data connectors.
	SecurityInsightsAPIVersion = "2024-03-01"
	// WorkspacesAPIVersion is the Microsoft.OperationalInsights API version
	// used for workspaces.
	WorkspacesAPIVersion = "2022-10-01"
	// KindCloudAppSecurity is the data connector kind of Microsoft Defender
	// for Cloud Apps.
	KindCloudAppSecurity = "MicrosoftCloudAppSecurity"
)

// LogSubsystem is the tflog subsystem into which the client logs its HTTP
// traffic.
const LogSubsystem = "resourcemanager"

// ServiceName names the service in error messages and in [Error].Service.
const ServiceName = "Azure Resource Manager"

// Client calls Azure Resource Manager. It is safe for concurrent use.
type Client struct {
	endpoint *url.URL
	base     string
	sender   pipeline.Client
}

// NewClient builds a client on azcore's arm.NewClient. The endpoint and the
// token audience come from options.Cloud (the cloud.ResourceManager service;
// Azure public cloud when options or options.Cloud is empty). Resource
// provider registration is disabled, and the HTTP traffic is logged through
// tflog in the subsystem [LogSubsystem]. options may be nil.
func NewClient(cred azcore.TokenCredential, options *arm.ClientOptions) (*Client, error) {
	if cred == nil {
		return nil, errors.New("creating the Azure Resource Manager client: no credential was given; configure one of the provider's authentication methods")
	}
	opts := options.Clone()
	if opts == nil {
		opts = &arm.ClientOptions{}
	}
	opts.DisableRPRegistration = true
	opts.PerRetryPolicies = append(opts.PerRetryPolicies,
		httplog.NewPolicy(LogSubsystem, httplog.Options{}),
		pipeline.NewLastResponsePolicy(),
	)
	client, err := arm.NewClient(pipeline.ModuleName, pipeline.ModuleVersion(), cred, opts)
	if err != nil {
		return nil, fmt.Errorf("creating the Azure Resource Manager client: %w; the cloud configuration needs a Resource Manager endpoint and audience", err)
	}
	endpoint, err := url.Parse(client.Endpoint())
	if err != nil || !endpoint.IsAbs() || endpoint.Host == "" {
		return nil, fmt.Errorf("creating the Azure Resource Manager client: endpoint %q is not an absolute URL; expected for example https://management.azure.com", client.Endpoint())
	}
	endpoint.RawQuery = ""
	endpoint.Fragment = ""
	sender := pipeline.Client{Service: ServiceName, Pipeline: client.Pipeline(), Message: errorMessage}
	return &Client{endpoint: endpoint, base: strings.TrimSuffix(endpoint.String(), "/"), sender: sender}, nil
}

// Workspace is a Log Analytics workspace.
type Workspace struct {
	// ID is the workspace's Azure Resource Manager ID.
	ID string
	// Name is the workspace name.
	Name string
	// Location is the Azure region.
	Location string
	// CustomerID is the workspace GUID (the portal's "Workspace ID") that
	// the Log Analytics query API takes.
	CustomerID string
}

// GetWorkspace reads a Log Analytics workspace.
func (c *Client) GetWorkspace(ctx context.Context, id WorkspaceID) (*Workspace, error) {
	var body struct {
		ID         string `json:"id"`
		Name       string `json:"name"`
		Location   string `json:"location"`
		Properties struct {
			CustomerID string `json:"customerId"`
		} `json:"properties"`
	}
	if err := c.get(ctx, "reading Log Analytics workspace", id, "", WorkspacesAPIVersion, &body); err != nil {
		return nil, err
	}
	return &Workspace{ID: body.ID, Name: body.Name, Location: body.Location, CustomerID: body.Properties.CustomerID}, nil
}

// SentinelOnboarded reports whether Microsoft Sentinel is enabled on the
// workspace: it reads the onboarding state "default", which exists (200)
// when Sentinel is enabled and is absent (404) when it is not.
func (c *Client) SentinelOnboarded(ctx context.Context, id WorkspaceID) (bool, error) {
	// Only the onboarding state document counts, not any page a proxy answers with 200.
	var state struct {
		ID string `json:"id"`
	}
	err := c.get(ctx, "reading the Microsoft Sentinel onboarding state of workspace", id,
		"/providers/"+dataConnectorsNamespace+"/onboardingStates/default", SecurityInsightsAPIVersion, &state)
	switch {
	case err == nil:
		return true, nil
	case IsNotFound(err):
		return false, nil
	default:
		return false, err
	}
}

// GetDataConnector reads a data connector of any kind. When the connector
// does not exist the error satisfies [IsNotFound].
func (c *Client) GetDataConnector(ctx context.Context, id DataConnectorID) (*DataConnector, error) {
	var dc DataConnector
	if err := c.get(ctx, "reading data connector", id, "", SecurityInsightsAPIVersion, &dc); err != nil {
		return nil, err
	}
	return &dc, nil
}

// resourceID is the id of a resource the client reads: it checks itself and
// names the resource's path.
type resourceID interface {
	String() string
	path() string
	validate() error
}

// get reads subpath of the resource id and decodes the JSON answer into v;
// its errors name op and the id.
func (c *Client) get(ctx context.Context, op string, id resourceID, subpath, apiVersion string, v any) error {
	resp, err := c.send(ctx, op, id, http.MethodGet, c.url(id.path()+subpath, apiVersion), nil, http.StatusOK)
	if err != nil {
		return err
	}
	return pipeline.DecodeJSON(op+" "+id.String(), resp, v)
}

// PutDataConnector creates (201) or updates (200) a data connector with a
// full body made of dc's Kind and Properties; no etag is sent.
func (c *Client) PutDataConnector(ctx context.Context, id DataConnectorID, dc DataConnector) (*DataConnector, error) {
	const op = "creating or updating data connector"
	if dc.Kind == "" {
		return nil, fmt.Errorf("%s %s: the connector has no kind; set Kind, for example to %q", op, id, KindCloudAppSecurity)
	}
	if len(dc.Properties) == 0 {
		return nil, fmt.Errorf("%s %s: the connector has no properties; the service needs the full body of kind %q", op, id, dc.Kind)
	}
	body := struct {
		Kind       string          `json:"kind"`
		Properties json.RawMessage `json:"properties"`
	}{Kind: dc.Kind, Properties: dc.Properties}
	resp, err := c.send(ctx, op, id, http.MethodPut, c.url(id.path(), SecurityInsightsAPIVersion), body, http.StatusOK, http.StatusCreated)
	if err != nil {
		return nil, err
	}
	var out DataConnector
	if err := pipeline.DecodeJSON(op+" "+id.String(), resp, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteDataConnector deletes a data connector. When the connector does not
// exist the error satisfies [IsNotFound].
func (c *Client) DeleteDataConnector(ctx context.Context, id DataConnectorID) error {
	const op = "deleting data connector"
	resp, err := c.send(ctx, op, id, http.MethodDelete, c.url(id.path(), SecurityInsightsAPIVersion), nil, http.StatusOK, http.StatusNoContent)
	if err != nil {
		return err
	}
	return pipeline.CheckOptionalJSON(op+" "+id.String(), resp)
}

// ListDataConnectors returns every data connector of the workspace, of
// every kind, following nextLink from page to page.
func (c *Client) ListDataConnectors(ctx context.Context, ws WorkspaceID) ([]DataConnector, error) {
	const op = "listing the data connectors of workspace"
	next := c.url(ws.path()+"/providers/"+dataConnectorsNamespace+"/"+dataConnectorsType, SecurityInsightsAPIVersion)
	seen := map[string]bool{}
	var all []DataConnector
	for next != "" {
		seen[next] = true
		resp, err := c.send(ctx, op, ws, http.MethodGet, next, nil, http.StatusOK)
		if err != nil {
			return nil, err
		}
		var page struct {
			Value    *[]DataConnector `json:"value"`
			NextLink string           `json:"nextLink"`
		}
		if err := pipeline.DecodeJSON(op+" "+ws.String(), resp, &page); err != nil {
			return nil, err
		}
		if page.Value == nil {
			return nil, fmt.Errorf("%s %s: the HTTP %d answer has no \"value\" array; expected a list of data connectors", op, ws, resp.StatusCode)
		}
		all = append(all, *page.Value...)
		if next, err = c.nextLink(page.NextLink); err != nil {
			return nil, fmt.Errorf("%s %s: %w", op, ws, err)
		}
		if seen[next] {
			return nil, fmt.Errorf("%s %s: the service returned nextLink %q again, which would page forever", op, ws, next)
		}
	}
	return all, nil
}

// nextLink checks a nextLink before following it: it must point at the
// client's own endpoint, so that the bearer token is never sent elsewhere.
// It returns the link with the api-version added when it lacks one.
func (c *Client) nextLink(link string) (string, error) {
	if link == "" {
		return "", nil
	}
	u, err := url.Parse(link)
	if err != nil {
		return "", fmt.Errorf("the service returned a nextLink that is not a URL: %w", err)
	}
	if !u.IsAbs() {
		u = c.endpoint.ResolveReference(u)
	}
	if !sameOrigin(u, c.endpoint) {
		return "", fmt.Errorf("refusing to follow nextLink to %s://%s, which is not the Resource Manager endpoint %s", u.Scheme, u.Host, c.endpoint.Redacted())
	}
	query := u.Query()
	if query.Get("api-version") == "" {
		query.Set("api-version", SecurityInsightsAPIVersion)
		u.RawQuery = query.Encode()
	}
	return u.String(), nil
}

// sameOrigin reports whether two absolute URLs have the same scheme, host and port, where a URL
// without a port has its scheme's default one: some Resource Manager providers write nextLink as
// https://management.azure.com:443/..., which is the endpoint https://management.azure.com.
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Hostname(), b.Hostname()) && portOf(a) == portOf(b)
}

// portOf returns the port of an absolute URL, or its scheme's default port when it names none.
func portOf(u *url.URL) string {
	if port := u.Port(); port != "" {
		return port
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return "443"
	case "http":
		return "80"
	}
	return ""
}

// url returns the absolute request URL of an escaped path.
func (c *Client) url(path, apiVersion string) string {
	return c.base + path + "?api-version=" + url.QueryEscape(apiVersion)
}

// send checks the id of the resource concerned, then sends one request (see [pipeline.Client.Send])
// about that resource; its errors name op and the id.
func (c *Client) send(ctx context.Context, op string, id resourceID, method, rawURL string, body any, ok ...int) (*http.Response, error) {
	if err := id.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return c.sender.Send(ctx, op+" "+id.String(), method, rawURL, body, ok...)
}

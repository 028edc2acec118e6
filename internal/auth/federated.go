package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// federatedAudience is the audience Microsoft Entra ID expects on federated tokens.
const federatedAudience = "api://AzureADTokenExchange"

// staticAssertion returns a token given in the configuration. It cannot be renewed, so a pipeline
// that runs longer than the token lives should use a token file or a request endpoint instead.
func staticAssertion(token string) func(context.Context) (string, error) {
	return func(context.Context) (string, error) { return token, nil }
}

// fileAssertion reads the token file at every token exchange, so a file that the platform rotates
// (Kubernetes workload identity, a pipeline step) always yields a fresh token.
func fileAssertion(path string) func(context.Context) (string, error) {
	return func(context.Context) (string, error) {
		data, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("reading the federated token file: %w", err)
		}
		token := strings.TrimSpace(string(data))
		if token == "" {
			return "", fmt.Errorf("the federated token file %s is empty", path)
		}
		return token, nil
	}
}

// requestAssertion asks a GitHub Actions style endpoint for a new federated token at every token
// exchange: GET <url>&audience=api://AzureADTokenExchange with the request token as a bearer token,
// answered by {"value": "<token>"}.
func requestAssertion(requestURL, requestToken string, transport policy.Transporter) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		u, err := url.Parse(requestURL)
		if err != nil {
			return "", fmt.Errorf("the federated token request URL is not a valid URL: %w", err)
		}
		q := u.Query()
		q.Set("audience", federatedAudience)
		u.RawQuery = q.Encode()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return "", fmt.Errorf("building the federated token request: %w", err)
		}
		req.Header.Set("Authorization", "Bearer "+requestToken)
		req.Header.Set("Accept", "application/json")
		var resp *http.Response
		if transport != nil {
			resp, err = transport.Do(req)
		} else {
			resp, err = http.DefaultClient.Do(req)
		}
		if err != nil {
			return "", fmt.Errorf("requesting a federated token from %s: %w", u.Host, err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if err != nil {
			return "", fmt.Errorf("reading the federated token response from %s: %w", u.Host, err)
		}
		if resp.StatusCode != http.StatusOK {
			return "", fmt.Errorf("the federated token endpoint %s answered HTTP %d; check oidc_request_url and oidc_request_token (in GitHub Actions the job needs `permissions: id-token: write`)", u.Host, resp.StatusCode)
		}
		var payload struct {
			Value string `json:"value"`
		}
		if err := json.Unmarshal(body, &payload); err != nil || payload.Value == "" {
			return "", errors.New("the federated token endpoint answered without a token in its \"value\" field")
		}
		return payload.Value, nil
	}
}

package provider

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/fakeapi"
)

// Timing of the long apply tests: federated and access tokens live for tokenLife, a token file is
// rewritten every rotation, and one call of each operation takes slowCall, longer than a federated
// token read just before it lives.
const (
	tokenLife = 2 * time.Second
	rotation  = 500 * time.Millisecond
	slowCall  = tokenLife + rotation + 500*time.Millisecond
)

var tokenExchange = regexp.MustCompile(`^/[^/]+/oauth2/v2\.0/token$`)

// findRequest returns the first recorded request after from with the method and a path matching pattern.
func findRequest(requests []fakeapi.Request, from time.Time, method, pattern string) (fakeapi.Request, bool) {
	re := regexp.MustCompile(pattern)
	for _, r := range requests {
		if !r.Time.Before(from) && r.Method == method && re.MatchString(r.Path) {
			return r, true
		}
	}
	return fakeapi.Request{}, false
}

// expectFreshToken checks what happens around the slow call of an operation (method and path pattern
// of slow, then of next, the call that follows it in the same operation): the slow call and next
// succeeded, and between the end of the slow call and next the provider exchanged a federated token for
// an access token again, successfully (and, when requestPattern is set, asked the federated token
// endpoint again first). The slow call outlasts both the access token and a federated token obtained
// before it, so next needs a new access token, and the fake refuses an expired federated token: only a
// credential that re-reads or re-requests its federated token gets past this point. Every token
// exchange of the whole test must have succeeded.
func expectFreshToken(srv *fakeapi.Server, slow, next [2]string, requestPattern string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		requests := srv.Requests()
		s, ok := findRequest(requests, time.Time{}, slow[0], slow[1])
		if !ok || s.Status >= 300 {
			return fmt.Errorf("the slow call %s %s was not seen or failed (status %d)", slow[0], slow[1], s.Status)
		}
		slowEnd := s.Time.Add(slowCall)
		n, ok := findRequest(requests, slowEnd, next[0], next[1])
		if !ok || n.Status >= 300 {
			return fmt.Errorf("the call %s %s after the slow call was not seen or failed (status %d)", next[0], next[1], n.Status)
		}
		var exchanged, requested bool
		for _, r := range requests {
			if r.Method == "POST" && tokenExchange.MatchString(r.Path) {
				if r.Status != 200 {
					return fmt.Errorf("a token exchange at %s was refused with status %d", r.Time.Format(time.StampMilli), r.Status)
				}
				exchanged = exchanged || (!r.Time.Before(slowEnd) && r.Time.Before(n.Time))
			}
			if requestPattern != "" && strings.Contains(r.Path, requestPattern) && r.Status == 200 {
				requested = requested || (!r.Time.Before(slowEnd) && r.Time.Before(n.Time))
			}
		}
		if !exchanged {
			return fmt.Errorf("no token exchange between the end of %s %s and %s %s, which needed a new access token", slow[0], slow[1], next[0], next[1])
		}
		if requestPattern != "" && !requested {
			return fmt.Errorf("the federated token endpoint was not asked again between the end of %s %s and %s %s", slow[0], slow[1], next[0], next[1])
		}
		return nil
	}
}

// slowFault returns a PreConfig that resets the request log and makes the next call with the method and
// path pattern take slowCall.
func slowFault(t *testing.T, srv *fakeapi.Server, method, pattern string) func() {
	return func() {
		srv.ResetRequests()
		if _, err := srv.InjectFault(fakeapi.Fault{Method: method, PathPattern: pattern, Latency: slowCall}); err != nil {
			t.Fatalf("injecting the slow call: %v", err)
		}
	}
}

// TestAccProviderAuth_longApply shows that a federated token expiring while an operation runs does not
// fail it: access and federated tokens live for two seconds, one call of the create, the update and
// the delete takes longer than that, and the call after it succeeds because the credential reads the
// rotated token file again, or asks the token request endpoint again, for its next token exchange.
func TestAccProviderAuth_longApply(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		// auth returns the authentication attributes, and the path of the token request endpoint
		// when the credential asks one.
		auth func(t *testing.T, srv *fakeapi.Server, info fakeapi.TenantInfo) (string, string)
	}{
		{
			name: "token file",
			auth: func(t *testing.T, srv *fakeapi.Server, info fakeapi.TenantInfo) (string, string) {
				file := filepath.Join(t.TempDir(), "token")
				rotateFederatedToken(t, srv, info.Name, file, tokenLife, rotation)
				return fmt.Sprintf("client_id = %q\noidc_token_file_path = %q", info.ClientID, file), ""
			},
		},
		{
			name: "token request endpoint",
			auth: func(_ *testing.T, srv *fakeapi.Server, info fakeapi.TenantInfo) (string, string) {
				return fmt.Sprintf("client_id = %q\nuse_oidc = true\noidc_request_url = %q\noidc_request_token = %q",
					info.ClientID, srv.GitHubRequestURL(info.Name), srv.GitHubRequestToken()), "/oidc/github/token"
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := authFakeOptions
			opts.TokenLifetime, opts.FederatedTokenLifetime = tokenLife, tokenLife
			srv := startFake(t, opts)
			info := tenantInfo(t, srv, "contoso")
			auth, requestPattern := tc.auth(t, srv, info)
			config := func(body string) string {
				return authProviderBlock(srv, info, auth+"\nuse_cli = false") + fmt.Sprintf(`
resource "mcas_sentinel_integration" "test" {
  workspace_id = %q
%s
}
`, info.WorkspaceID, indent(body))
			}
			agents := `^/mcas/` + info.Name + `/api/v1/agents/siem/`
			connector := `/dataConnectors/` + info.TenantID + `$`
			f := &integrationFixture{t: t, srv: srv, info: info}
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: factories(srv),
				Steps: []resource.TestStep{
					{
						PreConfig: slowFault(t, srv, "POST", agents+`$`),
						Config:    config(""),
						Check: resource.ComposeAggregateTestCheckFunc(
							expectFreshToken(srv, [2]string{"POST", agents + `$`}, [2]string{"PUT", connector}, requestPattern),
							f.expectServer(true, true),
						),
					},
					{
						PreConfig: slowFault(t, srv, "PUT", agents+`[0-9a-f]{24}/$`),
						Config:    config("discovery_logs = { enabled = false }"),
						Check: resource.ComposeAggregateTestCheckFunc(
							expectFreshToken(srv, [2]string{"PUT", agents + `[0-9a-f]{24}/$`}, [2]string{"PUT", connector}, requestPattern),
							f.expectServer(true, false),
						),
					},
					{
						PreConfig: slowFault(t, srv, "DELETE", connector),
						Config:    config("discovery_logs = { enabled = false }"),
						Destroy:   true,
						Check: resource.ComposeAggregateTestCheckFunc(
							expectFreshToken(srv, [2]string{"DELETE", connector}, [2]string{"DELETE", agents + `[0-9a-f]{24}/$`}, requestPattern),
							f.expectNothingLeft(),
						),
					},
				},
			})
		})
	}
}

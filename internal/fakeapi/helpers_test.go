package fakeapi

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// startServer starts a server for one test and closes it when the test ends.
func startServer(t *testing.T, opts Options) *Server {
	t.Helper()
	if opts.Logf == nil {
		opts.Logf = t.Logf
	}
	s, err := Start(opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// mustTenant returns the connection facts of a tenant.
func mustTenant(t *testing.T, s *Server, name string) TenantInfo {
	t.Helper()
	info, ok := s.Tenant(name)
	if !ok {
		t.Fatalf("tenant %q is unknown", name)
	}
	return info
}

// accessToken mints an access token of the tenant's first app for a resource, without the token endpoint.
func accessToken(t *testing.T, s *Server, tenantName, resource string) string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	tn := s.tenantByName(tenantName)
	if tn == nil {
		t.Fatalf("tenant %q is unknown", tenantName)
	}
	token, err := s.issueAccessToken(tn, tn.apps[0].clientID, tn.apps[0].objectID, resource)
	if err != nil {
		t.Fatalf("issueAccessToken: %v", err)
	}
	return token
}

// response is a completed HTTP exchange.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request with an optional Authorization header and JSON (or raw []byte) body.
func do(t *testing.T, s *Server, method, url, authorization string, body any) response {
	t.Helper()
	var reader io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		reader = bytes.NewReader(b)
	case string:
		reader = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("encoding the request body: %v", err)
		}
		reader = bytes.NewReader(raw)
	}
	if strings.HasPrefix(url, "/") {
		url = s.URL() + url
	}
	req, err := http.NewRequest(method, url, reader)
	if err != nil {
		t.Fatalf("building the request: %v", err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	if reader != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := s.HTTPClient().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("reading the response of %s %s: %v", method, url, err)
	}
	return response{status: res.StatusCode, header: res.Header, body: raw}
}

// object decodes the body as a JSON object.
func (r response) object(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("the body is not a JSON object: %v\n%s", err, r.body)
	}
	return m
}

// armCode returns error.code of a Resource Manager error body.
func (r response) armCode(t *testing.T) string {
	t.Helper()
	e, _ := r.object(t)["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

// armMessage returns error.message of a Resource Manager error body.
func (r response) armMessage(t *testing.T) string {
	t.Helper()
	e, _ := r.object(t)["error"].(map[string]any)
	msg, _ := e["message"].(string)
	return msg
}

// detail returns the detail of a Cloud Apps error body.
func (r response) detail(t *testing.T) string {
	t.Helper()
	d, _ := r.object(t)["detail"].(string)
	return d
}

// expectStatus fails the test unless the response has the status.
func (r response) expectStatus(t *testing.T, want int) response {
	t.Helper()
	if r.status != want {
		t.Fatalf("status = %d, want %d; body: %s", r.status, want, r.body)
	}
	return r
}

// bearer returns an Authorization header value.
func bearer(token string) string { return "Bearer " + token }

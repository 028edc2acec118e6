package fakeapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// Kinds of the credentials a CredentialRecorder sees.
const (
	// CredentialAccessToken is an access token the Microsoft Entra token endpoint issued.
	CredentialAccessToken = "access token"
	// CredentialFederatedToken is a federated token the OIDC request endpoint handed out.
	CredentialFederatedToken = "federated token"
	// CredentialClientSecret is a client secret sent to the token endpoint.
	CredentialClientSecret = "client secret"
	// CredentialClientAssertion is a client assertion (a certificate-signed or federated JWT) sent to
	// the token endpoint.
	CredentialClientAssertion = "client assertion"
	// CredentialAuthorization is the credential of an Authorization header: a bearer token, a legacy
	// Cloud Apps API token or a token request bearer token.
	CredentialAuthorization = "authorization"
)

// Credential is one credential value that crossed the connection to the server.
type Credential struct {
	// Kind is one of the Credential* constants.
	Kind string
	// Value is the credential itself.
	Value string
}

// CredentialRecorder is an HTTP transport for clients of the server that remembers every credential
// crossing the connection: the access tokens the Microsoft Entra token endpoint issues, the federated
// tokens the OIDC request endpoint hands out, and the client secrets, client assertions and
// Authorization header credentials that clients send. Tests use it to look for these values where none
// may appear, such as logs and Terraform state. It is safe for concurrent use.
type CredentialRecorder struct {
	next http.RoundTripper

	mu   sync.Mutex
	seen []Credential
	have map[Credential]bool
}

// RecordCredentials returns a recorder that sends requests through the server's trusted transport.
func (s *Server) RecordCredentials() *CredentialRecorder {
	return &CredentialRecorder{next: s.transport, have: map[Credential]bool{}}
}

// HTTPClient returns a client that trusts the server and records through r.
func (r *CredentialRecorder) HTTPClient() *http.Client {
	return &http.Client{Transport: r}
}

// Credentials returns the distinct credentials seen so far, in the order they were first seen.
func (r *CredentialRecorder) Credentials() []Credential {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Credential{}, r.seen...)
}

// RoundTrip implements http.RoundTripper: it records the credentials of the request, sends it, and
// records the credentials of the answer. The answer's body stays readable for the caller.
func (r *CredentialRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.recordAuthorization(req.Header.Get("Authorization"))
	if req.Body != nil && req.Body != http.NoBody && isForm(req.Header.Get("Content-Type")) {
		body, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("fakeapi: reading the request body for credentials: %w", err)
		}
		r.recordForm(body)
		clone := req.Clone(req.Context())
		clone.Body = io.NopCloser(bytes.NewReader(body))
		clone.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		clone.ContentLength = int64(len(body))
		req = clone
	}
	resp, err := r.next.RoundTrip(req)
	if err != nil || resp.Body == nil || resp.Body == http.NoBody {
		return resp, err
	}
	body, readErr := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if readErr != nil {
		// The caller reads the same partial body and then the same failure.
		resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), errorReader{readErr}))
		return resp, nil //nolint:nilerr // The read error reaches the caller through the body, as it would have.
	}
	r.recordAnswer(req.URL.Path, body)
	return resp, nil
}

// recordAuthorization records the credential of an Authorization header value; for HTTP basic
// authentication (a client secret) it records the encoded pair and the decoded secret.
func (r *CredentialRecorder) recordAuthorization(header string) {
	scheme, credential, ok := strings.Cut(strings.TrimSpace(header), " ")
	credential = strings.TrimSpace(credential)
	if !ok || credential == "" {
		return
	}
	r.add(CredentialAuthorization, credential)
	if strings.EqualFold(scheme, "Basic") {
		if pair, err := base64.StdEncoding.DecodeString(credential); err == nil {
			if _, secret, found := strings.Cut(string(pair), ":"); found {
				if secret, err := url.QueryUnescape(secret); err == nil {
					r.add(CredentialClientSecret, secret)
				}
			}
		}
	}
}

// recordForm records the client secret and client assertion of a token request.
func (r *CredentialRecorder) recordForm(body []byte) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return
	}
	for _, v := range form["client_secret"] {
		r.add(CredentialClientSecret, v)
	}
	for _, v := range form["client_assertion"] {
		r.add(CredentialClientAssertion, v)
	}
}

// recordAnswer records the tokens of a token endpoint answer ({"access_token": ...}) and of an OIDC
// request endpoint answer ({"value": ...}).
func (r *CredentialRecorder) recordAnswer(path string, body []byte) {
	var doc map[string]any
	if json.Unmarshal(body, &doc) != nil {
		return
	}
	for _, field := range []string{"access_token", "refresh_token", "id_token"} {
		if v, ok := doc[field].(string); ok {
			r.add(CredentialAccessToken, v)
		}
	}
	if apiOf(path) == apiOIDC {
		if v, ok := doc["value"].(string); ok {
			r.add(CredentialFederatedToken, v)
		}
	}
}

// add records one credential unless it is empty or already known.
func (r *CredentialRecorder) add(kind, value string) {
	if value == "" {
		return
	}
	c := Credential{Kind: kind, Value: value}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.have[c] {
		r.have[c] = true
		r.seen = append(r.seen, c)
	}
}

// isForm reports whether a Content-Type is that of an HTML form, as token requests are.
func isForm(contentType string) bool {
	mediaType, _, err := mime.ParseMediaType(contentType)
	return err == nil && mediaType == "application/x-www-form-urlencoded"
}

// errorReader fails every read with err.
type errorReader struct{ err error }

// Read implements io.Reader.
func (e errorReader) Read([]byte) (int, error) { return 0, e.err }

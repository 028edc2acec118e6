package fakeapi

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// defaultFederatedTokenTTL is the default of Options.FederatedTokenLifetime, like GitHub's.
const defaultFederatedTokenTTL = 10 * time.Minute

// OIDCIssuer returns the issuer of the server's own OpenID Connect provider, which plays the
// pipeline (GitHub Actions, GitLab, Kubernetes) that hands out federated tokens: URL()+"/oidc".
func (s *Server) OIDCIssuer() string { return s.url + "/oidc" }

// GitHubRequestURL returns a GitHub-Actions-style token request URL (ACTIONS_ID_TOKEN_REQUEST_URL)
// that hands out federated tokens for a tenant; clients append &audience=api://AzureADTokenExchange.
func (s *Server) GitHubRequestURL(tenant string) string {
	return s.url + "/oidc/github/token?tenant=" + url.QueryEscape(tenant)
}

// GitHubRequestToken returns the bearer token (ACTIONS_ID_TOKEN_REQUEST_TOKEN) the GitHub request URL requires.
func (s *Server) GitHubRequestToken() string { return s.githubRequestToken }

// MintFederatedToken returns a federated token of the server's OIDC issuer with the subject and
// audience of the tenant's first federated credential that trusts this issuer. A ttl of 0 means
// Options.FederatedTokenLifetime (default ten minutes); a negative ttl returns a token that expired
// that long ago.
func (s *Server) MintFederatedToken(tenant string, ttl time.Duration) (string, error) {
	cred, err := s.defaultFederatedCredential(tenant)
	if err != nil {
		return "", err
	}
	return s.MintOIDCToken(cred.Subject, cred.Audience, ttl)
}

// defaultFederatedCredential returns the tenant's first federated credential that trusts this
// server's OIDC issuer.
func (s *Server) defaultFederatedCredential(tenant string) (FederatedCredential, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenantByName(tenant)
	if t == nil {
		return FederatedCredential{}, notFoundf("tenant %q is unknown; use one of the names TenantNames returns", tenant)
	}
	for _, a := range t.apps {
		for _, fc := range a.federated {
			if strings.EqualFold(s.federatedIssuer(fc), s.OIDCIssuer()) {
				return fc, nil
			}
		}
	}
	return FederatedCredential{}, fmt.Errorf("tenant %q has no app with a federated credential for issuer %s; add one to its AppSpec", tenant, s.OIDCIssuer())
}

// MintOIDCToken returns a token of the server's OIDC issuer with any subject and audience (empty
// means FederatedTokenAudience), for tests of mismatched federated credentials. ttl works as in
// MintFederatedToken.
func (s *Server) MintOIDCToken(subject, audience string, ttl time.Duration) (string, error) {
	if ttl == 0 {
		ttl = s.federatedTokenLifetime
	}
	now := time.Now()
	expires := now.Add(ttl)
	issued := now
	if ttl < 0 {
		issued = expires.Add(-defaultFederatedTokenTTL)
	}
	token := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"iss": s.OIDCIssuer(),
		"sub": subject,
		"aud": defaultString(audience, FederatedTokenAudience),
		"iat": issued.Unix(),
		"nbf": issued.Unix(),
		"exp": expires.Unix(),
		"jti": uuid.NewString(),
	})
	token.Header["kid"] = s.oidcKey.kid
	signed, err := token.SignedString(s.oidcKey.key)
	if err != nil {
		return "", fmt.Errorf("signing the federated token: %w", err)
	}
	return signed, nil
}

// serveOIDC serves the server's own OIDC provider: its metadata, its keys and the GitHub-Actions-style
// token request endpoint.
func (s *Server) serveOIDC(w http.ResponseWriter, r *http.Request) {
	switch strings.TrimSuffix(r.URL.Path, "/") {
	case "/oidc/.well-known/openid-configuration":
		if allowMethods(w, r, writeARMError, http.MethodGet) {
			writeJSON(w, http.StatusOK, map[string]any{
				"issuer":                                s.OIDCIssuer(),
				"jwks_uri":                              s.OIDCIssuer() + "/.well-known/jwks",
				"response_types_supported":              []string{"id_token"},
				"subject_types_supported":               []string{"public", "pairwise"},
				"id_token_signing_alg_values_supported": []string{"RS256"},
				"scopes_supported":                      []string{"openid"},
				"claims_supported":                      []string{"sub", "aud", "exp", "iat", "iss", "jti", "nbf"},
			})
		}
	case "/oidc/.well-known/jwks":
		if allowMethods(w, r, writeARMError, http.MethodGet) {
			writeJSON(w, http.StatusOK, s.oidcKey.jwks())
		}
	case "/oidc/github/token":
		if allowMethods(w, r, writeARMError, http.MethodGet) {
			s.serveGitHubToken(w, r)
		}
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found: the OIDC provider serves /.well-known/openid-configuration, /.well-known/jwks and /github/token."})
	}
}

// serveGitHubToken answers like GitHub Actions' ACTIONS_ID_TOKEN_REQUEST_URL.
func (s *Server) serveGitHubToken(w http.ResponseWriter, r *http.Request) {
	auth := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(token), []byte(s.githubRequestToken)) != 1 {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Bad credentials: send Authorization: Bearer <ACTIONS_ID_TOKEN_REQUEST_TOKEN>."})
		return
	}
	name := r.URL.Query().Get("tenant")
	s.mu.Lock()
	t := s.tenantByName(name)
	s.mu.Unlock()
	if t == nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": fmt.Sprintf("Unknown tenant %q in the tenant query parameter; use the URL GitHubRequestURL returns.", name)})
		return
	}
	cred, err := s.defaultFederatedCredential(t.name)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": err.Error()})
		return
	}
	value, err := s.MintOIDCToken(cred.Subject, defaultString(r.URL.Query().Get("audience"), cred.Audience), 0)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"count": 1, "value": value})
}

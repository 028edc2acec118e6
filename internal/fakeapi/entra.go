package fakeapi

import (
	"bytes"
	"crypto/rsa"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// clientAssertionType is the only client_assertion_type Microsoft Entra accepts.
const clientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// AzureCLIAppID is the application id of the Azure CLI, the appid claim of the tokens MintAccessToken
// returns.
const AzureCLIAppID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"

// accessTokenLeeway is how long after its exp claim Resource Manager and Cloud Apps still accept an
// access token. The real services allow several minutes of clock skew; a few seconds are enough here
// for a token that expires while its request is in flight, and keep expiry observable in tests.
const accessTokenLeeway = 5 * time.Second

// serveEntra serves /{tenant}/v2.0/.well-known/openid-configuration, /{tenant}/oauth2/v2.0/token and
// /{tenant}/discovery/v2.0/keys.
func (s *Server) serveEntra(w http.ResponseWriter, r *http.Request) {
	segments := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	tenantSegment := segments[0]
	s.mu.Lock()
	t := s.tenantByIDOrDomain(tenantSegment)
	var tenantID string
	if t != nil {
		tenantID = t.id
	}
	s.mu.Unlock()

	if t == nil {
		code := "invalid_request"
		if segments[1] != "oauth2" {
			code = "invalid_tenant"
		}
		writeEntraError(w, http.StatusBadRequest, code, 90002, fmt.Sprintf(
			"Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", tenantSegment))
		return
	}
	switch segments[1] {
	case "v2.0":
		if !allowMethods(w, r, writeARMError, http.MethodGet) {
			return
		}
		writeJSON(w, http.StatusOK, s.openIDConfiguration(tenantID))
	case "discovery":
		if !allowMethods(w, r, writeARMError, http.MethodGet) {
			return
		}
		writeJSON(w, http.StatusOK, s.tokenKey.jwks())
	default:
		if r.Method != http.MethodPost {
			writeEntraError(w, http.StatusMethodNotAllowed, "invalid_request", 900561, "The endpoint only accepts POST requests.")
			return
		}
		s.serveToken(w, r, t)
	}
}

// openIDConfiguration returns the tenant's OpenID Connect metadata, complete enough for MSAL.
func (s *Server) openIDConfiguration(tenantID string) map[string]any {
	base := s.url + "/" + tenantID
	return map[string]any{
		"issuer":                                s.url + "/" + tenantID + "/v2.0",
		"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
		"token_endpoint":                        base + "/oauth2/v2.0/token",
		"device_authorization_endpoint":         base + "/oauth2/v2.0/devicecode",
		"end_session_endpoint":                  base + "/oauth2/v2.0/logout",
		"userinfo_endpoint":                     s.url + "/oidc/userinfo",
		"jwks_uri":                              base + "/discovery/v2.0/keys",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"claims_supported": []string{"sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name",
			"msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash",
			"c_hash", "email"},
		"request_uri_parameter_supported": false,
		"http_logout_supported":           true,
		"frontchannel_logout_supported":   true,
		"tenant_region_scope":             "EU",
		"cloud_instance_name":             strings.TrimPrefix(s.url, "https://"),
		"cloud_graph_host_name":           strings.TrimPrefix(s.url, "https://"),
		"msgraph_host":                    strings.TrimPrefix(s.url, "https://"),
		"rbac_url":                        s.url,
	}
}

// entraFailure is a token request refused in Microsoft Entra's terms.
type entraFailure struct {
	status int
	code   string
	aadsts int
	msg    string
}

// serveToken serves the client credentials grant.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request, t *tenant) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		writeEntraError(w, http.StatusBadRequest, "invalid_request", 900144,
			"The request body must be application/x-www-form-urlencoded and at most 1 MiB.")
		return
	}
	form := r.PostForm
	token, lifetime, failure := s.clientCredentials(t, form.Get("grant_type"), form.Get("client_id"), form.Get("scope"),
		clientSecretOf(r), form.Get("client_assertion_type"), form.Get("client_assertion"))
	if failure != nil {
		writeEntraError(w, failure.status, failure.code, failure.aadsts, failure.msg)
		return
	}
	w.Header().Set("Cache-Control", "no-store, no-cache")
	w.Header().Set("Pragma", "no-cache")
	seconds := int(lifetime / time.Second)
	writeJSON(w, http.StatusOK, map[string]any{
		"token_type":     "Bearer",
		"expires_in":     seconds,
		"ext_expires_in": seconds,
		"access_token":   token,
	})
}

// clientSecretOf returns the client secret of a token request, from the form or HTTP basic auth.
func clientSecretOf(r *http.Request) string {
	if secret := r.PostForm.Get("client_secret"); secret != "" {
		return secret
	}
	if _, secret, ok := r.BasicAuth(); ok {
		return secret
	}
	return ""
}

// clientCredentials authenticates a client credentials request and issues an access token.
func (s *Server) clientCredentials(t *tenant, grantType, clientID, scope, secret, assertionType, assertion string) (string, time.Duration, *entraFailure) {
	switch grantType {
	case "client_credentials":
	case "":
		return "", 0, &entraFailure{http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'."}
	default:
		return "", 0, &entraFailure{http.StatusBadRequest, "unsupported_grant_type", 70003,
			fmt.Sprintf("The app requested an unsupported grant type '%s'. The fake supports client_credentials.", grantType)}
	}
	if clientID == "" {
		return "", 0, &entraFailure{http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'."}
	}
	resource, failure := resourceOfScope(scope)
	if failure != nil {
		return "", 0, failure
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	// The app signs in with the credentials of its registration, here or, for a multi-tenant app that
	// t consented to, in its home tenant; without a service principal in t, Entra answers AADSTS700016
	// (https://learn.microsoft.com/entra/identity-platform/reference-error-codes).
	a, objectID := t.principal(clientID)
	if a == nil {
		return "", 0, &entraFailure{http.StatusBadRequest, "unauthorized_client", 700016, fmt.Sprintf(
			"Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
			clientID, t.domain)}
	}
	if !knownResource(resource) {
		return "", 0, &entraFailure{http.StatusBadRequest, "invalid_resource", 500011, fmt.Sprintf(
			"The resource principal named %s was not found in the tenant named %s. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.",
			resource, t.domain)}
	}

	switch {
	case secret != "" && assertion != "":
		return "", 0, &entraFailure{http.StatusBadRequest, "invalid_request", 7000218,
			"The request body must contain only one of the parameters 'client_secret' and 'client_assertion'."}
	case secret != "":
		if a.secret == "" || subtle.ConstantTimeCompare([]byte(secret), []byte(a.secret)) != 1 {
			return "", 0, &entraFailure{http.StatusUnauthorized, "invalid_client", 7000215, fmt.Sprintf(
				"Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", a.clientID)}
		}
		if a.secretExpired {
			// The wording of Entra's answer as quoted in dotnet/sign#849 and
			// spencerwooo/onedrive-vercel-index#1051 (invalid_client, AADSTS7000222).
			return "", 0, &entraFailure{http.StatusUnauthorized, "invalid_client", 7000222, fmt.Sprintf(
				"The provided client secret keys for app '%s' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.", a.clientID)}
		}
	case assertion != "":
		if assertionType != clientAssertionType {
			return "", 0, &entraFailure{http.StatusBadRequest, "invalid_request", 7000219, fmt.Sprintf(
				"The client_assertion_type must be '%s'.", clientAssertionType)}
		}
		if failure := s.verifyAssertion(t, a, assertion); failure != nil {
			return "", 0, failure
		}
	default:
		return "", 0, &entraFailure{http.StatusUnauthorized, "invalid_client", 7000218,
			"The request body must contain the following parameter: 'client_assertion' or 'client_secret'."}
	}
	token, err := s.issueAccessToken(t, a.clientID, objectID, resource)
	if err != nil {
		return "", 0, &entraFailure{http.StatusInternalServerError, "server_error", 90033, "Signing the access token failed: " + err.Error()}
	}
	return token, s.tokenLifetime, nil
}

// resourceOfScope returns the resource of a client credentials scope ("<resource>/.default"),
// ignoring the OpenID Connect scopes MSAL always adds.
func resourceOfScope(scope string) (string, *entraFailure) {
	var scopes []string
	for _, sc := range strings.Fields(scope) {
		switch sc {
		case "openid", "profile", "offline_access":
		default:
			scopes = append(scopes, sc)
		}
	}
	switch {
	case len(scopes) == 0:
		return "", &entraFailure{http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'scope'."}
	case len(scopes) > 1:
		return "", &entraFailure{http.StatusBadRequest, "invalid_scope", 70011, fmt.Sprintf(
			"The provided value for the input parameter 'scope' is not valid. The scope '%s' is not valid: a client credentials request takes exactly one scope, '<resource>/.default'.",
			strings.Join(scopes, " "))}
	case !strings.HasSuffix(scopes[0], "/.default"):
		return "", &entraFailure{http.StatusBadRequest, "invalid_scope", 1002012, fmt.Sprintf(
			"The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).",
			scopes[0])}
	}
	return strings.TrimSuffix(scopes[0], "/.default"), nil
}

// knownResource reports whether the fake issues tokens for a resource.
func knownResource(resource string) bool {
	return isResourceManagerAudience(resource) || isCloudAppsAudience(resource) ||
		strings.EqualFold(strings.TrimSuffix(resource, "/"), LogAnalyticsAudience)
}

// isResourceManagerAudience reports whether an audience means Azure Resource Manager.
func isResourceManagerAudience(aud string) bool {
	aud = strings.TrimSuffix(aud, "/")
	return strings.EqualFold(aud, strings.TrimSuffix(ResourceManagerAudience, "/")) ||
		strings.EqualFold(aud, "https://management.azure.com")
}

// isCloudAppsAudience reports whether an audience means Defender for Cloud Apps.
func isCloudAppsAudience(aud string) bool {
	return strings.EqualFold(aud, CloudAppsAudience)
}

// verifyAssertion checks a client assertion: a certificate-signed assertion made by the app itself
// (iss = client id) or a federated token of an identity provider the app trusts. The caller holds s.mu.
func (s *Server) verifyAssertion(t *tenant, a *app, assertion string) *entraFailure {
	unverified := jwt.MapClaims{}
	parsed, _, err := jwt.NewParser().ParseUnverified(assertion, unverified)
	if err != nil {
		return &entraFailure{http.StatusBadRequest, "invalid_request", 50027, "JWT token is invalid or malformed: the client_assertion is not a JWT."}
	}
	issuer, _ := unverified.GetIssuer()
	if strings.EqualFold(issuer, a.clientID) {
		return s.verifyCertificateAssertion(t, a, assertion, parsed.Header)
	}
	return s.verifyFederatedAssertion(a, assertion, unverified)
}

// verifyCertificateAssertion checks an assertion signed with a certificate registered on the app.
func (s *Server) verifyCertificateAssertion(t *tenant, a *app, assertion string, header map[string]any) *entraFailure {
	bad := func(msg string) *entraFailure {
		return &entraFailure{http.StatusUnauthorized, "invalid_client", 700027, "Client assertion failed signature validation. " + msg}
	}
	cert, thumb := findCertificate(a, header)
	switch {
	case thumb == "":
		return bad("The assertion has no x5t or x5t#S256 header naming the certificate that signed it.")
	case cert == nil:
		return bad(fmt.Sprintf("The certificate with thumbprint '%s' used to sign the client assertion is not registered on application '%s'. Upload the certificate to the app registration.", thumb, a.clientID))
	}
	key, ok := cert.cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return bad("The registered certificate does not hold an RSA key; client assertions must be signed with PS256 or RS256.")
	}
	claims := jwt.MapClaims{}
	_, err := jwt.NewParser(jwt.WithValidMethods([]string{"PS256", "RS256"}), jwt.WithoutClaimsValidation()).
		ParseWithClaims(assertion, claims, func(*jwt.Token) (any, error) { return key, nil })
	if err != nil {
		return bad("The signature does not verify with the registered certificate, or the algorithm is not PS256 or RS256.")
	}
	sub, _ := claims.GetSubject()
	if !strings.EqualFold(sub, a.clientID) {
		return bad(fmt.Sprintf("The assertion's sub claim must be the client id '%s'.", a.clientID))
	}
	audiences, _ := claims.GetAudience()
	if !containsFold(audiences, s.url+"/"+t.id+"/oauth2/v2.0/token", s.url+"/"+t.domain+"/oauth2/v2.0/token") {
		return bad(fmt.Sprintf("The assertion's aud claim must be the token endpoint %s/%s/oauth2/v2.0/token.", s.url, t.id))
	}
	return checkAssertionTime(claims)
}

// findCertificate returns the app certificate named by the x5t#S256 or x5t header, and the thumbprint
// the header gave (hex, empty when there is none).
func findCertificate(a *app, header map[string]any) (*clientCertificate, string) {
	var thumb string
	for _, name := range []string{"x5t#S256", "x5t"} {
		value, _ := header[name].(string)
		if value == "" {
			continue
		}
		raw := decodeBase64Any(value)
		if raw == nil {
			return nil, value
		}
		thumb = strings.ToUpper(hex.EncodeToString(raw))
		for _, c := range a.certs {
			if (name == "x5t" && bytes.Equal(c.sha1Thumb, raw)) || (name == "x5t#S256" && bytes.Equal(c.sha256Hash, raw)) {
				return c, thumb
			}
		}
	}
	return nil, thumb
}

// decodeBase64Any decodes standard or URL-safe base64, padded or not; nil when it is neither.
func decodeBase64Any(value string) []byte {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if raw, err := enc.DecodeString(value); err == nil {
			return raw
		}
	}
	return nil
}

// verifyFederatedAssertion checks a federated token against the app's federated identity credentials.
func (s *Server) verifyFederatedAssertion(a *app, assertion string, unverified jwt.MapClaims) *entraFailure {
	issuer, _ := unverified.GetIssuer()
	subject, _ := unverified.GetSubject()
	audiences, _ := unverified.GetAudience()
	// The general form, as quoted in Azure/azure-workload-identity#616 (invalid_request, AADSTS70021).
	noMatch := &entraFailure{http.StatusBadRequest, "invalid_request", 70021, fmt.Sprintf(
		"No matching federated identity record found for presented assertion. Assertion Issuer: '%s'. Assertion Subject: '%s'. Assertion Audience: '%s'. Add a federated credential with this issuer, subject and audience to app '%s'.",
		issuer, subject, strings.Join(audiences, ","), a.clientID)}
	specific := s.federatedErrors == FederatedErrorsSpecific
	var candidates []FederatedCredential
	for _, fc := range a.federated {
		if strings.EqualFold(strings.TrimSuffix(s.federatedIssuer(fc), "/"), strings.TrimSuffix(issuer, "/")) {
			candidates = append(candidates, fc)
		}
	}
	if len(candidates) == 0 {
		if specific {
			// The issuer form, as quoted in Azure/azure-workload-identity#1200 (invalid_client, AADSTS700211).
			return &entraFailure{http.StatusUnauthorized, "invalid_client", 700211, fmt.Sprintf(
				"No matching federated identity record found for presented assertion issuer '%s'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation",
				issuer)}
		}
		return noMatch
	}
	if !strings.EqualFold(strings.TrimSuffix(issuer, "/"), s.OIDCIssuer()) {
		return &entraFailure{http.StatusBadRequest, "invalid_request", 50166, fmt.Sprintf(
			"Request to External OIDC endpoint failed: the fake can only verify tokens of its own issuer %s, not %s.", s.OIDCIssuer(), issuer)}
	}
	claims := jwt.MapClaims{}
	_, err := jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithoutClaimsValidation()).
		ParseWithClaims(assertion, claims, func(*jwt.Token) (any, error) { return &s.oidcKey.key.PublicKey, nil })
	if err != nil {
		return &entraFailure{http.StatusBadRequest, "invalid_request", 50027, fmt.Sprintf(
			"JWT token is invalid or malformed: the federated assertion's signature does not verify with the keys of issuer %s.", issuer)}
	}
	if failure := checkAssertionTime(claims); failure != nil {
		return failure
	}
	subjectKnown := false
	for _, fc := range candidates {
		if fc.Subject == subject && containsFold(audiences, fc.Audience) {
			return nil
		}
		subjectKnown = subjectKnown || fc.Subject == subject
	}
	if specific && !subjectKnown {
		// The subject form, as quoted in Azure/login#482 and Azure/azure-workload-identity#1200
		// (AADSTS700213); subjects compare case-sensitively.
		return &entraFailure{http.StatusUnauthorized, "invalid_client", 700213, fmt.Sprintf(
			"No matching federated identity record found for presented assertion subject '%s'. Check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation",
			subject)}
	}
	// A subject that matches with another audience gets the general form, which names all three claims:
	// our model, as no public answer of the audience form is known.
	return noMatch
}

// federatedIssuer returns a federated credential's issuer, this server's when unset.
func (s *Server) federatedIssuer(fc FederatedCredential) string {
	return defaultString(fc.Issuer, s.OIDCIssuer())
}

// checkAssertionTime checks the exp (required) and nbf claims of an assertion.
func checkAssertionTime(claims jwt.MapClaims) *entraFailure {
	now := time.Now()
	exp, err := claims.GetExpirationTime()
	if err != nil || exp == nil {
		return &entraFailure{http.StatusBadRequest, "invalid_client", 700024, "Client assertion is not within its valid time range: it has no valid exp claim."}
	}
	nbf, _ := claims.GetNotBefore()
	if now.After(exp.Time) || (nbf != nil && nbf.After(now.Add(time.Second))) {
		from := "(no nbf claim)"
		if nbf != nil {
			from = nbf.UTC().Format(time.RFC3339)
		}
		return &entraFailure{http.StatusBadRequest, "invalid_client", 700024, fmt.Sprintf(
			"Client assertion is not within its valid time range. Current time: %s, assertion valid from %s, expiry time of assertion %s. Get a fresh assertion.",
			now.UTC().Format(time.RFC3339), from, exp.UTC().Format(time.RFC3339))}
	}
	return nil
}

// containsFold reports whether any of values equals any of wanted, ignoring case.
func containsFold(values []string, wanted ...string) bool {
	for _, v := range values {
		for _, w := range wanted {
			if strings.EqualFold(v, w) {
				return true
			}
		}
	}
	return false
}

// issueAccessToken mints an access token of tenant t for a resource, for the app clientID whose
// service principal in t has the object id objectID. The caller holds s.mu.
func (s *Server) issueAccessToken(t *tenant, clientID, objectID, resource string) (string, error) {
	token, _, err := s.signAccessToken(t, resource, s.tokenLifetime, jwt.MapClaims{
		"appid": clientID,
		"azp":   clientID,
		"oid":   objectID,
		"sub":   objectID,
		"idtyp": "app",
	})
	return token, err
}

// signAccessToken signs an access token of tenant t for a resource, valid for ttl (already expired
// that long ago when ttl is negative), with the claims of its principal, and returns it with its
// expiry.
func (s *Server) signAccessToken(t *tenant, resource string, ttl time.Duration, principal jwt.MapClaims) (string, time.Time, error) {
	now := time.Now()
	issued := now
	if ttl < 0 {
		issued = now.Add(ttl - time.Hour)
	}
	expires := now.Add(ttl)
	claims := jwt.MapClaims{
		"aud": resource,
		"iss": s.url + "/" + t.id + "/v2.0",
		"iat": issued.Unix(),
		"nbf": issued.Unix(),
		"exp": expires.Unix(),
		"tid": t.id,
		"ver": "2.0",
		"uti": randomString(22, alphanumeric),
	}
	for k, v := range principal {
		claims[k] = v
	}
	token := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	token.Header["kid"] = s.tokenKey.kid
	signed, err := token.SignedString(s.tokenKey.key)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("signing the access token: %w", err)
	}
	return signed, time.Unix(expires.Unix(), 0), nil
}

// MintAccessToken returns an access token of the tenant's administrator, signed in to the Azure CLI,
// for a resource (an audience the token endpoint knows, such as ResourceManagerAudience or
// CloudAppsAudience), and its expiry. It is what a stand-in of the Azure CLI hands out. A ttl of 0 means
// Options.TokenLifetime; a negative ttl returns a token that expired that long ago.
func (s *Server) MintAccessToken(tenant, resource string, ttl time.Duration) (string, time.Time, error) {
	if !knownResource(resource) {
		return "", time.Time{}, fmt.Errorf("the resource %q is unknown; use %s, %s or %s", resource, ResourceManagerAudience, CloudAppsAudience, LogAnalyticsAudience)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.lookupTenant(tenant)
	if err != nil {
		return "", time.Time{}, err
	}
	if ttl == 0 {
		ttl = s.tokenLifetime
	}
	user := uuid.NewSHA1(uuid.NameSpaceOID, []byte("admin@"+t.domain)).String()
	return s.signAccessToken(t, resource, ttl, jwt.MapClaims{
		"appid": AzureCLIAppID,
		"azp":   AzureCLIAppID,
		"oid":   user,
		"sub":   user,
		"upn":   "admin@" + t.domain,
		"idtyp": "user",
		"scp":   "user_impersonation",
	})
}

// accessClaims are the claims of an access token the fake issued.
type accessClaims struct {
	jwt.RegisteredClaims
	TenantID string `json:"tid"`
	AppID    string `json:"appid"`
	ObjectID string `json:"oid"`
	// IdentityType is "app" for a service principal or managed identity and "user" for a signed-in user.
	IdentityType string `json:"idtyp"`
}

// errTokenExpired marks an access token past its exp claim.
var errTokenExpired = errors.New("the access token has expired")

// verifyAccessToken checks the signature, issuer and lifetime of an access token the fake issued. The
// audience is left to the caller.
func (s *Server) verifyAccessToken(raw string) (*accessClaims, error) {
	claims := &accessClaims{}
	_, err := jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithExpirationRequired(), jwt.WithLeeway(accessTokenLeeway)).
		ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) { return &s.tokenKey.key.PublicKey, nil })
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, errTokenExpired
	case err != nil:
		return nil, errors.New("the access token is invalid: it is malformed or was not signed by this server's token issuer")
	case claims.TenantID == "" || claims.Issuer != s.url+"/"+claims.TenantID+"/v2.0":
		return nil, errors.New("the access token is invalid: its issuer is not this server's token issuer for its tenant")
	}
	return claims, nil
}

// bearerFailure is why the bearer token of a request to a resource API was refused.
type bearerFailure int

const (
	// bearerAccepted: the token is valid and for the API's audience.
	bearerAccepted bearerFailure = iota
	// bearerMissing: the request has no Authorization header.
	bearerMissing
	// bearerMalformed: the Authorization header is not "Bearer <token>".
	bearerMalformed
	// bearerInvalid: the token is not a valid token of this server.
	bearerInvalid
	// bearerExpired: the token was valid but has expired.
	bearerExpired
	// bearerWrongAudience: the token is valid but for another API.
	bearerWrongAudience
)

// checkBearer verifies the bearer token of a request to the API whose audiences isAudience accepts.
// It returns the claims (also for bearerWrongAudience, whose answer names the token's audience), the
// failure, and for bearerInvalid the reason. Each API maps the failure to its own answer.
func (s *Server) checkBearer(r *http.Request, isAudience func(string) bool) (*accessClaims, bearerFailure, error) {
	header := r.Header.Get("Authorization")
	if header == "" {
		return nil, bearerMissing, nil
	}
	raw, ok := cutPrefixFold(header, "Bearer ")
	if !ok {
		return nil, bearerMalformed, nil
	}
	claims, err := s.verifyAccessToken(strings.TrimSpace(raw))
	switch {
	case errors.Is(err, errTokenExpired):
		return nil, bearerExpired, err
	case err != nil:
		return nil, bearerInvalid, err
	case !slices.ContainsFunc(claims.Audience, isAudience):
		return claims, bearerWrongAudience, nil
	}
	return claims, bearerAccepted, nil
}

// credentialOwner returns the tenant name (and, for an access token, the appid claim) of the credential
// in an Authorization header: an access token this server signed, whether or not it has expired, or a
// legacy Cloud Apps API token. Both are empty for anything else.
func (s *Server) credentialOwner(header string) (tenantName, appID string) {
	scheme, value, _ := strings.Cut(header, " ")
	value = strings.TrimSpace(value)
	switch {
	case strings.EqualFold(scheme, "Bearer"):
		claims := &accessClaims{}
		_, err := jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithoutClaimsValidation()).
			ParseWithClaims(value, claims, func(*jwt.Token) (any, error) { return &s.tokenKey.key.PublicKey, nil })
		if err != nil || claims.Issuer != s.url+"/"+claims.TenantID+"/v2.0" {
			return "", ""
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if t := s.tenantByIDOrDomain(claims.TenantID); t != nil {
			return t.name, claims.AppID
		}
	case strings.EqualFold(scheme, "Token"):
		s.mu.Lock()
		defer s.mu.Unlock()
		if t := s.tenantByAPIToken(value); t != nil {
			return t.name, ""
		}
	}
	return "", ""
}

// writeEntraError writes an error in Microsoft Entra's token endpoint format.
func writeEntraError(w http.ResponseWriter, status int, code string, aadsts int, msg string) {
	traceID, correlationID := uuid.NewString(), uuid.NewString()
	timestamp := time.Now().UTC().Format("2006-01-02 15:04:05Z")
	w.Header().Set("Cache-Control", "no-store, no-cache")
	writeJSON(w, status, map[string]any{
		"error":             code,
		"error_description": fmt.Sprintf("AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s", aadsts, msg, traceID, correlationID, timestamp),
		"error_codes":       []int{aadsts},
		"timestamp":         timestamp,
		"trace_id":          traceID,
		"correlation_id":    correlationID,
	})
}

package fakeapi

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"regexp"
	"strings"
)

// devOpsOIDCAPIVersions are the api-versions the Azure DevOps OIDC token endpoint accepts.
var devOpsOIDCAPIVersions = []string{"7.1", "7.1-preview.1"}

// devOpsOIDCPathRE matches the path of an Azure DevOps pipeline job's OIDC token endpoint:
// /devops/{organization}/{project}/_apis/distributedtask/hubs/build/plans/{plan}/jobs/{job}/oidctoken.
var devOpsOIDCPathRE = regexp.MustCompile(`^/devops/[^/]+/[^/]+/_apis/distributedtask/hubs/build/plans/[^/]+/jobs/[^/]+/oidctoken/?$`)

// AzureDevOpsOIDCRequestURI returns the OIDC token endpoint of an Azure DevOps pipeline job
// (SYSTEM_OIDCREQUESTURI). A POST to it with ?api-version=7.1&serviceConnectionId=<id> and
// AzureDevOpsSystemAccessToken() as bearer token answers {"oidcToken": "<federated token>"}: a token of
// the server's OIDC issuer with the subject and audience of the federated credential registered for that
// service connection (FederatedCredential.ServiceConnectionID), valid for Options.FederatedTokenLifetime.
func (s *Server) AzureDevOpsOIDCRequestURI() string {
	return s.url + "/devops/mcas-terraform/infrastructure/_apis/distributedtask/hubs/build/" + s.devOpsJobPath + "/oidctoken"
}

// AzureDevOpsSystemAccessToken returns the pipeline's System.AccessToken (SYSTEM_ACCESSTOKEN) that the
// OIDC token endpoint requires.
func (s *Server) AzureDevOpsSystemAccessToken() string { return s.devOpsAccessToken }

// serviceConnection returns the tenant and federated credential of an Azure DevOps service connection;
// the caller holds s.mu.
func (s *Server) serviceConnection(id string) (*tenant, FederatedCredential) {
	if id == "" {
		return nil, FederatedCredential{}
	}
	for _, t := range s.tenants {
		for _, a := range t.apps {
			for _, fc := range a.federated {
				if strings.EqualFold(fc.ServiceConnectionID, id) {
					return t, fc
				}
			}
		}
	}
	return nil, FederatedCredential{}
}

// serviceConnectionIDs returns the Azure DevOps service connections of the tenant's apps.
func (t *tenant) serviceConnectionIDs() []string {
	var ids []string
	for _, a := range t.apps {
		for _, fc := range a.federated {
			if fc.ServiceConnectionID != "" {
				ids = append(ids, fc.ServiceConnectionID)
			}
		}
	}
	return ids
}

// serveAzureDevOps serves the OIDC token endpoint of an Azure DevOps pipeline job.
func (s *Server) serveAzureDevOps(w http.ResponseWriter, r *http.Request) {
	if !devOpsOIDCPathRE.MatchString(r.URL.Path) {
		writeDevOpsError(w, http.StatusNotFound, "NotFoundException", fmt.Sprintf(
			"The fake Azure DevOps serves only a pipeline job's OIDC token endpoint, %s; not %s.", s.AzureDevOpsOIDCRequestURI(), r.URL.Path))
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeDevOpsError(w, http.StatusMethodNotAllowed, "MethodNotAllowedException", fmt.Sprintf("The method %s is not allowed; the OIDC token endpoint answers POST.", r.Method))
		return
	}
	token, ok := cutPrefixFold(r.Header.Get("Authorization"), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(token)), []byte(s.devOpsAccessToken)) != 1 {
		if !strings.EqualFold(r.Header.Get("X-TFS-FedAuthRedirect"), "Suppress") {
			// Azure DevOps sends browsers to its sign-in page unless the client asks it not to.
			w.Header().Set("Location", s.url+"/devops/_signin")
			w.WriteHeader(http.StatusFound)
			return
		}
		writeDevOpsError(w, http.StatusUnauthorized, "UnauthorizedRequestException",
			"The request is not authorized: send the pipeline's System.AccessToken (SYSTEM_ACCESSTOKEN) as a bearer token.")
		return
	}
	q := r.URL.Query()
	switch v := q.Get("api-version"); {
	case v == "":
		writeDevOpsError(w, http.StatusBadRequest, "VssVersionNotSpecifiedException", "No api-version was supplied for the POST request; use api-version=7.1.")
		return
	case !containsFold(devOpsOIDCAPIVersions, v):
		writeDevOpsError(w, http.StatusBadRequest, "VssInvalidPreviewVersionException", fmt.Sprintf("The api-version %q is not supported; use %s.", v, strings.Join(devOpsOIDCAPIVersions, " or ")))
		return
	}
	id := q.Get("serviceConnectionId")
	s.mu.Lock()
	t, fc := s.serviceConnection(id)
	var issuer string
	if t != nil {
		issuer = s.federatedIssuer(fc)
	}
	s.mu.Unlock()
	switch {
	case id == "":
		writeDevOpsError(w, http.StatusBadRequest, "ArgumentNullException", "The serviceConnectionId query parameter is required.")
		return
	case t == nil:
		writeDevOpsError(w, http.StatusNotFound, "ServiceEndpointNotFoundException", fmt.Sprintf(
			"Service connection %s was not found, or the pipeline is not authorized to use it.", id))
		return
	case !strings.EqualFold(issuer, s.OIDCIssuer()):
		writeDevOpsError(w, http.StatusBadRequest, "InvalidServiceEndpointException", fmt.Sprintf(
			"Service connection %s trusts the issuer %s; the fake can only issue tokens of its own issuer %s.", id, issuer, s.OIDCIssuer()))
		return
	}
	value, err := s.MintOIDCToken(fc.Subject, fc.Audience, 0)
	if err != nil {
		writeDevOpsError(w, http.StatusInternalServerError, "InternalServerErrorException", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"oidcToken": value})
}

// writeDevOpsError writes an error in Azure DevOps' format.
func writeDevOpsError(w http.ResponseWriter, status int, typeKey, msg string) {
	writeJSON(w, status, map[string]any{
		"$id": "1", "innerException": nil, "message": msg,
		"typeName": "Microsoft.VisualStudio.Services.Common." + typeKey + ", Microsoft.VisualStudio.Services.Common",
		"typeKey":  typeKey, "errorCode": 0, "eventId": 3000,
	})
}

package fakeapi

import (
	"regexp"
	"strings"
	"time"
)

// Request is one request the server saw (admin requests excluded).
type Request struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	Query  string `json:"query"`
	// Status is the status answered; 0 when the connection was reset without an answer.
	Status int `json:"status"`
	// Tenant is the name of the tenant the request concerned, when the server could tell.
	Tenant string `json:"tenant"`
	// TokenTenant is the name of the tenant whose credential the request's Authorization header
	// carried: the tenant of an access token this server signed (expired or not), or the owner of a
	// legacy Cloud Apps API token; empty when the header carried neither.
	TokenTenant string `json:"token_tenant"`
	// TokenAppID is the appid claim of that access token: the client id of the app registration or
	// managed identity, or the Azure CLI's application id for tokens of MintAccessToken.
	TokenAppID string    `json:"token_app_id"`
	Time       time.Time `json:"time"`
}

// Requests returns every request seen since the start or the last ResetRequests, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request{}, s.requests...)
}

// CountRequests counts the requests with a method ("" = any, case-insensitive) whose path matches a
// regular expression ("" = any). An invalid pattern matches nothing.
func (s *Server) CountRequests(method, pathPattern string) int {
	pattern, err := regexp.Compile(pathPattern)
	if err != nil {
		return 0
	}
	return len(filterRequests(s.Requests(), method, pattern))
}

// filterRequests returns the requests with a method ("" = any) and a path matching pattern.
func filterRequests(requests []Request, method string, pattern *regexp.Regexp) []Request {
	out := []Request{}
	for _, r := range requests {
		if (method == "" || strings.EqualFold(r.Method, method)) && pattern.MatchString(r.Path) {
			out = append(out, r)
		}
	}
	return out
}

// ResetRequests forgets the requests seen so far.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

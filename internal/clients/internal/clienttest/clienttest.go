// Package clienttest holds the test doubles the service clients' tests share:
// a token credential that records the scopes asked for, a TLS test server
// that records every request, and an in-memory transport that replays
// answers to fuzzed clients.
package clienttest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

var (
	_ azcore.TokenCredential = (*Credential)(nil)
	_ policy.Transporter     = (*Replay)(nil)
)

// Credential is an azcore.TokenCredential that hands out Token, valid for an
// hour, and records the scopes asked for. It is safe for concurrent use.
type Credential struct {
	// Token is the access token handed out.
	Token string

	mu     sync.Mutex
	scopes []string
}

// GetToken implements azcore.TokenCredential.
func (c *Credential) GetToken(_ context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.scopes = append(c.scopes, opts.Scopes...)
	return azcore.AccessToken{Token: c.Token, ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// Scopes returns every scope asked for so far, in the order asked.
func (c *Credential) Scopes() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.scopes...)
}

// Request is one request as a Server saw it.
type Request struct {
	// Method is the HTTP method.
	Method string
	// Path is the URL path.
	Path string
	// Query is the decoded URL query.
	Query url.Values
	// Header is a copy of the request header.
	Header http.Header
	// Body is the request body, empty when there was none.
	Body []byte
}

// Server is a TLS test server that records every request before its handler
// answers it. It is safe for concurrent use.
type Server struct {
	*httptest.Server

	mu       sync.Mutex
	requests []Request
}

// NewServer starts a Server whose handler answers each request, and closes it
// when the test ends. The handler can read the request body again.
func NewServer(t testing.TB, handler http.HandlerFunc) *Server {
	t.Helper()
	s := &Server{}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Body: body})
		s.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		handler(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// Requests returns the requests the server has seen so far, in the order they
// arrived.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Answer gives the status, header and body that answer req, the n-th request
// a Replay has seen, counting from 0. A nil header stands for an empty one.
type Answer func(n int, req *http.Request) (status int, header http.Header, body []byte)

// FirstThen answers the first request with first and every later one with
// next.
func FirstThen(first, next Answer) Answer {
	return func(n int, req *http.Request) (int, http.Header, []byte) {
		if n == 0 {
			return first(n, req)
		}
		return next(n, req)
	}
}

// Replay is an in-memory policy.Transporter: it answers each request with
// Answer and records every request and request body it sees. More than
// MaxRequests requests fail T, since a client that sends them pages or retries
// forever. It is meant for one call at a time and is not safe for concurrent
// use.
type Replay struct {
	// T is the test that fails when the client sends too many requests.
	T testing.TB
	// MaxRequests bounds the requests Replay answers.
	MaxRequests int
	// Answer answers each request.
	Answer Answer

	requests []*http.Request
	bodies   [][]byte
}

// Do implements policy.Transporter.
func (r *Replay) Do(req *http.Request) (*http.Response, error) {
	if len(r.requests) >= r.MaxRequests {
		r.T.Fatalf("the client sent more than %d requests for one call; it pages or retries forever", r.MaxRequests)
	}
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
	}
	r.requests = append(r.requests, req)
	r.bodies = append(r.bodies, body)
	status, header, answer := r.Answer(len(r.requests)-1, req)
	if header == nil {
		header = http.Header{}
	}
	return &http.Response{
		Status:        fmt.Sprintf("%d %s", status, http.StatusText(status)),
		StatusCode:    status,
		Header:        header,
		Body:          io.NopCloser(bytes.NewReader(answer)),
		ContentLength: int64(len(answer)),
		Request:       req,
	}, nil
}

// Requests returns the requests Replay has seen, in the order they were sent.
func (r *Replay) Requests() []*http.Request {
	return r.requests
}

// Bodies returns the bodies of the requests Replay has seen, one for each
// request in the same order, nil for a request without a body.
func (r *Replay) Bodies() [][]byte {
	return r.bodies
}

// CheckErrorText checks that err reads as a message: non-empty valid UTF-8 on
// one line of at most maxLen bytes.
func CheckErrorText(t testing.TB, err error, maxLen int) {
	t.Helper()
	msg := err.Error()
	switch {
	case msg == "":
		t.Errorf("empty error message")
	case !utf8.ValidString(msg):
		t.Errorf("error message is not valid UTF-8: %q", msg)
	case strings.ContainsAny(msg, "\r\n"):
		t.Errorf("error message spans several lines: %q", msg)
	case len(msg) > maxLen:
		t.Errorf("error message has %d bytes, more than %d: %.200q...", len(msg), maxLen, msg)
	}
}

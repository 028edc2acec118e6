package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

func TestClassification(t *testing.T) {
	answer := func(status int) *ResponseError { return &ResponseError{Operation: "op", StatusCode: status} }
	deadline := func(last *ResponseError) error {
		return &SendError{Operation: "op", Service: "Svc", Err: context.DeadlineExceeded, Last: last}
	}
	tests := []struct {
		name string
		err  error
		// want are the results of IsNotFound, IsConflict, IsUnauthorized, IsThrottled and IsRefused.
		want [5]bool
	}{
		{"bad request", answer(400), [5]bool{false, false, false, false, true}},
		{"unauthorized", answer(401), [5]bool{false, false, true, false, true}},
		{"forbidden, wrapped", fmt.Errorf("put: %w", answer(403)), [5]bool{false, false, true, false, true}},
		{"not found", answer(404), [5]bool{true, false, false, false, true}},
		{"conflict, wrapped", fmt.Errorf("create: %w", answer(409)), [5]bool{false, true, false, false, true}},
		{"throttled", answer(429), [5]bool{false, false, false, true, true}},
		{"server error", answer(503), [5]bool{}},
		{"timed out after a throttled attempt", deadline(answer(429)), [5]bool{false, false, false, true, false}},
		{"timed out after a client error", deadline(answer(400)), [5]bool{}},
		{"connection reset", &SendError{Operation: "op", Service: "Svc", Err: errors.New("connection reset by peer")}, [5]bool{}},
		{"answer not readable", errors.New("op: the HTTP 201 answer is malformed or truncated JSON"), [5]bool{}},
		{"no error", nil, [5]bool{}},
	}
	for _, tt := range tests {
		got := [5]bool{IsNotFound(tt.err), IsConflict(tt.err), IsUnauthorized(tt.err), IsThrottled(tt.err), IsRefused(tt.err)}
		if got != tt.want {
			t.Errorf("%s: IsNotFound, IsConflict, IsUnauthorized, IsThrottled, IsRefused = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// replay is a transport that answers every request with one status, header and body.
type replay struct {
	status int
	header http.Header
	body   string
}

func (r replay) Do(req *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: r.status, Header: r.header, Body: io.NopCloser(strings.NewReader(r.body)), Request: req}, nil
}

func TestSendResponseError(t *testing.T) {
	quote := func(_ *http.Response, body []byte) string {
		if len(body) == 0 {
			return ""
		}
		return fmt.Sprintf("%q", Snippet(body, 20))
	}
	tests := []struct {
		name string
		r    replay
		want string
		code string
	}{
		{"code in the header", replay{409, http.Header{"X-Ms-Error-Code": {"Conflict"}}, "busy"}, `op x: HTTP 409 Conflict: "busy"`, "Conflict"},
		{"code in the body", replay{400, http.Header{}, `{"error":{"code":"BadRequest"}}`}, `op x: HTTP 400 BadRequest: "{\"error\":{\"code\":\"Ba..."`, "BadRequest"},
		{"no code, no body", replay{503, http.Header{}, ""}, "op x: HTTP 503 Service Unavailable", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Client{Service: "Svc", Message: quote, Pipeline: runtime.NewPipeline("test", "v0.0.0", runtime.PipelineOptions{},
				&policy.ClientOptions{Transport: tt.r, Retry: policy.RetryOptions{MaxRetries: -1}})}
			resp, err := c.Send(context.Background(), "op x", http.MethodGet, "https://example.test/x", nil, http.StatusOK)
			var e *ResponseError
			if resp != nil || !errors.As(err, &e) || err.Error() != tt.want || e.Code != tt.code || e.Service != "Svc" {
				t.Fatalf("Send = %v, %v (%+v), want %q with code %q", resp, err, e, tt.want, tt.code)
			}
			var azErr *azcore.ResponseError
			if !errors.As(err, &azErr) || azErr.StatusCode != tt.r.status {
				t.Errorf("errors.As does not reach the azcore.ResponseError of HTTP %d: %v", tt.r.status, azErr)
			}
		})
	}
}

package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

func TestModuleVersionIsAcceptedByTelemetry(t *testing.T) {
	if v := ModuleVersion(); !semverPattern.MatchString(v) {
		t.Errorf("ModuleVersion() = %q, which azcore's telemetry policy rejects", v)
	}
}

func TestSnippet(t *testing.T) {
	tests := []struct {
		in    string
		limit int
		want  string
	}{
		{in: "  short\n\ttext  ", limit: 20, want: "short text"},
		{in: "abcdef", limit: 3, want: "abc..."},
		{in: "ééé", limit: 3, want: "é..."},
		{in: "bad \xff byte", limit: 20, want: "bad \uFFFD byte"},
		{in: "", limit: 5, want: ""},
	}
	for _, tt := range tests {
		if got := Snippet([]byte(tt.in), tt.limit); got != tt.want {
			t.Errorf("Snippet(%q, %d) = %q, want %q", tt.in, tt.limit, got, tt.want)
		}
	}
}

type namedPolicy string

func (namedPolicy) Do(req *policy.Request) (*http.Response, error) { return req.Next() }

func TestClientOptionsFillZeroRetryFieldsAndOwnTheirPolicies(t *testing.T) {
	callers := make([]policy.Policy, 1, 4)
	callers[0] = namedPolicy("caller's")
	given := policy.ClientOptions{Retry: policy.RetryOptions{MaxRetries: 7, TryTimeout: time.Minute}, PerCallPolicies: callers, PerRetryPolicies: callers}
	defaults := policy.RetryOptions{MaxRetries: 3, RetryDelay: 5 * time.Second, MaxRetryDelay: time.Minute, TryTimeout: time.Hour}
	got := ClientOptions(given, defaults)
	if want := (policy.RetryOptions{MaxRetries: 7, RetryDelay: 5 * time.Second, MaxRetryDelay: time.Minute, TryTimeout: time.Minute}); got.Retry.MaxRetries != want.MaxRetries ||
		got.Retry.RetryDelay != want.RetryDelay || got.Retry.MaxRetryDelay != want.MaxRetryDelay || got.Retry.TryTimeout != want.TryTimeout {
		t.Errorf("Retry = %+v, want %+v", got.Retry, want)
	}
	_ = append(got.PerCallPolicies, namedPolicy("client's"))
	_ = append(got.PerRetryPolicies, namedPolicy("client's"))
	if extended := callers[:2]; extended[1] != nil {
		t.Errorf("adding to the returned policy lists changed the caller's: %v", extended)
	}
}

func TestQuoteBody(t *testing.T) {
	tests := []struct {
		contentType, body, want string
	}{
		{contentType: "text/html", body: "<html>\n <h1>Bad</h1>\n</html>", want: `text/html body "<html> <h1>Bad</h1> </html>"`},
		{body: "  plain\ttext ", want: `untyped body "plain text"`},
		{contentType: "text/plain", body: " \r\n\t", want: ""},
		{contentType: "text/plain", body: strings.Repeat("x", MaxMessageLength+1), want: `text/plain body "` + strings.Repeat("x", MaxMessageLength) + `..."`},
	}
	for _, tt := range tests {
		resp := &http.Response{Header: http.Header{}}
		if tt.contentType != "" {
			resp.Header.Set("Content-Type", tt.contentType)
		}
		if got := QuoteBody(resp, []byte(tt.body)); got != tt.want {
			t.Errorf("QuoteBody(%q, %q) = %q, want %q", tt.contentType, tt.body, got, tt.want)
		}
	}
}

func TestSendErrorMessages(t *testing.T) {
	urlErr := fmt.Errorf("Get %q: %w", "https://example.test/x", context.DeadlineExceeded)
	tests := []struct {
		name string
		err  *SendError
		want []string
	}{
		{
			name: "deadline after answers",
			err:  &SendError{Operation: "reading x", Service: "Svc", Err: context.DeadlineExceeded, Last: &ResponseError{Operation: "reading x", StatusCode: 503, Code: "Busy"}},
			want: []string{"reading x: the time allowed ran out before Svc gave a usable answer (context deadline exceeded)", "the last answer was HTTP 503 Busy", "try again later or allow more time"},
		},
		{
			name: "deadline without answer",
			err:  &SendError{Operation: "reading x", Service: "Svc", Err: urlErr},
			want: []string{"reading x: the time allowed ran out", "check that Svc is reachable"},
		},
		{
			name: "cancelled",
			err:  &SendError{Operation: "reading x", Service: "Svc", Err: context.Canceled},
			want: []string{"reading x: cancelled before Svc gave a usable answer"},
		},
		{
			name: "transport",
			err:  &SendError{Operation: "reading x", Service: "Svc", Err: io.ErrUnexpectedEOF, Last: &ResponseError{Operation: "reading x", StatusCode: 502, Message: "bad gateway"}},
			want: []string{"reading x: the request to Svc failed: unexpected EOF; the last answer was HTTP 502 Bad Gateway: bad gateway"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, want := range tt.want {
				if !strings.Contains(tt.err.Error(), want) {
					t.Errorf("%q does not contain %q", tt.err.Error(), want)
				}
			}
			if !errors.Is(tt.err, tt.err.Err) {
				t.Error("the cause is not reachable with errors.Is")
			}
			var last *ResponseError
			if got := errors.As(tt.err, &last); got != (tt.err.Last != nil) {
				t.Errorf("errors.As reaches the last answer: %v, want %v", got, tt.err.Last != nil)
			}
		})
	}
}

func TestDecodeJSON(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		body        string
		wantErr     string
	}{
		{name: "valid", contentType: "application/json", body: ` {"a":1} `},
		{name: "valid without content type", body: `{"a":1}`},
		{name: "empty", contentType: "application/json", body: " \n", wantErr: "op: the HTTP 200 answer (Content-Type application/json) has an empty body"},
		{name: "HTML", contentType: "text/html", body: "<html>", wantErr: `op: the HTTP 200 answer (Content-Type text/html) is not JSON; it starts with "<html>"`},
		{name: "truncated", body: `{"a":`, wantErr: "op: the HTTP 200 answer (Content-Type none, 5 bytes) is malformed or truncated JSON"},
		{name: "wrong type", contentType: "application/json", body: `{"a":"x"}`, wantErr: "malformed or truncated JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(tt.body))}
			if tt.contentType != "" {
				resp.Header.Set("Content-Type", tt.contentType)
			}
			var v struct{ A int }
			err := DecodeJSON("op", resp, &v)
			switch {
			case tt.wantErr == "" && (err != nil || v.A != 1):
				t.Errorf("DecodeJSON = %v, %+v", err, v)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("DecodeJSON error %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// TestParseBaseURL: each refusal says what is wrong, a password never reaches the error (also when the
// URL cannot be parsed), and an accepted URL loses its trailing slash.
func TestParseBaseURL(t *testing.T) {
	const expected = "give the API's base URL"
	for _, tt := range []struct{ raw, want string }{
		{"https://%zz", `"https://%zz" is not a valid URL (invalid URL escape "%zz"); give the API's base URL`},
		{"https://user:s3cr3t@host/%zz", `"…@host/%zz" is not a valid URL (invalid URL escape "%zz"); give the API's base URL`},
		{"host.example", `"host.example" is not an absolute URL; expected https:// followed by a host name: give the API's base URL`},
		{"http://host.example", `"http://host.example" uses the scheme "http"; only https URLs are accepted`},
		{"https://user:s3cr3t@host.example", `"https://user:xxxxx@host.example" carries user information; give the API's base URL`},
		{"https://host.example/#/dashboard", `"https://host.example/#/dashboard" has a query or a fragment; give the API's base URL`},
		{"https://host.example?", `"https://host.example?" has a query or a fragment; give the API's base URL`},
	} {
		if _, err := ParseBaseURL(tt.raw, expected); err == nil || err.Error() != tt.want {
			t.Errorf("ParseBaseURL(%q) = %v, want %s", tt.raw, err, tt.want)
		}
	}
	if got, err := ParseBaseURL("https://Host.example/api/", expected); err != nil || got != "https://Host.example/api" {
		t.Errorf("ParseBaseURL = %q, %v; want the URL without its trailing slash", got, err)
	}
}

package httplog_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/hashicorp/terraform-plugin-log/tflogtest"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/httplog"
)

const subsystem = "httptest"

// Secrets that must never reach the log.
const (
	bearerToken     = "eyJhbGciOi.bearer-secret.sig"
	legacyToken     = "legacy0token0value0ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghij="
	cookieSecret    = "session=cookie-secret"
	auxToken        = "aux-token-secret"
	accessToken     = "access-token-secret"
	refreshToken    = "refresh-token-secret"
	idToken         = "id-token-secret"
	clientSecret    = "client-secret-value"
	clientAssertion = "client-assertion-jwt"
	password        = "p4ssw0rd-secret"
	oidcValue       = "oidc-value-secret"
	plainToken      = "plain-token-secret"
	querySecret     = "query-secret-value"
)

var allSecrets = []string{
	bearerToken, legacyToken, cookieSecret, auxToken, accessToken, refreshToken, idToken,
	clientSecret, clientAssertion, password, oidcValue, plainToken, querySecret,
}

// headerPolicy sets request headers the way authentication policies do.
type headerPolicy map[string]string

func (h headerPolicy) Do(req *policy.Request) (*http.Response, error) {
	for k, v := range h {
		req.Raw().Header.Set(k, v)
	}
	return req.Next()
}

// exchange describes one request sent through a pipeline holding the
// logging policy, and the answer the test server gives.
type exchange struct {
	method          string
	query           string
	requestHeaders  map[string]string
	requestType     string
	requestBody     string
	responseType    string
	responseBody    string
	responseHeaders map[string]string
	status          int
}

// run sends ex through a pipeline with the logging policy and returns the
// body the server received and the body the caller read.
func run(t *testing.T, ctx context.Context, opts httplog.Options, ex exchange) (received, read string) {
	t.Helper()
	var got atomic.Value
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got.Store(string(b))
		for k, v := range ex.responseHeaders {
			w.Header().Set(k, v)
		}
		if ex.responseType != "" {
			w.Header().Set("Content-Type", ex.responseType)
		}
		status := ex.status
		if status == 0 {
			status = http.StatusOK
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, ex.responseBody)
	}))
	t.Cleanup(srv.Close)

	pl := runtime.NewPipeline("test", "v0.0.1", runtime.PipelineOptions{
		PerRetry: []policy.Policy{headerPolicy(ex.requestHeaders), httplog.NewPolicy(subsystem, opts)},
	}, &policy.ClientOptions{Transport: srv.Client(), Retry: policy.RetryOptions{MaxRetries: -1}})

	req, err := runtime.NewRequest(ctx, ex.method, srv.URL+"/things/1"+ex.query)
	if err != nil {
		t.Fatal(err)
	}
	if ex.requestBody != "" {
		if err := req.SetBody(streaming.NopCloser(strings.NewReader(ex.requestBody)), ex.requestType); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := pl.Do(req)
	if err != nil {
		t.Fatalf("request failed: %v", err)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the body after logging: %v", err)
	}
	received, _ = got.Load().(string)
	return received, string(b)
}

// loggingContext returns a context carrying a provider root logger at TRACE
// level that writes JSON lines into the returned buffer.
func loggingContext() (context.Context, *bytes.Buffer) {
	var buf bytes.Buffer
	return tflogtest.RootLogger(context.Background(), &buf), &buf
}

func entries(t *testing.T, logged string) []map[string]any {
	t.Helper()
	out, err := tflogtest.MultilineJSONDecode(strings.NewReader(logged))
	if err != nil {
		t.Fatalf("decoding log: %v\n%s", err, logged)
	}
	return out
}

func entry(t *testing.T, logged, message string) map[string]any {
	t.Helper()
	for _, e := range entries(t, logged) {
		if e["@message"] == message {
			return e
		}
	}
	t.Fatalf("no log entry %q in:\n%s", message, logged)
	return nil
}

func assertNoSecrets(t *testing.T, logged string) {
	t.Helper()
	for _, s := range allSecrets {
		if strings.Contains(logged, s) {
			t.Errorf("log contains secret %q:\n%s", s, logged)
		}
	}
}

func TestPolicyRedactsAndKeepsBodies(t *testing.T) {
	tests := []struct {
		name string
		opts httplog.Options
		ex   exchange
		// wantRequestBody and wantResponseBody are substrings of the logged
		// bodies; "-" means the body field must be absent.
		wantRequestBody  string
		wantResponseBody string
	}{
		{
			name: "bearer token, cookies and JSON secrets",
			ex: exchange{
				method: http.MethodPut,
				query:  "?api-version=2024-03-01&client_secret=" + querySecret,
				requestHeaders: map[string]string{
					"Authorization":                "Bearer " + bearerToken,
					"Cookie":                       cookieSecret,
					"X-Ms-Authorization-Auxiliary": "Bearer " + auxToken,
					"X-Ms-Oidc-Token-Value":        plainToken,
				},
				requestType:     "application/json",
				requestBody:     `{"kind":"TI","properties":{"userName":"alice","password":"` + password + `","nested":[{"client_secret":"` + clientSecret + `"}]}}`,
				responseType:    "application/json; charset=utf-8",
				responseBody:    `{"id":"/x","properties":{"token":"` + plainToken + `","state":"Enabled"}}`,
				responseHeaders: map[string]string{"Set-Cookie": cookieSecret},
			},
			wantRequestBody:  `"userName":"alice"`,
			wantResponseBody: `"state":"Enabled"`,
		},
		{
			name: "legacy token header and token response",
			ex: exchange{
				method:         http.MethodGet,
				requestHeaders: map[string]string{"Authorization": "Token " + legacyToken},
				responseType:   "application/json",
				responseBody:   `{"token_type":"Bearer","expires_in":3599,"access_token":"` + accessToken + `","refresh_token":"` + refreshToken + `","id_token":"` + idToken + `"}`,
			},
			wantRequestBody:  "-",
			wantResponseBody: `"expires_in":3599`,
		},
		{
			name: "federated token response value",
			ex: exchange{
				method:       http.MethodGet,
				responseType: "application/json",
				responseBody: `{"count":1,"value":"` + oidcValue + `"}`,
			},
			wantRequestBody:  "-",
			wantResponseBody: `"count":1`,
		},
		{
			name: "form body never logged",
			ex: exchange{
				method:       http.MethodPost,
				requestType:  "application/x-www-form-urlencoded",
				requestBody:  "grant_type=client_credentials&client_assertion=" + clientAssertion + "&client_secret=" + clientSecret,
				responseType: "application/json",
				responseBody: `{"value":[{"name":"a"}]}`,
			},
			wantRequestBody:  "not logged",
			wantResponseBody: `"name":"a"`,
		},
		{
			name: "bodies redacted entirely",
			opts: httplog.Options{RedactBodies: true},
			ex: exchange{
				method:       http.MethodPost,
				requestType:  "application/json",
				requestBody:  `{"client_assertion":"` + clientAssertion + `","note":"unredacted-note"}`,
				responseType: "application/json",
				responseBody: `{"access_token":"` + accessToken + `","note":"unredacted-note"}`,
			},
			wantRequestBody:  "-",
			wantResponseBody: "-",
		},
		{
			name: "malformed JSON not logged",
			ex: exchange{
				method:       http.MethodGet,
				responseType: "application/json",
				responseBody: `{"access_token":"` + accessToken,
				status:       http.StatusBadGateway,
			},
			wantRequestBody:  "-",
			wantResponseBody: "malformed JSON not logged",
		},
		{
			name: "text error body logged",
			ex: exchange{
				method:       http.MethodGet,
				responseType: "text/plain",
				responseBody: "Invalid request: unknown stream",
				status:       http.StatusBadRequest,
			},
			wantRequestBody:  "-",
			wantResponseBody: "Invalid request: unknown stream",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, buf := loggingContext()
			received, read := run(t, ctx, tt.opts, tt.ex)
			logged := buf.String()

			if received != tt.ex.requestBody {
				t.Errorf("server received body %q, want %q", received, tt.ex.requestBody)
			}
			if read != tt.ex.responseBody {
				t.Errorf("caller read body %q, want %q", read, tt.ex.responseBody)
			}
			assertNoSecrets(t, logged)
			if strings.Contains(logged, "unredacted-note") {
				t.Errorf("body logged although RedactBodies is set:\n%s", logged)
			}

			summary := entry(t, logged, "Received HTTP response")
			if summary["http_method"] != tt.ex.method {
				t.Errorf("http_method = %v, want %s", summary["http_method"], tt.ex.method)
			}
			if url, _ := summary["http_url"].(string); !strings.Contains(url, "/things/1") {
				t.Errorf("http_url = %q, want the request URL", url)
			}
			wantStatus := tt.ex.status
			if wantStatus == 0 {
				wantStatus = http.StatusOK
			}
			if summary["http_status_code"] != float64(wantStatus) {
				t.Errorf("http_status_code = %v, want %d", summary["http_status_code"], wantStatus)
			}
			if summary["@module"] != "provider."+subsystem {
				t.Errorf("@module = %v, want the subsystem provider.%s", summary["@module"], subsystem)
			}
			if _, ok := summary["http_duration_ms"]; !ok {
				t.Error("http_duration_ms missing")
			}

			request := entry(t, logged, "Sending HTTP request")
			checkBody(t, "request", request["http_request_body"], tt.wantRequestBody)
			response := entry(t, logged, "HTTP response details")
			checkBody(t, "response", response["http_response_body"], tt.wantResponseBody)

			headers, _ := request["http_request_headers"].(map[string]any)
			for name := range tt.ex.requestHeaders {
				if headers[name] != httplog.Redacted {
					t.Errorf("request header %s = %v, want %s", name, headers[name], httplog.Redacted)
				}
			}
		})
	}
}

func checkBody(t *testing.T, which string, got any, want string) {
	t.Helper()
	if want == "-" {
		if got != nil {
			t.Errorf("%s body logged as %v, want none", which, got)
		}
		return
	}
	s, _ := got.(string)
	if !strings.Contains(s, want) {
		t.Errorf("%s body logged as %q, want it to contain %q", which, s, want)
	}
}

func TestPolicyKeepsQueryAndRedactsSecretParameters(t *testing.T) {
	ctx, buf := loggingContext()
	run(t, ctx, httplog.Options{}, exchange{
		method: http.MethodGet,
		query:  "?api-version=2024-03-01&$skipToken=abc&access_token=" + querySecret,
	})
	logged := buf.String()
	assertNoSecrets(t, logged)
	url, _ := entry(t, logged, "Received HTTP response")["http_url"].(string)
	for _, want := range []string{"api-version=2024-03-01", "skipToken=abc", "access_token=REDACTED"} {
		if !strings.Contains(url, want) {
			t.Errorf("http_url %q does not contain %q", url, want)
		}
	}
}

func TestPolicyCapsLargeBodies(t *testing.T) {
	ctx, buf := loggingContext()
	large := `{"items":["` + strings.Repeat("x", 10000) + `"]}`
	_, read := run(t, ctx, httplog.Options{}, exchange{
		method:       http.MethodGet,
		responseType: "application/json",
		responseBody: large,
	})
	if read != large {
		t.Fatal("the caller did not get the whole body")
	}
	body, _ := entry(t, buf.String(), "HTTP response details")["http_response_body"].(string)
	if len(body) > 5000 || !strings.Contains(body, "truncated") {
		t.Errorf("logged body has %d bytes and no truncation note; want it capped", len(body))
	}
}

func TestPolicyDebugLevelLogsNoHeadersOrBodies(t *testing.T) {
	t.Setenv(httplog.LevelEnvPrefix+"_"+strings.ToUpper(subsystem), "DEBUG")
	ctx, buf := loggingContext()
	run(t, ctx, httplog.Options{}, exchange{
		method:         http.MethodPost,
		requestHeaders: map[string]string{"X-Custom": "visible-only-at-trace"},
		requestType:    "application/json",
		requestBody:    `{"a":"request-body-marker"}`,
		responseType:   "application/json",
		responseBody:   `{"b":"response-body-marker"}`,
	})
	logged := buf.String()
	got := entries(t, logged)
	if len(got) != 1 || got[0]["@message"] != "Received HTTP response" || got[0]["@level"] != "debug" {
		t.Fatalf("want exactly the DEBUG summary entry, got:\n%s", logged)
	}
	for _, marker := range []string{"visible-only-at-trace", "request-body-marker", "response-body-marker"} {
		if strings.Contains(logged, marker) {
			t.Errorf("DEBUG log contains %q", marker)
		}
	}
}

func TestPolicyWithoutLoggerLeavesTrafficIntact(t *testing.T) {
	received, read := run(t, context.Background(), httplog.Options{}, exchange{
		method:       http.MethodPut,
		requestType:  "application/json",
		requestBody:  `{"a":1}`,
		responseType: "application/json",
		responseBody: `{"b":2}`,
	})
	if received != `{"a":1}` || read != `{"b":2}` {
		t.Errorf("server got %q and caller read %q; want the bodies unchanged", received, read)
	}
}

func TestPolicyNumbersAttemptsAcrossRetries(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if string(body) != `{"n":1}` {
			t.Errorf("attempt %d sent body %q; want the full body on every attempt", calls.Load()+1, body)
		}
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()

	ctx, buf := loggingContext()
	pl := runtime.NewPipeline("test", "v0.0.1", runtime.PipelineOptions{
		PerRetry: []policy.Policy{httplog.NewPolicy(subsystem, httplog.Options{})},
	}, &policy.ClientOptions{Transport: srv.Client(), Retry: policy.RetryOptions{RetryDelay: time.Millisecond}})
	req, err := runtime.NewRequest(ctx, http.MethodPut, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if err := runtime.MarshalAsJSON(req, map[string]int{"n": 1}); err != nil {
		t.Fatal(err)
	}
	resp, err := pl.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("got %v, %v; want 200 after one retry", resp, err)
	}

	var statuses, attempts []float64
	for _, e := range entries(t, buf.String()) {
		if e["@message"] == "Received HTTP response" {
			statuses = append(statuses, e["http_status_code"].(float64))
			attempts = append(attempts, e["http_attempt"].(float64))
		}
	}
	if len(attempts) != 2 || attempts[0] != 1 || attempts[1] != 2 || statuses[0] != 429 || statuses[1] != 200 {
		t.Errorf("logged attempts %v with statuses %v; want attempts [1 2] with [429 200]", attempts, statuses)
	}
}

func TestPolicyLogsTransportErrors(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	transport := srv.Client()
	srv.Close()

	ctx, buf := loggingContext()
	pl := runtime.NewPipeline("test", "v0.0.1", runtime.PipelineOptions{
		PerRetry: []policy.Policy{headerPolicy{"Authorization": "Bearer " + bearerToken}, httplog.NewPolicy(subsystem, httplog.Options{})},
	}, &policy.ClientOptions{Transport: transport, Retry: policy.RetryOptions{MaxRetries: -1}})
	req, err := runtime.NewRequest(ctx, http.MethodGet, srv.URL+"/gone")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pl.Do(req); err == nil {
		t.Fatal("want a transport error from a closed server")
	}
	logged := buf.String()
	assertNoSecrets(t, logged)
	failed := entry(t, logged, "HTTP request failed")
	if msg, _ := failed["error"].(string); msg == "" {
		t.Errorf("failure entry has no error text: %v", failed)
	}
}

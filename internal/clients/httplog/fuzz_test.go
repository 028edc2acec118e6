package httplog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/hashicorp/terraform-plugin-log/tflogtest"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/httplog"
)

// secretKeys are JSON field names whose values the log must never show.
var secretKeys = []string{"access_token", "refresh_token", "id_token", "client_secret", "client_assertion", "password", "Token", "apiKey", "x-api-secret", "value"}

// echoTransport answers every request with 200 and the body it was given.
type echoTransport struct{ body []byte }

// Do implements policy.Transporter.
func (e echoTransport) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
	}
	return &http.Response{
		StatusCode:    http.StatusOK,
		Status:        "200 OK",
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(bytes.NewReader(e.body)),
		ContentLength: int64(len(e.body)),
		Request:       req,
	}, nil
}

// logBody sends body as the request and the answer of one exchange through the logging policy at
// TRACE level and returns every string value of every log entry.
func logBody(t *testing.T, body []byte) []string {
	t.Helper()
	var buf bytes.Buffer
	ctx := tflogtest.RootLogger(context.Background(), &buf)
	pl := runtime.NewPipeline("fuzz", "v0.0.1", runtime.PipelineOptions{
		PerRetry: []policy.Policy{httplog.NewPolicy(subsystem, httplog.Options{})},
	}, &policy.ClientOptions{Transport: echoTransport{body}, Retry: policy.RetryOptions{MaxRetries: -1}})
	req, err := runtime.NewRequest(ctx, http.MethodPost, "https://fuzz.example/things")
	if err != nil {
		t.Fatal(err)
	}
	if err := req.SetBody(streaming.NopCloser(bytes.NewReader(body)), "application/json"); err != nil {
		t.Fatal(err)
	}
	resp, err := pl.Do(req)
	if err != nil {
		t.Fatalf("sending through the logging policy: %v", err)
	}
	read, err := io.ReadAll(resp.Body)
	if err != nil || !bytes.Equal(read, body) {
		t.Fatalf("the caller read %q (%v) after logging, want the body unchanged", read, err)
	}
	logged, err := tflogtest.MultilineJSONDecode(&buf)
	if err != nil {
		t.Fatalf("decoding the log: %v", err)
	}
	var values []string
	for _, e := range logged {
		values = appendStrings(values, e)
	}
	return values
}

// appendStrings appends every string held anywhere in v.
func appendStrings(out []string, v any) []string {
	switch t := v.(type) {
	case string:
		return append(out, t)
	case map[string]any:
		for k, child := range t {
			out = appendStrings(append(out, k), child)
		}
	case []any:
		for _, child := range t {
			out = appendStrings(out, child)
		}
	}
	return out
}

func containsAny(values []string, needle string) bool {
	for _, v := range values {
		if strings.Contains(v, needle) {
			return true
		}
	}
	return false
}

// FuzzRedactedJSONBody logs request and answer bodies that carry a secret in a credential field,
// beside any JSON document: the secret must never reach the log, in any form.
func FuzzRedactedJSONBody(f *testing.F) {
	f.Add([]byte(`{"kind":"MicrosoftCloudAppSecurity","properties":{"tenantId":"t"}}`), "s3cr3t-value-0123", uint8(0), false)
	f.Add([]byte(`[1,2,{"a":null}]`), "p4ss\"word\\with<escapes>", uint8(5), true)
	f.Add([]byte(`"plain string"`), "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", uint8(9), false)
	f.Add([]byte(`{"value":[{"id":"x"}]}`), "\u00e9t\u00e9-secret-\u2603", uint8(3), true)
	f.Fuzz(func(t *testing.T, doc []byte, secret string, keyIndex uint8, nested bool) {
		if len(secret) < 8 || !json.Valid(doc) {
			return
		}
		key := secretKeys[int(keyIndex)%len(secretKeys)]
		build := func(value string) []byte {
			field, err := json.Marshal(map[string]string{key: value})
			if err != nil {
				t.Fatal(err)
			}
			if nested {
				return []byte(fmt.Sprintf(`{"items":[%s],"doc":%s}`, field, doc))
			}
			return []byte(fmt.Sprintf(`{"doc":%s,%s`, doc, field[1:]))
		}
		forms := []string{secret}
		if escaped, err := json.Marshal(secret); err == nil {
			forms = append(forms, strings.Trim(string(escaped), `"`))
		}
		// A secret that the log shows anyway, without it in the body (it is part of the document, a
		// field name or the log's own text), cannot be told apart.
		without := logBody(t, build(httplog.Redacted))
		for _, form := range forms {
			if containsAny(without, form) {
				return
			}
		}
		with := logBody(t, build(secret))
		for _, form := range forms {
			if containsAny(with, form) {
				t.Fatalf("the log shows the value of the JSON field %q", key)
			}
		}
	})
}

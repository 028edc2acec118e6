package resourcemanager_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/internal/clienttest"
	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/resourcemanager"
)

// fuzzEndpoint is the Resource Manager endpoint of the fuzzed clients; no request leaves the process.
const fuzzEndpoint = "https://management.fuzz.example"

// maxFuzzRequests bounds the requests one fuzzed call may send; more means the client pages forever.
const maxFuzzRequests = 20

// maxErrorText bounds the length of an error message about one answer: the operation, the id, the
// status and code, and the service message capped by the client.
const maxErrorText = 2048

var guidPattern = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)

// fuzzClient returns a client whose requests r answers, without retries.
func fuzzClient(t *testing.T, r *clienttest.Replay) *resourcemanager.Client {
	t.Helper()
	r.T, r.MaxRequests = t, maxFuzzRequests
	c, err := resourcemanager.NewClient(&clienttest.Credential{Token: "fuzz-token"}, &arm.ClientOptions{ClientOptions: policy.ClientOptions{
		Cloud: cloud.Configuration{
			ActiveDirectoryAuthorityHost: "https://login.fuzz.example/",
			Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
				cloud.ResourceManager: {Endpoint: fuzzEndpoint, Audience: fuzzEndpoint},
			},
		},
		Transport: r,
		Retry:     policy.RetryOptions{MaxRetries: -1},
	}})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

// jsonAnswer answers status with a JSON body.
func jsonAnswer(status int, body []byte) clienttest.Answer {
	return func(int, *http.Request) (int, http.Header, []byte) {
		return status, http.Header{"Content-Type": {"application/json; charset=utf-8"}}, body
	}
}

// seedFiles returns the contents of the JSON files in testdata: answers of the real service.
func seedFiles(f *testing.F) [][]byte {
	f.Helper()
	names, err := filepath.Glob("testdata/*.json")
	if err != nil || len(names) == 0 {
		f.Fatalf("no testdata/*.json seeds (%v)", err)
	}
	var out [][]byte
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, data)
	}
	return out
}

// seedIDs returns every ARM id found in the testdata files, and the workspace ids above them.
func seedIDs(f *testing.F) []string {
	f.Helper()
	idPattern := regexp.MustCompile(`"id":\s*"([^"]+)"`)
	var out []string
	for _, data := range seedFiles(f) {
		for _, m := range idPattern.FindAllSubmatch(data, -1) {
			id := string(m[1])
			out = append(out, id)
			if ws, _, ok := strings.Cut(id, "/providers/Microsoft.SecurityInsights/"); ok {
				out = append(out, ws)
			}
		}
	}
	return out
}

func FuzzParseWorkspaceID(f *testing.F) {
	for _, id := range seedIDs(f) {
		f.Add(id)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := resourcemanager.ParseWorkspaceID(s)
		if err != nil {
			if !strings.Contains(err.Error(), "expected /subscriptions/{subscription id}") {
				t.Errorf("error %q does not show the expected form", err)
			}
			return
		}
		if !guidPattern.MatchString(id.SubscriptionID) || id.ResourceGroup == "" || id.Name == "" ||
			strings.ContainsAny(id.ResourceGroup+id.Name, "/?#") {
			t.Fatalf("ParseWorkspaceID(%q) = %+v, which is not a valid workspace id", s, id)
		}
		again, err := resourcemanager.ParseWorkspaceID(id.String())
		if err != nil || again != id {
			t.Fatalf("ParseWorkspaceID(%q) = %+v, but its String() %q parses to %+v, %v", s, id, id.String(), again, err)
		}
		if !strings.EqualFold(strings.TrimSuffix(s, "/"), id.String()) {
			t.Errorf("ParseWorkspaceID(%q).String() = %q, which is not the same id up to case", s, id.String())
		}
	})
}

func FuzzParseDataConnectorID(f *testing.F) {
	for _, id := range seedIDs(f) {
		f.Add(id)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := resourcemanager.ParseDataConnectorID(s)
		if err != nil {
			if !strings.Contains(err.Error(), "/providers/Microsoft.SecurityInsights/dataConnectors/{connector id}") {
				t.Errorf("error %q does not show the expected form", err)
			}
			return
		}
		if err := resourcemanager.ValidateConnectorName(id.Name); err != nil {
			t.Fatalf("ParseDataConnectorID(%q) accepted connector name %q: %v", s, id.Name, err)
		}
		if ws, err := resourcemanager.ParseWorkspaceID(id.Workspace.String()); err != nil || ws != id.Workspace {
			t.Fatalf("ParseDataConnectorID(%q) has workspace %+v, which does not parse back (%+v, %v)", s, id.Workspace, ws, err)
		}
		again, err := resourcemanager.ParseDataConnectorID(id.String())
		if err != nil || again != id {
			t.Fatalf("ParseDataConnectorID(%q) = %+v, but its String() %q parses to %+v, %v", s, id, id.String(), again, err)
		}
		if !strings.EqualFold(strings.TrimSuffix(s, "/"), id.String()) {
			t.Errorf("ParseDataConnectorID(%q).String() = %q, which is not the same id up to case", s, id.String())
		}
	})
}

// FuzzDataConnector decodes a data connector answer and writes it back: the connector's kind and
// properties must survive the round trip unchanged.
func FuzzDataConnector(f *testing.F) {
	for _, data := range seedFiles(f) {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		get := &clienttest.Replay{Answer: jsonAnswer(http.StatusOK, body)}
		dc, err := fuzzClient(t, get).GetDataConnector(context.Background(), testConnector)
		if err != nil {
			clienttest.CheckErrorText(t, err, maxErrorText+len(testConnector.String()))
			return
		}
		if props, err := dc.CloudAppSecurity(); err == nil {
			_, _ = props.AlertsEnabled(), props.DiscoveryLogsEnabled()
		} else if strings.EqualFold(dc.Kind, resourcemanager.KindCloudAppSecurity) && len(dc.Properties) > 0 && string(dc.Properties) != "null" {
			clienttest.CheckErrorText(t, err, maxErrorText+len(body))
		}

		put := &clienttest.Replay{Answer: jsonAnswer(http.StatusCreated, body)}
		_, err = fuzzClient(t, put).PutDataConnector(context.Background(), testConnector, *dc)
		if dc.Kind == "" || len(dc.Properties) == 0 {
			if err == nil || len(put.Requests()) != 0 {
				t.Fatalf("PutDataConnector of a connector without kind or properties sent %d requests and returned %v; want an error before any request", len(put.Requests()), err)
			}
			return
		}
		if err != nil {
			t.Fatalf("PutDataConnector echoing the connector back: %v", err)
		}
		var sent map[string]json.RawMessage
		if err := json.Unmarshal(put.Bodies()[0], &sent); err != nil {
			t.Fatalf("the PUT body is not a JSON object: %v: %q", err, put.Bodies()[0])
		}
		var kind string
		if len(sent) != 2 || json.Unmarshal(sent["kind"], &kind) != nil || kind != dc.Kind {
			t.Fatalf("the PUT body %q does not hold exactly kind %q and properties", put.Bodies()[0], dc.Kind)
		}
		if !sameJSON(t, sent["properties"], dc.Properties) {
			t.Fatalf("the PUT body's properties %q differ from the connector's %q", sent["properties"], dc.Properties)
		}
	})
}

// sameJSON reports whether two JSON documents hold the same value.
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatalf("decoding %q: %v", a, err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatalf("decoding %q: %v", b, err)
	}
	return reflect.DeepEqual(va, vb)
}

// FuzzListDataConnectors answers the first list request with first and every later one with next.
// The client must stop (nextLink loops are refused), and never send a request, and so its token,
// anywhere but the Resource Manager endpoint.
func FuzzListDataConnectors(f *testing.F) {
	for _, data := range seedFiles(f) {
		f.Add(data, []byte(`{"value":[]}`))
	}
	f.Add([]byte(`{"value":[],"nextLink":"//elsewhere.example/next"}`), []byte(`{"value":[]}`))
	f.Fuzz(func(t *testing.T, first, next []byte) {
		r := &clienttest.Replay{Answer: clienttest.FirstThen(jsonAnswer(http.StatusOK, first), jsonAnswer(http.StatusOK, next))}
		connectors, err := fuzzClient(t, r).ListDataConnectors(context.Background(), testWorkspace)
		for _, req := range r.Requests() {
			if req.URL.Scheme != "https" || req.URL.Host != strings.TrimPrefix(fuzzEndpoint, "https://") {
				t.Fatalf("the client sent a request to %s://%s, not to the Resource Manager endpoint %s", req.URL.Scheme, req.URL.Host, fuzzEndpoint)
			}
			if req.URL.Query().Get("api-version") == "" {
				t.Fatalf("the client sent %s without an api-version", req.URL)
			}
		}
		if err != nil {
			clienttest.CheckErrorText(t, err, maxErrorText+len(first)+len(next))
			return
		}
		// Every connector of every page served is returned, in order of the pages.
		count := func(page []byte) int {
			var doc struct {
				Value []json.RawMessage `json:"value"`
			}
			if err := json.Unmarshal(page, &doc); err != nil {
				t.Fatalf("ListDataConnectors accepted the page %q, which does not decode: %v", page, err)
			}
			return len(doc.Value)
		}
		want := count(first)
		if len(r.Requests()) > 1 {
			want += (len(r.Requests()) - 1) * count(next)
		}
		if len(connectors) != want {
			t.Fatalf("ListDataConnectors returned %d connectors from %d pages holding %d", len(connectors), len(r.Requests()), want)
		}
	})
}

// FuzzGetWorkspace answers the workspace read with any content type and body.
func FuzzGetWorkspace(f *testing.F) {
	f.Add("application/json", []byte(`{"id":"`+wsID+`","name":"myWorkspace","location":"westeurope","properties":{"customerId":"4b7ebd40-8d84-4fbd-8a4e-3f3a1a0a1b2c"}}`))
	f.Add("application/json", []byte(`{"properties":null}`))
	f.Add("", []byte(`[]`))
	f.Add("text/html", []byte(`<html>proxy error</html>`))
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		answer := func(int, *http.Request) (int, http.Header, []byte) {
			return http.StatusOK, http.Header{"Content-Type": {contentType}}, body
		}
		ws, err := fuzzClient(t, &clienttest.Replay{Answer: answer}).GetWorkspace(context.Background(), testWorkspace)
		if err != nil {
			clienttest.CheckErrorText(t, err, maxErrorText+len(wsID))
			return
		}
		var doc struct {
			Properties struct {
				CustomerID string `json:"customerId"`
			} `json:"properties"`
		}
		if json.Unmarshal(body, &doc) == nil && doc.Properties.CustomerID != ws.CustomerID {
			t.Fatalf("GetWorkspace read customer id %q from a body whose properties.customerId is %q", ws.CustomerID, doc.Properties.CustomerID)
		}
	})
}

// FuzzErrorAnswer answers with any status that is not a success, any error code header and any body:
// the error must keep the status, quote at most a bounded, one-line part of the body, and say "not
// found" only for HTTP 404.
func FuzzErrorAnswer(f *testing.F) {
	f.Add(uint16(401), "", []byte(`{"error":{"code":"InvalidLicense","message":"License is invalid"}}`))
	f.Add(uint16(403), "", []byte(`{"error":{"code":"AuthorizationFailed","message":"The client does not have authorization"}}`))
	f.Add(uint16(400), "", []byte(`{"code":"BadRequest","message":"bare error"}`))
	f.Add(uint16(404), "ResourceNotFound", []byte(`<html><body>Not Found</body></html>`))
	f.Add(uint16(429), "", []byte(""))
	f.Add(uint16(503), "", []byte("\xff\xfe not UTF-8 \n\n lines"))
	f.Fuzz(func(t *testing.T, rawStatus uint16, code string, body []byte) {
		status := 300 + int(rawStatus)%300
		header := http.Header{"Content-Type": {"application/json"}}
		if code != "" {
			header.Set("x-ms-error-code", code)
		}
		r := &clienttest.Replay{Answer: func(int, *http.Request) (int, http.Header, []byte) { return status, header, body }}
		_, err := fuzzClient(t, r).GetDataConnector(context.Background(), testConnector)
		if err == nil {
			t.Fatalf("HTTP %d was taken for a success", status)
		}
		var rmErr *resourcemanager.Error
		if !errors.As(err, &rmErr) || rmErr.StatusCode != status {
			t.Fatalf("HTTP %d gave %T %v, want a *resourcemanager.Error with that status", status, err, err)
		}
		var respErr *azcore.ResponseError
		if !errors.As(err, &respErr) || respErr.StatusCode != status {
			t.Fatalf("HTTP %d: errors.As does not reach an *azcore.ResponseError with that status", status)
		}
		if resourcemanager.IsNotFound(err) != (status == http.StatusNotFound) {
			t.Fatalf("IsNotFound = %v for HTTP %d", resourcemanager.IsNotFound(err), status)
		}
		clienttest.CheckErrorText(t, err, maxErrorText+len(testConnector.String()))
	})
}

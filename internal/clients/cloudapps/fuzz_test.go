package cloudapps_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/cloudapps"
	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/internal/clienttest"
)

// fuzzPortal is the portal URL of the fuzzed clients; no request leaves the process.
const fuzzPortal = "https://contoso.fuzz.portal.cloudappsecurity.com"

// maxFuzzRequests bounds the requests one fuzzed call may send; more means the client pages forever.
const maxFuzzRequests = 200

// maxErrorText bounds the length of an error message about one answer: the operation, the status,
// the body quoted by the client (capped) and the advice.
const maxErrorText = 2048

var hexID = regexp.MustCompile(`^[0-9A-Fa-f]{24}$`)

// fuzzClient returns a client whose requests r answers, without retries or a client-side limit.
func fuzzClient(t testing.TB, r *clienttest.Replay) *cloudapps.Client {
	t.Helper()
	r.T, r.MaxRequests = t, maxFuzzRequests
	c, err := cloudapps.NewClient(cloudapps.Options{
		PortalURL:     fuzzPortal,
		APIToken:      apiToken,
		ClientOptions: policy.ClientOptions{Transport: r, Retry: policy.RetryOptions{MaxRetries: -1}},
	})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

// jsonAnswer answers 200 with a JSON body.
func jsonAnswer(body []byte) clienttest.Answer {
	return func(int, *http.Request) (int, http.Header, []byte) {
		return http.StatusOK, http.Header{"Content-Type": {"application/json"}}, body
	}
}

// FuzzListStreams decodes any answer to the stream list: the client must accept exactly the three
// documented envelopes (see pageOf) and return one stream per element of the list. Every answer is
// the same page, so an answer that reports more is never accepted.
func FuzzListStreams(f *testing.F) {
	const stream = `{"_id":"5a4a1e4f5e0c2d0001f3e1a1","displayName":"Palo Alto FW","streamType":1,"logType":112,"receiverType":"syslog","created":"2023-04-01T10:00:00Z","lastModified":{"$date":1680343200000},"lastDataReceived":null,"globalAggregated":false}`
	for _, body := range []string{
		`{"streams":[` + stream + `]}`,
		`[` + stream + `,{"_id":"5a4a1e4f5e0c2d0001f3e1a2","displayName":"Global View","streamType":3,"created":1680343200000,"globalAggregated":true}]`,
		`{"total":1,"hasNext":false,"data":[` + stream + `]}`,
		`{"streams":null}`,
		`{"streams":null,"data":[` + stream + `]}`,
		`{"streams":[],"hasNext":"yes"}`,
		`{"Streams":[]}`,
		`{"items":[]}`,
		`[{"created":1e300}]`,
	} {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		streams, err := fuzzClient(t, &clienttest.Replay{Answer: jsonAnswer(body)}).ListStreams(context.Background())
		if err != nil {
			clienttest.CheckErrorText(t, err, maxErrorText)
			return
		}
		list, hasNext, ok := pageOf(body, "streams", "data")
		switch {
		case !ok:
			t.Fatalf("ListStreams accepted %q, which is not a page of a list", body)
		case hasNext:
			t.Fatalf("ListStreams accepted %q, which reports more after itself", body)
		case len(streams) != len(list):
			t.Fatalf("ListStreams returned %d streams for a list of %d elements", len(streams), len(list))
		}
	})
}

// pageOf reads a page of a list as the client must: a bare array, or a JSON object with the list
// under the first of fields (matched exactly) that it holds and is not null, and with "hasNext"
// absent, null or a boolean. ok is false for a page that the client must refuse for its shape.
func pageOf(body []byte, fields ...string) (list []json.RawMessage, hasNext, ok bool) {
	if body = bytes.TrimSpace(body); len(body) > 0 && body[0] == '[' {
		return list, false, json.Unmarshal(body, &list) == nil
	}
	var envelope map[string]json.RawMessage
	if json.Unmarshal(body, &envelope) != nil {
		return nil, false, false
	}
	for _, field := range fields {
		if raw := envelope[field]; raw != nil && string(raw) != "null" {
			if next, found := envelope["hasNext"]; found && json.Unmarshal(next, &hasNext) != nil {
				return nil, false, false
			}
			return list, hasNext, json.Unmarshal(raw, &list) == nil
		}
	}
	return nil, false, false
}

// FuzzStreamTimestamp decodes a stream whose created time is any JSON value: a string is kept as
// sent, a number (epoch milliseconds, possibly wrapped in {"$date": ...}) becomes an RFC 3339 time
// that stands for the same instant, and anything else is an error.
func FuzzStreamTimestamp(f *testing.F) {
	for _, v := range []string{`"2023-04-01T10:00:00Z"`, `1680343200000`, `1680343200000.9`, `{"$date":1680343200000}`, `{"$date":"2023-04-01T10:00:00Z"}`,
		`null`, `true`, `[1]`} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, value string) {
		doc := `{"_id":"5a4a1e4f5e0c2d0001f3e1a1","created":` + value + `}`
		if !json.Valid([]byte(doc)) {
			return
		}
		var s cloudapps.Stream
		err := json.Unmarshal([]byte(doc), &s)
		if err != nil {
			clienttest.CheckErrorText(t, err, maxErrorText)
			return
		}
		raw := json.RawMessage(strings.TrimSpace(value))
		var wrapped struct {
			Date json.RawMessage `json:"$date"`
		}
		if raw[0] == '{' && json.Unmarshal(raw, &wrapped) == nil {
			raw = bytes.TrimSpace(wrapped.Date)
		}
		switch {
		case string(raw) == "null" || len(raw) == 0:
			if s.Created != nil {
				t.Fatalf("created %s decoded to %q, want absent", value, *s.Created)
			}
		case raw[0] == '"':
			var want string
			if err := json.Unmarshal(raw, &want); err != nil || s.Created == nil || *s.Created != want {
				t.Fatalf("created %s decoded to %v, want the string as sent", value, s.Created)
			}
		default:
			ms, err := strconv.ParseFloat(string(raw), 64)
			if err != nil {
				t.Fatalf("created %s was accepted though it is neither a string nor a number", value)
			}
			if s.Created == nil {
				t.Fatalf("created %s decoded to nothing", value)
			}
			parsed, err := time.Parse(time.RFC3339Nano, *s.Created)
			if err != nil {
				t.Fatalf("created %s decoded to %q, which is not an RFC 3339 time: %v", value, *s.Created, err)
			}
			if got := parsed.UnixMilli(); math.Abs(float64(got)-ms) >= 1 {
				t.Fatalf("created %s decoded to %q, which is %d milliseconds after the epoch", value, *s.Created, got)
			}
		}
	})
}

// FuzzListAgents answers the first page with first and every later page with next. The client must
// stop, ask for the pages in order, accept only pages of the shapes it reads (see pageOf), and return
// every agent it was given.
func FuzzListAgents(f *testing.F) {
	agent := agentJSON(agentID, "sentinel")
	f.Add([]byte(`{"total":1,"hasNext":false,"data":[`+agent+`]}`), []byte(`{"total":0,"hasNext":false,"data":[]}`))
	f.Add([]byte(`{"total":2,"hasNext":true,"data":[`+agentJSON("000000000000000000000001", "generic")+`]}`), []byte(`{"total":2,"hasNext":false,"data":[`+agent+`]}`))
	f.Add([]byte(`{"data":null,"hasNext":true,"agents":[`+agentJSON("000000000000000000000001", "generic")+`]}`), []byte(`{"Data":[`+agent+`],"hasNext":"no"}`))
	f.Fuzz(func(t *testing.T, first, next []byte) {
		r := &clienttest.Replay{Answer: clienttest.FirstThen(jsonAnswer(first), jsonAnswer(next))}
		agents, err := fuzzClient(t, r).ListAgents(context.Background())
		// Each page starts where the agents received so far end.
		received := 0
		for i, req := range r.Requests() {
			if skip := req.URL.Query().Get("skip"); skip != strconv.Itoa(received) {
				t.Fatalf("request %d asked for skip=%s after receiving %d agents", i, skip, received)
			}
			body := first
			if i > 0 {
				body = next
			}
			list, _, ok := pageOf(body, "data", "agents")
			if !ok && err == nil {
				t.Fatalf("ListAgents accepted the page %q, which is not a page of a list", body)
			}
			received += len(list)
		}
		if err != nil {
			clienttest.CheckErrorText(t, err, maxErrorText)
			return
		}
		if len(agents) != received {
			t.Fatalf("ListAgents returned %d agents out of %d received", len(agents), received)
		}
	})
}

// TestListAgentsGivesUpOnEndlessPages answers every page with new agents and more to come: the client
// stops after a bounded number of pages with an error instead of paging forever.
func TestListAgentsGivesUpOnEndlessPages(t *testing.T) {
	r := &clienttest.Replay{Answer: func(n int, _ *http.Request) (int, http.Header, []byte) {
		return jsonAnswer([]byte(`{"total":1000000,"hasNext":true,"data":[`+agentJSON(fmt.Sprintf("%024x", n), "generic")+`]}`))(n, nil)
	}}
	_, err := fuzzClient(t, r).ListAgents(context.Background())
	if err == nil || !strings.Contains(err.Error(), "still reported more agents after 100 pages") {
		t.Fatalf("ListAgents = %v, want an error after 100 pages", err)
	}
	if len(r.Requests()) != 100 {
		t.Errorf("ListAgents sent %d requests, want 100", len(r.Requests()))
	}
}

// FuzzAgent decodes any answer to an agent write, then writes the agent back: a decoded agent has a
// valid id, and the update sends exactly its writable fields.
func FuzzAgent(f *testing.F) {
	f.Add([]byte(agentJSON(agentID, "sentinel")))
	f.Add([]byte(`{"_id":"` + agentID + `","agentType":"generic","displayName":"Splunk","dataTypes":{"alerts":true,"discoveryLogs":{"enabled":false,"streams":null}}}`))
	f.Add([]byte(`{"agentType":"sentinel"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		a, err := fuzzClient(t, &clienttest.Replay{Answer: jsonAnswer(body)}).UpdateAgent(context.Background(), agentID, cloudapps.Agent{})
		if err != nil {
			clienttest.CheckErrorText(t, err, maxErrorText)
			return
		}
		if !hexID.MatchString(a.ID) {
			t.Fatalf("UpdateAgent accepted the agent id %q, which is not 24 hexadecimal characters", a.ID)
		}
		r := &clienttest.Replay{Answer: jsonAnswer(body)}
		if _, err := fuzzClient(t, r).UpdateAgent(context.Background(), a.ID, *a); err != nil {
			t.Fatalf("UpdateAgent with the answer echoed back: %v", err)
		}
		var sent map[string]json.RawMessage
		if err := json.Unmarshal(r.Bodies()[0], &sent); err != nil {
			t.Fatalf("the PUT body %q is not a JSON object: %v", r.Bodies()[0], err)
		}
		if len(sent) != 3 || sent["agentType"] == nil || sent["displayName"] == nil || sent["dataTypes"] == nil {
			t.Fatalf("the PUT body %q does not hold exactly agentType, displayName and dataTypes", r.Bodies()[0])
		}
		var got cloudapps.Agent
		if err := json.Unmarshal(r.Bodies()[0], &got); err != nil {
			t.Fatalf("the PUT body %q does not decode as an agent: %v", r.Bodies()[0], err)
		}
		want := cloudapps.Agent{AgentType: a.AgentType, DisplayName: a.DisplayName, DataTypes: a.DataTypes}
		if want.DataTypes.DiscoveryLogs.Streams == nil {
			want.DataTypes.DiscoveryLogs.Streams = []string{}
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("the PUT body sent %+v for the agent %+v", got, want)
		}
	})
}

// FuzzErrorAnswer answers with any status that is not a success and any body: the error keeps the
// status, quotes at most a bounded, one-line part of the body, and the Is* helpers follow the status.
func FuzzErrorAnswer(f *testing.F) {
	f.Add(uint16(401), "application/json", []byte(`{"detail":"Invalid token"}`))
	f.Add(uint16(403), "application/json", []byte(`{"detail":"Tenant has no license"}`))
	f.Add(uint16(404), "text/html", []byte(`<html>Not Found</html>`))
	f.Add(uint16(409), "application/json", []byte(`{"detail":"A Sentinel agent already exists"}`))
	f.Add(uint16(429), "", []byte(""))
	f.Add(uint16(502), "text/plain", []byte("\xff\xfe not UTF-8 \n\n"+strings.Repeat("long ", 400)))
	f.Fuzz(func(t *testing.T, rawStatus uint16, contentType string, body []byte) {
		status := 300 + int(rawStatus)%300
		r := &clienttest.Replay{Answer: func(int, *http.Request) (int, http.Header, []byte) {
			return status, http.Header{"Content-Type": {contentType}}, body
		}}
		err := fuzzClient(t, r).DeleteAgent(context.Background(), agentID)
		if err == nil {
			t.Fatalf("HTTP %d was taken for a success", status)
		}
		var caErr *cloudapps.Error
		if !errors.As(err, &caErr) || caErr.StatusCode != status {
			t.Fatalf("HTTP %d gave %T %v, want a *cloudapps.Error with that status", status, err, err)
		}
		for name, got := range map[string]bool{
			"IsNotFound":     cloudapps.IsNotFound(err) != (status == http.StatusNotFound),
			"IsConflict":     cloudapps.IsConflict(err) != (status == http.StatusConflict),
			"IsThrottled":    cloudapps.IsThrottled(err) != (status == http.StatusTooManyRequests),
			"IsUnauthorized": cloudapps.IsUnauthorized(err) != (status == http.StatusUnauthorized || status == http.StatusForbidden),
		} {
			if got {
				t.Errorf("%s is wrong for HTTP %d", name, status)
			}
		}
		clienttest.CheckErrorText(t, err, maxErrorText)
	})
}

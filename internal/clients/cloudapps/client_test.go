package cloudapps_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/hashicorp/terraform-plugin-log/tflogtest"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/cloudapps"
	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/internal/clienttest"
)

const (
	apiToken    = "legacyApiToken0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS="
	bearerToken = "entra-bearer-token-secret"
	agentID     = "5f1e2d3c4b5a69788796a5b4"
)

// newClient returns a client using the legacy API token, with tiny retry
// delays unless retry says otherwise.
func newClient(t *testing.T, s *clienttest.Server, retry policy.RetryOptions) *cloudapps.Client {
	t.Helper()
	if retry.RetryDelay == 0 {
		retry.RetryDelay = time.Millisecond
	}
	if retry.MaxRetryDelay == 0 {
		retry.MaxRetryDelay = 20 * time.Millisecond
	}
	c, err := cloudapps.NewClient(cloudapps.Options{
		PortalURL:     s.URL + "/",
		APIToken:      apiToken,
		ClientOptions: policy.ClientOptions{Transport: s.Client(), Retry: retry},
	})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func TestNewClientValidatesOptions(t *testing.T) {
	cred := &clienttest.Credential{Token: bearerToken}
	tests := []struct {
		name    string
		opts    cloudapps.Options
		wantErr string
	}{
		{name: "token", opts: cloudapps.Options{PortalURL: "https://contoso.us3.portal.cloudappsecurity.com", APIToken: apiToken}},
		{name: "credential and trailing slash", opts: cloudapps.Options{PortalURL: "https://contoso.eu2.portal.cloudappsecurity.com/", Credential: cred}},
		{name: "empty URL", opts: cloudapps.Options{APIToken: apiToken}, wantErr: "portal URL is empty"},
		{name: "http", opts: cloudapps.Options{PortalURL: "http://contoso.us3.portal.cloudappsecurity.com", APIToken: apiToken}, wantErr: `"http://contoso.us3.portal.cloudappsecurity.com" uses the scheme "http"; only https URLs are accepted`},
		{name: "no scheme", opts: cloudapps.Options{PortalURL: "contoso.us3.portal.cloudappsecurity.com", APIToken: apiToken}, wantErr: "is not an absolute URL"},
		{name: "query", opts: cloudapps.Options{PortalURL: "https://contoso.us3.portal.cloudappsecurity.com/?x=1", APIToken: apiToken}, wantErr: "has a query or a fragment"},
		{name: "user information", opts: cloudapps.Options{PortalURL: "https://admin:secret@contoso.us3.portal.cloudappsecurity.com", APIToken: apiToken}, wantErr: `"https://admin:xxxxx@contoso.us3.portal.cloudappsecurity.com" carries user information`},
		{name: "not a URL", opts: cloudapps.Options{PortalURL: "https://%zz", APIToken: apiToken}, wantErr: "is not a valid URL"},
		{name: "no authentication", opts: cloudapps.Options{PortalURL: "https://contoso.us3.portal.cloudappsecurity.com"}, wantErr: "no authentication was configured"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := cloudapps.NewClient(tt.opts)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("NewClient: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("NewClient error %v, want %q", err, tt.wantErr)
			case err != nil && strings.Contains(err.Error(), apiToken):
				t.Errorf("error reveals the API token: %v", err)
			}
		})
	}
}

func TestAuthenticationHeaders(t *testing.T) {
	handle := func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, `[]`) }
	t.Run("legacy token", func(t *testing.T) {
		s := clienttest.NewServer(t, handle)
		if _, err := newClient(t, s, policy.RetryOptions{}).ListStreams(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := s.Requests()[0].Header.Get("Authorization"); got != "Token "+apiToken {
			t.Errorf("Authorization = %q, want Token <api token>", got)
		}
	})
	t.Run("Entra bearer token", func(t *testing.T) {
		s := clienttest.NewServer(t, handle)
		cred := &clienttest.Credential{Token: bearerToken}
		c, err := cloudapps.NewClient(cloudapps.Options{PortalURL: s.URL, Credential: cred, ClientOptions: policy.ClientOptions{Transport: s.Client()}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.ListStreams(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := s.Requests()[0].Header.Get("Authorization"); got != "Bearer "+bearerToken {
			t.Errorf("Authorization = %q, want Bearer <token>", got)
		}
		if len(cred.Scopes()) != 1 || cred.Scopes()[0] != cloudapps.Audience+"/.default" {
			t.Errorf("scopes %v, want [%s/.default]", cred.Scopes(), cloudapps.Audience)
		}
	})
}

func TestListStreamsEnvelopes(t *testing.T) {
	const stream = `{"_id":"5a4a1e4f5e0c2d0001f3e1a1","displayName":"Palo Alto FW","streamType":1,"logType":112,"receiverType":"syslog","created":"2023-04-01T10:00:00Z","lastModified":"2023-04-02T10:00:00.123Z","lastDataReceived":null,"globalAggregated":false,"comment":"extra field"}`
	const global = `{"_id":"5a4a1e4f5e0c2d0001f3e1a2","displayName":"Global View","streamType":3,"logType":0,"receiverType":"","created":1680343200000,"globalAggregated":true}`
	tests := []struct {
		name string
		body string
	}{
		{name: "streams object", body: `{"streams":[` + stream + `,` + global + `]}`},
		{name: "bare array", body: `[` + stream + `,` + global + `]`},
		{name: "data object", body: `{"total":2,"hasNext":false,"data":[` + stream + `,` + global + `]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := clienttest.NewServer(t, func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, tt.body) })
			streams, err := newClient(t, s, policy.RetryOptions{}).ListStreams(context.Background())
			if err != nil {
				t.Fatalf("ListStreams: %v", err)
			}
			r := s.Requests()[0]
			if r.Method != http.MethodGet || r.Path != "/api/discovery/streams/" {
				t.Errorf("request %s %s, want GET /api/discovery/streams/", r.Method, r.Path)
			}
			if len(streams) != 2 {
				t.Fatalf("got %d streams, want 2", len(streams))
			}
			s0, s1 := streams[0], streams[1]
			if s0.ID != "5a4a1e4f5e0c2d0001f3e1a1" || s0.DisplayName != "Palo Alto FW" || s0.StreamType != cloudapps.StreamTypeInput || s0.LogType != 112 || s0.ReceiverType != "syslog" || s0.GlobalAggregated {
				t.Errorf("first stream %+v", s0)
			}
			if s0.Created == nil || *s0.Created != "2023-04-01T10:00:00Z" || s0.LastModified == nil || *s0.LastModified != "2023-04-02T10:00:00.123Z" || s0.LastDataReceived != nil {
				t.Errorf("first stream times %v %v %v", s0.Created, s0.LastModified, s0.LastDataReceived)
			}
			if !s1.GlobalAggregated || s1.StreamType != cloudapps.StreamTypeView || s1.Created == nil || *s1.Created != "2023-04-01T10:00:00Z" || s1.LastModified != nil {
				t.Errorf("second stream %+v (created %v), want epoch milliseconds converted to RFC 3339", s1, s1.Created)
			}
		})
	}
}

// TestListStreamsPages lists 250 streams that the service answers in pages of at most 100 in the
// {"total","hasNext","data"} envelope: three requests, skip 0, 100 and 200, each asking for 100.
func TestListStreamsPages(t *testing.T) {
	const total = 250
	s := clienttest.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		skip, _ := strconv.Atoi(r.URL.Query().Get("skip"))
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		limit = min(max(limit, 1), 100)
		var data []string
		for i := skip; i < min(skip+limit, total); i++ {
			data = append(data, fmt.Sprintf(`{"_id":"%024x","displayName":"stream %d","streamType":1}`, i, i))
		}
		writeJSON(w, http.StatusOK, fmt.Sprintf(`{"total":%d,"hasNext":%t,"data":[%s]}`, total, skip+len(data) < total, strings.Join(data, ",")))
	})
	streams, err := newClient(t, s, policy.RetryOptions{}).ListStreams(context.Background())
	if err != nil {
		t.Fatalf("ListStreams: %v", err)
	}
	if len(streams) != total || streams[0].DisplayName != "stream 0" || streams[total-1].DisplayName != fmt.Sprintf("stream %d", total-1) {
		t.Fatalf("got %d streams, want all %d in order", len(streams), total)
	}
	var asked []string
	for _, r := range s.Requests() {
		asked = append(asked, r.Query.Get("skip")+"/"+r.Query.Get("limit"))
	}
	if strings.Join(asked, " ") != "0/100 100/100 200/100" {
		t.Errorf("requests asked for skip/limit %v, want 0/100 100/100 200/100", asked)
	}
}

// TestListStreamsRefusesEndlessPaging stops on pages that would never end the list.
func TestListStreamsRefusesEndlessPaging(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{name: "empty page with more", body: `{"total":5,"hasNext":true,"data":[]}`, want: "reported more streams after 0 but sent an empty page"},
		{name: "the same page again", body: `{"total":5,"hasNext":true,"data":[{"_id":"5a4a1e4f5e0c2d0001f3e1a1"}]}`, want: `the page at skip 1 repeats stream "5a4a1e4f5e0c2d0001f3e1a1"`},
		{name: "hasNext not a boolean", body: `{"total":5,"hasNext":"yes","data":[]}`, want: `"hasNext" is "yes", not true or false`},
		// "hasNext" is read whatever the field of the list, so it is checked and followed beside "streams".
		{name: "hasNext not a boolean beside streams", body: `{"streams":[],"hasNext":1}`, want: `"hasNext" is 1, not true or false`},
		{name: "the same streams page again", body: `{"streams":[{"_id":"5a4a1e4f5e0c2d0001f3e1a1"}],"hasNext":true}`, want: `the page at skip 1 repeats stream`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := clienttest.NewServer(t, func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, tt.body) })
			_, err := newClient(t, s, policy.RetryOptions{}).ListStreams(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "listing Cloud Discovery streams") {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
			if n := len(s.Requests()); n > 2 {
				t.Errorf("the client sent %d requests, want at most 2", n)
			}
		})
	}
}

func TestListStreamsRejectsUnknownShapes(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		body        string
		wantText    string
	}{
		{name: "object without list", contentType: "application/json", body: `{"items":[]}`, wantText: `without a list in ["streams" "data"]`},
		// A null list is no list (as for the agents), and field names match exactly.
		{name: "null list", contentType: "application/json", body: `{"streams":null}`, wantText: `holds no stream list`},
		{name: "field name in other case", contentType: "application/json", body: `{"Streams":[]}`, wantText: `holds no stream list`},
		{name: "list of non-objects", contentType: "application/json", body: `{"streams":[1,2]}`, wantText: "does not hold a valid list of streams"},
		{name: "bad timestamp", contentType: "application/json", body: `[{"_id":"a","created":true}]`, wantText: "created"},
		{name: "HTML", contentType: "text/html; charset=utf-8", body: "<html><body>Sign in</body></html>", wantText: "is not JSON"},
		{name: "truncated", contentType: "application/json", body: `{"streams":[{"_id":"a"`, wantText: "malformed or truncated JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := clienttest.NewServer(t, func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", tt.contentType)
				_, _ = io.WriteString(w, tt.body)
			})
			_, err := newClient(t, s, policy.RetryOptions{}).ListStreams(context.Background())
			if err == nil {
				t.Fatal("want an error")
			}
			for _, want := range []string{"listing Cloud Discovery streams", "HTTP 200", tt.wantText} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}

func agentJSON(id, agentType string) string {
	return fmt.Sprintf(`{"_id":%q,"agentType":%q,"displayName":"agent %s","dataTypes":{"alerts":true,"discoveryLogs":{"enabled":true,"streams":[]}},"created":1700000000000,"lastModified":1700000001000}`, id, agentType, id)
}

func TestListAgentsPages(t *testing.T) {
	const total = 130
	s := clienttest.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		skip, _ := strconv.Atoi(r.URL.Query().Get("skip"))
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		var items []string
		for i := skip; i < total && i < skip+limit; i++ {
			items = append(items, agentJSON(fmt.Sprintf("%024x", i), "generic"))
		}
		writeJSON(w, http.StatusOK, fmt.Sprintf(`{"total":%d,"hasNext":%v,"data":[%s]}`, total, skip+limit < total, strings.Join(items, ",")))
	})
	agents, err := newClient(t, s, policy.RetryOptions{}).ListAgents(context.Background())
	if err != nil {
		t.Fatalf("ListAgents: %v", err)
	}
	if len(agents) != total || agents[129].ID != fmt.Sprintf("%024x", 129) {
		t.Errorf("got %d agents, want %d in order", len(agents), total)
	}
	var pages []string
	for _, r := range s.Requests() {
		if r.Path != "/api/v1/agents/siem/" {
			t.Errorf("path %s", r.Path)
		}
		pages = append(pages, r.Query.Get("skip")+"/"+r.Query.Get("limit"))
	}
	if strings.Join(pages, ",") != "0/100,100/100" {
		t.Errorf("pages requested %v, want skip 0 and 100 with limit 100", pages)
	}
}

func TestListAgentsRejectsBadPages(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		wantText string
	}{
		{name: "no data", body: `{"total":0,"hasNext":false}`, wantText: `holds no agent list`},
		{name: "null data", body: `{"total":0,"hasNext":false,"data":null}`, wantText: `without a list in ["data" "agents"]`},
		{name: "field name in other case", body: `{"Data":[]}`, wantText: `holds no agent list`},
		{name: "hasNext not a boolean", body: `{"agents":[],"hasNext":"yes"}`, wantText: `"hasNext" is "yes", not true or false`},
		{name: "list of non-objects", body: `{"data":[1]}`, wantText: `does not hold a valid list of agents`},
		{name: "not JSON", body: `<html>portal</html>`, wantText: "is not JSON"},
		{name: "empty page with more", body: `{"total":5,"hasNext":true,"data":[]}`, wantText: "empty page"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := clienttest.NewServer(t, func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, tt.body) })
			_, err := newClient(t, s, policy.RetryOptions{}).ListAgents(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %v, want %q", err, tt.wantText)
			}
			if tt.name != "empty page with more" && !errors.Is(err, cloudapps.ErrUnexpectedAnswer) {
				t.Errorf("error %v does not match ErrUnexpectedAnswer", err)
			}
		})
	}
}

// TestListAgentsEnvelopes: the route is undocumented, so the list is read from "data" (as Microsoft's
// PowerShell module does), a bare array or "agents"; unknown fields are ignored, and an agent without a
// recognisable type is never the Sentinel agent.
func TestListAgentsEnvelopes(t *testing.T) {
	sentinel := agentJSON(agentID, "sentinel")
	untyped := `{"_id":"0123456789abcdef01234567","displayName":"Microsoft Sentinel","dataTypes":{"alerts":true}}`
	for name, body := range map[string]string{
		"data":   `{"total":2,"hasNext":false,"data":[` + untyped + `,` + sentinel + `],"extra":{"x":1}}`,
		"array":  `[` + untyped + `,` + sentinel + `]`,
		"agents": `{"agents":[` + untyped + `,` + sentinel + `]}`,
		// A null "data" counts as absent, so the list is read from "agents".
		"null data": `{"data":null,"agents":[` + untyped + `,` + sentinel + `]}`,
	} {
		t.Run(name, func(t *testing.T) {
			s := clienttest.NewServer(t, func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, body) })
			c := newClient(t, s, policy.RetryOptions{})
			agents, err := c.ListAgents(context.Background())
			if err != nil || len(agents) != 2 {
				t.Fatalf("ListAgents = %d agents, %v; want 2", len(agents), err)
			}
			found, err := c.FindSentinelAgent(context.Background())
			if err != nil || found == nil || found.ID != agentID {
				t.Fatalf("FindSentinelAgent = %+v, %v; want the agent of type sentinel", found, err)
			}
		})
	}
	t.Run("only an untyped agent", func(t *testing.T) {
		s := clienttest.NewServer(t, func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, `[`+untyped+`]`) })
		found, err := newClient(t, s, policy.RetryOptions{}).FindSentinelAgent(context.Background())
		if err != nil || found != nil {
			t.Fatalf("FindSentinelAgent = %+v, %v; want none", found, err)
		}
	})
}

func TestAgentCRUD(t *testing.T) {
	in := cloudapps.Agent{
		ID:          "ignored-read-only",
		AgentType:   cloudapps.AgentTypeSentinel,
		DisplayName: "Microsoft Sentinel",
		DataTypes:   cloudapps.AgentDataTypes{Alerts: true, DiscoveryLogs: cloudapps.DiscoveryLogs{Enabled: true}},
		Created:     42,
	}
	wantBody := `{"agentType":"sentinel","displayName":"Microsoft Sentinel","dataTypes":{"alerts":true,"discoveryLogs":{"enabled":true,"streams":[]}}}`
	s := clienttest.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodPost:
			writeJSON(w, http.StatusCreated, agentJSON(agentID, "sentinel"))
		case http.MethodGet, http.MethodPut:
			writeJSON(w, http.StatusOK, agentJSON(agentID, "sentinel"))
		case http.MethodDelete:
			w.WriteHeader(http.StatusNoContent)
		}
	})
	c := newClient(t, s, policy.RetryOptions{})
	ctx := context.Background()

	created, err := c.CreateAgent(ctx, in)
	if err != nil {
		t.Fatalf("CreateAgent: %v", err)
	}
	if created.ID != agentID || created.AgentType != "sentinel" || !created.DataTypes.Alerts || !created.DataTypes.DiscoveryLogs.Enabled || created.Created != 1700000000000 || created.LastModified != 1700000001000 {
		t.Errorf("created agent %+v", created)
	}
	in.DataTypes.DiscoveryLogs.Streams = []string{"5a4a1e4f5e0c2d0001f3e1a1"}
	if _, err := c.UpdateAgent(ctx, agentID, in); err != nil {
		t.Fatalf("UpdateAgent: %v", err)
	}
	if err := c.DeleteAgent(ctx, agentID); err != nil {
		t.Fatalf("DeleteAgent: %v", err)
	}

	reqs := s.Requests()
	want := []struct{ method, path, body string }{
		{http.MethodPost, "/api/v1/agents/siem/", wantBody},
		{http.MethodPut, "/api/v1/agents/siem/" + agentID + "/", strings.Replace(wantBody, `"streams":[]`, `"streams":["5a4a1e4f5e0c2d0001f3e1a1"]`, 1)},
		{http.MethodDelete, "/api/v1/agents/siem/" + agentID + "/", ""},
	}
	if len(reqs) != len(want) {
		t.Fatalf("got %d requests, want %d", len(reqs), len(want))
	}
	for i, w := range want {
		r := reqs[i]
		if r.Method != w.method || r.Path != w.path || string(r.Body) != w.body {
			t.Errorf("request %d: %s %s %s\nwant %s %s %s", i, r.Method, r.Path, r.Body, w.method, w.path, w.body)
		}
		if w.body != "" && r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("request %d Content-Type %q", i, r.Header.Get("Content-Type"))
		}
	}
}

func TestAgentIDsValidatedBeforeSending(t *testing.T) {
	s := clienttest.NewServer(t, func(http.ResponseWriter, *http.Request) {})
	c := newClient(t, s, policy.RetryOptions{})
	for _, id := range []string{"", "..", "5f1e2d3c4b5a69788796a5b4/../x", "not-hex-not-hex-not-hex!"} {
		if _, err := c.UpdateAgent(context.Background(), id, cloudapps.Agent{}); err == nil || !strings.Contains(err.Error(), "24-character hexadecimal") {
			t.Errorf("UpdateAgent(%q): %v", id, err)
		}
		if err := c.DeleteAgent(context.Background(), id); err == nil {
			t.Errorf("DeleteAgent(%q) succeeded", id)
		}
	}
	if n := len(s.Requests()); n != 0 {
		t.Errorf("server got %d requests, want none", n)
	}
}

func TestStatusErrors(t *testing.T) {
	tests := []struct {
		status       int
		body         string
		wantText     string
		notFound     bool
		conflict     bool
		unauthorized bool
		throttled    bool
	}{
		{status: http.StatusNotFound, body: "Not found", wantText: `HTTP 404 Not Found: "Not found"`, notFound: true},
		{status: http.StatusConflict, body: `{"error":"A Sentinel agent already exists"}`, wantText: `HTTP 409 Conflict: "{\"error\":\"A Sentinel agent already exists\"}"`, conflict: true},
		{status: http.StatusUnauthorized, body: "Invalid token", wantText: `HTTP 401 Unauthorized: "Invalid token"`, unauthorized: true},
		{status: http.StatusForbidden, body: "", wantText: "HTTP 403 Forbidden", unauthorized: true},
		{status: http.StatusTooManyRequests, body: "Throttled", wantText: `HTTP 429 Too Many Requests: "Throttled"`, throttled: true},
		{status: http.StatusBadRequest, body: "<html>\n<body>bad\n\nrequest</body></html>", wantText: `HTTP 400 Bad Request: "<html> <body>bad request</body></html>"`},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			s := clienttest.NewServer(t, func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "text/plain")
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			})
			err := newClient(t, s, policy.RetryOptions{MaxRetries: -1}).DeleteAgent(context.Background(), agentID)
			if err == nil {
				t.Fatal("want an error")
			}
			// The error says what the service answered, and nothing of what to do in Terraform: that is the provider's to say.
			if want := "deleting SIEM agent " + agentID + ": " + tt.wantText; err.Error() != want {
				t.Errorf("error %q, want %q", err, want)
			}
			var e *cloudapps.Error
			if !errors.As(err, &e) || e.StatusCode != tt.status || e.Operation != "deleting SIEM agent "+agentID || e.Service != cloudapps.ServiceName {
				t.Errorf("cloudapps.Error = %+v", e)
			}
			got := [4]bool{cloudapps.IsNotFound(err), cloudapps.IsConflict(err), cloudapps.IsUnauthorized(err), cloudapps.IsThrottled(err)}
			if want := [4]bool{tt.notFound, tt.conflict, tt.unauthorized, tt.throttled}; got != want {
				t.Errorf("IsNotFound, IsConflict, IsUnauthorized, IsThrottled = %v, want %v", got, want)
			}
		})
	}
}

func TestErrorBodyIsCapped(t *testing.T) {
	s := clienttest.NewServer(t, func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, strings.Repeat("é", 2000))
	})
	err := newClient(t, s, policy.RetryOptions{}).DeleteAgent(context.Background(), agentID)
	var e *cloudapps.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v, want a cloudapps.Error", err)
	}
	body, unquoteErr := strconv.Unquote(e.Message)
	if unquoteErr != nil || len(body) > 520 || !strings.HasSuffix(body, "...") || !strings.HasPrefix(body, "é") {
		t.Errorf("error body of %d bytes, want a capped prefix, quoted: %v", len(body), err)
	}
}

func TestRetries(t *testing.T) {
	t.Run("429 then success", func(t *testing.T) {
		var calls atomic.Int32
		s := clienttest.NewServer(t, func(w http.ResponseWriter, _ *http.Request) {
			if calls.Add(1) == 1 {
				w.Header().Set("Retry-After", "0")
				w.WriteHeader(http.StatusTooManyRequests)
				return
			}
			writeJSON(w, http.StatusOK, `[]`)
		})
		if _, err := newClient(t, s, policy.RetryOptions{}).ListStreams(context.Background()); err != nil || calls.Load() != 2 {
			t.Errorf("err %v after %d calls, want success after 2", err, calls.Load())
		}
	})
	t.Run("never succeeds", func(t *testing.T) {
		var calls atomic.Int32
		s := clienttest.NewServer(t, func(w http.ResponseWriter, _ *http.Request) {
			calls.Add(1)
			w.WriteHeader(http.StatusTooManyRequests)
		})
		_, err := newClient(t, s, policy.RetryOptions{MaxRetries: 2}).ListAgents(context.Background())
		if err == nil || !strings.HasPrefix(err.Error(), "listing SIEM agents: HTTP 429") || !cloudapps.IsThrottled(err) || calls.Load() != 3 {
			t.Errorf("error %v after %d calls, want HTTP 429 after 3", err, calls.Load())
		}
	})
	t.Run("deadline names the last answer", func(t *testing.T) {
		s := clienttest.NewServer(t, func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = io.WriteString(w, "slow down")
		})
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		_, err := newClient(t, s, policy.RetryOptions{MaxRetries: 1000}).ListStreams(ctx)
		if err == nil {
			t.Fatal("want an error")
		}
		for _, want := range []string{"listing Cloud Discovery streams: ", "context deadline exceeded", `the last answer was HTTP 429 Too Many Requests: "slow down"; try again later`} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not contain %q", err, want)
			}
		}
		if !errors.Is(err, context.DeadlineExceeded) || !cloudapps.IsThrottled(err) {
			t.Errorf("errors.Is deadline %v, IsThrottled %v; want both", errors.Is(err, context.DeadlineExceeded), cloudapps.IsThrottled(err))
		}
	})
	t.Run("create is retried after 429 only", func(t *testing.T) {
		for _, status := range []int{http.StatusServiceUnavailable, http.StatusTooManyRequests} {
			var calls atomic.Int32
			s := clienttest.NewServer(t, func(w http.ResponseWriter, _ *http.Request) {
				if calls.Add(1) == 1 {
					w.WriteHeader(status)
					return
				}
				writeJSON(w, http.StatusCreated, agentJSON(agentID, "sentinel"))
			})
			_, err := newClient(t, s, policy.RetryOptions{}).CreateAgent(context.Background(), cloudapps.Agent{AgentType: cloudapps.AgentTypeSentinel})
			retried := calls.Load() == 2
			if retried != (status == http.StatusTooManyRequests) || (err == nil) != retried {
				t.Errorf("HTTP %d: %d calls, err %v; want a retry only after 429", status, calls.Load(), err)
			}
		}
	})
	t.Run("transport error", func(t *testing.T) {
		s := clienttest.NewServer(t, func(w http.ResponseWriter, _ *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				_ = conn.Close()
			}
		})
		err := newClient(t, s, policy.RetryOptions{MaxRetries: 1}).DeleteAgent(context.Background(), agentID)
		if err == nil || !strings.HasPrefix(err.Error(), "deleting SIEM agent "+agentID+": the request to Defender for Cloud Apps failed") {
			t.Errorf("error %v, want one naming the operation", err)
		}
		if cloudapps.IsNotFound(err) || cloudapps.IsThrottled(err) {
			t.Error("a transport error reads as a status error")
		}
	})
}

func TestDefaultRetryDelaysAreLong(t *testing.T) {
	var calls atomic.Int32
	s := clienttest.NewServer(t, func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusTooManyRequests)
	})
	c, err := cloudapps.NewClient(cloudapps.Options{PortalURL: s.URL, APIToken: apiToken, ClientOptions: policy.ClientOptions{Transport: s.Client()}})
	if err != nil {
		t.Fatal(err)
	}
	// With the default 5 s delay, the first retry cannot happen within 1 s.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err = c.ListStreams(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || calls.Load() != 1 {
		t.Errorf("%d calls, err %v; want one call and a deadline while waiting the default delay", calls.Load(), err)
	}
}

func TestFindSentinelAgent(t *testing.T) {
	tests := []struct {
		name    string
		agents  []string
		wantID  string
		wantErr string
	}{
		{name: "none", agents: []string{agentJSON("000000000000000000000001", "generic")}},
		{name: "one among generic", agents: []string{agentJSON("000000000000000000000001", "generic"), agentJSON(agentID, "Sentinel")}, wantID: agentID},
		{name: "two", agents: []string{agentJSON("000000000000000000000001", "sentinel"), agentJSON(agentID, "sentinel")}, wantErr: "2 Sentinel agents (000000000000000000000001, " + agentID + ")"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := clienttest.NewServer(t, func(w http.ResponseWriter, _ *http.Request) {
				writeJSON(w, http.StatusOK, `{"total":`+strconv.Itoa(len(tt.agents))+`,"hasNext":false,"data":[`+strings.Join(tt.agents, ",")+`]}`)
			})
			got, err := newClient(t, s, policy.RetryOptions{}).FindSentinelAgent(context.Background())
			switch {
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %v, want %q", err, tt.wantErr)
				}
			case err != nil:
				t.Errorf("FindSentinelAgent: %v", err)
			case tt.wantID == "" && got != nil:
				t.Errorf("found %+v, want none", got)
			case tt.wantID != "" && (got == nil || got.ID != tt.wantID):
				t.Errorf("found %+v, want agent %s", got, tt.wantID)
			}
		})
	}
}

func TestCreateAgentRequiresID(t *testing.T) {
	s := clienttest.NewServer(t, func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusCreated, `{"agentType":"sentinel"}`)
	})
	_, err := newClient(t, s, policy.RetryOptions{}).CreateAgent(context.Background(), cloudapps.Agent{AgentType: cloudapps.AgentTypeSentinel})
	if err == nil || !strings.Contains(err.Error(), "no agent id") {
		t.Errorf("error %v, want one saying the answer has no id", err)
	}
}

func TestTrafficIsLoggedWithoutToken(t *testing.T) {
	s := clienttest.NewServer(t, func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, `{"streams":[]}`) })
	var buf bytes.Buffer
	ctx := tflogtest.RootLogger(context.Background(), &buf)
	if _, err := newClient(t, s, policy.RetryOptions{}).ListStreams(ctx); err != nil {
		t.Fatal(err)
	}
	logged := buf.String()
	if strings.Contains(logged, apiToken) {
		t.Errorf("log contains the API token:\n%s", logged)
	}
	entries, err := tflogtest.MultilineJSONDecode(strings.NewReader(logged))
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, e := range entries {
		if e["@message"] == "Received HTTP response" && e["@module"] == "provider."+cloudapps.LogSubsystem &&
			e["http_method"] == "GET" && e["http_status_code"] == float64(200) && strings.HasSuffix(e["http_url"].(string), "/api/discovery/streams/?limit=100&skip=0") {
			found = true
		}
	}
	if !found {
		t.Errorf("no response entry with method, URL and status:\n%s", logged)
	}
	if !strings.Contains(logged, `"Authorization":"REDACTED"`) {
		t.Errorf("Authorization header not logged as REDACTED:\n%s", logged)
	}
}

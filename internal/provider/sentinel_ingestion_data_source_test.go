package provider

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/fakeapi"
)

// queryPathPattern matches the requests of the Log Analytics query API on the fake server.
const queryPathPattern = `^/loganalytics/v1/workspaces/[^/]+/query$`

// warnings returns the warning diagnostics of a command run with -json.
func (r result) warnings() []diagnostic {
	var diags []diagnostic
	scanner := bufio.NewScanner(strings.NewReader(r.output))
	scanner.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for scanner.Scan() {
		var line struct {
			Type       string      `json:"type"`
			Diagnostic *diagnostic `json:"diagnostic"`
		}
		if json.Unmarshal(scanner.Bytes(), &line) == nil && line.Type == "diagnostic" && line.Diagnostic != nil && line.Diagnostic.Severity == "warning" {
			diags = append(diags, *line.Diagnostic)
		}
	}
	return diags
}

// ingestionState is the state of data.mcas_sentinel_ingestion.this as the last command left it.
type ingestionState struct {
	Lookback      string `json:"lookback"`
	QueriedAt     string `json:"queried_at"`
	DiscoveryLogs struct {
		Rows         int64                       `json:"rows"`
		LastReceived *string                     `json:"last_received"`
		Streams      map[string]ingestionFigures `json:"streams"`
	} `json:"discovery_logs"`
	Alerts struct {
		Count        int64   `json:"count"`
		LastReceived *string `json:"last_received"`
	} `json:"alerts"`
}

// ingestionFigures are the figures of one stream.
type ingestionFigures struct {
	Rows         int64   `json:"rows"`
	LastReceived *string `json:"last_received"`
}

// ingestion reads the data source's state.
func (d *terraformDir) ingestion() ingestionState {
	d.t.Helper()
	r, ok := d.state()["data.mcas_sentinel_ingestion.this"]
	if !ok {
		d.t.Fatal("the state has no data.mcas_sentinel_ingestion.this")
	}
	raw, err := json.Marshal(r.Attributes)
	if err != nil {
		d.t.Fatal(err)
	}
	var s ingestionState
	if err := json.Unmarshal(raw, &s); err != nil {
		d.t.Fatalf("decoding the data source's state: %v\n%s", err, raw)
	}
	return s
}

// ingestionConfig is a configuration with an optional integration (forwarding the streams of
// var.stream_ids) and the data source, which reads after it.
func ingestionConfig(srv *fakeapi.Server, info fakeapi.TenantInfo) string {
	return fmt.Sprintf(`
terraform {
  required_providers {
    mcas = {
      source = "mcas-terraform/mcas"
    }
  }
}
%s
variable "integrate" {
  type    = bool
  default = false
}

variable "stream_ids" {
  type    = list(string)
  default = []
}

variable "lookback" {
  type    = string
  default = null
}

resource "mcas_sentinel_integration" "this" {
  count        = var.integrate ? 1 : 0
  workspace_id = %q
  discovery_logs = {
    stream_ids = var.stream_ids
  }
}

data "mcas_sentinel_ingestion" "this" {
  workspace_id = %q
  lookback     = var.lookback
  depends_on   = [mcas_sentinel_integration.this]
}
`, providerBlock(srv, info, secretAuth(info)), info.WorkspaceID, info.WorkspaceID)
}

// TestAccSentinelIngestionDataSource follows one integration through the data source, moving the fake's
// clock: zero rows without an integration, rows for the forwarded streams and alerts after the
// delay, a stream that the filter drops stops receiving rows; then the answers that are not figures:
// a partial result (a warning), 403 (an error naming the roles), 429 (retried, then an error), and a
// malformed answer. Each read sends exactly one query per table.
func TestAccSentinelIngestionDataSource(t *testing.T) {
	terraformBinary(t)
	t.Parallel()
	srv := startFake(t, fakeapi.Options{})
	info := tenantInfo(t, srv, "contoso")
	hq, branches := streamIDOf(t, srv, "contoso", "Palo Alto - HQ firewall"), streamIDOf(t, srv, "contoso", "Zscaler - Branch offices")
	d := newTerraformDir(t, inProcessFactory(WithTransport(srv.HTTPClient()), WithRetry(fastRetry)))
	d.writeConfig(ingestionConfig(srv, info))
	streamsVar := fmt.Sprintf(`-var=stream_ids=["%s","%s"]`, hq, branches)

	// No integration: zero rows, and one query per table.
	srv.ResetRequests()
	d.mustRun("apply", "-auto-approve", "-json")
	s := d.ingestion()
	if s.DiscoveryLogs.Rows != 0 || len(s.DiscoveryLogs.Streams) != 0 || s.DiscoveryLogs.LastReceived != nil || s.Alerts.Count != 0 || s.Alerts.LastReceived != nil || s.Lookback != "24h" {
		t.Fatalf("without an integration: %+v", s)
	}
	if n := srv.CountRequests("POST", queryPathPattern); n != 2 {
		t.Fatalf("one read sent %d query requests, want 2 (one per table)", n)
	}
	// Besides the queries, one Resource Manager read of the workspace (for its customer id), nothing else.
	if n, all := srv.CountRequests("GET", `(?i)/providers/Microsoft\.OperationalInsights/workspaces/[^/]+$`), srv.CountRequests("", `^/(subscriptions|mcas|loganalytics)/`); n != 1 || all != 3 {
		t.Fatalf("one read sent %d workspace reads and %d service requests in all, want 1 and 3: %+v", n, all, srv.Requests())
	}
	if _, err := time.Parse(time.RFC3339, s.QueriedAt); err != nil {
		t.Fatalf("queried_at %q: %v", s.QueriedAt, err)
	}

	// The integration is created; nothing has arrived yet at the end of the apply.
	d.mustRun("apply", "-auto-approve", "-json", "-var=integrate=true", streamsVar)
	if s := d.ingestion(); s.DiscoveryLogs.Rows != 0 || s.Alerts.Count != 0 {
		t.Fatalf("right after the integration's creation: %+v", s)
	}

	// 20 minutes later (past the 15 minutes of delay) both streams and the alerts have rows.
	if _, err := srv.AdvanceClock(20 * time.Minute); err != nil {
		t.Fatal(err)
	}
	d.mustRun("apply", "-auto-approve", "-json", "-var=integrate=true", streamsVar)
	s = d.ingestion()
	if len(s.DiscoveryLogs.Streams) != 2 || s.DiscoveryLogs.Streams["Palo Alto - HQ firewall"].Rows == 0 ||
		s.DiscoveryLogs.Streams["Zscaler - Branch offices"].Rows == 0 || s.Alerts.Count != 1 || s.Alerts.LastReceived == nil {
		t.Fatalf("20 minutes after the integration's creation: %+v", s)
	}
	queried, _ := time.Parse(time.RFC3339, s.QueriedAt)
	if now := srv.Now(); queried.Before(now.Add(-time.Minute)) || queried.After(now.Add(time.Second)) {
		t.Fatalf("queried_at %s, want the fake's clock %s", s.QueriedAt, now)
	}

	// The filter drops the Zscaler stream; 30 minutes later only Palo Alto has rows of the last 20 minutes.
	d.mustRun("apply", "-auto-approve", "-json", "-var=integrate=true", fmt.Sprintf(`-var=stream_ids=["%s"]`, hq))
	if _, err := srv.AdvanceClock(30 * time.Minute); err != nil {
		t.Fatal(err)
	}
	d.mustRun("apply", "-auto-approve", "-json", "-var=integrate=true", fmt.Sprintf(`-var=stream_ids=["%s"]`, hq), "-var=lookback=20m")
	s = d.ingestion()
	if len(s.DiscoveryLogs.Streams) != 1 || s.DiscoveryLogs.Streams["Palo Alto - HQ firewall"].Rows == 0 || s.Lookback != "20m" {
		t.Fatalf("30 minutes after the Zscaler stream was filtered out, over 20 minutes: %+v", s)
	}
	filtered := []string{"-var=integrate=true", fmt.Sprintf(`-var=stream_ids=["%s"]`, hq)}

	// A partial result is a warning that names the table.
	if _, err := srv.InjectFault(fakeapi.Fault{PathPattern: queryPathPattern, Kind: fakeapi.FaultPartialResult}); err != nil {
		t.Fatal(err)
	}
	res := d.run(append([]string{"apply", "-auto-approve", "-json"}, filtered...)...)
	if res.failed() || !hasDiagnostic(res.warnings(), "Partial result from Log Analytics: McasShadowItReporting figures may be incomplete", "answered only in part") {
		t.Fatalf("a partial result: exit %d, warnings %+v\n%s", res.exitCode, res.warnings(), res.output)
	}

	// 403: the error names the roles.
	if err := srv.SetQueryAccess(info.WorkspaceID, false); err != nil {
		t.Fatal(err)
	}
	res = d.run(append([]string{"apply", "-auto-approve", "-json"}, filtered...)...)
	if !res.failed() || !hasDiagnostic(res.errors, "Log Analytics denied access", "HTTP 403 InsufficientAccessError", "Log Analytics Reader or Microsoft Sentinel Reader") {
		t.Fatalf("without a role on the workspace: exit %d\n%s", res.exitCode, res.errorText())
	}
	if err := srv.SetQueryAccess(info.WorkspaceID, true); err != nil {
		t.Fatal(err)
	}

	// 429 once is retried; 429 every time fails with the throttling advice.
	if _, err := srv.InjectFault(fakeapi.Fault{PathPattern: queryPathPattern, Kind: fakeapi.FaultStatus, Status: 429, Count: 1}); err != nil {
		t.Fatal(err)
	}
	d.mustRun(append([]string{"apply", "-auto-approve", "-json"}, filtered...)...)
	throttle, err := srv.InjectFault(fakeapi.Fault{PathPattern: queryPathPattern, Kind: fakeapi.FaultStatus, Status: 429, Count: -1})
	if err != nil {
		t.Fatal(err)
	}
	res = d.run(append([]string{"apply", "-auto-approve", "-json"}, filtered...)...)
	if !res.failed() || !hasDiagnostic(res.errors, "throttled by Log Analytics", "HTTP 429", "200 queries per 30 seconds") {
		t.Fatalf("throttled every time: exit %d\n%s", res.exitCode, res.errorText())
	}
	srv.RemoveFault(throttle)

	// A malformed answer.
	if _, err := srv.InjectFault(fakeapi.Fault{PathPattern: queryPathPattern, Kind: fakeapi.FaultMalformedJSON}); err != nil {
		t.Fatal(err)
	}
	res = d.run(append([]string{"apply", "-auto-approve", "-json"}, filtered...)...)
	if !res.failed() || !hasDiagnostic(res.errors, "Counting the discovery logs failed", "malformed or truncated JSON") {
		t.Fatalf("a malformed answer: exit %d\n%s", res.exitCode, res.errorText())
	}

	d.mustRun(append([]string{"destroy", "-auto-approve", "-json"}, filtered...)...)
}

// plannedChanges returns the planned changes of a plan run with -json, except the reads of check
// blocks' data sources, which Terraform plans for every apply.
func plannedChanges(output string) []string {
	var changes []string
	scanner := bufio.NewScanner(strings.NewReader(output))
	scanner.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for scanner.Scan() {
		var line struct {
			Type   string `json:"type"`
			Change struct {
				Resource struct {
					Addr string `json:"addr"`
				} `json:"resource"`
				Action string `json:"action"`
				Reason string `json:"reason"`
			} `json:"change"`
		}
		if json.Unmarshal(scanner.Bytes(), &line) != nil || line.Type != "planned_change" {
			continue
		}
		if line.Change.Action == "read" && line.Change.Reason == "read_because_check_nested" {
			continue
		}
		changes = append(changes, line.Change.Action+" "+line.Change.Resource.Addr)
	}
	return changes
}

// hasDiagnostic reports whether one diagnostic has the summary text and every detail text.
func hasDiagnostic(diags []diagnostic, summary string, details ...string) bool {
	for _, d := range diags {
		text := d.Summary + "\n" + d.Detail
		ok := strings.Contains(d.Summary, summary)
		for _, want := range details {
			ok = ok && strings.Contains(text, want)
		}
		if ok {
			return true
		}
	}
	return false
}

// streamIDOf returns the id of a stream of a tenant of the fake server.
func streamIDOf(t *testing.T, srv *fakeapi.Server, tenant, name string) string {
	t.Helper()
	for _, s := range srv.Streams(tenant) {
		if s.DisplayName == name {
			return s.ID
		}
	}
	t.Fatalf("tenant %s has no stream %q", tenant, name)
	return ""
}

// TestAccSentinelIngestionCheckBlock applies examples/complete, as shipped, through the Terraform
// CLI: its check block warns right after the apply that no discovery logs have arrived and explains
// the usual delay; once the fake's clock has moved past the delay, a plan is empty and the check
// passes.
//
// The example takes the provider's settings from the environment, which the in-process provider
// reads from the test's process, so the test does not run in parallel.
func TestAccSentinelIngestionCheckBlock(t *testing.T) {
	terraformBinary(t)
	srv := startFake(t, fakeapi.Options{})
	info := tenantInfo(t, srv, "contoso")
	d := newTerraformDir(t, inProcessFactory(WithTransport(srv.HTTPClient()), WithRetry(fastRetry)))
	for _, kv := range srv.Env("contoso") {
		t.Setenv(kv[0], kv[1])
	}
	d.env = append(d.env, "TF_VAR_workspace_id="+info.WorkspaceID)
	files, err := filepath.Glob("../../examples/complete/*.tf")
	if err != nil || len(files) == 0 {
		t.Fatalf("examples/complete has no configuration: %v", err)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d.dir, filepath.Base(f)), raw, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	res := d.run("apply", "-auto-approve", "-json")
	if res.failed() {
		t.Fatalf("apply failed:\n%s", res.output)
	}
	if !hasDiagnostic(res.warnings(), "Check block assertion failed", "No discovery logs", "Palo Alto - HQ firewall", "15 minutes") {
		t.Fatalf("the apply did not warn that no discovery logs arrived; warnings %+v", res.warnings())
	}

	if _, err := srv.AdvanceClock(20 * time.Minute); err != nil {
		t.Fatal(err)
	}
	// Terraform plans to read a check block's data source again during apply, so the plan's exit code
	// says "changes" (2); every other planned change would be a real one.
	res = d.run("plan", "-detailed-exitcode", "-json")
	if res.exitCode != 2 || len(plannedChanges(res.output)) != 0 {
		t.Fatalf("the plan 20 minutes later changes more than the check's read (exit %d): %v\n%s", res.exitCode, plannedChanges(res.output), res.output)
	}
	if w := res.warnings(); len(w) != 0 {
		t.Fatalf("the plan 20 minutes later warns: %+v", w)
	}
	d.mustRun("destroy", "-auto-approve", "-json")
}

package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/fakeapi"
)

// activeFaults returns the number of faults the fake still holds, from its admin interface.
func activeFaults(t *testing.T, srv *fakeapi.Server) int {
	t.Helper()
	resp, err := srv.HTTPClient().Get(srv.URL() + "/admin/faults")
	if err != nil {
		t.Fatalf("listing the fake's faults: %v", err)
	}
	defer resp.Body.Close()
	var faults []json.RawMessage
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&faults) != nil {
		t.Fatalf("listing the fake's faults answered HTTP %d, not a JSON list", resp.StatusCode)
	}
	return len(faults)
}

// TestAccSentinelIntegration_interruptedApply interrupts a real `terraform apply` of the released
// provider binary while the data connector's creation hangs: terraform stops within seconds instead
// of waiting for the answer, the state keeps the SIEM agent that was already created, and the next
// apply converges to exactly one agent and one data connector.
func TestAccSentinelIntegration_interruptedApply(t *testing.T) {
	terraformBinary(t)
	t.Parallel()
	const hang = 20 * time.Second
	const promptly = 10 * time.Second

	srv := startFake(t, fakeapi.Options{})
	f := &integrationFixture{t: t, srv: srv, info: tenantInfo(t, srv, "contoso")}
	nothingLeft := f.expectNothingLeft()
	d := &terraformDir{t: t, dir: t.TempDir(), env: []string{"TF_CLI_CONFIG_FILE=" + providerCLIConfig(t), "SSL_CERT_FILE=" + srv.CAFile()}}
	d.writeConfig(fmt.Sprintf(`terraform {
  required_providers {
    mcas = {
      source  = "mcas-terraform/mcas"
      version = %q
    }
  }
}
`, mirrorVersion) + f.config(""))
	d.mustRun("init", "-input=false", "-no-color")

	if _, err := srv.InjectFault(fakeapi.Fault{Method: http.MethodPut, PathPattern: `/dataConnectors/`, Latency: hang}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	apply := d.command(ctx, nil, "apply", "-auto-approve", "-input=false", "-no-color")
	var out bytes.Buffer
	apply.Stdout, apply.Stderr = &out, &out
	if err := apply.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- apply.Wait() }()

	// Interrupt once the agent exists and the connector's PUT hangs (the fault has been taken).
	for len(f.sentinelAgents()) == 0 || activeFaults(t, srv) != 0 {
		select {
		case err := <-exited:
			t.Fatalf("terraform apply ended (%v) before the data connector's creation hung:\n%s", err, out.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	if err := apply.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	interrupted := time.Now()
	var err error
	select {
	case err = <-exited:
	case <-time.After(hang):
		t.Fatalf("terraform apply did not stop within %s of the interrupt:\n%s", hang, out.String())
	}
	took := time.Since(interrupted)
	t.Logf("terraform apply stopped %s after the interrupt", took.Round(time.Millisecond))
	if took > promptly {
		t.Errorf("terraform apply took %s to stop after the interrupt, want less than %s", took, promptly)
	}
	if err == nil {
		t.Fatalf("the interrupted apply succeeded:\n%s", out.String())
	}
	text := strings.Join(strings.Fields(out.String()), " ")
	for _, want := range []string{"Interrupt received", "creating or updating data connector", "cancelled before Azure Resource Manager gave a usable answer"} {
		if !strings.Contains(text, want) {
			t.Errorf("the output of the interrupted apply does not say %q:\n%s", want, out.String())
		}
	}

	// The state keeps the agent: the resource is tainted with its id.
	agents := f.sentinelAgents()
	st, ok := d.state()[integrationAddr]
	if len(agents) != 1 || !ok || !st.Tainted || st.attr("cloud_apps_agent_id") != agents[0].ID {
		t.Fatalf("after the interrupt the server holds %d Sentinel agents and the state holds %v; want the one agent, tainted in the state", len(agents), st)
	}

	// The hung PUT reaches the service after all once its delay is over, as a slow service may do.
	for srv.CountRequests(http.MethodPut, `/dataConnectors/`) == 0 {
		select {
		case <-ctx.Done():
			t.Fatal("the delayed data connector PUT never completed on the fake")
		case <-time.After(100 * time.Millisecond):
		}
	}

	// The next apply replaces the tainted integration and converges.
	d.mustRun("apply", "-auto-approve", "-input=false", "-no-color")
	if err := f.expectServer(true, true)(nil); err != nil {
		t.Fatalf("after the second apply: %v", err)
	}
	agents = f.sentinelAgents()
	st = d.state()[integrationAddr]
	if st.Tainted || st.attr("cloud_apps_agent_id") != agents[0].ID || !strings.EqualFold(st.attr("id"), f.connectorID()) {
		t.Errorf("after the second apply the state holds %v, want agent %s and connector %s", st, agents[0].ID, f.connectorID())
	}
	if plan := d.run("plan", "-detailed-exitcode", "-input=false", "-no-color"); plan.exitCode != 0 {
		t.Errorf("the plan after the second apply is not empty (exit code %d):\n%s", plan.exitCode, plan.output)
	}
	d.mustRun("destroy", "-auto-approve", "-input=false", "-no-color")
	if err := nothingLeft(nil); err != nil {
		t.Error(err)
	}
}

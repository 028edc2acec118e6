package provider

import (
	"net/http"
	"regexp"
	"slices"
	"testing"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/fakeapi"
)

// TestAccSentinelIntegration_updateDuringOutage updates the integration while Resource Manager answers
// every read of the data connector with 503, before, during and after the update's own attempts: the
// update fails without writing anything, and the state keeps what it held (the agent's id, the
// settings) instead of recording both halves as missing. Once the outage is over the update goes
// through.
func TestAccSentinelIntegration_updateDuringOutage(t *testing.T) {
	terraformBinary(t)
	t.Parallel()
	srv := startFake(t, fakeapi.Options{CloudAppsRateLimit: 1000})
	c := &matrixCell{t: t, srv: srv, info: contosoFacts(t, srv)}
	c.dir = newTerraformDir(t, inProcessFactory(WithTransport(srv.HTTPClient()), WithRetry(matrixRetry)))
	c.dir.writeConfig(c.config(false))
	c.dir.mustRun("apply", "-auto-approve", "-json")
	before := c.dir.state()[integrationAddr]
	if before.attr("cloud_apps_agent_id") == "" {
		t.Fatalf("after the first apply the state holds %v, want the agent's id", before)
	}

	if _, err := srv.InjectFault(fakeapi.Fault{Method: http.MethodGet, PathPattern: pathConnector, Kind: fakeapi.FaultStatus, Status: 503, Count: -1}); err != nil {
		t.Fatal(err)
	}
	srv.ResetRequests()
	c.dir.writeConfig(c.config(true))
	res := c.dir.run("apply", "-refresh=false", "-auto-approve", "-json")
	if !res.failed() {
		t.Fatalf("the update succeeded during the outage:\n%s", res.output)
	}
	c.checkError(res, faultCall{operation: opGetConnector}, faultScenario{fault: statusFault(503, -1, ""), evidence: regexp.MustCompile(`HTTP 503`)})
	if n := srv.CountRequests(http.MethodPut, `.`); n != 0 {
		t.Errorf("the failed update sent %d PUT requests, want none", n)
	}
	after := c.dir.state()[integrationAddr]
	for _, name := range []string{"cloud_apps_agent_id", "alerts_enabled", "discovery_logs", "id", "tenant_id"} {
		if !equalAttr(before.Attributes[name], after.Attributes[name]) {
			t.Errorf("the failed update changed %s in the state from %v to %v", name, before.Attributes[name], after.Attributes[name])
		}
	}

	srv.ClearFaults()
	c.dir.mustRun("apply", "-auto-approve", "-json")
	c.expectConverged(true)
}

// equalAttr compares two attribute values of a state file.
func equalAttr(a, b any) bool {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		if len(am) != len(bm) {
			return false
		}
		for k, v := range am {
			if !equalAttr(v, bm[k]) {
				return false
			}
		}
		return true
	}
	al, aok := a.([]any)
	bl, bok := b.([]any)
	if aok && bok {
		return slices.EqualFunc(al, bl, equalAttr)
	}
	return a == b
}

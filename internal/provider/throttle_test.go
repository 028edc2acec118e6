package provider

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/fakeapi"
)

// throttleDataSources is how many data sources the throttle test plans. A plan-only step reads every
// data source twice (the plan without and with refresh), so it sends 22 Cloud Apps requests.
const throttleDataSources = 11

// throttleConfig renders two provider instances (the default one and the alias "second") for the same
// tenant with the given request limit, and the data sources of the throttle test spread over them.
func throttleConfig(srv *fakeapi.Server, info fakeapi.TenantInfo, perMinute int) string {
	auth := secretAuth(info) + fmt.Sprintf("\ncloud_apps_requests_per_minute = %d", perMinute)
	block := providerBlock(srv, info, auth)
	var b strings.Builder
	b.WriteString(block)
	b.WriteString(strings.Replace(block, `provider "mcas" {`, "provider \"mcas\" {\n  alias = \"second\"", 1))
	for i := range throttleDataSources {
		instance := "mcas"
		if i%2 == 1 {
			instance = "mcas.second"
		}
		fmt.Fprintf(&b, "\ndata \"mcas_discovery_streams\" \"s%d\" {\n  provider = %s\n}\n", i, instance)
	}
	return b.String()
}

// cloudAppsAnswers counts the Cloud Apps requests of the northwind tenant that the fake saw and those
// it throttled.
func cloudAppsAnswers(srv *fakeapi.Server) (requests, throttled int) {
	for _, r := range srv.Requests() {
		if !strings.HasPrefix(r.Path, "/mcas/northwind/") {
			continue
		}
		requests++
		if r.Status == http.StatusTooManyRequests {
			throttled++
		}
	}
	return requests, throttled
}

// TestAccCloudAppsThrottle_queues plans many data sources of one tenant through two provider instances
// against a fake that allows 20 Cloud Apps requests per minute. With the same limit in the provider,
// the requests queue in the limiter the two instances share and the fake answers no 429 although
// the plan sends more than 20 requests. With a limit above the fake's, the same plan is throttled,
// which shows that the workload does exceed the fake's limit.
func TestAccCloudAppsThrottle_queues(t *testing.T) {
	t.Parallel()
	const fakeLimit = 20
	tests := []struct {
		name      string
		perMinute int
		throttled bool
	}{
		{name: "provider limit matches the service", perMinute: fakeLimit},
		{name: "provider limit above the service", perMinute: 1000, throttled: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startFake(t, fakeapi.Options{CloudAppsRateLimit: fakeLimit})
			info := tenantInfo(t, srv, "northwind")
			step := resource.TestStep{
				Config:   throttleConfig(srv, info, tt.perMinute),
				PlanOnly: true,
			}
			if tt.throttled {
				step.ExpectError = errorPattern(`throttled by Defender for Cloud Apps.*HTTP 429`)
			}
			began := time.Now()
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: factories(srv),
				Steps:                    []resource.TestStep{step},
			})
			requests, throttled := cloudAppsAnswers(srv)
			t.Logf("%d Cloud Apps requests in %s, %d of them answered 429", requests, time.Since(began).Round(time.Second), throttled)
			switch {
			case tt.throttled && throttled == 0:
				t.Errorf("the fake answered no 429 to %d requests, so the workload does not exceed its limit of %d per minute", requests, fakeLimit)
			case !tt.throttled && throttled != 0:
				t.Errorf("the fake answered 429 to %d of %d requests; the provider's limiter should have queued them", throttled, requests)
			case !tt.throttled && requests <= fakeLimit:
				t.Errorf("the plan sent only %d Cloud Apps requests, not more than the fake's limit of %d, so it proves nothing", requests, fakeLimit)
			}
		})
	}
}

// TestAccCloudAppsThrottle_validation refuses request limits out of range, from the attribute at plan
// time and from MCAS_CLOUD_APPS_REQUESTS_PER_MINUTE. It sets an environment variable, so it does not
// run in parallel.
func TestAccCloudAppsThrottle_validation(t *testing.T) {
	srv := startFake(t, fakeapi.Options{})
	info := tenantInfo(t, srv, "contoso")
	withLimit := func(limit string) string {
		return providerBlock(srv, info, secretAuth(info)+"\ncloud_apps_requests_per_minute = "+limit) + allStreams
	}
	withoutLimit := providerBlock(srv, info, secretAuth(info)) + allStreams
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(srv),
		Steps: []resource.TestStep{
			{
				Config:      withLimit("0"),
				PlanOnly:    true,
				ExpectError: errorPattern(`Invalid Attribute Value.*cloud_apps_requests_per_minute value must be between 1 and 1000, got: 0`),
			},
			{
				Config:      withLimit("1001"),
				PlanOnly:    true,
				ExpectError: errorPattern(`Invalid Attribute Value.*cloud_apps_requests_per_minute value must be between 1 and 1000, got: 1001`),
			},
			{
				PreConfig:   func() { t.Setenv("MCAS_CLOUD_APPS_REQUESTS_PER_MINUTE", "thirty") },
				Config:      withoutLimit,
				PlanOnly:    true,
				ExpectError: errorPattern(`Invalid environment variable MCAS_CLOUD_APPS_REQUESTS_PER_MINUTE.*"thirty", which is not a whole number`),
			},
			{
				PreConfig:   func() { t.Setenv("MCAS_CLOUD_APPS_REQUESTS_PER_MINUTE", "-5") },
				Config:      withoutLimit,
				PlanOnly:    true,
				ExpectError: errorPattern(`Invalid Attribute Value.*From the environment variable MCAS_CLOUD_APPS_REQUESTS_PER_MINUTE: Attribute cloud_apps_requests_per_minute value must be between 1 and 1000, got: -5`),
			},
			{
				// The attribute wins over the environment variable.
				PreConfig: func() { t.Setenv("MCAS_CLOUD_APPS_REQUESTS_PER_MINUTE", "0") },
				Config:    withLimit("600"),
				PlanOnly:  true,
			},
		},
	})
}

package cloudapps_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/cloudapps"
	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/internal/clienttest"
	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/ratelimit"
)

// TestRequestsPerMinuteIsSharedByPortalURL builds two clients for the same portal URL, spelled
// differently, with a limit whose burst is one request: after the first client's request, the second
// client's request has no turn before its deadline and never reaches the service.
func TestRequestsPerMinuteIsSharedByPortalURL(t *testing.T) {
	s := clienttest.NewServer(t, func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, `{"streams": []}`) })
	newLimited := func(portalURL string) *cloudapps.Client {
		c, err := cloudapps.NewClient(cloudapps.Options{
			PortalURL:         portalURL,
			APIToken:          apiToken,
			ClientOptions:     policy.ClientOptions{Transport: s.Client()},
			RequestsPerMinute: 6,
		})
		if err != nil {
			t.Fatalf("NewClient: %v", err)
		}
		return c
	}
	first, second := newLimited(s.URL), newLimited(strings.ToUpper(s.URL)+"/")
	if _, err := first.ListStreams(t.Context()); err != nil {
		t.Fatalf("first request: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	_, err := second.ListStreams(ctx)
	var waitErr *ratelimit.WaitError
	if !errors.As(err, &waitErr) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second client: %v, want a wait for the shared limit that runs past the deadline", err)
	}
	for _, want := range []string{"listing Cloud Discovery streams", "the time allowed ran out", "client-side limit of 6 requests per minute", "allow the operation more time"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "reachable") {
		t.Errorf("error %q suggests a network problem where the client-side limit made the request wait", err)
	}
	if n := len(s.Requests()); n != 1 {
		t.Errorf("the service saw %d requests, want 1", n)
	}
}

// TestCallTimeoutBoundsCallsWithoutDeadline sends a request without a deadline to a service that does
// not answer: the client gives up after CallTimeout and says so.
func TestCallTimeoutBoundsCallsWithoutDeadline(t *testing.T) {
	release := make(chan struct{})
	s := clienttest.NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	c, err := cloudapps.NewClient(cloudapps.Options{
		PortalURL:     s.URL,
		APIToken:      apiToken,
		ClientOptions: policy.ClientOptions{Transport: s.Client(), Retry: policy.RetryOptions{MaxRetries: -1}},
		CallTimeout:   300 * time.Millisecond,
	})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	began := time.Now()
	_, err = c.ListStreams(t.Context())
	if took := time.Since(began); took > 5*time.Second {
		t.Errorf("the call took %s, want about the call timeout of 300ms", took)
	}
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "listing Cloud Discovery streams: the time allowed ran out") {
		t.Fatalf("ListStreams: %v, want the call timeout to run out", err)
	}
}

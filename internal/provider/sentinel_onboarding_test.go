package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflogtest"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/resourcemanager"
	"github.com/mcas-terraform/terraform-provider-mcas/internal/provider/reconcile"
)

// logEntries decodes the JSON lines tflogtest wrote.
func logEntries(t *testing.T, out *bytes.Buffer) []map[string]any {
	t.Helper()
	entries, err := tflogtest.MultilineJSONDecode(out)
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

// TestOnboardingWaitBacksOff waits between attempts, doubling the pause up to its longest, logs each
// pause, and returns as soon as an attempt reports done.
func TestOnboardingWaitBacksOff(t *testing.T) {
	var out bytes.Buffer
	ctx := tflogtest.RootLogger(context.Background(), &out)
	w := onboardingWait{first: 5 * time.Millisecond, max: 12 * time.Millisecond, limit: time.Minute}
	var attempts []time.Time
	done, err := w.await(ctx, "the onboarding state", func() (bool, error) {
		attempts = append(attempts, time.Now())
		return len(attempts) == 4, nil
	})
	if !done || err != nil || len(attempts) != 4 {
		t.Fatalf("await = %v, %v after %d attempts; want done after 4", done, err, len(attempts))
	}
	for i, least := range []time.Duration{5 * time.Millisecond, 10 * time.Millisecond, 12 * time.Millisecond} {
		if gap := attempts[i+1].Sub(attempts[i]); gap < least {
			t.Errorf("pause %d lasted %s, want at least %s", i+1, gap, least)
		}
	}
	var pauses []string
	for _, e := range logEntries(t, &out) {
		if e["@message"] == "Waiting for Microsoft Sentinel's onboarding to take effect" && e["@level"] == "info" && e["waiting_for"] == "the onboarding state" {
			pauses = append(pauses, e["next_attempt_in"].(string))
		}
	}
	if strings.Join(pauses, " ") != "5ms 10ms 12ms" {
		t.Errorf("logged pauses %v, want 5ms 10ms 12ms", pauses)
	}
}

// TestOnboardingWaitEnds gives up, without an error, when the next attempt would come after the wait's
// limit or after the operation's deadline, and fails when the operation is cancelled while it pauses.
func TestOnboardingWaitEnds(t *testing.T) {
	never := func(n *int) func() (bool, error) {
		return func() (bool, error) { *n++; return false, nil }
	}
	t.Run("limit", func(t *testing.T) {
		var out bytes.Buffer
		ctx := tflogtest.RootLogger(context.Background(), &out)
		var n int
		done, err := onboardingWait{first: 10 * time.Millisecond, max: 10 * time.Millisecond, limit: 25 * time.Millisecond}.await(ctx, "x", never(&n))
		// Pauses of 10 ms fit the limit of 25 ms at most twice, fewer on a busy machine.
		if done || err != nil || n < 1 || n > 3 {
			t.Errorf("await = %v, %v after %d attempts; want not done, no error, after at most 3 attempts", done, err, n)
		}
		var gaveUp bool
		for _, e := range logEntries(t, &out) {
			gaveUp = gaveUp || (e["@message"] == "Gave up waiting for Microsoft Sentinel's onboarding to take effect" && e["attempts"] == float64(n))
		}
		if !gaveUp {
			t.Errorf("no warning that the wait ended:\n%s", out.String())
		}
	})
	t.Run("deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		var n int
		// Had it paused past the deadline, the deadline would have ended the pause with an error.
		done, err := onboardingWait{first: time.Second, max: time.Second, limit: time.Hour}.await(ctx, "x", never(&n))
		if done || err != nil || n != 1 {
			t.Errorf("await = %v, %v after %d attempts; want not done at once, without pausing past the deadline", done, err, n)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		var n int
		done, err := onboardingWait{first: time.Hour, max: time.Hour, limit: 2 * time.Hour}.await(ctx, "the onboarding state", func() (bool, error) {
			n++
			cancel()
			return false, nil
		})
		if done || !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "cancelled while waiting for the onboarding state") {
			t.Errorf("await = %v, %v; want the cancellation", done, err)
		}
	})
	t.Run("attempt fails", func(t *testing.T) {
		boom := errors.New("HTTP 403")
		done, err := onboardingWait{first: time.Millisecond, max: time.Millisecond, limit: time.Minute}.await(context.Background(), "x", func() (bool, error) { return false, boom })
		if done || !errors.Is(err, boom) {
			t.Errorf("await = %v, %v; want the attempt's error at once", done, err)
		}
	})
}

// TestOnboardingWaitLogsNoSecrets keeps the log of a wait to the workspace id and the timings.
func TestOnboardingWaitLogsNoSecrets(t *testing.T) {
	var out bytes.Buffer
	ctx := tflogtest.RootLogger(context.Background(), &out)
	var n int
	_, _ = onboardingWait{first: time.Millisecond, max: time.Millisecond, limit: 3 * time.Millisecond}.await(ctx, "the onboarding state of workspace /subscriptions/x", func() (bool, error) {
		n++
		return false, nil
	})
	entries := logEntries(t, &out)
	if len(entries) < n {
		t.Fatalf("%d attempts logged %d entries; want a line for each pause and one when the wait ends", n, len(entries))
	}
	for _, e := range entries {
		raw, _ := json.Marshal(e)
		for key := range e {
			if !strings.HasPrefix(key, "@") && !map[string]bool{"waiting_for": true, "attempt": true, "attempts": true, "next_attempt_in": true, "waited": true}[key] {
				t.Errorf("unexpected log field %q in %s", key, raw)
			}
		}
	}
}

// stubConnectors answers SentinelOnboarded and PutDataConnector from lists, one answer per call; the
// last answer repeats.
type stubConnectors struct {
	// Connectors is nil: the waits call only the two methods below.
	reconcile.Connectors
	onboarded []bool
	puts      []error
	calls     int
}

func (s *stubConnectors) SentinelOnboarded(context.Context, resourcemanager.WorkspaceID) (bool, error) {
	s.calls++
	return s.onboarded[min(s.calls, len(s.onboarded))-1], nil
}

func (s *stubConnectors) PutDataConnector(_ context.Context, id resourcemanager.DataConnectorID, dc resourcemanager.DataConnector) (*resourcemanager.DataConnector, error) {
	s.calls++
	if err := s.puts[min(s.calls, len(s.puts))-1]; err != nil {
		return nil, err
	}
	dc.ID, dc.Name = id.String(), id.Name
	return &dc, nil
}

// armAnswer is the error of a Resource Manager answer.
func armAnswer(status int, code, message string) error {
	return &resourcemanager.Error{Service: resourcemanager.ServiceName, Operation: "creating or updating data connector x", StatusCode: status, Code: code, Message: message}
}

// TestWaitingConnectors reads the onboarding state and writes the connector again while Sentinel's
// onboarding has not taken effect, and passes any other answer on at once.
func TestWaitingConnectors(t *testing.T) {
	ws := resourcemanager.WorkspaceID{SubscriptionID: "4c2dd80b-1ccb-4d86-bcc7-fb007341aad6", ResourceGroup: "rg", Name: "law"}
	id := resourcemanager.NewDataConnectorID(ws, "c")
	wait := onboardingWait{first: time.Millisecond, max: 2 * time.Millisecond, limit: time.Minute}
	notOnboarded := armAnswer(400, "BadRequest", "The workspace 'law' is not onboarded to Microsoft Sentinel.")
	body := resourcemanager.NewCloudAppSecurityConnector("t", true, true)

	stub := &stubConnectors{onboarded: []bool{false, false, true}}
	if ok, err := (waitingConnectors{Connectors: stub, wait: wait}).SentinelOnboarded(context.Background(), ws); !ok || err != nil || stub.calls != 3 {
		t.Errorf("SentinelOnboarded = %v, %v after %d reads; want true after 3", ok, err, stub.calls)
	}
	stub = &stubConnectors{puts: []error{notOnboarded, notOnboarded, nil}}
	if dc, err := (waitingConnectors{Connectors: stub, wait: wait}).PutDataConnector(context.Background(), id, body); dc == nil || err != nil || stub.calls != 3 {
		t.Errorf("PutDataConnector = %v, %v after %d writes; want the connector after 3", dc, err, stub.calls)
	}
	for _, refusal := range []error{
		armAnswer(400, "BadRequest", "properties.tenantId is required"),
		armAnswer(401, "InvalidLicense", "Missing consent"),
		errors.New("connection reset"),
	} {
		stub = &stubConnectors{puts: []error{refusal, nil}}
		if _, err := (waitingConnectors{Connectors: stub, wait: wait}).PutDataConnector(context.Background(), id, body); !errors.Is(err, refusal) || stub.calls != 1 {
			t.Errorf("PutDataConnector after %v: %v after %d writes; want it passed on at once", refusal, err, stub.calls)
		}
	}
	stub = &stubConnectors{puts: []error{notOnboarded}}
	short := onboardingWait{first: time.Millisecond, max: time.Millisecond, limit: 5 * time.Millisecond}
	if _, err := (waitingConnectors{Connectors: stub, wait: short}).PutDataConnector(context.Background(), id, body); !errors.Is(err, notOnboarded) || stub.calls < 2 {
		t.Errorf("PutDataConnector = %v after %d writes; want the last refusal once the wait is over", err, stub.calls)
	}
}

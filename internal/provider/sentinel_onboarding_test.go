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
	for _, e := range logEntries(t, &out) {
		raw, _ := json.Marshal(e)
		for key := range e {
			if !strings.HasPrefix(key, "@") && !map[string]bool{"waiting_for": true, "attempt": true, "attempts": true, "next_attempt_in": true, "waited": true}[key] {
				t.Errorf("unexpected log field %q in %s", key, raw)
			}
		}
	}
}

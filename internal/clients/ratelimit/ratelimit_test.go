package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// TestShapeKeepsEveryMinuteUnderTheLimit sends requests as fast as the limiter lets them through, on a
// simulated clock, and checks that no sliding minute (as the service counts: the last 60 seconds)
// holds more than the limit, while the pace stays close to it.
func TestShapeKeepsEveryMinuteUnderTheLimit(t *testing.T) {
	for _, perMinute := range []int{1, 2, 5, 6, 7, 12, 30, 100, 1000} {
		limit, burst := shape(perMinute)
		bucket := New("test", perMinute).bucket
		if bucket.Limit() != limit || bucket.Burst() != burst {
			t.Fatalf("perMinute %d: limiter has rate %v and burst %d, want %v and %d", perMinute, bucket.Limit(), bucket.Burst(), limit, burst)
		}
		start := time.Unix(0, 0)
		const span = 10 * time.Minute
		var sent []time.Time
		for now := start; now.Before(start.Add(span)); now = now.Add(10 * time.Millisecond) {
			for bucket.AllowN(now, 1) {
				sent = append(sent, now)
			}
		}
		maxInMinute := 0
		first := 0
		for i, at := range sent {
			for !sent[first].After(at.Add(-time.Minute)) {
				first++
			}
			maxInMinute = max(maxInMinute, i-first+1)
		}
		if maxInMinute > perMinute {
			t.Errorf("perMinute %d: a minute held %d requests", perMinute, maxInMinute)
		}
		// The sustained pace is the limit less the burst, over 61 seconds (less 5% for the simulated
		// clock's steps); anything much slower would make large plans needlessly slow.
		minimum := 0.95 * float64(span/time.Minute) * float64(max(perMinute-burst, 1)) * 60 / 61
		if got := float64(len(sent)); got < minimum {
			t.Errorf("perMinute %d: only %d requests in %s, want at least %.0f", perMinute, len(sent), span, minimum)
		}
	}
}

func TestWaitReturnsWhenCancelled(t *testing.T) {
	l := New("https://contoso.example", 1)
	if err := l.Wait(t.Context()); err != nil {
		t.Fatalf("the first request waited: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(50*time.Millisecond, cancel)
	began := time.Now()
	err := l.Wait(ctx)
	if waited := time.Since(began); waited > 2*time.Second {
		t.Errorf("Wait returned %s after the cancellation", waited)
	}
	var waitErr *WaitError
	if !errors.As(err, &waitErr) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait returned %v, want a *WaitError wrapping context.Canceled", err)
	}
	if want := "cancelled while waiting for a turn under the client-side limit of 1 request per minute for https://contoso.example"; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
}

func TestWaitFailsAtOnceWhenTheTurnComesAfterTheDeadline(t *testing.T) {
	l := New("https://contoso.example", 30)
	for range 5 { // the burst
		if err := l.Wait(t.Context()); err != nil {
			t.Fatalf("a request of the burst waited: %v", err)
		}
	}
	// The next turn is about 2.4s away and the deadline 1.5s: Wait must give up at once rather than
	// sleep until the deadline, so the context is still live when it returns.
	ctx, cancel := context.WithTimeout(t.Context(), 1500*time.Millisecond)
	defer cancel()
	err := l.Wait(ctx)
	if ctx.Err() != nil {
		t.Errorf("Wait slept until the deadline instead of seeing that the turn comes after it")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait returned %v, want an error wrapping context.DeadlineExceeded", err)
	}
	for _, want := range []string{"client-side limit of 30 requests per minute", "https://contoso.example", "comes after the deadline"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	var waitErr *WaitError
	if errors.As(err, &waitErr) && !strings.Contains(waitErr.Advice(), "more time") {
		t.Errorf("advice %q does not suggest more time", waitErr.Advice())
	}
}

// sharedRuns numbers the runs of TestSharedIsOnePerKeyAndKeepsTheLowestLimit, so that each run (with
// -count) starts from a key the process-wide registry has not seen.
var sharedRuns atomic.Int32

func TestSharedIsOnePerKeyAndKeepsTheLowestLimit(t *testing.T) {
	key := fmt.Sprintf("https://%s-%d.example", t.Name(), sharedRuns.Add(1))
	first := Shared(key, 30)
	tests := []struct {
		name      string
		perMinute int
		want      int
	}{
		{"a higher limit leaves it", 60, 30},
		{"a lower limit lowers it", 12, 12},
		{"the same limit leaves it", 12, 12},
		{"zero counts as one", 0, 1},
	}
	for _, tt := range tests {
		if got := Shared(key, tt.perMinute); got != first {
			t.Fatalf("%s: Shared returned another limiter for the same key", tt.name)
		}
		if got := first.PerMinute(); got != tt.want {
			t.Errorf("%s: limit = %d, want %d", tt.name, got, tt.want)
		}
	}
	if limit, burst := shape(1); first.bucket.Limit() != limit || first.bucket.Burst() != burst {
		t.Errorf("the lowered bucket has rate %v and burst %d, want %v and %d", first.bucket.Limit(), first.bucket.Burst(), limit, burst)
	}
	if other := Shared(key+"/other", 30); other == first || other.PerMinute() != 30 {
		t.Errorf("another key got the same limiter or limit %d", other.PerMinute())
	}
}

// transportFunc answers requests in tests.
type transportFunc func(*http.Request) (*http.Response, error)

func (f transportFunc) Do(req *http.Request) (*http.Response, error) { return f(req) }

// TestPolicyLimitsEveryAttempt sends requests through an azcore pipeline whose retry policy retries
// a 503: the retry takes a turn of its own, and once the turns are used up the next request fails
// under its deadline without reaching the transport.
func TestPolicyLimitsEveryAttempt(t *testing.T) {
	l := New("https://contoso.example", 12) // a burst of 2
	var sent atomic.Int32
	transport := transportFunc(func(req *http.Request) (*http.Response, error) {
		status := http.StatusOK
		if sent.Add(1) == 1 {
			status = http.StatusServiceUnavailable
		}
		return &http.Response{StatusCode: status, Header: http.Header{}, Body: http.NoBody, Request: req}, nil
	})
	pl := runtime.NewPipeline("ratelimit-test", "v0.0.1", runtime.PipelineOptions{PerRetry: []policy.Policy{l.Policy()}}, &policy.ClientOptions{
		Transport: transport,
		Retry:     policy.RetryOptions{MaxRetries: 3, RetryDelay: time.Millisecond, MaxRetryDelay: time.Millisecond},
	})
	send := func(ctx context.Context) (*http.Response, error) {
		req, err := runtime.NewRequest(ctx, http.MethodGet, "https://contoso.example/api/discovery/streams/")
		if err != nil {
			t.Fatal(err)
		}
		return pl.Do(req)
	}
	resp, err := send(t.Context())
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("first request: %v, %v; want the retried 200", resp, err)
	}
	if n := sent.Load(); n != 2 {
		t.Fatalf("the transport saw %d attempts, want 2", n)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	_, err = send(ctx)
	var waitErr *WaitError
	if !errors.As(err, &waitErr) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("third attempt: %v, want a *WaitError for the deadline (the burst of 2 is used up)", err)
	}
	if n := sent.Load(); n != 2 {
		t.Errorf("the transport saw %d attempts, want still 2: a request without a turn must not go out", n)
	}
}

// Package ratelimit keeps the provider's requests to a service with a per-minute request limit, such
// as Defender for Cloud Apps (30 requests per minute per tenant), under that limit, so that a plan
// with many objects in one tenant queues its requests instead of collecting HTTP 429 answers.
//
// A [Limiter] is a token bucket of golang.org/x/time/rate sized so that no window of one minute holds
// more requests than the limit: a sixth of the limit may go out at once, and the rest is spread evenly
// over 61 seconds (one second of margin for delays between the provider and the service). [Shared]
// hands out one limiter per key (the service URL of a tenant) for the whole process, so every provider
// instance of the process that talks to the same tenant shares it.
//
// The limiter works within one provider process. Resources that name many tenants under one provider
// configuration share that process, which holds one limiter per tenant. Terraform starts one provider
// process per provider configuration (alias) and a new one for each phase of a run (plan, apply), so
// aliases of the same tenant each count on their own, and a burst at a phase boundary can still meet
// the service's own limit; the clients' retries after HTTP 429 cover that.
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"golang.org/x/time/rate"
)

// window is the period over which the limiter spreads a minute's requests: one minute and one second
// of margin, so that requests the provider spaced a minute apart also arrive a minute apart.
const window = 61 * time.Second

// Limiter spaces requests so that no minute holds more than its limit. It is safe for concurrent use.
type Limiter struct {
	name string

	mu        sync.Mutex
	perMinute int
	bucket    *rate.Limiter
}

// New returns a limiter of perMinute requests per minute (at least 1); name says in error messages
// what is limited, for example the service URL.
func New(name string, perMinute int) *Limiter {
	perMinute = max(perMinute, 1)
	limit, burst := shape(perMinute)
	return &Limiter{name: name, perMinute: perMinute, bucket: rate.NewLimiter(limit, burst)}
}

// shape returns the rate and burst of a token bucket that lets through at most perMinute requests in
// any minute: a burst of a sixth of them, and the others at an even pace over [window].
func shape(perMinute int) (rate.Limit, int) {
	burst := max(perMinute/6, 1)
	spread := max(perMinute-burst, 1)
	return rate.Every(window / time.Duration(spread)), burst
}

// PerMinute returns the limit in requests per minute.
func (l *Limiter) PerMinute() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.perMinute
}

// lower reduces the limit to perMinute when that is lower than the current one.
func (l *Limiter) lower(perMinute int) {
	perMinute = max(perMinute, 1)
	l.mu.Lock()
	defer l.mu.Unlock()
	if perMinute >= l.perMinute {
		return
	}
	limit, burst := shape(perMinute)
	l.perMinute = perMinute
	l.bucket.SetLimit(limit)
	l.bucket.SetBurst(burst)
}

// Wait blocks until the next request may go out. It returns a [*WaitError] at once when ctx ends,
// and also without waiting when the next free slot comes after ctx's deadline.
func (l *Limiter) Wait(ctx context.Context) error {
	err := l.bucket.Wait(ctx)
	if err == nil {
		return nil
	}
	cause := ctx.Err()
	if cause == nil {
		// The rate package reports, without waiting, that the next slot comes after the deadline.
		cause = context.DeadlineExceeded
	}
	return &WaitError{Name: l.name, PerMinute: l.PerMinute(), Err: cause}
}

// WaitError reports that a request could not wait for its turn under the limit.
type WaitError struct {
	// Name says what is limited, for example the service URL.
	Name string
	// PerMinute is the limit in requests per minute.
	PerMinute int
	// Err is context.Canceled or context.DeadlineExceeded.
	Err error
}

// Error implements the error interface.
func (e *WaitError) Error() string {
	if errors.Is(e.Err, context.Canceled) {
		return fmt.Sprintf("cancelled while waiting for a turn under the client-side limit of %s for %s", perMinuteText(e.PerMinute), e.Name)
	}
	return fmt.Sprintf("the next turn under the client-side limit of %s for %s comes after the deadline, "+
		"because earlier requests of this run are queued ahead of it", perMinuteText(e.PerMinute), e.Name)
}

// perMinuteText renders a limit such as "1 request per minute" or "30 requests per minute".
func perMinuteText(n int) string {
	if n == 1 {
		return "1 request per minute"
	}
	return fmt.Sprintf("%d requests per minute", n)
}

// Advice says what to do about the wait.
func (e *WaitError) Advice() string {
	if errors.Is(e.Err, context.Canceled) {
		return "run the operation again"
	}
	return "allow the operation more time (the resource's timeouts), or run fewer operations on this tenant at once"
}

// Unwrap returns the context error, so that errors.Is recognises a cancellation or a deadline.
func (e *WaitError) Unwrap() error {
	return e.Err
}

// NonRetriable tells azcore's retry policy not to try again: the wait ended for good.
func (e *WaitError) NonRetriable() {}

// Policy returns a per-retry azcore policy that waits for l before every attempt of a request, so
// that retries count against the limit too.
func (l *Limiter) Policy() policy.Policy {
	return limiterPolicy{l}
}

type limiterPolicy struct {
	limiter *Limiter
}

// Do implements [policy.Policy].
func (p limiterPolicy) Do(req *policy.Request) (*http.Response, error) {
	if err := p.limiter.Wait(req.Raw().Context()); err != nil {
		return nil, err
	}
	return req.Next()
}

var registry = struct {
	mu       sync.Mutex
	limiters map[string]*Limiter
}{limiters: map[string]*Limiter{}}

// Shared returns the process-wide limiter for key, creating it with perMinute on first use. A later
// call with a lower perMinute lowers the shared limit; a higher one leaves it, so that provider
// instances that disagree on the limit of the same tenant keep to the strictest.
func Shared(key string, perMinute int) *Limiter {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if l, ok := registry.limiters[key]; ok {
		l.lower(perMinute)
		return l
	}
	l := New(key, perMinute)
	registry.limiters[key] = l
	return l
}

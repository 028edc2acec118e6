package pipeline

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// waitError is an error with advice of its own, as a client-side rate limit gives.
type waitError struct{}

func (waitError) Error() string  { return "no turn before the deadline" }
func (waitError) Advice() string { return "allow more time" }
func (waitError) Unwrap() error  { return context.DeadlineExceeded }

func TestSendErrorAdvice(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"deadline without an answer", context.DeadlineExceeded,
			"listing SIEM agents: the time allowed ran out before Defender for Cloud Apps gave a usable answer (context deadline exceeded); check that Defender for Cloud Apps is reachable from this machine or allow more time"},
		{"the error's own advice", fmt.Errorf("waiting: %w", waitError{}),
			"listing SIEM agents: the time allowed ran out before Defender for Cloud Apps gave a usable answer (waiting: no turn before the deadline); allow more time"},
		{"transport error", fmt.Errorf("connection refused"),
			"listing SIEM agents: the request to Defender for Cloud Apps failed: connection refused"},
	}
	for _, tt := range tests {
		got := (&SendError{Operation: "listing SIEM agents", Service: "Defender for Cloud Apps", Err: tt.err}).Error()
		if got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
		if strings.Count(got, ";") > 1 {
			t.Errorf("%s: more than one piece of advice in %q", tt.name, got)
		}
	}
}

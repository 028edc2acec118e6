package cloudapps

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/internal/pipeline"
)

func TestIsRefused(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"bad request", &Error{Operation: "creating SIEM agent", StatusCode: 400}, true},
		{"conflict, wrapped", fmt.Errorf("create: %w", &Error{StatusCode: 409}), true},
		{"throttled", &Error{StatusCode: 429}, true},
		{"server error", &Error{StatusCode: 503}, false},
		{"timed out after a throttled attempt", &pipeline.SendError{Operation: "creating SIEM agent", Service: serviceName,
			Err: context.DeadlineExceeded, Last: &Error{StatusCode: 429}}, false},
		{"connection reset", &pipeline.SendError{Operation: "creating SIEM agent", Service: serviceName, Err: errors.New("connection reset by peer")}, false},
		{"answer not readable", errors.New("creating SIEM agent: the HTTP 201 answer is malformed or truncated JSON"), false},
	}
	for _, tt := range tests {
		if got := IsRefused(tt.err); got != tt.want {
			t.Errorf("%s: IsRefused = %v, want %v", tt.name, got, tt.want)
		}
	}
}

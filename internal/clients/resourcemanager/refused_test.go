package resourcemanager

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
		{"bad request", &Error{Operation: "creating or updating data connector", StatusCode: 400, Code: "BadRequest"}, true},
		{"forbidden, wrapped", fmt.Errorf("put: %w", &Error{StatusCode: 403, Code: "AuthorizationFailed"}), true},
		{"server error", &Error{StatusCode: 500}, false},
		{"timed out after a server error", &pipeline.SendError{Operation: "creating or updating data connector", Service: serviceName,
			Err: context.DeadlineExceeded, Last: &Error{StatusCode: 400}}, false},
		{"connection reset", &pipeline.SendError{Operation: "deleting data connector", Service: serviceName, Err: errors.New("EOF")}, false},
		{"answer not readable", errors.New("creating or updating data connector: the HTTP 200 answer is not JSON"), false},
	}
	for _, tt := range tests {
		if got := IsRefused(tt.err); got != tt.want {
			t.Errorf("%s: IsRefused = %v, want %v", tt.name, got, tt.want)
		}
	}
}

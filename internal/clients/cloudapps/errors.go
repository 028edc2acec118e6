package cloudapps

import (
	"fmt"
	"net/http"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/internal/pipeline"
)

// Error is the error for a Defender for Cloud Apps answer whose status is not a success; the
// Resource Manager and Log Analytics clients return the same type, and the classification below holds
// for all of them (Error.Service tells them apart).
type Error = pipeline.ResponseError

// The classification of the errors of every service client, by the answer's status; see the
// functions of the same names in the pipeline package.
var (
	IsNotFound     = pipeline.IsNotFound
	IsConflict     = pipeline.IsConflict
	IsUnauthorized = pipeline.IsUnauthorized
	IsThrottled    = pipeline.IsThrottled
	IsRefused      = pipeline.IsRefused
)

// errorMessage quotes the body of a non-success answer: the API documents no error body format.
func errorMessage(_ *http.Response, body []byte) string {
	if snippet := pipeline.Snippet(body, pipeline.MaxMessageLength); snippet != "" {
		return fmt.Sprintf("%q", snippet)
	}
	return ""
}

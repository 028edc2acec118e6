package resourcemanager

import (
	"encoding/json"
	"net/http"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/internal/pipeline"
)

// Error is the error for an Azure Resource Manager answer whose status is not a success; the
// Defender for Cloud Apps and Log Analytics clients return the same type. errors.As reaches the
// [*azcore.ResponseError] of the answer.
type Error = pipeline.ResponseError

// IsNotFound classifies the errors of every service client by the answer's status, as the functions
// of the cloudapps package do; see the function of the same name in the pipeline package.
var IsNotFound = pipeline.IsNotFound

// errorMessage returns the message of an ARM error document, {"error": {"code", "message"}} or a
// bare {"code", "message"}, or else quotes the body with its content type.
func errorMessage(resp *http.Response, body []byte) string {
	var doc struct {
		Error   *struct{ Message string } `json:"error"`
		Message string                    `json:"message"`
	}
	if json.Unmarshal(body, &doc) == nil {
		message := doc.Message
		if doc.Error != nil {
			message = doc.Error.Message
		}
		if message != "" {
			return pipeline.Snippet([]byte(message), pipeline.MaxMessageLength)
		}
	}
	return pipeline.QuoteBody(resp, body)
}

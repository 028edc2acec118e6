package resourcemanager

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/internal/pipeline"
)

// maxMessageLength caps the service message quoted in an error.
const maxMessageLength = 512

// maxContentTypeLength caps the content type quoted in an error; real ones are short.
const maxContentTypeLength = 128

// Error is the error for an Azure Resource Manager answer whose status is not a success; the
// Defender for Cloud Apps client returns the same type. errors.As reaches the
// [*azcore.ResponseError] of the answer.
type Error = pipeline.ResponseError

// The classification of the errors of both service clients, by the answer's status; see the
// functions of the same names in the pipeline package.
var (
	IsNotFound = pipeline.IsNotFound
	IsRefused  = pipeline.IsRefused
)

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
			return pipeline.Snippet([]byte(message), maxMessageLength)
		}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return ""
	}
	contentType := pipeline.Snippet([]byte(resp.Header.Get("Content-Type")), maxContentTypeLength)
	if contentType == "" {
		contentType = "untyped"
	}
	return fmt.Sprintf("%s body %q", contentType, pipeline.Snippet(body, maxMessageLength))
}

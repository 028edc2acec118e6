package loganalytics

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/monitor/query/azlogs"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/internal/pipeline"
)

// Error is the error for an answer of the query API whose status is not a success, such as 403
// InsufficientAccessError or 400 BadArgumentError: the clients' common error, whose operation names the
// workspace ("<operation> of workspace <id>") and whose message ends with the innermost error of the
// answer in parentheses ("(SemanticError: ...)"), which says what was wrong with a query.
type Error = pipeline.ResponseError

// errorDocument is the query API's error, {"error": {"code", "message", "details", "innererror"}}.
type errorDocument struct {
	Code       string           `json:"code"`
	Message    string           `json:"message"`
	Details    []errorDocument  `json:"details"`
	InnerError *json.RawMessage `json:"innererror"`
}

// innermost returns the deepest "code: message" of the document's innererror chain, or "".
func (d errorDocument) innermost() string {
	text := ""
	raw := d.InnerError
	for depth := 0; raw != nil && depth < 8; depth++ {
		var inner errorDocument
		if json.Unmarshal(*raw, &inner) != nil {
			break
		}
		if inner.Message != "" {
			text = strings.TrimSpace(inner.Code + ": " + inner.Message)
		}
		raw = inner.InnerError
	}
	return text
}

// newError builds the [*Error] of a non-success answer.
func newError(op, workspace string, resp *http.Response) *Error {
	e := &Error{Service: ServiceName, Operation: op + " of workspace " + workspace, StatusCode: resp.StatusCode}
	body, err := runtime.Payload(resp)
	if err != nil {
		e.Message = fmt.Sprintf("reading the error body failed: %v", err)
		return e
	}
	var doc struct {
		Error *errorDocument `json:"error"`
	}
	if json.Unmarshal(body, &doc) != nil || doc.Error == nil {
		e.Message = pipeline.QuoteBody(resp, body)
		return e
	}
	e.Code = pipeline.Snippet([]byte(doc.Error.Code), pipeline.MaxCodeLength)
	e.Message = pipeline.Snippet([]byte(doc.Error.Message), pipeline.MaxMessageLength)
	if inner := pipeline.Snippet([]byte(doc.Error.innermost()), pipeline.MaxMessageLength); inner != "" {
		e.Message += " (" + inner + ")"
	}
	return e
}

// tableMissing reports whether the error says that the workspace has no table of that name. The
// wording, a semantic error "Failed to resolve table or column expression named '<name>'", is the one
// seen in public reports (microsoft/finops-toolkit#1776); Microsoft does not document it, so this is
// our model of how the service answers a query of a table the workspace does not have.
func tableMissing(e *Error, table string) bool {
	return e.StatusCode == http.StatusBadRequest && strings.Contains(e.Message, "Failed to resolve table") &&
		strings.Contains(e.Message, "named '"+table+"'")
}

// IsForbidden reports whether err is the service's refusal for lack of a role on the workspace
// (HTTP 403), or of a token it does not take.
func IsForbidden(err error) bool { return hasStatus(err, http.StatusForbidden) }

// IsUnauthorized reports whether err is an HTTP 401 answer: the request carried no usable credential.
func IsUnauthorized(err error) bool { return hasStatus(err, http.StatusUnauthorized) }

// IsThrottled reports whether err is, or ended after, an HTTP 429 answer.
func IsThrottled(err error) bool { return hasStatus(err, http.StatusTooManyRequests) }

// IsNotFound reports whether err is an HTTP 404 answer, such as WorkspaceNotFoundError.
func IsNotFound(err error) bool { return hasStatus(err, http.StatusNotFound) }

// hasStatus reports whether err is an answer of the query API with the status, or a request that
// ended without a usable answer after one; the clients share one error type, so the service is checked.
func hasStatus(err error, status int) bool {
	var e *Error
	return errors.As(err, &e) && e.Service == ServiceName && e.StatusCode == status
}

// PartialError is what a 200 answer says about the part of a query that failed: the figures it came
// with may be incomplete.
type PartialError struct {
	// Code is the error code, usually "PartialError".
	Code string
	// Message is the service's message.
	Message string
	// Details are the messages of the failures, innermost first.
	Details []string
}

// String describes the partial error in one line.
func (p *PartialError) String() string {
	text := p.Code + ": " + p.Message
	if len(p.Details) > 0 {
		text += " (" + strings.Join(p.Details, "; ") + ")"
	}
	return text
}

// newPartialError reads the error of a 200 answer.
func newPartialError(info *azlogs.ErrorInfo) *PartialError {
	p := &PartialError{Code: pipeline.Snippet([]byte(info.Code), pipeline.MaxCodeLength)}
	var doc errorDocument
	if json.Unmarshal([]byte(info.Error()), &doc) != nil {
		p.Message = pipeline.Snippet([]byte(info.Error()), pipeline.MaxMessageLength)
		return p
	}
	p.Message = pipeline.Snippet([]byte(doc.Message), pipeline.MaxMessageLength)
	for _, d := range doc.Details {
		text := d.innermost()
		if text == "" {
			text = strings.TrimSpace(d.Code + ": " + d.Message)
		}
		p.Details = append(p.Details, pipeline.Snippet([]byte(text), pipeline.MaxMessageLength))
	}
	return p
}

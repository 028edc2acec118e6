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
// InsufficientAccessError or 400 BadArgumentError.
type Error struct {
	// Operation says what the client was doing, for example "counting discovery logs".
	Operation string
	// Workspace is the workspace's customer id.
	Workspace string
	// StatusCode is the HTTP status code.
	StatusCode int
	// Code is the error code of the answer, for example "InsufficientAccessError", or empty.
	Code string
	// Message is the service's error message, or the beginning of a body that is not an error document.
	Message string
	// Inner is the innermost error of the answer ("SemanticError: ..."), which says what was wrong
	// with a query; empty when there is none.
	Inner string
}

// Error implements the error interface: "<operation> of workspace <id>: HTTP <status> <code>: <message>
// (<inner>)", in the words of the clients' common error.
func (e *Error) Error() string {
	return e.response().Error()
}

// response returns the answer as the clients' common error, which a [pipeline.SendError] quotes as
// its last answer.
func (e *Error) response() *pipeline.ResponseError {
	message := e.Message
	if e.Inner != "" {
		message += " (" + e.Inner + ")"
	}
	return &pipeline.ResponseError{Service: ServiceName, Operation: e.Operation + " of workspace " + e.Workspace,
		StatusCode: e.StatusCode, Code: e.Code, Message: message}
}

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
	e := &Error{Operation: op, Workspace: workspace, StatusCode: resp.StatusCode}
	body, err := runtime.Payload(resp)
	if err != nil {
		e.Message = fmt.Sprintf("reading the error body failed: %v", err)
		return e
	}
	var doc struct {
		Error *errorDocument `json:"error"`
	}
	if json.Unmarshal(body, &doc) == nil && doc.Error != nil {
		e.Code = pipeline.Snippet([]byte(doc.Error.Code), pipeline.MaxCodeLength)
		e.Message = pipeline.Snippet([]byte(doc.Error.Message), pipeline.MaxMessageLength)
		e.Inner = pipeline.Snippet([]byte(doc.Error.innermost()), pipeline.MaxMessageLength)
		return e
	}
	e.Message = pipeline.QuoteBody(resp, body)
	return e
}

// tableMissing reports whether the error says that the workspace has no table of that name. The
// wording, a semantic error "Failed to resolve table or column expression named '<name>'", is the one
// seen in public reports (microsoft/finops-toolkit#1776); Microsoft does not document it, so this is
// our model of how the service answers a query of a table the workspace does not have.
func (e *Error) tableMissing(table string) bool {
	return e.StatusCode == http.StatusBadRequest && strings.Contains(e.Inner, "Failed to resolve table") &&
		strings.Contains(e.Inner, "named '"+table+"'")
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

// hasStatus reports whether err is an [*Error] with the status, or a request that ended without a
// usable answer after one with the status.
func hasStatus(err error, status int) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.StatusCode == status
	}
	var last *pipeline.ResponseError
	return errors.As(err, &last) && last.Service == ServiceName && last.StatusCode == status
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

package resourcemanager

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/internal/pipeline"
)

// maxMessageLength caps the service message quoted in an error.
const maxMessageLength = 512

// maxCodeLength caps the error code quoted in an error; real codes are short identifiers.
const maxCodeLength = 128

// Error is the error for an Azure Resource Manager answer whose status is
// not a success. It wraps the [*azcore.ResponseError] built from the answer,
// which errors.As reaches.
type Error struct {
	// Operation says what the client was doing, for example "reading data connector".
	Operation string
	// ResourceID is the ID of the resource concerned.
	ResourceID string
	// StatusCode is the HTTP status code.
	StatusCode int
	// Code is the ARM error code, for example "InvalidLicense", or empty.
	Code string
	// Message is the service's error message, or the beginning of a body
	// that is not an ARM error document.
	Message string

	response error
}

// Error implements the error interface:
// "<operation> <resource id>: HTTP <status> <code>: <message>".
func (e *Error) Error() string {
	return e.Operation + " " + e.ResourceID + ": " + e.Detail()
}

// Detail describes the answer alone: "HTTP <status> <code>: <message>".
func (e *Error) Detail() string {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP %d", e.StatusCode)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	} else if text := http.StatusText(e.StatusCode); text != "" {
		b.WriteString(" " + text)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	return b.String()
}

// Unwrap returns the [*azcore.ResponseError].
func (e *Error) Unwrap() error {
	return e.response
}

// newError builds the [*Error] for a non-success answer.
func newError(op, resourceID string, resp *http.Response) *Error {
	e := &Error{Operation: op, ResourceID: resourceID, StatusCode: resp.StatusCode}
	respErr := runtime.NewResponseError(resp)
	e.response = respErr
	var azErr *azcore.ResponseError
	if errors.As(respErr, &azErr) {
		e.Code = answerCode(azErr.ErrorCode)
	} else {
		// The body could not be read; keep the status for the message and
		// errors.As, and say why there is no detail.
		e.response = &azcore.ResponseError{StatusCode: resp.StatusCode, RawResponse: resp}
		e.Message = fmt.Sprintf("reading the error body failed: %v", respErr)
		return e
	}
	body, err := runtime.Payload(resp)
	if err != nil {
		return e
	}
	code, message := armErrorBody(body)
	if e.Code == "" {
		e.Code = answerCode(code)
	}
	switch {
	case message != "":
		e.Message = pipeline.Snippet([]byte(message), maxMessageLength)
	case len(bytes.TrimSpace(body)) > 0:
		e.Message = fmt.Sprintf("%s body %q", contentTypeOf(resp), pipeline.Snippet(body, maxMessageLength))
	}
	return e
}

// answerCode returns an error code taken from an answer as one line of valid UTF-8 of bounded
// length; real codes are short identifiers such as "InvalidLicense".
func answerCode(code string) string {
	return pipeline.Snippet([]byte(code), maxCodeLength)
}

// armErrorBody extracts code and message from {"error": {"code", "message"}}
// or from a bare {"code", "message"}.
func armErrorBody(body []byte) (code, message string) {
	type detail struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	var doc struct {
		Error *detail `json:"error"`
		detail
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return "", ""
	}
	if doc.Error != nil {
		return doc.Error.Code, doc.Error.Message
	}
	return doc.Code, doc.Message
}

func contentTypeOf(resp *http.Response) string {
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		return pipeline.Snippet([]byte(ct), maxCodeLength)
	}
	return "untyped"
}

// IsRefused reports whether err is the service's answer with a client
// error status (4xx), which means that it did not carry out the request. A
// request that ended without a usable answer is not refused, even when an
// earlier attempt was: the service may still act on it.
func IsRefused(err error) bool {
	var sendErr *pipeline.SendError
	if errors.As(err, &sendErr) {
		return false
	}
	var e *Error
	return errors.As(err, &e) && e.StatusCode >= 400 && e.StatusCode < 500
}

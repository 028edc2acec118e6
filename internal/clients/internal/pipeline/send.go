package pipeline

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// MaxCodeLength caps an error code quoted in an error; real codes are short identifiers.
const MaxCodeLength = 128

// Client sends the requests of one service client through its azcore pipeline.
type Client struct {
	// Service names the service in errors, for example "Azure Resource Manager".
	Service string
	// Pipeline is the client's azcore pipeline.
	Pipeline runtime.Pipeline
	// Message returns what a non-success answer says, from its body, for [ResponseError.Message];
	// the answer's format is the service's own.
	Message func(resp *http.Response, body []byte) string
}

// Send sends one request with an optional JSON body and returns the answer when its status is one
// of ok. Any other status becomes a [*ResponseError]; a request that got no usable answer becomes a
// [*SendError] that names the last answer received, if any. op says what the client is doing, with
// the object concerned.
func (c Client) Send(ctx context.Context, op, method, url string, body any, ok ...int) (*http.Response, error) {
	req, err := runtime.NewRequest(ctx, method, url)
	if err != nil {
		return nil, fmt.Errorf("%s: building the request failed: %w", op, err)
	}
	req.Raw().Header.Set("Accept", "application/json")
	if body != nil {
		if err := runtime.MarshalAsJSON(req, body); err != nil {
			return nil, fmt.Errorf("%s: encoding the request body failed: %w", op, err)
		}
	}
	resp, err := c.Pipeline.Do(req)
	if err != nil {
		sendErr := &SendError{Operation: op, Service: c.Service, Err: err}
		if last := LastResponse(req); last != nil {
			sendErr.Last = c.responseError(op, last)
		}
		return nil, sendErr
	}
	if !runtime.HasStatusCode(resp, ok...) {
		return nil, c.responseError(op, resp)
	}
	return resp, nil
}

// responseError builds the [*ResponseError] of a non-success answer.
func (c Client) responseError(op string, resp *http.Response) *ResponseError {
	e := &ResponseError{Service: c.Service, Operation: op, StatusCode: resp.StatusCode}
	cause := runtime.NewResponseError(resp)
	var azErr *azcore.ResponseError
	if !errors.As(cause, &azErr) {
		// The body could not be read; keep the status for errors.As, and say why there is no detail.
		e.cause = &azcore.ResponseError{StatusCode: resp.StatusCode, RawResponse: resp}
		e.Message = fmt.Sprintf("reading the error body failed: %v", cause)
		return e
	}
	e.cause, e.Code = azErr, Snippet([]byte(azErr.ErrorCode), MaxCodeLength)
	if body, err := runtime.Payload(resp); err == nil {
		e.Message = c.Message(resp, body)
	}
	return e
}

// ResponseError is the error for an answer whose status is not one the operation expects. Every
// service client returns it, so that the answers of every service are classified alike, by
// [IsNotFound], [IsConflict], [IsUnauthorized], [IsThrottled] and [IsRefused]; Service tells them
// apart. errors.As also reaches the [*azcore.ResponseError] of an answer that Send received.
type ResponseError struct {
	// Service names the service, for example "Defender for Cloud Apps".
	Service string
	// Operation says what the client was doing, with the object concerned, for example
	// "reading data connector /subscriptions/...".
	Operation string
	// StatusCode is the HTTP status code.
	StatusCode int
	// Code is the service's error code (the x-ms-error-code header, or "code" in a JSON body), for
	// example "InvalidLicense", or empty.
	Code string
	// Message is what the answer says in the service's words, one line of bounded length, or empty.
	Message string

	cause error
}

// Error implements the error interface: "<operation>: HTTP <status> <code>: <message>".
func (e *ResponseError) Error() string {
	return e.Operation + ": " + e.Detail()
}

// Detail describes the answer alone: "HTTP <status> <code, else status text>: <message>".
func (e *ResponseError) Detail() string {
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

// Unwrap returns the [*azcore.ResponseError] of the answer.
func (e *ResponseError) Unwrap() error {
	return e.cause
}

// status returns the status of the answer err reports, also of the last answer before a request
// ended without a usable one, or 0.
func status(err error) int {
	var e *ResponseError
	if errors.As(err, &e) {
		return e.StatusCode
	}
	return 0
}

// IsNotFound reports whether err comes from an HTTP 404 answer: Resource Manager's answer for an
// absent resource whatever the body says, and in our model of the SIEM agent route Defender for Cloud
// Apps' for an absent agent.
func IsNotFound(err error) bool {
	return status(err) == http.StatusNotFound
}

// IsConflict reports whether err comes from an HTTP 409 answer, which in our model of the SIEM agent
// route Defender for Cloud Apps gives when a Sentinel SIEM agent already exists.
func IsConflict(err error) bool {
	return status(err) == http.StatusConflict
}

// IsUnauthorized reports whether err comes from an HTTP 401 or 403 answer.
func IsUnauthorized(err error) bool {
	s := status(err)
	return s == http.StatusUnauthorized || s == http.StatusForbidden
}

// IsThrottled reports whether err comes from an HTTP 429 answer, including a request that ran out of
// time while retrying after HTTP 429.
func IsThrottled(err error) bool {
	return status(err) == http.StatusTooManyRequests
}

// IsRefused reports whether err is the service's answer with a client error status (4xx), which
// means that it did not carry out the request. A request that ended without a usable answer is not
// refused, even when an earlier attempt was: the service may still act on it.
func IsRefused(err error) bool {
	var sendErr *SendError
	if errors.As(err, &sendErr) {
		return false
	}
	s := status(err)
	return s >= 400 && s < 500
}

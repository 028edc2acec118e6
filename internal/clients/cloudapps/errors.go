package cloudapps

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/internal/pipeline"
)

// maxErrorBody caps the answer body quoted in an [Error].
const maxErrorBody = 512

// Error is the error for a Defender for Cloud Apps answer whose status is
// not a success. The API documents no error body format, so the error keys
// on the status code and quotes the body text.
type Error struct {
	// Operation says what the client was doing, for example "creating the Sentinel SIEM agent".
	Operation string
	// StatusCode is the HTTP status code.
	StatusCode int
	// Body is the answer body, trimmed to one line and capped at about 512 bytes.
	Body string
	// ContentType is the answer's Content-Type header, or empty.
	ContentType string
}

// Error implements the error interface.
func (e *Error) Error() string {
	return e.Operation + ": " + e.Detail()
}

// Detail describes the answer alone, with advice for the statuses that have
// a known cause.
func (e *Error) Detail() string {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP %d", e.StatusCode)
	if text := http.StatusText(e.StatusCode); text != "" {
		b.WriteString(" " + text)
	}
	if e.Body != "" {
		fmt.Fprintf(&b, ": %q", e.Body)
	}
	switch e.StatusCode {
	case http.StatusTooManyRequests:
		b.WriteString("; Defender for Cloud Apps allows 30 API requests per minute per tenant: wait a minute and try again, and keep cloud_apps_requests_per_minute of all automation on the tenant under that budget")
	case http.StatusUnauthorized:
		b.WriteString("; the token was rejected: check that the API token or the Microsoft Entra credential belongs to the tenant of this portal URL and has not expired")
	case http.StatusForbidden:
		b.WriteString("; the caller lacks permission: the application needs Defender for Cloud Apps API permissions with admin consent (Discovery.read to read streams, Settings.manage for SIEM agents), or the user at least the Security Administrator role")
	}
	return b.String()
}

func newError(op string, resp *http.Response) *Error {
	e := &Error{Operation: op, StatusCode: resp.StatusCode, ContentType: resp.Header.Get("Content-Type")}
	if body, err := runtime.Payload(resp); err == nil {
		e.Body = pipeline.Snippet(body, maxErrorBody)
	}
	return e
}

func hasStatus(err error, codes ...int) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	for _, code := range codes {
		if e.StatusCode == code {
			return true
		}
	}
	return false
}

// IsNotFound reports whether err comes from an HTTP 404 answer.
func IsNotFound(err error) bool {
	return hasStatus(err, http.StatusNotFound)
}

// IsConflict reports whether err comes from an HTTP 409 answer, which the
// service gives when a Sentinel SIEM agent already exists.
func IsConflict(err error) bool {
	return hasStatus(err, http.StatusConflict)
}

// IsUnauthorized reports whether err comes from an HTTP 401 or 403 answer.
func IsUnauthorized(err error) bool {
	return hasStatus(err, http.StatusUnauthorized, http.StatusForbidden)
}

// IsThrottled reports whether err comes from an HTTP 429 answer, including
// a request that ran out of time while retrying after HTTP 429.
func IsThrottled(err error) bool {
	return hasStatus(err, http.StatusTooManyRequests)
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

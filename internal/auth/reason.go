package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// maxReason caps the length of one method's failure reason in an error message.
const maxReason = 400

// Reason condenses an authentication error into one line: Microsoft Entra ID's error description when
// the error carries its answer; otherwise the first line of the error text, followed by the message
// of the endpoint's answer (a managed identity endpoint, Azure DevOps) or at least its status.
func Reason(err error) string {
	msg := err.Error()
	if i := strings.IndexAny(msg, "\r\n"); i >= 0 {
		msg = msg[:i]
	}
	if i := strings.Index(msg, " To troubleshoot, visit"); i >= 0 {
		msg = msg[:i]
	}
	msg = strings.TrimSpace(msg)

	var authErr *azidentity.AuthenticationFailedError
	if !errors.As(err, &authErr) || authErr.RawResponse == nil || authErr.RawResponse.Body == nil {
		return clip(msg)
	}
	body, readErr := runtime.Payload(authErr.RawResponse)
	if readErr != nil {
		return clip(msg)
	}
	var answer struct {
		Error       json.RawMessage `json:"error"`
		Description string          `json:"error_description"`
		Message     string          `json:"message"`
	}
	_ = json.Unmarshal(body, &answer)
	var code string
	_ = json.Unmarshal(answer.Error, &code)
	if answer.Description != "" || code != "" {
		desc := answer.Description
		// Entra appends trace and correlation ids and a timestamp, usually on lines of their own.
		if i := strings.IndexAny(desc, "\r\n"); i >= 0 {
			desc = desc[:i]
		}
		if i := strings.Index(desc, " Trace ID:"); i >= 0 {
			desc = desc[:i]
		}
		return clip(strings.TrimSpace(code + ": " + desc))
	}
	status := authErr.RawResponse.StatusCode
	if message := strings.Join(strings.Fields(answer.Message), " "); message != "" {
		return clip(fmt.Sprintf("%s The endpoint answered HTTP %d: %s", msg, status, message))
	}
	if !strings.Contains(msg, strconv.Itoa(status)) {
		return clip(fmt.Sprintf("%s The endpoint answered HTTP %d.", msg, status))
	}
	return clip(msg)
}

func clip(s string) string {
	if len(s) > maxReason {
		return s[:maxReason] + "..."
	}
	return s
}

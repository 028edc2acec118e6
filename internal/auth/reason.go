package auth

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// maxReason caps the length of one method's failure reason in an error message.
const maxReason = 400

// Reason condenses an authentication error into one line: Microsoft Entra ID's error description when
// the error carries its answer, otherwise the first line of the error text.
func Reason(err error) string {
	var authErr *azidentity.AuthenticationFailedError
	if errors.As(err, &authErr) && authErr.RawResponse != nil && authErr.RawResponse.Body != nil {
		body, readErr := runtime.Payload(authErr.RawResponse)
		if readErr == nil {
			var entra struct {
				Error       string `json:"error"`
				Description string `json:"error_description"`
			}
			if json.Unmarshal(body, &entra) == nil && (entra.Description != "" || entra.Error != "") {
				desc := entra.Description
				// Entra appends trace and correlation ids and a timestamp, usually on lines of their own.
				if i := strings.IndexAny(desc, "\r\n"); i >= 0 {
					desc = desc[:i]
				}
				if i := strings.Index(desc, " Trace ID:"); i >= 0 {
					desc = desc[:i]
				}
				return clip(strings.TrimSpace(entra.Error + ": " + desc))
			}
		}
	}
	msg := err.Error()
	if i := strings.IndexAny(msg, "\r\n"); i >= 0 {
		msg = msg[:i]
	}
	if i := strings.Index(msg, " To troubleshoot, visit"); i >= 0 {
		msg = msg[:i]
	}
	return clip(strings.TrimSpace(msg))
}

func clip(s string) string {
	if len(s) > maxReason {
		return s[:maxReason] + "..."
	}
	return s
}

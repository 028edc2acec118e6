package pipeline

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestCheckOptionalJSON(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		body        string
		wantErr     string
	}{
		{name: "no body"},
		{name: "white space", body: " \n"},
		{name: "JSON object", contentType: "application/json", body: `{"status":"deleted"}`},
		{name: "JSON null", contentType: "application/json", body: `null`, wantErr: "is not JSON"},
		{name: "broken JSON", contentType: "application/json", body: `{"value": [{"id": "/subscriptions/`,
			wantErr: "deleting SIEM agent x: the HTTP 200 answer (Content-Type application/json, 34 bytes) is malformed or truncated JSON: unexpected end of JSON input; the request may not have been carried out"},
		{name: "proxy page", contentType: "text/html", body: "<html><body>Sign in</body></html>",
			wantErr: `is not JSON; it starts with "<html><body>Sign in</body></html>"; check that the endpoint URL points at the service's API; the request may not have been carried out`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(tt.body))}
			if tt.contentType != "" {
				resp.Header.Set("Content-Type", tt.contentType)
			}
			err := CheckOptionalJSON("deleting SIEM agent x", resp)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("CheckOptionalJSON: %v, want no error", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("CheckOptionalJSON: %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

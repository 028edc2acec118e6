package fakeapi

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxBodyBytes bounds the request bodies the fake reads.
const maxBodyBytes = 1 << 20

// writeJSON writes v as a JSON response with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encoding the response failed: "+err.Error(), http.StatusInternalServerError)
		return
	}
	writeBody(w, status, "application/json; charset=utf-8", body)
}

// writeBody writes a complete response with a content type and length.
func writeBody(w http.ResponseWriter, status int, contentType string, body []byte) {
	if contentType != "" {
		w.Header().Set("Content-Type", contentType)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// errorWriter writes an error answer in the format of one service.
type errorWriter func(w http.ResponseWriter, status int, code, message string)

// allowMethods answers 405 MethodNotAllowed with an Allow header, through writeError, and returns
// false unless the request uses one of the methods.
func allowMethods(w http.ResponseWriter, r *http.Request, writeError errorWriter, methods ...string) bool {
	if slices.Contains(methods, r.Method) {
		return true
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	writeError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", fmt.Sprintf(
		"The method %s is not allowed on %s; allowed: %s.", r.Method, r.URL.Path, strings.Join(methods, ", ")))
	return false
}

// admitWindow applies a sliding-window rate limit: it drops from recent the times older than window
// before now and, when fewer than limit remain, admits the request and records now. A negative limit
// admits everything and records nothing. It returns the times to keep and whether the request is
// admitted.
func admitWindow(recent []time.Time, limit int, window time.Duration, now time.Time) ([]time.Time, bool) {
	if limit < 0 {
		return recent, true
	}
	cutoff := now.Add(-window)
	kept := recent[:0]
	for _, at := range recent {
		if at.After(cutoff) {
			kept = append(kept, at)
		}
	}
	if len(kept) >= limit {
		return kept, false
	}
	return append(kept, now), true
}

// readBody reads a request body of at most maxBodyBytes.
func readBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading the request body: %w", err)
	}
	if len(body) > maxBodyBytes {
		return nil, fmt.Errorf("the request body is larger than %d bytes", maxBodyBytes)
	}
	return body, nil
}

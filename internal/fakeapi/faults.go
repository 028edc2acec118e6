package fakeapi

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// FaultKind names what an injected fault does to a request.
type FaultKind string

// Fault kinds.
const (
	// FaultStatus answers Status with Body (default an error body fitting the API) and a Retry-After
	// header if RetryAfter is set, without processing the request.
	FaultStatus FaultKind = "status"
	// FaultReset closes the connection without answering (with a TCP reset).
	FaultReset FaultKind = "reset"
	// FaultTruncate processes the request normally, declares the full Content-Length, sends half the
	// body and closes the connection.
	FaultTruncate FaultKind = "truncate"
	// FaultMalformedJSON answers 200 with an application/json content type and a broken JSON body,
	// without processing the request.
	FaultMalformedJSON FaultKind = "malformed_json"
	// FaultWrongContentType processes the request normally but answers, with the same status, a
	// text/html content type and an HTML body, as a proxy's error page would.
	FaultWrongContentType FaultKind = "wrong_content_type"
	// FaultPartialResult processes a Log Analytics query normally and answers its tables with the
	// PartialError that the query API adds to a 200 when part of a query failed (see partialError);
	// other requests are processed normally.
	FaultPartialResult FaultKind = "partial_result"
)

// Fault affects the next Count requests matching Method ("" = any) and PathPattern (a regular
// expression searched in the URL path, "" = any). A Count of 0 means 1; a negative Count affects every
// matching request until the fault is removed. Latency alone (Kind "") delays the matching requests and
// then processes them normally; with a Kind it delays them before the fault applies. Admin requests
// are never affected.
type Fault struct {
	Method      string
	PathPattern string
	Count       int
	Kind        FaultKind
	Status      int
	RetryAfter  string
	Body        string
	Latency     time.Duration
}

// activeFault is an injected fault with its remaining count.
type activeFault struct {
	id        string
	fault     Fault
	pattern   *regexp.Regexp
	remaining int // negative: unlimited
}

// InjectFault adds a fault and returns its id (for RemoveFault).
func (s *Server) InjectFault(f Fault) (string, error) {
	switch f.Kind {
	case "":
		if f.Latency <= 0 {
			return "", fmt.Errorf("a fault without a Kind must have a positive Latency; set Kind to one of status, reset, truncate, malformed_json, wrong_content_type, partial_result")
		}
	case FaultStatus:
		if f.Status < 100 || f.Status > 599 {
			return "", fmt.Errorf("a %s fault needs a Status between 100 and 599, got %d", FaultStatus, f.Status)
		}
	case FaultReset, FaultTruncate, FaultMalformedJSON, FaultWrongContentType, FaultPartialResult:
	default:
		return "", fmt.Errorf("fault kind %q is unknown; expected status, reset, truncate, malformed_json, wrong_content_type or partial_result", f.Kind)
	}
	if f.Latency < 0 {
		return "", fmt.Errorf("fault latency %s is negative", f.Latency)
	}
	pattern, err := regexp.Compile(f.PathPattern)
	if err != nil {
		return "", fmt.Errorf("fault path pattern %q is not a valid regular expression: %w", f.PathPattern, err)
	}
	remaining := f.Count
	if remaining == 0 {
		remaining = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faultSeq++
	id := "fault-" + strconv.Itoa(s.faultSeq)
	s.faults = append(s.faults, &activeFault{id: id, fault: f, pattern: pattern, remaining: remaining})
	return id, nil
}

// RemoveFault removes one injected fault; it reports whether the fault was still active.
func (s *Server) RemoveFault(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.id == id {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
			return true
		}
	}
	return false
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// takeFault returns the first active fault matching a request and uses up one of its count.
func (s *Server) takeFault(method, path string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if (f.fault.Method != "" && !strings.EqualFold(f.fault.Method, method)) || !f.pattern.MatchString(path) {
			continue
		}
		if f.remaining > 0 {
			f.remaining--
			if f.remaining == 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
		}
		fault := f.fault
		return &fault
	}
	return nil
}

// serveWithFaults serves a request, applying a fault if one matched.
func (s *Server) serveWithFaults(w *statusRecorder, r *http.Request, f *Fault) {
	if f == nil {
		s.route(w, r)
		return
	}
	if f.Latency > 0 {
		timer := time.NewTimer(f.Latency)
		select {
		case <-timer.C:
		case <-r.Context().Done():
			timer.Stop()
			return
		}
	}
	switch f.Kind {
	case "":
		s.route(w, r)
	case FaultStatus:
		body := []byte(f.Body)
		contentType := "application/json; charset=utf-8"
		if f.Body == "" {
			body = defaultFaultBody(r.URL.Path, f.Status)
		} else if !looksLikeJSON(body) {
			contentType = "text/plain; charset=utf-8"
		}
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		writeBody(w, f.Status, contentType, body)
	case FaultMalformedJSON:
		writeBody(w, http.StatusOK, "application/json; charset=utf-8", []byte(`{"value": [{"id": "/subscriptions/`))
	case FaultReset:
		w.status = 0
		if conn := hijack(w.ResponseWriter); conn != nil {
			if tcp, ok := underlyingTCP(conn); ok {
				_ = tcp.SetLinger(0)
			}
			_ = conn.Close()
		}
	case FaultTruncate:
		buf := newBufferedResponse()
		s.route(buf, r)
		buf.WriteHeader(http.StatusOK) // No effect when the handler wrote a status.
		w.status = buf.status
		conn := hijack(w.ResponseWriter)
		if conn == nil {
			return
		}
		defer conn.Close()
		out := bufio.NewWriter(conn)
		buf.header.Set("Content-Length", strconv.Itoa(buf.body.Len()))
		buf.header.Set("Connection", "close")
		fmt.Fprintf(out, "HTTP/1.1 %d %s\r\n", buf.status, http.StatusText(buf.status))
		_ = buf.header.Write(out)
		_, _ = out.WriteString("\r\n")
		_, _ = out.Write(buf.body.Bytes()[:buf.body.Len()/2])
		_ = out.Flush()
	case FaultPartialResult:
		buf := newBufferedResponse()
		s.route(buf, r)
		buf.WriteHeader(http.StatusOK) // No effect when the handler wrote a status.
		body := buf.body.Bytes()
		if apiOf(r.URL.Path) == apiLogAnalytics && buf.status == http.StatusOK {
			body = withPartialError(body)
		}
		for k, v := range buf.header {
			w.Header()[k] = v
		}
		writeBody(w, buf.status, buf.header.Get("Content-Type"), body)
	case FaultWrongContentType:
		buf := newBufferedResponse()
		s.route(buf, r)
		buf.WriteHeader(http.StatusOK) // No effect when the handler wrote a status.
		html := fmt.Sprintf("<!DOCTYPE html>\n<html><head><title>Sign in to continue</title></head><body><h1>%d %s</h1><p>This page is served by a proxy in front of the API.</p></body></html>\n",
			buf.status, http.StatusText(buf.status))
		writeBody(w, buf.status, "text/html; charset=utf-8", []byte(html))
	}
}

// withPartialError adds to a query answer the error of a partial result, in the shape the query API
// gives it (a PartialError whose details hold the engine's errors, as quoted in
// Azure/azure-sdk-for-python#25137); the tables are kept, as the service keeps what it computed.
func withPartialError(body []byte) []byte {
	var answer map[string]any
	if json.Unmarshal(body, &answer) != nil {
		return body
	}
	answer["error"] = map[string]any{
		"code":    "PartialError",
		"message": "There were some errors when processing your query.",
		"details": []any{map[string]any{
			"code":    "EngineError",
			"message": "Something went wrong processing your query on the server.",
			"innererror": map[string]any{
				"code":         "-2133196797",
				"message":      "Query execution has exceeded the allowed limits (80DA0003): the query was cancelled on one of the storage nodes before it finished.",
				"severity":     2,
				"severityName": "Error",
			},
		}},
	}
	out, err := json.Marshal(answer)
	if err != nil {
		return body
	}
	return out
}

// looksLikeJSON reports whether a fault body looks like JSON, to choose its content type.
func looksLikeJSON(body []byte) bool {
	trimmed := bytes.TrimSpace(body)
	return len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[')
}

// hijack takes over the connection of a response; nil when the connection cannot be hijacked.
func hijack(w http.ResponseWriter) net.Conn {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return nil
	}
	return conn
}

// underlyingTCP returns the TCP connection below a (TLS) connection.
func underlyingTCP(conn net.Conn) (*net.TCPConn, bool) {
	if nc, ok := conn.(interface{ NetConn() net.Conn }); ok {
		conn = nc.NetConn()
	}
	tcp, ok := conn.(*net.TCPConn)
	return tcp, ok
}

// defaultFaultBody returns an error body in the format of the API a path belongs to.
func defaultFaultBody(path string, status int) []byte {
	text := http.StatusText(status)
	var body string
	switch apiOf(path) {
	case apiEntra:
		body = fmt.Sprintf(`{"error":"temporarily_unavailable","error_description":"AADSTS90033: A transient error has occurred (%d %s). Please try again.","error_codes":[90033]}`, status, text)
	case apiCloudApps:
		body = fmt.Sprintf(`{"detail":"%d %s: injected fault."}`, status, text)
	default:
		code := strings.ReplaceAll(text, " ", "")
		body = fmt.Sprintf(`{"error":{"code":%q,"message":"%d %s: injected fault."}}`, code, status, text)
	}
	return []byte(body)
}

// bufferedResponse collects a response in memory so a fault can rewrite it.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newBufferedResponse() *bufferedResponse {
	return &bufferedResponse{header: http.Header{}}
}

// Header returns the response header.
func (b *bufferedResponse) Header() http.Header { return b.header }

// WriteHeader records the status.
func (b *bufferedResponse) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

// Write collects body bytes.
func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

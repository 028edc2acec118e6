package clienttest

import (
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// fatal is what recorder.Fatalf panics with, so that a test can see the helper stop as t.Fatalf would.
type fatal struct{ msg string }

// recorder is a testing.TB that records the failures reported to it instead of failing the test.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	panic(fatal{fmt.Sprintf(format, args...)})
}

func TestCheckErrorText(t *testing.T) {
	tests := []struct {
		name string
		msg  string
		want string // a part of the failure reported, empty when none is
	}{
		{"a one-line message within the bound", "getting agent: HTTP 404: not found", ""},
		{"exactly the bound", strings.Repeat("x", 64), ""},
		{"empty", "", "empty error message"},
		{"invalid UTF-8", "bad \xff byte", "not valid UTF-8"},
		{"a newline", "first\nsecond", "spans several lines"},
		{"a carriage return", "first\rsecond", "spans several lines"},
		{"one byte over the bound", strings.Repeat("x", 65), "has 65 bytes, more than 64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{TB: t}
			CheckErrorText(r, fmt.Errorf("%s", tt.msg), 64)
			switch {
			case tt.want == "" && len(r.errors) != 0:
				t.Errorf("CheckErrorText(%q) reported %q, want nothing", tt.msg, r.errors)
			case tt.want != "" && (len(r.errors) != 1 || !strings.Contains(r.errors[0], tt.want)):
				t.Errorf("CheckErrorText(%q) reported %q, want one failure saying %q", tt.msg, r.errors, tt.want)
			}
		})
	}
}

func TestReplayAnswersAndRecords(t *testing.T) {
	r := &Replay{T: t, MaxRequests: 3, Answer: FirstThen(
		func(n int, _ *http.Request) (int, http.Header, []byte) {
			return http.StatusTooManyRequests, nil, []byte(fmt.Sprintf("first %d", n))
		},
		func(n int, req *http.Request) (int, http.Header, []byte) {
			return http.StatusOK, http.Header{"Content-Type": {"text/plain"}}, []byte(fmt.Sprintf("%s %d", req.Method, n))
		},
	)}
	sent := []struct {
		method, body string
		status       int
		answer       string
	}{
		{http.MethodPut, `{"a":1}`, http.StatusTooManyRequests, "first 0"},
		{http.MethodGet, "", http.StatusOK, "GET 1"},
		{http.MethodPost, "x", http.StatusOK, "POST 2"},
	}
	for _, s := range sent {
		var body io.Reader
		if s.body != "" {
			body = strings.NewReader(s.body)
		}
		req, err := http.NewRequest(s.method, "https://replay.example/p", body)
		if err != nil {
			t.Fatal(err)
		}
		res, err := r.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", s.method, err)
		}
		got, _ := io.ReadAll(res.Body)
		if res.StatusCode != s.status || string(got) != s.answer || res.Header == nil || res.Request != req ||
			res.ContentLength != int64(len(got)) {
			t.Errorf("%s: answered %d %q (header %v, length %d), want %d %q", s.method, res.StatusCode, got, res.Header, res.ContentLength, s.status, s.answer)
		}
	}
	if len(r.Requests()) != len(sent) || len(r.Bodies()) != len(sent) {
		t.Fatalf("recorded %d requests and %d bodies, want %d", len(r.Requests()), len(r.Bodies()), len(sent))
	}
	for i, s := range sent {
		if r.Requests()[i].Method != s.method || string(r.Bodies()[i]) != s.body {
			t.Errorf("request %d recorded as %s %q, want %s %q", i, r.Requests()[i].Method, r.Bodies()[i], s.method, s.body)
		}
	}
	if r.Bodies()[1] != nil {
		t.Errorf("the GET without a body recorded %q, want nil", r.Bodies()[1])
	}
}

func TestReplayStopsTheTestPastMaxRequests(t *testing.T) {
	rec := &recorder{TB: t}
	r := &Replay{T: rec, MaxRequests: 2, Answer: func(int, *http.Request) (int, http.Header, []byte) {
		return http.StatusOK, nil, nil
	}}
	send := func() (stopped *fatal) {
		defer func() {
			if p := recover(); p != nil {
				f, ok := p.(fatal)
				if !ok {
					panic(p)
				}
				stopped = &f
			}
		}()
		req, err := http.NewRequest(http.MethodGet, "https://replay.example/next", nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Do(req); err != nil {
			t.Fatal(err)
		}
		return nil
	}
	for i := range 2 {
		if f := send(); f != nil {
			t.Fatalf("request %d of at most 2 stopped the test: %s", i+1, f.msg)
		}
	}
	f := send()
	if f == nil || !strings.Contains(f.msg, "more than 2 requests") {
		t.Fatalf("the third request of at most 2 gave %v, want the test stopped", f)
	}
	if len(r.Requests()) != 2 {
		t.Errorf("recorded %d requests, want the 2 answered", len(r.Requests()))
	}
}

func TestServerRecordsEveryRequestAndKeepsTheBody(t *testing.T) {
	var seen string
	s := NewServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		seen = string(b)
		w.WriteHeader(http.StatusAccepted)
	})
	req, err := http.NewRequest(http.MethodPut, s.URL+"/items/1?api-version=2024-01-01", strings.NewReader("payload"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Test", "yes")
	res, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusAccepted || seen != "payload" {
		t.Errorf("the handler answered %d having read %q, want 202 after reading the body", res.StatusCode, seen)
	}
	got := s.Requests()
	if len(got) != 1 {
		t.Fatalf("recorded %d requests, want 1", len(got))
	}
	want := Request{Method: http.MethodPut, Path: "/items/1", Body: []byte("payload")}
	if got[0].Method != want.Method || got[0].Path != want.Path || string(got[0].Body) != string(want.Body) ||
		got[0].Query.Get("api-version") != "2024-01-01" || got[0].Header.Get("X-Test") != "yes" {
		t.Errorf("recorded %+v, want %s %s with the body, query and header sent", got[0], want.Method, want.Path)
	}
}

func TestCredentialRecordsScopes(t *testing.T) {
	c := &Credential{Token: "tok"}
	for _, scopes := range [][]string{{"https://management.azure.com//.default"}, {"a", "b"}} {
		tok, err := c.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: scopes})
		if err != nil || tok.Token != "tok" || tok.ExpiresOn.IsZero() {
			t.Fatalf("GetToken = %+v, %v", tok, err)
		}
	}
	if want := []string{"https://management.azure.com//.default", "a", "b"}; !reflect.DeepEqual(c.Scopes(), want) {
		t.Errorf("Scopes() = %q, want %q", c.Scopes(), want)
	}
}

package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/fakeapi"
)

// syncBuffer is a goroutine-safe buffer for the server's log.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestRunPrintsEnvironmentAndServes(t *testing.T) {
	dir := t.TempDir()
	envFile := filepath.Join(dir, "fakeapi.env")
	envDir := filepath.Join(dir, "tenants")
	if err := os.WriteFile(envFile, []byte("stale"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdoutReader, stdoutWriter := io.Pipe()
	stderr := &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"-tenant", "fabrikam", "-env-file", envFile, "-env-dir", envDir}, stdoutWriter, stderr)
		stdoutWriter.Close()
	}()

	env := map[string]string{}
	var exports []string
	scanner := bufio.NewScanner(stdoutReader)
	ready := ""
	for scanner.Scan() {
		line := scanner.Text()
		if rest, ok := strings.CutPrefix(line, "# fake API server ready at "); ok {
			ready = rest
			break
		}
		exports = append(exports, line)
		name, value, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		if !ok || !strings.HasPrefix(line, "export ") || !strings.HasPrefix(value, "'") || !strings.HasSuffix(value, "'") {
			t.Fatalf("line %q is not an export of a quoted value", line)
		}
		env[name] = strings.Trim(value, "'")
	}
	if ready == "" {
		t.Fatalf("no ready line; stderr: %s", stderr.String())
	}
	go func() { _, _ = io.Copy(io.Discard, stdoutReader) }()

	names := make([]string, 0, len(exports))
	for _, line := range exports {
		names = append(names, strings.SplitN(strings.TrimPrefix(line, "export "), "=", 2)[0])
	}
	want := "ARM_ENVIRONMENT ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST ARM_RESOURCE_MANAGER_ENDPOINT ARM_RESOURCE_MANAGER_AUDIENCE ARM_LOG_ANALYTICS_ENDPOINT ARM_LOG_ANALYTICS_AUDIENCE ARM_TENANT_ID ARM_CLIENT_ID ARM_CLIENT_SECRET ARM_USE_CLI MCAS_PORTAL_URL SSL_CERT_FILE TF_VAR_workspace_id"
	if strings.Join(names, " ") != want {
		t.Errorf("exported %v, want %s", names, want)
	}
	if env["MCAS_PORTAL_URL"] != ready+"/mcas/fabrikam" || env["ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST"] != ready+"/" || env["ARM_LOG_ANALYTICS_ENDPOINT"] != ready+"/loganalytics" {
		t.Errorf("env = %v, ready at %s", env, ready)
	}
	if !strings.HasSuffix(env["TF_VAR_workspace_id"], "/providers/Microsoft.OperationalInsights/workspaces/law-sentinel-fabrikam") {
		t.Errorf("TF_VAR_workspace_id = %q, want fabrikam's Sentinel workspace", env["TF_VAR_workspace_id"])
	}
	written, err := os.ReadFile(envFile)
	if err != nil || string(written) != strings.Join(exports, "\n")+"\n" {
		t.Errorf("env file = %q (%v), want the export lines", written, err)
	}
	// -env-dir holds one file per tenant, each with its own tenant.
	for _, name := range []string{"contoso", "fabrikam", "northwind"} {
		data, err := os.ReadFile(filepath.Join(envDir, name+".env"))
		if err != nil {
			t.Fatalf("env dir: %v", err)
		}
		if !strings.Contains(string(data), "export MCAS_PORTAL_URL='"+ready+"/mcas/"+name+"'") ||
			!strings.Contains(string(data), "workspaces/law-sentinel-"+name+"'") {
			t.Errorf("%s.env does not point at tenant %s:\n%s", name, name, data)
		}
		if name == "fabrikam" && string(data) != string(written) {
			t.Errorf("fabrikam.env differs from the -env-file of -tenant fabrikam")
		}
	}

	// The CA file trusts the server; the tenant's metadata is reachable.
	caPEM, err := os.ReadFile(env["SSL_CERT_FILE"])
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatal("the CA file holds no certificate")
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	res, err := client.Get(env["ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST"] + env["ARM_TENANT_ID"] + "/v2.0/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("openid-configuration: %d", res.StatusCode)
	}
	client.CloseIdleConnections()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(stderr.String(), "openid-configuration -> 200") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(stderr.String(), "openid-configuration -> 200") {
		t.Errorf("stderr has no request log: %s", stderr.String())
	}
	if strings.Contains(stderr.String(), env["ARM_CLIENT_SECRET"]) {
		t.Error("the log contains the client secret")
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit code %d", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after cancellation")
	}
	if _, err := os.Stat(envFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the env file outlived the server: %v", err)
	}
	if _, err := os.Stat(filepath.Join(envDir, "contoso.env")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the env dir files outlived the server: %v", err)
	}
	if _, err := os.Stat(env["SSL_CERT_FILE"]); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the temporary CA file outlived the server: %v", err)
	}
}

func TestRunTenantsAndUsageErrors(t *testing.T) {
	var stdout, stderr bytes.Buffer
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if code := run(context.Background(), []string{"-tenants", "-ca-file", caFile}, &stdout, &stderr); code != 0 {
		t.Fatalf("-tenants exit code %d: %s", code, stderr.String())
	}
	var infos []fakeapi.TenantInfo
	if err := json.Unmarshal(stdout.Bytes(), &infos); err != nil {
		t.Fatalf("-tenants output: %v\n%s", err, stdout.String())
	}
	if len(infos) != 3 || infos[0].Name != "contoso" || infos[0].APIToken == "" || !strings.Contains(string(infos[0].ClientCertificatePEM), "CERTIFICATE") {
		t.Errorf("tenants = %+v", infos)
	}
	if _, err := os.Stat(caFile); err != nil {
		t.Errorf("-ca-file was not written: %v", err)
	}

	tests := []struct {
		args []string
		code int
	}{
		{[]string{"-tenant", "nobody"}, 2},
		{[]string{"-no-such-flag"}, 2},
		{[]string{"extra"}, 2},
		{[]string{"-addr", "256.0.0.1:1"}, 1},
	}
	for _, tc := range tests {
		stderr.Reset()
		if code := run(context.Background(), tc.args, io.Discard, &stderr); code != tc.code {
			t.Errorf("run(%v) = %d, want %d; stderr %s", tc.args, code, tc.code, stderr.String())
		}
	}
}

func TestShellQuoteSurvivesTheShell(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh on PATH")
	}
	values := []string{"plain", "it's", `a "quoted" $HOME \ value`, ""}
	for _, v := range values {
		out, err := exec.Command(sh, "-c", exportLines([][2]string{{"V", v}})+`printf %s "$V"`).Output()
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != v {
			t.Errorf("round trip of %q gave %q", v, out)
		}
	}
}

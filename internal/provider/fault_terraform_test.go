package provider

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"
)

// providerAddress is the registry address Terraform knows the provider by.
const providerAddress = "registry.terraform.io/mcas-terraform/mcas"

// terraformDir is a Terraform working directory that a test drives through the terraform CLI,
// command by command, to see what each command answered and what it left in the state file.
// terraform-plugin-testing runs a fixed sequence of commands per step and shows neither the state
// saved by a failed apply nor the diagnostics of a step that was expected to pass.
type terraformDir struct {
	t   *testing.T
	dir string
	// factory returns the provider server that Terraform attaches to for one command (in-process,
	// through Terraform's reattach protocol); nil when Terraform starts the provider itself from a
	// plugin mirror.
	factory func() tfprotov6.ProviderServer
	// env holds extra environment variables of every command.
	env []string
}

// terraformBinary returns the terraform CLI of the acceptance tests (TF_ACC_TERRAFORM_PATH), or skips
// the test without TF_ACC.
func terraformBinary(t *testing.T) string {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1 (and TF_ACC_TERRAFORM_PATH) to run it")
	}
	if path := os.Getenv("TF_ACC_TERRAFORM_PATH"); path != "" {
		return path
	}
	path, err := exec.LookPath("terraform")
	if err != nil {
		t.Fatal("no terraform CLI: set TF_ACC_TERRAFORM_PATH to its path or put it on PATH")
	}
	return path
}

// newTerraformDir returns a working directory whose commands are served by the in-process provider
// that factory returns (one instance per command, as Terraform starts one process per command).
func newTerraformDir(t *testing.T, factory func() tfprotov6.ProviderServer) *terraformDir {
	t.Helper()
	return &terraformDir{t: t, dir: t.TempDir(), factory: factory}
}

// inProcessFactory returns the provider server factory of New with opts.
func inProcessFactory(opts ...Option) func() tfprotov6.ProviderServer {
	return providerserver.NewProtocol6(New("test", opts...)())
}

// writeConfig replaces the configuration (main.tf).
func (d *terraformDir) writeConfig(hcl string) {
	d.t.Helper()
	if err := os.WriteFile(filepath.Join(d.dir, "main.tf"), []byte(hcl), 0o600); err != nil {
		d.t.Fatal(err)
	}
}

// diagnostic is one diagnostic of a terraform command run with -json.
type diagnostic struct {
	Severity string `json:"severity"`
	Summary  string `json:"summary"`
	Detail   string `json:"detail"`
}

// result is what one terraform command did.
type result struct {
	exitCode int
	// errors are the error diagnostics (of -json commands) in the order Terraform gave them.
	errors []diagnostic
	// output is the command's whole output, for failure messages.
	output string
}

// failed reports whether the command failed.
func (r result) failed() bool { return r.exitCode != 0 }

// errorText joins the error diagnostics as "summary: detail" paragraphs.
func (r result) errorText() string {
	parts := make([]string, len(r.errors))
	for i, d := range r.errors {
		parts[i] = d.Summary + ": " + d.Detail
	}
	return strings.Join(parts, "\n\n")
}

// command builds a terraform command in the directory with the test environment.
func (d *terraformDir) command(ctx context.Context, env []string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, terraformBinary(d.t), args...)
	cmd.Dir = d.dir
	cmd.Env = append(os.Environ(), "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", "TF_INPUT=0")
	if os.Getenv("TF_CLI_CONFIG_FILE") == "" {
		cmd.Env = append(cmd.Env, "TF_CLI_CONFIG_FILE=/dev/null")
	}
	cmd.Env = append(cmd.Env, d.env...)
	cmd.Env = append(cmd.Env, env...)
	return cmd
}

// run runs one terraform command to its end, serving the provider in-process meanwhile, and returns
// what it did. It fails the test only when terraform cannot be run at all.
func (d *terraformDir) run(args ...string) result {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(d.t.Context(), 2*time.Minute)
	defer cancel()
	var env []string
	if d.factory != nil {
		stop, reattach := d.serveProvider(d.factory)
		defer stop()
		env = append(env, "TF_REATTACH_PROVIDERS="+reattach)
	}
	cmd := d.command(ctx, env, args...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	res := result{output: out.String()}
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		res.exitCode = exitErr.ExitCode()
	case err != nil:
		d.t.Fatalf("running terraform %s: %v", strings.Join(args, " "), err)
	}
	res.errors = jsonDiagnostics(out.Bytes())
	return res
}

// mustRun runs a terraform command that has to succeed.
func (d *terraformDir) mustRun(args ...string) {
	d.t.Helper()
	res := d.run(args...)
	if res.failed() {
		d.t.Fatalf("terraform %s failed (exit code %d):\n%s", strings.Join(args, " "), res.exitCode, res.output)
	}
}

// jsonDiagnostics returns the error diagnostics of the machine-readable output of a command run
// with -json.
func jsonDiagnostics(out []byte) []diagnostic {
	var diags []diagnostic
	scanner := bufio.NewScanner(bytes.NewReader(out))
	scanner.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for scanner.Scan() {
		var line struct {
			Type       string      `json:"type"`
			Diagnostic *diagnostic `json:"diagnostic"`
		}
		if json.Unmarshal(scanner.Bytes(), &line) != nil || line.Type != "diagnostic" || line.Diagnostic == nil {
			continue
		}
		if line.Diagnostic.Severity == "error" {
			diags = append(diags, *line.Diagnostic)
		}
	}
	return diags
}

// reattachConfig is one provider of TF_REATTACH_PROVIDERS.
type reattachConfig struct {
	Protocol        string
	ProtocolVersion int
	Pid             int
	Test            bool
	Addr            struct{ Network, String string }
}

// serveProvider serves a provider for Terraform to attach to, and returns the function that stops it
// and the value of TF_REATTACH_PROVIDERS.
func (d *terraformDir) serveProvider(factory func() tfprotov6.ProviderServer) (stop func(), reattach string) {
	d.t.Helper()
	ctx, cancel := context.WithCancel(d.t.Context())
	configs := make(chan *plugin.ReattachConfig)
	closed := make(chan struct{})
	served := make(chan error, 1)
	go func() {
		served <- tf6server.Serve(providerAddress, factory,
			tf6server.WithDebug(ctx, configs, closed),
			tf6server.WithGoPluginLogger(hclog.NewNullLogger()),
			tf6server.WithLoggingSink(d.t),
			tf6server.WithoutLogStderrOverride(),
		)
	}()
	var config *plugin.ReattachConfig
	select {
	case config = <-configs:
	case err := <-served:
		cancel()
		d.t.Fatalf("serving the provider failed: %v", err)
	case <-time.After(10 * time.Second):
		cancel()
		d.t.Fatal("the provider server did not start within 10s")
	}
	rc := reattachConfig{
		Protocol:        string(config.Protocol),
		ProtocolVersion: config.ProtocolVersion,
		Pid:             config.Pid,
		Test:            config.Test,
	}
	rc.Addr.Network, rc.Addr.String = config.Addr.Network(), config.Addr.String()
	encoded, err := json.Marshal(map[string]reattachConfig{providerAddress: rc})
	if err != nil {
		cancel()
		d.t.Fatal(err)
	}
	return func() {
		cancel()
		<-closed
	}, string(encoded)
}

// stateResource is one resource instance of a state file.
type stateResource struct {
	Address    string
	Tainted    bool
	Attributes map[string]any
}

// state reads the state file as the last command left it, without refreshing anything.
func (d *terraformDir) state() map[string]stateResource {
	d.t.Helper()
	raw, err := os.ReadFile(filepath.Join(d.dir, "terraform.tfstate"))
	if errors.Is(err, os.ErrNotExist) {
		return map[string]stateResource{}
	}
	if err != nil {
		d.t.Fatal(err)
	}
	var file struct {
		Resources []struct {
			Mode      string `json:"mode"`
			Type      string `json:"type"`
			Name      string `json:"name"`
			Instances []struct {
				Status     string         `json:"status"`
				Attributes map[string]any `json:"attributes"`
			} `json:"instances"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		d.t.Fatalf("decoding the state file: %v", err)
	}
	out := map[string]stateResource{}
	for _, r := range file.Resources {
		address := r.Type + "." + r.Name
		if r.Mode == "data" {
			address = "data." + address
		}
		for _, inst := range r.Instances {
			out[address] = stateResource{Address: address, Tainted: inst.Status == "tainted", Attributes: inst.Attributes}
		}
	}
	return out
}

// attr returns a string attribute of a state resource, "" when it is null or absent.
func (r stateResource) attr(name string) string {
	if v, ok := r.Attributes[name].(string); ok {
		return v
	}
	return ""
}

// String describes a state resource for failure messages.
func (r stateResource) String() string {
	return fmt.Sprintf("%s (tainted %v) %v", r.Address, r.Tainted, r.Attributes)
}

// Command bench-tenants measures what managing many tenants costs in the two shapes a configuration
// can take: a provider alias per tenant, and one provider block whose resources name their tenant
// (for_each over a map). For each tenant count it starts the fake API server with that many customer
// tenants, each consenting to one managing tenant's multi-tenant app, writes both configurations,
// and runs `terraform apply` (creating every integration) and `terraform plan` (refreshing them, no
// change) several times, resetting the fake between rounds. It prints the median times, the ratio
// between the shapes, the processor time a plan took (which a busy machine disturbs less than the
// wall time), and how many provider processes and requests a plan took.
//
// It checks what it measures: every apply must create every integration, every plan must find no
// change, and every request to a tenant's subscription or Cloud Apps portal must carry that tenant's
// token. `make bench-tenants` runs it; it is not part of `make test`.
//
// Usage:
//
//	go run ./scripts/bench-tenants [-n 10,50,500] [-rounds 3] [-aliases-max 50] [-terraform path]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/fakeapi"
)

// The managing tenant's multi-tenant app registration, which every customer tenant consents to.
const (
	appClientID     = "6f1b0c3e-5d7a-4f36-9a51-0c4e8b2d7a91"
	appClientSecret = "bench-Secret~0123456789"
	providerVersion = "0.1.0"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-tenants:", err)
		os.Exit(1)
	}
}

// options are the command's flags.
type options struct {
	counts     []int
	rounds     int
	aliasesMax int
	terraform  string
	keep       bool
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	flags := flag.NewFlagSet("bench-tenants", flag.ContinueOnError)
	flags.SetOutput(stderr)
	counts := flags.String("n", "10,50", "comma-separated numbers of tenants to measure")
	rounds := flags.Int("rounds", 3, "measured apply and plan runs per tenant count and shape; the median is reported")
	aliasesMax := flags.Int("aliases-max", 50, "largest tenant count measured in the provider-alias shape (it starts two provider processes per alias)")
	terraform := flags.String("terraform", "", "terraform binary; default the one on PATH")
	keep := flags.Bool("keep", false, "keep the working directory (configurations, states, logs) and print its path")
	if err := flags.Parse(args); err != nil {
		return options{}, err
	}
	o := options{rounds: *rounds, aliasesMax: *aliasesMax, terraform: *terraform, keep: *keep}
	for _, field := range strings.Split(*counts, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(field))
		if err != nil || n < 1 {
			return o, fmt.Errorf("-n takes positive whole numbers separated by commas, got %q", *counts)
		}
		o.counts = append(o.counts, n)
	}
	if o.rounds < 1 {
		return o, fmt.Errorf("-rounds must be at least 1, got %d", o.rounds)
	}
	if o.terraform == "" {
		path, err := exec.LookPath("terraform")
		if err != nil {
			return o, errors.New("terraform is not on PATH; give its path with -terraform")
		}
		o.terraform = path
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "bench-tenants-")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Fprintln(stderr, "working directory:", work)
	} else {
		defer os.RemoveAll(work)
	}
	cliConfig, starts, err := buildProvider(ctx, work)
	if err != nil {
		return err
	}
	version, _ := exec.CommandContext(ctx, o.terraform, "version").Output()
	fmt.Fprintf(stdout, "%s, %d CPUs (%s), %s, %d rounds\n", firstLine(string(version)), runtime.NumCPU(), cpuModel(), runtime.Version(), o.rounds)

	var results []result
	for _, n := range o.counts {
		for _, shape := range []string{shapeSingle, shapeAliases} {
			if shape == shapeAliases && n > o.aliasesMax {
				fmt.Fprintf(stderr, "skipping %d provider aliases (above -aliases-max %d)\n", n, o.aliasesMax)
				continue
			}
			fmt.Fprintf(stderr, "measuring %d tenants, %s ...\n", n, shape)
			r, err := measure(ctx, o, work, cliConfig, starts, n, shape)
			if err != nil {
				return fmt.Errorf("%d tenants, %s: %w", n, shape, err)
			}
			results = append(results, r)
		}
	}
	report(stdout, results)
	return nil
}

// Shapes of the configuration.
const (
	shapeSingle  = "one provider block"
	shapeAliases = "provider aliases"
)

// result is what one tenant count and shape measured.
type result struct {
	tenants         int
	shape           string
	plan, apply     time.Duration // medians
	planOffline     time.Duration // median of plan -refresh=false
	planCPU         time.Duration // median processor time of Terraform and its provider processes in a plan
	planFakeCPU     time.Duration // median processor time of the fake (this process) during a plan
	planProcesses   int           // provider processes that one plan started
	planTokenReqs   int           // token requests that one plan sent
	planServiceReqs int           // Resource Manager and Cloud Apps requests of one plan
}

// buildProvider builds the provider into a filesystem mirror behind a script that logs the process
// id of the Terraform command that starts it, and returns the CLI configuration and the log.
func buildProvider(ctx context.Context, work string) (cliConfig, starts string, err error) {
	root, err := repositoryRoot()
	if err != nil {
		return "", "", err
	}
	built := filepath.Join(work, "terraform-provider-mcas")
	build := exec.CommandContext(ctx, "go", "build", "-ldflags", "-X main.version="+providerVersion, "-o", built, ".")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("building the provider: %w\n%s", err, out)
	}
	mirror := filepath.Join(work, "mirror")
	dir := filepath.Join(mirror, "registry.terraform.io", "mcas-terraform", "mcas", providerVersion, runtime.GOOS+"_"+runtime.GOARCH)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	starts = filepath.Join(work, "provider-starts")
	script := fmt.Sprintf("#!/bin/sh\necho \"$PPID\" >> '%s'\nexec '%s' \"$@\"\n", starts, built)
	if err := os.WriteFile(filepath.Join(dir, "terraform-provider-mcas_v"+providerVersion), []byte(script), 0o755); err != nil { //nolint:gosec // The provider must be executable.
		return "", "", err
	}
	cliConfig = filepath.Join(work, "terraformrc")
	rc := fmt.Sprintf("provider_installation {\n  filesystem_mirror {\n    path    = %q\n    include = [\"registry.terraform.io/mcas-terraform/*\"]\n  }\n"+
		"  direct {\n    exclude = [\"registry.terraform.io/mcas-terraform/*\"]\n  }\n}\n", mirror)
	return cliConfig, starts, os.WriteFile(cliConfig, []byte(rc), 0o644)
}

// repositoryRoot returns the directory of the go.mod of this module.
func repositoryRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("finding the repository: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run bench-tenants from the repository (go run ./scripts/bench-tenants)")
	}
	return filepath.Dir(mod), nil
}

// world returns the managing tenant and n customer tenants that consent to its app, with fixed
// identifiers so that every round sees the same world.
func world(n int) *fakeapi.World {
	id := func(kind string, i int) string {
		return uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "bench-tenants %s %d", kind, i)).String()
	}
	w := &fakeapi.World{Tenants: []fakeapi.TenantSpec{{
		Name: "mssp", TenantID: id("tenant", 0), SubscriptionID: id("subscription", 0),
		Apps: []fakeapi.AppSpec{{ClientID: appClientID, ClientSecret: appClientSecret, MultiTenant: true}},
	}}}
	for i := 1; i <= n; i++ {
		// A customer has no app registration of its own, only the managing tenant's app it consented to.
		w.Tenants = append(w.Tenants, fakeapi.TenantSpec{
			Name: customer(i), TenantID: id("tenant", i), SubscriptionID: id("subscription", i), Apps: []fakeapi.AppSpec{},
			ConsentedApps: []fakeapi.ConsentSpec{{ClientID: appClientID}},
		})
	}
	return w
}

// customer is the name of the i-th customer tenant.
func customer(i int) string { return fmt.Sprintf("customer-%04d", i) }

// measure runs the rounds of one tenant count and shape.
func measure(ctx context.Context, o options, work, cliConfig, starts string, n int, shape string) (result, error) {
	r := result{tenants: n, shape: shape}
	srv, err := fakeapi.Start(fakeapi.Options{World: world(n)})
	if err != nil {
		return r, err
	}
	defer srv.Close()
	dir := filepath.Join(work, fmt.Sprintf("%d-%s", n, strings.ReplaceAll(shape, " ", "-")))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return r, err
	}
	infos := make([]fakeapi.TenantInfo, 0, n)
	for i := 1; i <= n; i++ {
		info, _ := srv.Tenant(customer(i))
		infos = append(infos, info)
	}
	mssp, _ := srv.Tenant("mssp")
	if err := writeConfiguration(dir, shape, mssp, infos); err != nil {
		return r, err
	}
	env := append(os.Environ(),
		"TF_CLI_CONFIG_FILE="+cliConfig, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1", "SSL_CERT_FILE="+srv.CAFile(),
		"ARM_ENVIRONMENT=custom", "ARM_ACTIVE_DIRECTORY_AUTHORITY_HOST="+srv.AuthorityHost(),
		"ARM_RESOURCE_MANAGER_ENDPOINT="+srv.ResourceManagerEndpoint(), "ARM_RESOURCE_MANAGER_AUDIENCE="+fakeapi.ResourceManagerAudience,
		"ARM_CLIENT_ID="+appClientID, "ARM_CLIENT_SECRET="+appClientSecret, "ARM_USE_CLI=false",
	)
	// cpu is the processor time of the last command: Terraform with its provider processes, and this
	// process, which runs the fake.
	var cpu, fakeCPU time.Duration
	terraform := func(args ...string) (time.Duration, int, error) {
		cmd := exec.CommandContext(ctx, o.terraform, args...)
		cmd.Dir, cmd.Env = dir, env
		logFile, err := os.Create(filepath.Join(dir, args[0]+".log"))
		if err != nil {
			return 0, 0, err
		}
		defer logFile.Close()
		cmd.Stdout, cmd.Stderr = logFile, logFile
		before := selfCPU()
		start := time.Now()
		err = cmd.Run()
		elapsed := time.Since(start)
		fakeCPU = selfCPU() - before
		if cmd.ProcessState != nil {
			// The usage of a waited-for process includes that of the children it waited for.
			cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		}
		code := 0
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			code, err = exit.ExitCode(), nil
		}
		return elapsed, code, err
	}
	if _, code, err := terraform("init", "-input=false", "-no-color"); err != nil || code != 0 {
		return r, fmt.Errorf("terraform init failed (exit %d, %v); see %s", code, err, filepath.Join(dir, "init.log"))
	}

	var plans, offline, applies, planCPU, planFakeCPU []time.Duration
	for round := 1; round <= o.rounds; round++ {
		srv.ResetRequests()
		elapsed, code, err := terraform("apply", "-auto-approve", "-input=false", "-no-color")
		if err != nil || code != 0 {
			return r, fmt.Errorf("round %d: terraform apply failed (exit %d, %v); see %s", round, code, err, filepath.Join(dir, "apply.log"))
		}
		applies = append(applies, elapsed)
		for _, info := range infos {
			if agents := sentinelAgents(srv, info.Name); agents != 1 {
				return r, fmt.Errorf("round %d: after apply, tenant %s has %d Sentinel agents, want 1", round, info.Name, agents)
			}
		}

		srv.ResetRequests()
		if err := os.Remove(starts); err != nil && !errors.Is(err, os.ErrNotExist) {
			return r, err
		}
		elapsed, code, err = terraform("plan", "-input=false", "-no-color", "-detailed-exitcode")
		if err != nil || code != 0 {
			return r, fmt.Errorf("round %d: terraform plan exited %d (%v), want 0 (no changes); see %s", round, code, err, filepath.Join(dir, "plan.log"))
		}
		plans = append(plans, elapsed)
		planCPU, planFakeCPU = append(planCPU, cpu), append(planFakeCPU, fakeCPU)
		requests := srv.Requests()
		r.planProcesses, err = countStarts(starts)
		if err != nil {
			return r, err
		}
		// The same plan without refreshing: what Terraform and the provider cost without calling the services.
		elapsed, code, err = terraform("plan", "-input=false", "-no-color", "-detailed-exitcode", "-refresh=false")
		if err != nil || code != 0 {
			return r, fmt.Errorf("round %d: terraform plan -refresh=false exited %d (%v), want 0 (no changes); see %s", round, code, err, filepath.Join(dir, "plan.log"))
		}
		offline = append(offline, elapsed)
		if err := checkIsolation(requests); err != nil {
			return r, fmt.Errorf("round %d: %w", round, err)
		}
		r.planTokenReqs, r.planServiceReqs = 0, 0
		for _, req := range requests {
			switch {
			case strings.HasSuffix(req.Path, "/oauth2/v2.0/token"):
				r.planTokenReqs++
			case strings.HasPrefix(req.Path, "/subscriptions/") || strings.HasPrefix(req.Path, "/mcas/"):
				r.planServiceReqs++
			}
		}

		// Back to an empty world and an empty state for the next round's apply.
		if err := resetWorld(srv, infos); err != nil {
			return r, err
		}
		if err := os.Remove(filepath.Join(dir, "terraform.tfstate")); err != nil {
			return r, err
		}
	}
	r.plan, r.planOffline, r.apply = median(plans), median(offline), median(applies)
	r.planCPU, r.planFakeCPU = median(planCPU), median(planFakeCPU)
	return r, nil
}

// writeConfiguration writes the configuration of a shape for the customer tenants.
func writeConfiguration(dir, shape string, mssp fakeapi.TenantInfo, customers []fakeapi.TenantInfo) error {
	var b strings.Builder
	b.WriteString("terraform {\n  required_providers {\n    mcas = {\n      source = \"mcas-terraform/mcas\"\n    }\n  }\n}\n")
	if shape == shapeAliases {
		for i, c := range customers {
			fmt.Fprintf(&b, "\nprovider \"mcas\" {\n  alias      = \"t%d\"\n  tenant_id  = %q\n  portal_url = %q\n}\n", i, c.TenantID, c.PortalURL)
			fmt.Fprintf(&b, "\nresource \"mcas_sentinel_integration\" \"t%d\" {\n  provider     = mcas.t%d\n  workspace_id = %q\n}\n", i, i, c.WorkspaceID)
		}
		return os.WriteFile(filepath.Join(dir, "main.tf"), []byte(b.String()), 0o644)
	}
	fmt.Fprintf(&b, "\nprovider \"mcas\" {\n  tenant_id             = %q\n  additional_tenant_ids = [\"*\"]\n}\n", mssp.TenantID)
	b.WriteString(`
variable "tenants" {
  type = map(object({ tenant_id = string, portal_url = string, workspace_id = string }))
}

resource "mcas_sentinel_integration" "this" {
  for_each     = var.tenants
  tenant_id    = each.value.tenant_id
  portal_url   = each.value.portal_url
  workspace_id = each.value.workspace_id
}
`)
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(b.String()), 0o644); err != nil {
		return err
	}
	tenants := map[string]map[string]string{}
	for _, c := range customers {
		tenants[c.Name] = map[string]string{"tenant_id": c.TenantID, "portal_url": c.PortalURL, "workspace_id": c.WorkspaceID}
	}
	vars, err := json.MarshalIndent(map[string]any{"tenants": tenants}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "terraform.tfvars.json"), vars, 0o644)
}

// sentinelAgents counts a tenant's Sentinel SIEM agents.
func sentinelAgents(srv *fakeapi.Server, tenant string) int {
	n := 0
	for _, a := range srv.Agents(tenant) {
		if a.AgentType == fakeapi.AgentTypeSentinel {
			n++
		}
	}
	return n
}

// checkIsolation verifies that every request to a tenant's subscription or portal carried that
// tenant's token and was answered without an error.
func checkIsolation(requests []fakeapi.Request) error {
	for _, r := range requests {
		if !strings.HasPrefix(r.Path, "/subscriptions/") && !strings.HasPrefix(r.Path, "/mcas/") {
			continue
		}
		if r.Tenant == "" || r.TokenTenant != r.Tenant || r.TokenAppID != appClientID || r.Status >= 400 {
			return fmt.Errorf("%s %s of tenant %q answered %d and carried a token of tenant %q and app %q", r.Method, r.Path, r.Tenant, r.Status, r.TokenTenant, r.TokenAppID)
		}
	}
	return nil
}

// countStarts returns how many provider processes the log records.
func countStarts(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return len(strings.Fields(string(data))), nil
}

// resetWorld deletes what the apply created: each tenant's Sentinel agent and Cloud Apps connector.
func resetWorld(srv *fakeapi.Server, infos []fakeapi.TenantInfo) error {
	for _, info := range infos {
		for _, a := range srv.Agents(info.Name) {
			if a.AgentType == fakeapi.AgentTypeSentinel {
				if err := srv.DeleteAgent(info.Name, a.ID); err != nil {
					return err
				}
			}
		}
		connector := info.WorkspaceID + "/providers/Microsoft.SecurityInsights/dataConnectors/" + info.TenantID
		if err := srv.DeleteDataConnector(connector); err != nil {
			return fmt.Errorf("removing the data connector of %s: %w", info.Name, err)
		}
	}
	return nil
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// report prints the medians, and for each tenant count measured in both shapes, the ratio.
func report(w io.Writer, results []result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "tenants\tshape\tplan\tplan CPU (Terraform + provider / fake)\tplan -refresh=false\tapply\tprovider processes per plan\ttoken requests per plan\tservice requests per plan\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s / %s\t%s\t%s\t%d\t%d\t%d\t\n", r.tenants, r.shape, seconds(r.plan), seconds(r.planCPU), seconds(r.planFakeCPU),
			seconds(r.planOffline), seconds(r.apply), r.planProcesses, r.planTokenReqs, r.planServiceReqs)
	}
	_ = tw.Flush()
	for _, single := range results {
		if single.shape != shapeSingle {
			continue
		}
		for _, aliases := range results {
			if aliases.shape == shapeAliases && aliases.tenants == single.tenants {
				fmt.Fprintf(w, "%d tenants: provider aliases take %.1fx the time of one provider block to plan, %.1fx to apply\n",
					single.tenants, aliases.plan.Seconds()/single.plan.Seconds(), aliases.apply.Seconds()/single.apply.Seconds())
			}
		}
	}
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

// selfCPU returns the processor time this process has used.
func selfCPU() time.Duration {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		return 0
	}
	return time.Duration(usage.Utime.Nano() + usage.Stime.Nano())
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}

// cpuModel returns the CPU model that /proc/cpuinfo names, or the architecture elsewhere.
func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if name, value, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "model name" {
				return strings.TrimSpace(value)
			}
		}
	}
	return runtime.GOARCH
}

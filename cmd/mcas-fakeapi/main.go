// Command mcas-fakeapi runs the fake Microsoft Entra, Azure Resource Manager and Defender for Cloud
// Apps API server (package internal/fakeapi) with its default world of three tenants, for examples,
// demos and manual exploration. It prints the environment that points the provider at it for one
// tenant and serves until interrupted.
//
// Usage:
//
//	mcas-fakeapi [-addr 127.0.0.1:0] [-ca-file path] [-tenant contoso] [-env-file path] [-env-dir dir]
//	mcas-fakeapi -tenants
//
// Besides the provider's variables, the environment sets TF_VAR_workspace_id to the ARM id of the
// tenant's Sentinel workspace, which the examples take as their workspace_id variable.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/fakeapi"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run starts the server as the flags in args say, prints the environment to stdout and serves until
// ctx ends; it returns the process exit code (2 for usage errors).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("mcas-fakeapi", flag.ContinueOnError)
	flags.SetOutput(stderr)
	addr := flags.String("addr", "127.0.0.1:0", "listen address; port 0 picks a free port")
	caFile := flags.String("ca-file", "", "where to write the CA certificate (PEM); default a temporary file removed on exit")
	tenant := flags.String("tenant", "contoso", "tenant whose environment is printed")
	envFile := flags.String("env-file", "", "also write the export lines to this file once the server is ready (removed on exit)")
	envDir := flags.String("env-dir", "", "also write the export lines of every tenant to <dir>/<tenant>.env once the server is ready (removed on exit)")
	listTenants := flags.Bool("tenants", false, "print the connection facts of every tenant as JSON and exit")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(stderr, "mcas-fakeapi: unexpected arguments %q; every setting is a flag, see -h\n", flags.Args())
		return 2
	}
	if *envFile != "" {
		// A file left by an earlier run must not make a waiting script think this server is ready.
		if err := os.Remove(*envFile); err != nil && !errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(stderr, "mcas-fakeapi: removing the old env file: %v\n", err)
			return 1
		}
	}

	logger := log.New(stderr, "", log.LstdFlags)
	server, err := fakeapi.Start(fakeapi.Options{Addr: *addr, CAFile: *caFile, Logf: logger.Printf})
	if err != nil {
		fmt.Fprintf(stderr, "mcas-fakeapi: %v\n", err)
		return 1
	}
	defer server.Close()

	if *listTenants {
		return printTenants(server, stdout, stderr)
	}
	exports, ok := tenantExports(server, *tenant)
	if !ok {
		fmt.Fprintf(stderr, "mcas-fakeapi: tenant %q is unknown; choose one of %s\n", *tenant, strings.Join(server.TenantNames(), ", "))
		return 2
	}
	if *envDir != "" {
		if err := os.MkdirAll(*envDir, 0o700); err != nil {
			fmt.Fprintf(stderr, "mcas-fakeapi: creating the env directory: %v\n", err)
			return 1
		}
		for _, name := range server.TenantNames() {
			path := filepath.Join(*envDir, name+".env")
			lines, _ := tenantExports(server, name)
			if err := writeFileAtomically(path, []byte(lines)); err != nil {
				fmt.Fprintf(stderr, "mcas-fakeapi: writing %s: %v\n", path, err)
				return 1
			}
			defer os.Remove(path)
		}
	}
	if *envFile != "" {
		if err := writeFileAtomically(*envFile, []byte(exports)); err != nil {
			fmt.Fprintf(stderr, "mcas-fakeapi: writing the env file: %v\n", err)
			return 1
		}
		defer os.Remove(*envFile)
	}
	fmt.Fprint(stdout, exports)
	fmt.Fprintf(stdout, "# fake API server ready at %s\n", server.URL())

	<-ctx.Done()
	logger.Printf("mcas-fakeapi: stopping")
	return 0
}

// printTenants writes the connection facts of every tenant as a JSON array.
func printTenants(server *fakeapi.Server, stdout, stderr io.Writer) int {
	infos := []fakeapi.TenantInfo{}
	for _, name := range server.TenantNames() {
		info, _ := server.Tenant(name)
		infos = append(infos, info)
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(infos); err != nil {
		fmt.Fprintf(stderr, "mcas-fakeapi: writing the tenants: %v\n", err)
		return 1
	}
	return 0
}

// tenantExports renders the export lines of one tenant: the provider's environment and the workspace
// the examples use.
func tenantExports(server *fakeapi.Server, name string) (string, bool) {
	info, ok := server.Tenant(name)
	if !ok {
		return "", false
	}
	env := append(server.Env(name), [2]string{"TF_VAR_workspace_id", info.WorkspaceID})
	return exportLines(env), true
}

// exportLines renders an environment as `export NAME='value'` lines.
func exportLines(env [][2]string) string {
	var b strings.Builder
	for _, kv := range env {
		fmt.Fprintf(&b, "export %s=%s\n", kv[0], shellQuote(kv[1]))
	}
	return b.String()
}

// shellQuote quotes a value for POSIX shells.
func shellQuote(value string) string {
	return "'" + strings.ReplaceAll(value, "'", `'\''`) + "'"
}

// writeFileAtomically writes a file through a temporary file and a rename, so readers never see it
// half written.
func writeFileAtomically(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

#!/usr/bin/env bash
# make demo: build the provider into a filesystem mirror, start the fake API server, then for each fake
# tenant run terraform init and apply on examples/complete (whose check block warns that no discovery
# logs have arrived yet), move the fake's clock past the ingestion delay, run a plan that must show no
# changes and a passing check, print the outputs, and stop the server. Works offline (curl reaches the
# fake's admin interface).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
version=${VERSION:-0.1.0}
work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

export CHECKPOINT_DISABLE=1
terraform=$("$root/scripts/terraform-path.sh")
platform="$(go env GOOS)_$(go env GOARCH)"

echo "==> Building the provider and the fake API server"
mirror="$work/mirror"
plugin_dir="$mirror/registry.terraform.io/mcas-terraform/mcas/$version/$platform"
mkdir -p "$plugin_dir"
(cd "$root" && go build -ldflags "-X main.version=$version" -o "$plugin_dir/terraform-provider-mcas_v$version" .)
(cd "$root" && go build -o "$work/mcas-fakeapi" ./cmd/mcas-fakeapi)

cat >"$work/terraformrc" <<RC
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.terraform.io/mcas-terraform/*"]
  }
  direct {
    exclude = ["registry.terraform.io/mcas-terraform/*"]
  }
}
RC
export TF_CLI_CONFIG_FILE="$work/terraformrc"

echo "==> Starting the fake API server"
"$work/mcas-fakeapi" -ca-file "$work/ca.pem" -env-dir "$work/env" >"$work/fakeapi.out" 2>"$work/fakeapi.log" &
server_pid=$!
for _ in $(seq 1 100); do
  grep -q "fake API server ready" "$work/fakeapi.out" 2>/dev/null && break
  if ! kill -0 "$server_pid" 2>/dev/null; then
    cat "$work/fakeapi.log" >&2
    echo "the fake API server exited early" >&2
    exit 1
  fi
  sleep 0.1
done
grep "fake API server ready" "$work/fakeapi.out"

for env_file in "$work"/env/*.env; do
  tenant=$(basename "$env_file" .env)
  echo
  echo "==> Tenant $tenant"
  dir="$work/tenants/$tenant"
  mkdir -p "$dir"
  cp "$root"/examples/complete/*.tf "$dir/"
  (
    # shellcheck disable=SC1090
    source "$env_file"
    "$terraform" -chdir="$dir" init -input=false -no-color >"$dir/init.log" || { cat "$dir/init.log"; exit 1; }
    "$terraform" -chdir="$dir" apply -input=false -auto-approve -no-color | tee "$dir/apply.log"
    # Right after the apply no discovery logs have arrived yet: the check block warns.
    if ! grep -q "Check block assertion failed" "$dir/apply.log"; then
      echo "the apply did not show the warning of check.discovery_logs_arrive" >&2
      exit 1
    fi
    echo "--- check.discovery_logs_arrive warns: no discovery logs yet, as expected right after the apply"

    # Move the fake's clock past the ingestion delay (15 minutes) through the admin interface.
    curl --fail --silent --show-error --cacert "$SSL_CERT_FILE" -X POST "$ARM_RESOURCE_MANAGER_ENDPOINT/admin/clock" \
      -d '{"advance":"20m"}' >"$dir/clock.json"
    echo "--- advanced the fake's clock by 20 minutes: $(cat "$dir/clock.json")"

    # Terraform plans to read a check block's data source again at every apply, so a plan without
    # changes exits with 2; what matters is that it changes nothing else and that the check passes.
    set +e
    "$terraform" -chdir="$dir" plan -input=false -detailed-exitcode -no-color >"$dir/plan.log"
    code=$?
    set -e
    if [ "$code" -eq 1 ] || ! grep -q "0 to add, 0 to change, 0 to destroy" "$dir/plan.log" ||
      grep -Eq "will be (created|updated|destroyed|replaced)|must be replaced" "$dir/plan.log"; then
      cat "$dir/plan.log"
      echo "the plan after apply is not empty (exit code $code)" >&2
      exit 1
    fi
    echo "--- plan after apply: no changes"
    if grep -q "Check block assertion failed" "$dir/plan.log"; then
      cat "$dir/plan.log"
      echo "check.discovery_logs_arrive still warns 20 minutes after the integration's creation" >&2
      exit 1
    fi
    echo "--- check.discovery_logs_arrive passes: every forwarded stream has discovery logs in Sentinel"
    "$terraform" -chdir="$dir" output -no-color
  )
done
echo
echo "==> Demo finished; stopping the fake API server"

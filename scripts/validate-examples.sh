#!/usr/bin/env bash
# Checks every example: `terraform fmt` clean, and `terraform init` + `terraform validate` against a
# filesystem mirror holding a provider built from this checkout. Snippet folders that do not declare
# the provider's source get a required_providers file in their temporary copy. Works offline.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
version=${VERSION:-0.1.0}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

export CHECKPOINT_DISABLE=1
terraform=$("$root/scripts/terraform-path.sh")
platform="$(go env GOOS)_$(go env GOARCH)"

mirror="$work/mirror"
plugin_dir="$mirror/registry.terraform.io/mcas-terraform/mcas/$version/$platform"
mkdir -p "$plugin_dir"
(cd "$root" && go build -ldflags "-X main.version=$version" -o "$plugin_dir/terraform-provider-mcas_v$version" .)
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

echo "==> terraform fmt -check"
"$terraform" fmt -check -recursive -diff "$root/examples"

# Work on a copy of the whole tree, so that relative module sources resolve as they do for users.
cp -R "$root/examples" "$work/examples"
failed=0
while IFS= read -r copy; do
  rel=${copy#"$work"/}
  if ! grep -qs 'mcas-terraform/mcas' "$copy"/*.tf; then
    cat >"$copy/zz_required_providers.tf" <<'TF'
terraform {
  required_providers {
    mcas = {
      source = "mcas-terraform/mcas"
    }
  }
}
TF
  fi
  if "$terraform" -chdir="$copy" init -input=false -backend=false -no-color >"$copy/init.log" 2>&1 &&
    "$terraform" -chdir="$copy" validate -no-color >"$copy/validate.log" 2>&1; then
    echo "ok    $rel"
  else
    echo "FAIL  $rel"
    cat "$copy/init.log" "$copy/validate.log" 2>/dev/null || true
    failed=1
  fi
done < <(find "$work/examples" -name '*.tf' -exec dirname {} \; | sort -u)
exit "$failed"

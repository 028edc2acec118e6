#!/usr/bin/env bash
# Prints the path of a terraform binary for the acceptance tests: the one on PATH, or else one built
# from source with the Go module proxy into ./bin (about six minutes, once). The test harness itself
# never downloads Terraform.
set -euo pipefail
if tf=$(command -v terraform 2>/dev/null); then
  echo "$tf"
  exit 0
fi
root=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -x "$root/bin/terraform" ]; then
  echo "terraform not found on PATH; building Terraform v1.5.7 from source into $root/bin" >&2
  GOBIN="$root/bin" go install github.com/hashicorp/terraform@v1.5.7 >&2
fi
echo "$root/bin/terraform"

# Pipelines: authenticate with a federated token (GitHub Actions, Azure DevOps, Kubernetes workload
# identity) and take every setting from the environment (ARM_TENANT_ID, ARM_CLIENT_ID, ARM_USE_OIDC,
# MCAS_PORTAL_URL...).
provider "mcas" {
  use_cli = false
}

# Explicit settings for one tenant, with a client secret from a variable.
provider "mcas" {
  alias         = "contoso"
  portal_url    = "https://contoso.eu2.portal.cloudappsecurity.com"
  tenant_id     = "00000000-0000-0000-0000-000000000000"
  client_id     = "11111111-1111-1111-1111-111111111111"
  client_secret = var.contoso_client_secret
  use_cli       = false
}

variable "contoso_client_secret" {
  type      = string
  sensitive = true
}

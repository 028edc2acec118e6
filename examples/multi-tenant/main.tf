# One Defender for Cloud Apps - Microsoft Sentinel integration per tenant, from one module: a provider
# block per tenant (an alias), each with that tenant's ids and its own credential, passed to the
# module with providers = { mcas = mcas.<tenant> }.
#
# Settings common to every tenant come from the environment, for example in a GitHub Actions job with
# `permissions: id-token: write`: ARM_USE_OIDC=true and ARM_USE_CLI=false. Every tenant then exchanges
# the job's federated token for a token of its own app registration, which trusts the repository.
# Do not set per-tenant values (ARM_TENANT_ID, ARM_CLIENT_ID, ARM_CLIENT_SECRET, MCAS_PORTAL_URL) in
# the environment: they would apply to every tenant whose block does not set them.
terraform {
  required_version = ">= 1.5.0"

  required_providers {
    mcas = {
      source = "mcas-terraform/mcas"
    }
  }
}

provider "mcas" {
  alias      = "contoso"
  tenant_id  = var.tenants["contoso"].tenant_id
  client_id  = var.tenants["contoso"].client_id
  portal_url = var.tenants["contoso"].portal_url
}

provider "mcas" {
  alias      = "fabrikam"
  tenant_id  = var.tenants["fabrikam"].tenant_id
  client_id  = var.tenants["fabrikam"].client_id
  portal_url = var.tenants["fabrikam"].portal_url
}

provider "mcas" {
  alias      = "northwind"
  tenant_id  = var.tenants["northwind"].tenant_id
  client_id  = var.tenants["northwind"].client_id
  portal_url = var.tenants["northwind"].portal_url
}

module "contoso" {
  source    = "../modules/sentinel-integration"
  providers = { mcas = mcas.contoso }

  workspace_id           = var.tenants["contoso"].workspace_id
  stream_names           = var.tenants["contoso"].stream_names
  stream_name_regex      = var.tenants["contoso"].stream_name_regex
  alerts_enabled         = var.tenants["contoso"].alerts_enabled
  discovery_logs_enabled = var.tenants["contoso"].discovery_logs_enabled
}

module "fabrikam" {
  source    = "../modules/sentinel-integration"
  providers = { mcas = mcas.fabrikam }

  workspace_id           = var.tenants["fabrikam"].workspace_id
  stream_names           = var.tenants["fabrikam"].stream_names
  stream_name_regex      = var.tenants["fabrikam"].stream_name_regex
  alerts_enabled         = var.tenants["fabrikam"].alerts_enabled
  discovery_logs_enabled = var.tenants["fabrikam"].discovery_logs_enabled
}

module "northwind" {
  source    = "../modules/sentinel-integration"
  providers = { mcas = mcas.northwind }

  workspace_id           = var.tenants["northwind"].workspace_id
  stream_names           = var.tenants["northwind"].stream_names
  stream_name_regex      = var.tenants["northwind"].stream_name_regex
  alerts_enabled         = var.tenants["northwind"].alerts_enabled
  discovery_logs_enabled = var.tenants["northwind"].discovery_logs_enabled
}

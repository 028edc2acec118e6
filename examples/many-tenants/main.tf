# The Defender for Cloud Apps - Microsoft Sentinel integration of every tenant of a managed book, from
# one provider block: the provider signs in as the managing tenant's multi-tenant app registration,
# which an administrator of each customer tenant consented to, and every module instance names its
# tenant with tenant_id and portal_url. Adding a tenant is one entry in the tenants map of
# terraform.tfvars: no provider block, no module block.
#
# The credential comes from the environment, for example in a GitHub Actions job with
# `permissions: id-token: write`: ARM_USE_OIDC=true and ARM_USE_CLI=false, and the app registration
# trusts the repository with a federated credential. A client secret or certificate of the app
# (ARM_CLIENT_SECRET, ARM_CLIENT_CERTIFICATE_PATH) works too; the Azure CLI, a managed identity and a
# legacy api_token act only in their own tenant, so they cannot serve this shape.
terraform {
  required_version = ">= 1.5.0"

  required_providers {
    mcas = {
      source = "mcas-terraform/mcas"
    }
  }
}

provider "mcas" {
  tenant_id = var.managing_tenant_id
  client_id = var.app_client_id

  # The tenants the provider may act for besides its own: any tenant that consented to the app. A
  # list derived from the map would refuse the plan that removes a tenant from it, as deleting that
  # tenant's integration still needs its tokens; list tenant ids here only for a fixed set.
  additional_tenant_ids = ["*"]
}

module "tenant" {
  source   = "../modules/sentinel-integration"
  for_each = var.tenants

  tenant_id              = each.value.tenant_id
  portal_url             = each.value.portal_url
  workspace_id           = each.value.workspace_id
  stream_names           = each.value.stream_names
  stream_name_regex      = each.value.stream_name_regex
  alerts_enabled         = each.value.alerts_enabled
  discovery_logs_enabled = each.value.discovery_logs_enabled
}

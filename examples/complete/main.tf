# A complete integration: look the firewall streams up by name and forward their discovery logs, with
# the alerts, to the Sentinel workspace.
terraform {
  required_providers {
    mcas = {
      source = "mcas-terraform/mcas"
    }
  }
}

variable "workspace_id" {
  description = "ARM id of the Log Analytics workspace that has Microsoft Sentinel."
  type        = string
}

variable "stream_name_regex" {
  description = "Regular expression selecting the discovery streams whose logs are forwarded."
  type        = string
  default     = "^(Palo Alto|Zscaler) "
}

# Provider settings come from the environment: MCAS_PORTAL_URL, ARM_TENANT_ID, ARM_CLIENT_ID and a
# credential (ARM_USE_OIDC, ARM_CLIENT_SECRET, ...).
provider "mcas" {}

data "mcas_discovery_streams" "all" {}

data "mcas_discovery_streams" "forwarded" {
  name_regex = var.stream_name_regex
}

resource "mcas_sentinel_integration" "this" {
  workspace_id = var.workspace_id

  discovery_logs = {
    stream_ids = data.mcas_discovery_streams.forwarded.ids
  }
}

output "integration_id" {
  description = "ARM id of the data connector."
  value       = mcas_sentinel_integration.this.id
}

output "cloud_apps_agent_id" {
  description = "Id of the Sentinel SIEM agent in Defender for Cloud Apps."
  value       = mcas_sentinel_integration.this.cloud_apps_agent_id
}

output "streams" {
  description = "Every discovery stream of the tenant: display name => type."
  value       = { for s in data.mcas_discovery_streams.all.streams : s.display_name => s.type }
}

output "forwarded_streams" {
  description = "Display names of the streams whose discovery logs reach Sentinel."
  value       = [for s in data.mcas_discovery_streams.forwarded.streams : s.display_name]
}

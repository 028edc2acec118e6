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

variable "ingestion_grace_period" {
  description = "How long after the integration's creation a forwarded stream may have no discovery logs in Sentinel before the check below warns, as a duration such as \"30m\". The default, 0s, warns from the start until the first logs arrive."
  type        = string
  default     = "0s"

  validation {
    condition     = can(timeadd("2000-01-01T00:00:00Z", var.ingestion_grace_period))
    error_message = "The ingestion_grace_period must be a duration such as \"0s\", \"30m\" or \"1h\"."
  }
}

# When Terraform created the integration: the start of the grace period of the check below. A new
# integration (a replacement) starts it again.
resource "terraform_data" "integration_created" {
  input            = timestamp()
  triggers_replace = [mcas_sentinel_integration.this.id]

  lifecycle {
    ignore_changes = [input]
  }
}

# Warns, at every plan and apply, while a forwarded stream has had no discovery logs in Sentinel in
# the last hour, once the grace period after the integration's creation is over.
check "discovery_logs_arrive" {
  data "mcas_sentinel_ingestion" "last_hour" {
    workspace_id = var.workspace_id
    lookback     = "1h"
  }

  assert {
    condition = timecmp(data.mcas_sentinel_ingestion.last_hour.queried_at, timeadd(terraform_data.integration_created.output, var.ingestion_grace_period)) < 0 || alltrue([
      for s in data.mcas_discovery_streams.forwarded.streams : try(data.mcas_sentinel_ingestion.last_hour.discovery_logs.streams[s.display_name].rows, 0) > 0
    ])
    error_message = "No discovery logs of the forwarded streams ${jsonencode([for s in data.mcas_discovery_streams.forwarded.streams : s.display_name if try(data.mcas_sentinel_ingestion.last_hour.discovery_logs.streams[s.display_name].rows, 0) == 0])} reached McasShadowItReporting in the hour before ${data.mcas_sentinel_ingestion.last_hour.queried_at}; the integration was created at ${terraform_data.integration_created.output}. New discovery logs usually appear in Microsoft Sentinel within 15 minutes of the integration's creation, sometimes later, so right after an apply this is expected and clears itself once they arrive. If it persists for more than an hour, check in Defender for Cloud Apps that these streams still receive logs and that the Sentinel SIEM agent forwards them."
  }
}

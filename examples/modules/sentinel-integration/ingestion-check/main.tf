# A check that discovery logs of the forwarded streams reach Microsoft Sentinel: it warns, at every
# plan and apply, while a forwarded stream has had no rows in McasShadowItReporting within the
# lookback, once the grace period after the integration's creation is over. The parent module
# instantiates it when ingestion_check_enabled is true.
terraform {
  required_version = ">= 1.5.0"

  required_providers {
    mcas = {
      source = "mcas-terraform/mcas"
    }
  }
}

variable "workspace_id" {
  description = "ARM id of the integration's Log Analytics workspace."
  type        = string
}

variable "integration_id" {
  description = "Id of the integration; a new one starts the grace period again."
  type        = string
}

variable "stream_names" {
  description = "Display names of the forwarded streams."
  type        = list(string)
}

variable "grace_period" {
  description = "How long after the integration's creation a stream may stay without discovery logs, as a duration such as \"1h\"."
  type        = string
}

variable "lookback" {
  description = "The window in which each stream must have discovery logs, as a duration such as \"1h\"."
  type        = string
}

# When Terraform created the integration: the start of the grace period.
resource "terraform_data" "integration_created" {
  input            = timestamp()
  triggers_replace = [var.integration_id]

  lifecycle {
    ignore_changes = [input]
  }
}

check "discovery_logs_arrive" {
  data "mcas_sentinel_ingestion" "recent" {
    workspace_id = var.workspace_id
    lookback     = var.lookback
  }

  assert {
    condition = timecmp(data.mcas_sentinel_ingestion.recent.queried_at, timeadd(terraform_data.integration_created.output, var.grace_period)) < 0 || alltrue([
      for name in var.stream_names : try(data.mcas_sentinel_ingestion.recent.discovery_logs.streams[name].rows, 0) > 0
    ])
    error_message = "No discovery logs of the forwarded streams ${jsonencode([for name in var.stream_names : name if try(data.mcas_sentinel_ingestion.recent.discovery_logs.streams[name].rows, 0) == 0])} reached McasShadowItReporting in the ${var.lookback} before ${data.mcas_sentinel_ingestion.recent.queried_at}, although the integration was created at ${terraform_data.integration_created.output}, more than ${var.grace_period} earlier. New discovery logs usually appear in Microsoft Sentinel within 15 minutes of the integration's creation, sometimes later. Check in Defender for Cloud Apps (Cloud Discovery) that these streams still receive logs, and that the Sentinel SIEM agent forwards them."
  }
}

variable "workspace_id" {
  type = string
}

# What the integration delivered to the workspace in the last 24 hours.
data "mcas_sentinel_ingestion" "last_day" {
  workspace_id = var.workspace_id
}

# The last hour only, failing the plan when no discovery logs arrived in it.
data "mcas_sentinel_ingestion" "last_hour" {
  workspace_id = var.workspace_id
  lookback     = "1h"

  lifecycle {
    postcondition {
      condition     = self.discovery_logs.rows > 0
      error_message = "No discovery logs reached McasShadowItReporting in the hour before ${self.queried_at}."
    }
  }
}

output "discovery_log_rows_per_stream" {
  value = { for name, s in data.mcas_sentinel_ingestion.last_day.discovery_logs.streams : name => s.rows }
}

output "cloud_apps_alerts" {
  value = data.mcas_sentinel_ingestion.last_day.alerts.count
}

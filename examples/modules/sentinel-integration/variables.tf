variable "workspace_id" {
  description = "ARM id of the Log Analytics workspace that has Microsoft Sentinel, /subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.OperationalInsights/workspaces/{name}."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("(?i)^/subscriptions/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/resourceGroups/[^/]+/providers/Microsoft\\.OperationalInsights/workspaces/[^/]+$", var.workspace_id))
    error_message = "The workspace_id must be the ARM id of a Log Analytics workspace, /subscriptions/{subscription id}/resourceGroups/{group}/providers/Microsoft.OperationalInsights/workspaces/{name}; the Azure portal shows it as the workspace's Resource ID (Overview > JSON View)."
  }
}

variable "tenant_id" {
  description = "Microsoft Entra tenant of the integration, when it is not the provider's tenant_id: a customer tenant of a provider that signs in as a multi-tenant app and lists the tenant in additional_tenant_ids. Null means the provider's tenant."
  type        = string
  default     = null

  validation {
    condition     = var.tenant_id == null ? true : can(regex("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$", var.tenant_id))
    error_message = "The tenant_id must be the Directory (tenant) ID that the Microsoft Entra admin center shows, a UUID, not a domain name."
  }
}

variable "portal_url" {
  description = "Defender for Cloud Apps API URL of the tenant (Settings > Cloud Apps > System > About), when it is not the provider's portal_url; required with tenant_id. Null means the provider's."
  type        = string
  default     = null
}

variable "stream_names" {
  description = "Display names of the discovery streams whose logs are forwarded, matched exactly. With stream_name_regex as well, a stream must match both. Leave both null to forward the logs of all streams, including streams added later."
  type        = set(string)
  default     = null

  validation {
    condition     = var.stream_names == null ? true : length(var.stream_names) > 0 && alltrue([for n in var.stream_names : trimspace(n) != ""])
    error_message = "The stream_names must be null (no filter by name) or a non-empty set of stream display names without blank entries, for example [\"Palo Alto - HQ firewall\"]."
  }
}

variable "stream_name_regex" {
  description = "Regular expression (RE2 syntax) that the display names of the forwarded discovery streams match, for example \"^(Palo Alto|Zscaler) \". With stream_names as well, a stream must match both. Leave both null to forward the logs of all streams, including streams added later."
  type        = string
  default     = null

  validation {
    condition     = var.stream_name_regex == null ? true : can(regexall(var.stream_name_regex, ""))
    error_message = "The stream_name_regex is not a valid regular expression (RE2 syntax, as in Go): check its brackets, groups and escapes, or set it to null."
  }
}

variable "alerts_enabled" {
  description = "Whether Defender for Cloud Apps alerts reach Sentinel's SecurityAlert table. Defaults to true, as in the resource."
  type        = bool
  default     = true
  nullable    = false
}

variable "discovery_logs_enabled" {
  description = "Whether Cloud Discovery logs reach Sentinel's McasShadowItReporting table. Defaults to true, as in the resource. When false, the stream filter is not used and the streams are not looked up."
  type        = bool
  default     = true
  nullable    = false
}

variable "ingestion_check_enabled" {
  description = "Whether a check block warns, at every plan and apply, when a forwarded stream has had no discovery logs in Sentinel within ingestion_lookback once ingestion_grace_period has passed since the integration's creation. Needs Log Analytics Reader or Microsoft Sentinel Reader on the workspace. Off by default: while the check exists, `terraform plan -detailed-exitcode` exits with 2, because Terraform reads a check's data source again at every apply. Only in the provider's own tenant (tenant_id null): mcas_sentinel_ingestion queries with the provider's tenant."
  type        = bool
  default     = false
  nullable    = false
}

variable "ingestion_grace_period" {
  description = "How long after the integration's creation a forwarded stream may have no discovery logs before the check warns, as a duration such as \"1h\". New discovery logs usually arrive within 15 minutes."
  type        = string
  default     = "1h"
  nullable    = false

  validation {
    condition     = can(timeadd("2000-01-01T00:00:00Z", var.ingestion_grace_period))
    error_message = "The ingestion_grace_period must be a duration such as \"30m\" or \"1h\"."
  }
}

variable "ingestion_lookback" {
  description = "The window in which each forwarded stream must have discovery logs, as a duration from \"1m\" to \"17520h\", such as \"1h\" or \"24h\"."
  type        = string
  default     = "1h"
  nullable    = false

  validation {
    condition     = can(timeadd("2000-01-01T00:00:00Z", var.ingestion_lookback)) && !startswith(var.ingestion_lookback, "-")
    error_message = "The ingestion_lookback must be a duration such as \"1h\" or \"24h\", from 1m to 17520h."
  }
}

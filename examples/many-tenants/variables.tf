variable "managing_tenant_id" {
  description = "Microsoft Entra tenant of the managing organisation, where the multi-tenant app registration the provider signs in as is registered."
  type        = string

  validation {
    condition     = can(regex("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$", var.managing_tenant_id))
    error_message = "The managing_tenant_id must be the Directory (tenant) ID that the Microsoft Entra admin center shows, a UUID."
  }
}

variable "app_client_id" {
  description = "Application (client) ID of the multi-tenant app registration, consented in every tenant of the tenants map."
  type        = string

  validation {
    condition     = can(regex("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$", var.app_client_id))
    error_message = "The app_client_id must be the Application (client) ID of the app registration, a UUID."
  }
}

variable "tenants" {
  description = "The managed tenants, by a name of your choice: each one's Microsoft Entra tenant id, Defender for Cloud Apps portal URL (Settings > Cloud Apps > System > About), the ARM id of its Sentinel workspace, and optionally the stream filter and data types (as in the module; null stream filters forward all streams)."
  type = map(object({
    tenant_id              = string
    portal_url             = string
    workspace_id           = string
    stream_names           = optional(set(string))
    stream_name_regex      = optional(string)
    alerts_enabled         = optional(bool, true)
    discovery_logs_enabled = optional(bool, true)
  }))

  validation {
    condition     = length([for name, t in var.tenants : name if !can(regex("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$", t.tenant_id))]) == 0
    error_message = "The tenant_id of ${jsonencode([for name, t in var.tenants : name if !can(regex("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$", t.tenant_id))])} is not a UUID. Use the Directory (tenant) ID that the Microsoft Entra admin center shows, not a domain name."
  }

  validation {
    condition     = length(distinct([for t in values(var.tenants) : lower(t.tenant_id)])) == length(var.tenants)
    error_message = "Two entries of the tenants map have the same tenant_id; a tenant has one Sentinel SIEM agent, so it can be integrated once."
  }
}

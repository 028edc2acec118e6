variable "tenants" {
  description = "Per tenant (contoso, fabrikam, northwind): the Microsoft Entra tenant id, the client id of the app registration the provider signs in as, the Defender for Cloud Apps portal URL (Settings > Cloud Apps > System > About), the ARM id of the Sentinel workspace, and optionally the stream filter and data types (as in the module; null stream filters forward all streams)."
  type = map(object({
    tenant_id              = string
    client_id              = string
    portal_url             = string
    workspace_id           = string
    stream_names           = optional(set(string))
    stream_name_regex      = optional(string)
    alerts_enabled         = optional(bool, true)
    discovery_logs_enabled = optional(bool, true)
  }))

  validation {
    condition     = length(setsubtract(keys(var.tenants), ["contoso", "fabrikam", "northwind"])) == 0 && length(setsubtract(["contoso", "fabrikam", "northwind"], keys(var.tenants))) == 0
    error_message = "The tenants map has the keys ${jsonencode(keys(var.tenants))}, but it must have exactly contoso, fabrikam and northwind, one per provider block. To add or remove a tenant, add or remove its provider block and module block as well as its entry here."
  }

  validation {
    condition     = length([for name, t in var.tenants : name if !(can(regex("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$", t.tenant_id)) && can(regex("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$", t.client_id)))]) == 0
    error_message = "The tenant_id or client_id of ${jsonencode([for name, t in var.tenants : name if !(can(regex("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$", t.tenant_id)) && can(regex("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$", t.client_id)))])} is not a UUID. Use the Directory (tenant) ID and the Application (client) ID that the Microsoft Entra admin center shows, not a domain name or a display name."
  }
}

output "integration_id" {
  description = "ARM id of the MicrosoftCloudAppSecurity data connector, which is also the import id of the integration."
  value       = mcas_sentinel_integration.this.id
}

output "tenant_id" {
  description = "Microsoft Entra tenant whose Defender for Cloud Apps is connected."
  value       = mcas_sentinel_integration.this.tenant_id
}

output "cloud_apps_agent_id" {
  description = "Id of the Sentinel SIEM agent in Defender for Cloud Apps."
  value       = mcas_sentinel_integration.this.cloud_apps_agent_id
}

output "forwards_all_streams" {
  description = "Whether the discovery logs of all streams are forwarded (no stream filter), including streams created later."
  value       = var.discovery_logs_enabled && !local.filtered
}

output "forwarded_stream_ids" {
  description = "Ids of the discovery streams whose logs are forwarded, in the order of forwarded_stream_names; empty when discovery logs are off."
  value       = local.stream_ids
}

output "forwarded_stream_names" {
  description = "Display names of the discovery streams whose logs are forwarded, sorted; empty when discovery logs are off."
  value       = local.stream_names
}

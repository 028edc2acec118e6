# The Defender for Cloud Apps - Microsoft Sentinel integration of one tenant: the discovery streams
# looked up by name, and the integration forwarding alerts and the logs of those streams. The module
# has no provider block: the caller passes the tenant's configured provider,
# providers = { mcas = mcas.<tenant> }, or one provider for many tenants with tenant_id and portal_url
# set for each module instance.

data "mcas_discovery_streams" "forwarded" {
  count = var.discovery_logs_enabled ? 1 : 0

  tenant_id     = var.tenant_id
  portal_url    = var.portal_url
  display_names = var.stream_names
  name_regex    = var.stream_name_regex
}

locals {
  # Whether the "Apply to" filter is used: without a filter, the logs of all streams are forwarded,
  # including streams created later.
  filtered = var.discovery_logs_enabled && (var.stream_names != null || var.stream_name_regex != null)

  streams         = flatten(data.mcas_discovery_streams.forwarded[*].streams)
  stream_ids      = [for s in local.streams : s.id]
  stream_names    = [for s in local.streams : s.display_name]
  unmatched_names = var.stream_names == null || !var.discovery_logs_enabled ? [] : sort(setsubtract(var.stream_names, local.stream_names))
}

resource "mcas_sentinel_integration" "this" {
  tenant_id      = var.tenant_id
  portal_url     = var.portal_url
  workspace_id   = var.workspace_id
  alerts_enabled = var.alerts_enabled

  discovery_logs = {
    enabled    = var.discovery_logs_enabled
    stream_ids = local.filtered ? local.stream_ids : null
  }

  lifecycle {
    precondition {
      condition     = var.alerts_enabled || var.discovery_logs_enabled
      error_message = "Both alerts_enabled and discovery_logs_enabled are false, so the integration would forward nothing, which Microsoft Sentinel refuses. Enable at least one of them, or remove the module to end the integration."
    }

    precondition {
      condition     = length(local.unmatched_names) == 0
      error_message = "The stream_names ${jsonencode(local.unmatched_names)} match no discovery stream of the tenant${var.stream_name_regex == null ? "" : " that also matches stream_name_regex"}. Streams matched: ${jsonencode(local.stream_names)}. Fix the names (they are matched exactly, as the portal shows them under Cloud Discovery), or list the tenant's streams with the mcas_discovery_streams data source."
    }

    precondition {
      condition     = !local.filtered || length(local.stream_ids) > 0 || length(local.unmatched_names) > 0
      error_message = "The stream filter (stream_names ${jsonencode(var.stream_names)}, stream_name_regex ${jsonencode(var.stream_name_regex)}) matches none of the tenant's discovery streams, so no discovery logs would be forwarded. Fix the filter, set both to null to forward the logs of all streams, or set discovery_logs_enabled = false."
    }
    precondition {
      condition     = !var.ingestion_check_enabled || var.tenant_id == null
      error_message = "The ingestion check queries the workspace with the provider's own tenant, so it cannot check an integration of another tenant (tenant_id set). Leave ingestion_check_enabled false for such tenants, or use a provider configured for that tenant."
    }
  }
}

# The check that discovery logs arrive, when asked for. It is a module of its own because a check
# block's data source is read again at every apply, so `terraform plan -detailed-exitcode` reports
# changes (exit code 2) for as long as the check exists; pipelines that read that exit code for drift
# keep it off.
module "ingestion_check" {
  source = "./ingestion-check"
  count  = var.ingestion_check_enabled && var.discovery_logs_enabled ? 1 : 0

  workspace_id   = var.workspace_id
  integration_id = mcas_sentinel_integration.this.id
  stream_names   = local.stream_names
  grace_period   = var.ingestion_grace_period
  lookback       = var.ingestion_lookback
}

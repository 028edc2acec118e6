# Forward Defender for Cloud Apps alerts and the discovery logs of all streams to Microsoft Sentinel.
resource "mcas_sentinel_integration" "this" {
  workspace_id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-security/providers/Microsoft.OperationalInsights/workspaces/law-sentinel"
}

# Alerts only: no discovery logs.
resource "mcas_sentinel_integration" "alerts_only" {
  workspace_id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-security/providers/Microsoft.OperationalInsights/workspaces/law-sentinel-fabrikam"

  discovery_logs = {
    enabled = false
  }
}

# Discovery logs of two streams only (the portal's "Apply to" filter), with longer timeouts.
resource "mcas_sentinel_integration" "filtered" {
  workspace_id   = "/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/rg-security/providers/Microsoft.OperationalInsights/workspaces/law-sentinel-northwind"
  alerts_enabled = true

  discovery_logs = {
    stream_ids = ["2b71970898808dd3b257b647", "aa09b5a130daae101589a0b1"]
  }

  timeouts {
    create = "45m"
  }
}

# The Sentinel SIEM agent is added in the portal (Settings > Cloud Apps > System > SIEM agents > Add SIEM
# agent > Sentinel); Terraform manages the data connector, shows drift of both halves, and never writes
# to the undocumented SIEM agent route.
resource "mcas_sentinel_integration" "observed" {
  workspace_id = "/subscriptions/33333333-3333-3333-3333-333333333333/resourceGroups/rg-security/providers/Microsoft.OperationalInsights/workspaces/law-sentinel-litware"
  siem_agent   = "observe"
}

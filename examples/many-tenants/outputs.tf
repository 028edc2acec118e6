output "integrations" {
  description = "Per tenant: the ARM id of the data connector, the id of the Cloud Apps Sentinel SIEM agent, and the display names of the forwarded discovery streams (all streams when forwards_all_streams is true)."
  value = {
    for name, m in module.tenant : name => {
      integration_id         = m.integration_id
      cloud_apps_agent_id    = m.cloud_apps_agent_id
      forwards_all_streams   = m.forwards_all_streams
      forwarded_stream_names = m.forwarded_stream_names
    }
  }
}

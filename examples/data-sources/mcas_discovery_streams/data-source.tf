# Every discovery stream of the tenant.
data "mcas_discovery_streams" "all" {}

# Only the firewall streams, by display name pattern.
data "mcas_discovery_streams" "firewalls" {
  name_regex = "^(Palo Alto|Zscaler) "
}

# Exactly these streams.
data "mcas_discovery_streams" "chosen" {
  display_names = ["Marketing Department", "Global View"]
}

output "firewall_stream_ids" {
  value = data.mcas_discovery_streams.firewalls.ids
}

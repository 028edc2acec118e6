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

# The streams of another tenant, from a provider that signs in as a multi-tenant app registration
# consented in that tenant and lists it in additional_tenant_ids.
data "mcas_discovery_streams" "fabrikam" {
  tenant_id  = "44444444-4444-4444-4444-444444444444"
  portal_url = "https://fabrikam.us2.portal.cloudappsecurity.com"
}

# The configuration `make demo` applies to each tenant of the fake API server. The provider is
# configured entirely from the environment the fake server prints (ARM_* and MCAS_* variables).
terraform {
  required_providers {
    mcas = {
      source = "mcas-terraform/mcas"
    }
  }
}

provider "mcas" {}

data "mcas_discovery_streams" "all" {}

data "mcas_discovery_streams" "firewalls" {
  name_regex = "^(Palo Alto|Zscaler) "
}

output "streams" {
  description = "Every discovery stream of the tenant: display name => type."
  value       = { for s in data.mcas_discovery_streams.all.streams : s.display_name => s.type }
}

output "firewall_stream_ids" {
  description = "The ids of the firewall streams, ready for discovery_logs.stream_ids."
  value       = data.mcas_discovery_streams.firewalls.ids
}

# The integration is imported by the ARM id of its MicrosoftCloudAppSecurity data connector; the
# tenant's Sentinel SIEM agent is found by listing the Defender for Cloud Apps SIEM agents.
terraform import mcas_sentinel_integration.this /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-security/providers/Microsoft.OperationalInsights/workspaces/law-sentinel/providers/Microsoft.SecurityInsights/dataConnectors/33333333-3333-3333-3333-333333333333

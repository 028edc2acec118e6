# The integration is imported by the ARM id of its MicrosoftCloudAppSecurity data connector; the
# tenant's Sentinel SIEM agent is found by listing the Defender for Cloud Apps SIEM agents.
terraform import mcas_sentinel_integration.this /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-security/providers/Microsoft.OperationalInsights/workspaces/law-sentinel/providers/Microsoft.SecurityInsights/dataConnectors/33333333-3333-3333-3333-333333333333

# An integration of another tenant than the provider's (a resource that sets tenant_id and portal_url)
# names that tenant and its portal after the data connector's id.
terraform import 'mcas_sentinel_integration.fabrikam' '/subscriptions/55555555-5555-5555-5555-555555555555/resourceGroups/rg-security/providers/Microsoft.OperationalInsights/workspaces/law-sentinel-fabrikam/providers/Microsoft.SecurityInsights/dataConnectors/44444444-4444-4444-4444-444444444444?tenant_id=44444444-4444-4444-4444-444444444444&portal_url=https://fabrikam.us2.portal.cloudappsecurity.com'

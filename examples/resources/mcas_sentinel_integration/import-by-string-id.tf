import {
  to = mcas_sentinel_integration.this
  id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-security/providers/Microsoft.OperationalInsights/workspaces/law-sentinel/providers/Microsoft.SecurityInsights/dataConnectors/33333333-3333-3333-3333-333333333333"
}

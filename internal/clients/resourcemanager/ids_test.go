package resourcemanager_test

import (
	"strings"
	"testing"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/resourcemanager"
)

const (
	sub         = "d0cfe6b2-9ac0-4464-9919-dccaee2e48c0"
	wsID        = "/subscriptions/" + sub + "/resourceGroups/myRg/providers/Microsoft.OperationalInsights/workspaces/myWorkspace"
	connectorID = wsID + "/providers/Microsoft.SecurityInsights/dataConnectors/b96d014d-b5c2-4a01-9aba-a8058f629d42"
)

func TestParseWorkspaceID(t *testing.T) {
	want := resourcemanager.WorkspaceID{SubscriptionID: sub, ResourceGroup: "myRg", Name: "myWorkspace"}
	tests := []struct {
		name    string
		in      string
		want    resourcemanager.WorkspaceID
		wantErr string
	}{
		{name: "canonical", in: wsID, want: want},
		{name: "lower case segments and provider", in: "/subscriptions/" + sub + "/resourcegroups/myRg/providers/microsoft.operationalinsights/WORKSPACES/myWorkspace", want: want},
		{name: "trailing slash", in: wsID + "/", want: want},
		{name: "name with hyphens", in: strings.Replace(wsID, "myWorkspace", "ws-prod-01", 1), want: resourcemanager.WorkspaceID{SubscriptionID: sub, ResourceGroup: "myRg", Name: "ws-prod-01"}},
		{name: "name of 90 characters", in: strings.Replace(wsID, "myWorkspace", strings.Repeat("a", 90), 1), want: resourcemanager.WorkspaceID{SubscriptionID: sub, ResourceGroup: "myRg", Name: strings.Repeat("a", 90)}},
		{name: "empty", in: "", wantErr: "the ID is empty"},
		{name: "no leading slash", in: strings.TrimPrefix(wsID, "/"), wantErr: "must start with '/'"},
		{name: "other resource type", in: "/subscriptions/" + sub + "/resourceGroups/myRg/providers/Microsoft.Storage/storageAccounts/acct", wantErr: "Microsoft.OperationalInsights/workspaces"},
		{name: "resource group only", in: "/subscriptions/" + sub + "/resourceGroups/myRg", wantErr: "Microsoft.OperationalInsights/workspaces"},
		{name: "data connector instead of workspace", in: connectorID, wantErr: `got "Microsoft.SecurityInsights/dataConnectors"`},
		{name: "child of workspace", in: wsID + "/tables/t1", wantErr: "Microsoft.OperationalInsights/workspaces/tables"},
		{name: "subscription not a GUID", in: strings.Replace(wsID, sub, "my-subscription", 1), wantErr: "is not a GUID"},
		{name: "name starting with hyphen", in: strings.Replace(wsID, "myWorkspace", "-ws1", 1), wantErr: `workspace name "-ws1"`},
		{name: "name ending with hyphen", in: strings.Replace(wsID, "myWorkspace", "ws1-", 1), wantErr: `workspace name "ws1-"`},
		{name: "name with underscore", in: strings.Replace(wsID, "myWorkspace", "my_ws", 1), wantErr: `workspace name "my_ws"`},
		{name: "name of 91 characters", in: strings.Replace(wsID, "myWorkspace", strings.Repeat("a", 91), 1), wantErr: "at most 90"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := resourcemanager.ParseWorkspaceID(tt.in)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("ParseWorkspaceID(%q) = %+v, want an error", tt.in, got)
				}
				for _, want := range []string{tt.wantErr, "expected /subscriptions/{subscription id}/resourceGroups/{resource group}/providers/Microsoft.OperationalInsights/workspaces/{workspace name}"} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not contain %q", err, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseWorkspaceID(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseWorkspaceID(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			canonical := strings.Replace(wsID, "myWorkspace", tt.want.Name, 1)
			if got.String() != canonical {
				t.Errorf("String() = %q, want %q", got.String(), canonical)
			}
		})
	}
}

func TestParseDataConnectorID(t *testing.T) {
	ws := resourcemanager.WorkspaceID{SubscriptionID: sub, ResourceGroup: "myRg", Name: "myWorkspace"}
	tests := []struct {
		name    string
		in      string
		want    resourcemanager.DataConnectorID
		wantErr string
	}{
		{name: "canonical", in: connectorID, want: resourcemanager.NewDataConnectorID(ws, "b96d014d-b5c2-4a01-9aba-a8058f629d42")},
		{name: "case-insensitive providers", in: strings.NewReplacer("Microsoft.SecurityInsights/dataConnectors", "microsoft.securityinsights/DATACONNECTORS", "Microsoft.OperationalInsights", "MICROSOFT.OPERATIONALINSIGHTS").Replace(connectorID), want: resourcemanager.NewDataConnectorID(ws, "b96d014d-b5c2-4a01-9aba-a8058f629d42")},
		{name: "free-form connector name", in: wsID + "/providers/Microsoft.SecurityInsights/dataConnectors/My Connector.1", want: resourcemanager.NewDataConnectorID(ws, "My Connector.1")},
		{name: "workspace ID", in: wsID, wantErr: "Microsoft.SecurityInsights/dataConnectors"},
		{name: "other extension type", in: wsID + "/providers/Microsoft.SecurityInsights/alertRules/r1", wantErr: "Microsoft.SecurityInsights/alertRules"},
		{name: "missing connector name", in: wsID + "/providers/Microsoft.SecurityInsights/dataConnectors", wantErr: "invalid resource ID"},
		{name: "bad workspace name", in: strings.Replace(connectorID, "myWorkspace", "w_s", 1), wantErr: `workspace name "w_s"`},
		{name: "extension of another parent", in: "/subscriptions/" + sub + "/resourceGroups/myRg/providers/Microsoft.Storage/storageAccounts/a/providers/Microsoft.SecurityInsights/dataConnectors/x", wantErr: "Microsoft.OperationalInsights/workspaces"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := resourcemanager.ParseDataConnectorID(tt.in)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("ParseDataConnectorID(%q) = %+v, want an error", tt.in, got)
				}
				for _, want := range []string{tt.wantErr, "/providers/Microsoft.SecurityInsights/dataConnectors/{connector id}"} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not contain %q", err, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseDataConnectorID(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseDataConnectorID(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			wantString := wsID + "/providers/Microsoft.SecurityInsights/dataConnectors/" + tt.want.Name
			if got.String() != wantString {
				t.Errorf("String() = %q, want %q", got.String(), wantString)
			}
			again, err := resourcemanager.ParseDataConnectorID(got.String())
			if err != nil || again != got {
				t.Errorf("String() does not parse back: %+v, %v", again, err)
			}
		})
	}
}

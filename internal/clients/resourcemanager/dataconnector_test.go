package resourcemanager_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/resourcemanager"
)

func TestCloudAppSecurityProperties(t *testing.T) {
	tests := []struct {
		name          string
		properties    string
		wantAlerts    bool
		wantDiscovery bool
	}{
		{name: "both enabled", properties: `{"tenantId":"t","dataTypes":{"alerts":{"state":"Enabled"},"discoveryLogs":{"state":"Enabled"}}}`, wantAlerts: true, wantDiscovery: true},
		{name: "case-insensitive", properties: `{"tenantId":"t","dataTypes":{"alerts":{"state":"enabled"},"discoveryLogs":{"state":"ENABLED"}}}`, wantAlerts: true, wantDiscovery: true},
		{name: "discovery logs disabled", properties: `{"tenantId":"t","dataTypes":{"alerts":{"state":"Enabled"},"discoveryLogs":{"state":"Disabled"}}}`, wantAlerts: true},
		{name: "discovery logs absent", properties: `{"tenantId":"t","dataTypes":{"alerts":{"state":"Enabled"}}}`, wantAlerts: true},
		{name: "no data types", properties: `{"tenantId":"t"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dc := resourcemanager.DataConnector{Kind: "microsoftcloudappsecurity", Properties: json.RawMessage(tt.properties)}
			p, err := dc.CloudAppSecurity()
			if err != nil {
				t.Fatal(err)
			}
			if p.TenantID != "t" || p.AlertsEnabled() != tt.wantAlerts || p.DiscoveryLogsEnabled() != tt.wantDiscovery {
				t.Errorf("tenant %q, alerts %v, discovery logs %v; want t, %v, %v", p.TenantID, p.AlertsEnabled(), p.DiscoveryLogsEnabled(), tt.wantAlerts, tt.wantDiscovery)
			}
		})
	}
}

func TestCloudAppSecurityRefusesOtherKindsAndBadProperties(t *testing.T) {
	tests := []struct {
		dc      resourcemanager.DataConnector
		wantErr string
	}{
		{dc: resourcemanager.DataConnector{ID: "/x/office", Kind: "Office365", Properties: json.RawMessage(`{}`)}, wantErr: `data connector /x/office is of kind "Office365", not "MicrosoftCloudAppSecurity"`},
		{dc: resourcemanager.DataConnector{Name: "n", Kind: resourcemanager.KindCloudAppSecurity}, wantErr: "has no properties"},
		{dc: resourcemanager.DataConnector{Name: "n", Kind: resourcemanager.KindCloudAppSecurity, Properties: json.RawMessage(`{"tenantId":5}`)}, wantErr: "do not match"},
	}
	for _, tt := range tests {
		if _, err := tt.dc.CloudAppSecurity(); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("CloudAppSecurity(%+v) error %v, want %q", tt.dc, err, tt.wantErr)
		}
	}
}

func TestNewCloudAppSecurityConnector(t *testing.T) {
	for _, tt := range []struct{ alerts, discovery bool }{{true, true}, {true, false}, {false, true}} {
		dc := resourcemanager.NewCloudAppSecurityConnector("tenant", tt.alerts, tt.discovery)
		p, err := dc.CloudAppSecurity()
		if err != nil || dc.Etag != "" || p.TenantID != "tenant" || p.AlertsEnabled() != tt.alerts || p.DiscoveryLogsEnabled() != tt.discovery {
			t.Errorf("NewCloudAppSecurityConnector(%v, %v) = %+v decoded as %+v, %v", tt.alerts, tt.discovery, dc, p, err)
		}
	}
}

package resourcemanager

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Data type states of a data connector.
const (
	StateEnabled  = "Enabled"
	StateDisabled = "Disabled"
)

// DataConnector is a Microsoft Sentinel data connector of any kind.
type DataConnector struct {
	// ID is the connector's Azure Resource Manager ID (read-only).
	ID string `json:"id"`
	// Name is the connector id, the last segment of ID (read-only).
	Name string `json:"name"`
	// Type is "Microsoft.SecurityInsights/dataConnectors" (read-only).
	Type string `json:"type"`
	// Kind is the discriminator, for example [KindCloudAppSecurity].
	Kind string `json:"kind"`
	// Etag is the entity tag the service reports; it is never sent back.
	Etag string `json:"etag,omitempty"`
	// Properties are kept verbatim so that connectors of every kind survive
	// a round trip.
	Properties json.RawMessage `json:"properties"`
}

// DataTypeState is the state of one data type of a connector.
type DataTypeState struct {
	// State is [StateEnabled] or [StateDisabled].
	State string `json:"state"`
}

// CloudAppSecurityProperties are the properties of a data connector of kind
// [KindCloudAppSecurity].
type CloudAppSecurityProperties struct {
	// TenantID is the Microsoft Entra tenant whose data is connected.
	TenantID string `json:"tenantId"`
	// DataTypes are the data types the connector sends to the workspace.
	DataTypes struct {
		Alerts        *DataTypeState `json:"alerts,omitempty"`
		DiscoveryLogs *DataTypeState `json:"discoveryLogs,omitempty"`
	} `json:"dataTypes"`
}

// AlertsEnabled reports whether the alerts data type is enabled; the state
// is compared case-insensitively and an absent data type is disabled.
func (p CloudAppSecurityProperties) AlertsEnabled() bool {
	return enabled(p.DataTypes.Alerts)
}

// DiscoveryLogsEnabled reports whether the discovery logs data type is
// enabled; the state is compared case-insensitively and an absent data type
// is disabled.
func (p CloudAppSecurityProperties) DiscoveryLogsEnabled() bool {
	return enabled(p.DataTypes.DiscoveryLogs)
}

func enabled(s *DataTypeState) bool {
	return s != nil && strings.EqualFold(s.State, StateEnabled)
}

// CloudAppSecurity decodes the properties of a connector of kind
// [KindCloudAppSecurity]. It fails, naming the kind found, for a connector of
// any other kind.
func (d DataConnector) CloudAppSecurity() (CloudAppSecurityProperties, error) {
	if !strings.EqualFold(d.Kind, KindCloudAppSecurity) {
		return CloudAppSecurityProperties{}, fmt.Errorf("data connector %s is of kind %q, not %q (Microsoft Defender for Cloud Apps); use a connector of kind %q", d.label(), d.Kind, KindCloudAppSecurity, KindCloudAppSecurity)
	}
	var p CloudAppSecurityProperties
	if len(d.Properties) == 0 || string(d.Properties) == "null" {
		return p, fmt.Errorf("data connector %s of kind %q has no properties; expected tenantId and dataTypes", d.label(), d.Kind)
	}
	if err := json.Unmarshal(d.Properties, &p); err != nil {
		return p, fmt.Errorf("data connector %s of kind %q has properties that do not match the %s schema: %w", d.label(), d.Kind, KindCloudAppSecurity, err)
	}
	return p, nil
}

// label names the connector in messages.
func (d DataConnector) label() string {
	switch {
	case d.ID != "":
		return d.ID
	case d.Name != "":
		return fmt.Sprintf("%q", d.Name)
	default:
		return "(unnamed)"
	}
}

// NewCloudAppSecurityConnector returns the body of a data connector of kind
// [KindCloudAppSecurity] for tenantID with both data types set explicitly.
func NewCloudAppSecurityConnector(tenantID string, alerts, discoveryLogs bool) DataConnector {
	var p CloudAppSecurityProperties
	p.TenantID = tenantID
	p.DataTypes.Alerts = &DataTypeState{State: stateOf(alerts)}
	p.DataTypes.DiscoveryLogs = &DataTypeState{State: stateOf(discoveryLogs)}
	// Marshalling a struct of strings cannot fail.
	props, _ := json.Marshal(p)
	return DataConnector{Kind: KindCloudAppSecurity, Properties: props}
}

func stateOf(on bool) string {
	if on {
		return StateEnabled
	}
	return StateDisabled
}

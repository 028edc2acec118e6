package reconcile

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/cloudapps"
	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/resourcemanager"
)

// WorkspaceNotFoundError reports that the workspace does not exist or the identity cannot see it.
type WorkspaceNotFoundError struct {
	Workspace resourcemanager.WorkspaceID
}

func (e *WorkspaceNotFoundError) Error() string {
	return fmt.Sprintf("there is no Log Analytics workspace %s, or the identity cannot see it", e.Workspace)
}

// SentinelNotEnabledError reports a workspace without Microsoft Sentinel.
type SentinelNotEnabledError struct {
	Workspace resourcemanager.WorkspaceID
}

func (e *SentinelNotEnabledError) Error() string {
	return fmt.Sprintf("the workspace %s does not have Microsoft Sentinel enabled", e.Workspace)
}

// WrongKindError reports that the connector at the resource's id is of another kind.
type WrongKindError struct {
	Connector resourcemanager.DataConnectorID
	Kind      string
}

func (e *WrongKindError) Error() string {
	return fmt.Sprintf("the data connector %s is of kind %q, not %q", e.Connector, e.Kind, resourcemanager.KindCloudAppSecurity)
}

// OtherConnectorError reports that the connector the resource tracks is gone and the workspace holds
// another MicrosoftCloudAppSecurity connector. Sentinel refuses a second connector of the same kind and
// context under another name with HTTP 400 ("there are two connectors with different names and the
// same kind and context id", reported for other kinds in Azure/Azure-Sentinel#15075; for this kind it
// is our model), so writing the resource's connector would fail.
type OtherConnectorError struct {
	Connector resourcemanager.DataConnectorID
	// Other is the other connector's ARM id, and OtherName its name.
	Other, OtherName string
}

func (e *OtherConnectorError) Error() string {
	return fmt.Sprintf("the data connector %s is gone, and the workspace now has another Microsoft Defender for Cloud Apps data "+
		"connector, %s; Microsoft Sentinel refuses a second connector of the same kind and context under another name", e.Connector, e.Other)
}

// ExistsError reports that the integration already exists outside the state: a Sentinel agent, a
// MicrosoftCloudAppSecurity connector, or both, found before creating, or a Sentinel agent that the
// service reported (409) while the engine created one.
type ExistsError struct {
	// AgentID is the Sentinel agent found by listing, or empty.
	AgentID string
	// AgentConflict is set when creating the agent was answered 409.
	AgentConflict bool
	// ConnectorIDs are the workspace's MicrosoftCloudAppSecurity connectors.
	ConnectorIDs []string
	// ImportID is the id to import: an existing connector's, else the one the resource would create.
	ImportID string
	// Err is the service's answer, when there was one.
	Err error
}

// Error names each existing half.
func (e *ExistsError) Error() string {
	var parts []string
	switch {
	case e.AgentID != "":
		parts = append(parts, fmt.Sprintf("the Sentinel SIEM agent %s in Defender for Cloud Apps", e.AgentID))
	case e.AgentConflict:
		parts = append(parts, "a Sentinel SIEM agent (the service answered HTTP 409 to creating one: it was created in Defender for Cloud Apps while this apply ran)")
	}
	for _, id := range e.ConnectorIDs {
		parts = append(parts, "the data connector "+id)
	}
	if len(parts) == 1 {
		return parts[0] + " already exists"
	}
	return strings.Join(parts, " and ") + " already exist"
}

// Unwrap returns the service's answer.
func (e *ExistsError) Unwrap() error { return e.Err }

// ConnectorNameTakenError reports a data connector of another kind under the resource's name.
type ConnectorNameTakenError struct {
	Name, Kind string
}

func (e *ConnectorNameTakenError) Error() string {
	return fmt.Sprintf("the workspace already has a data connector named %q, of kind %s", e.Name, e.Kind)
}

// StepError reports which step of an operation failed, such as "Listing discovery streams".
type StepError struct {
	Step string
	Err  error
}

func (e *StepError) Error() string { return e.Step + ": " + e.Err.Error() }

// Unwrap returns the client's error.
func (e *StepError) Unwrap() error { return e.Err }

// UnknownStreamsError reports stream ids the tenant does not have.
type UnknownStreamsError struct {
	IDs []string
}

func (e *UnknownStreamsError) Error() string {
	return "the tenant has no discovery stream with the id " + strings.Join(e.IDs, ", ")
}

// PortalStepsError reports, in observe mode, that the Cloud Apps half must change and the engine may
// not change it: the user adds or edits the Sentinel SIEM agent in the portal.
type PortalStepsError struct {
	Desired Desired
	// Agent is the Sentinel agent the portal holds, or nil when there is none.
	Agent *cloudapps.Agent
	// StreamNames maps lower-case stream ids to display names, when they could be listed.
	StreamNames map[string]string
}

func (e *PortalStepsError) Error() string {
	if e.Agent == nil {
		return "the tenant has no Sentinel SIEM agent in Defender for Cloud Apps"
	}
	return fmt.Sprintf("the Sentinel SIEM agent %s forwards other discovery logs than the configuration asks", e.Agent.ID)
}

// Streams names the streams to choose in "Apply to", by display name and id where the name is known.
func (e *PortalStepsError) Streams() []string {
	out := make([]string, len(e.Desired.Streams))
	for i, id := range e.Desired.Streams {
		if name := e.StreamNames[strings.ToLower(id)]; name != "" {
			out[i] = fmt.Sprintf("%q (%s)", name, id)
		} else {
			out[i] = id
		}
	}
	return out
}

// AgentRouteError reports that the tenant's Cloud Apps API did not accept a call of the modeled SIEM
// agent route: it answered 404, 405 or 501 to a write or to the list, or an answer the client could
// not understand.
type AgentRouteError struct {
	// Call names the call, for example "creating the Sentinel SIEM agent".
	Call string
	// StatusCode is the answer's status, or 0 when the answer could not be understood.
	StatusCode int
	// Err is the client's error, which quotes a redacted snippet of the answer.
	Err error
}

func (e *AgentRouteError) Error() string {
	return fmt.Sprintf("%s: the tenant's Defender for Cloud Apps API did not accept the modeled SIEM agent call: %v", e.Call, e.Err)
}

// Unwrap returns the client's error.
func (e *AgentRouteError) Unwrap() error { return e.Err }

// asRouteError returns the [*AgentRouteError] for an answer that shows the modeled route is not there
// (404, 405, 501) or that the client could not understand, else nil.
func asRouteError(call string, err error) *AgentRouteError {
	if err == nil {
		return nil
	}
	var apiErr *cloudapps.Error
	if errors.As(err, &apiErr) && apiErr.Service == cloudapps.ServiceName {
		switch apiErr.StatusCode {
		case http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusNotImplemented:
			return &AgentRouteError{Call: call, StatusCode: apiErr.StatusCode, Err: err}
		}
		return nil
	}
	if errors.Is(err, cloudapps.ErrUnexpectedAnswer) {
		return &AgentRouteError{Call: call, Err: err}
	}
	return nil
}

// routeErrorOr returns the [*AgentRouteError] of a failed agent write, or err itself.
func routeErrorOr(call string, err error) error {
	if routeErr := asRouteError(call, err); routeErr != nil {
		return routeErr
	}
	return err
}

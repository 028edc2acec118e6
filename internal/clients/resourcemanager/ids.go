package resourcemanager

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/internal/pipeline"
)

const (
	workspacesNamespace     = "Microsoft.OperationalInsights"
	workspacesType          = "workspaces"
	dataConnectorsNamespace = "Microsoft.SecurityInsights"
	dataConnectorsType      = "dataConnectors"

	workspaceIDForm     = "/subscriptions/{subscription id}/resourceGroups/{resource group}/providers/Microsoft.OperationalInsights/workspaces/{workspace name}"
	dataConnectorIDForm = workspaceIDForm + "/providers/Microsoft.SecurityInsights/dataConnectors/{connector id}"

	maxWorkspaceNameLength     = 90
	maxResourceGroupNameLength = 90
)

var (
	workspaceNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]+[A-Za-z0-9]$`)

	workspaceTypeChain = []arm.ResourceType{
		arm.TenantResourceType,
		arm.SubscriptionResourceType,
		arm.ResourceGroupResourceType,
		arm.NewResourceType(workspacesNamespace, workspacesType),
	}
	dataConnectorTypeChain = append(append([]arm.ResourceType{}, workspaceTypeChain...),
		arm.NewResourceType(dataConnectorsNamespace, dataConnectorsType))
)

// WorkspaceID identifies a Log Analytics workspace.
type WorkspaceID struct {
	SubscriptionID string
	ResourceGroup  string
	Name           string
}

// ParseWorkspaceID parses the Azure Resource Manager ID of a Log Analytics
// workspace, /subscriptions/{subscription id}/resourceGroups/{resource
// group}/providers/Microsoft.OperationalInsights/workspaces/{workspace name}.
// Segment names and the provider namespace are compared case-insensitively.
func ParseWorkspaceID(s string) (WorkspaceID, error) {
	parsed, err := parseID(s, workspaceTypeChain)
	if err != nil {
		return WorkspaceID{}, fmt.Errorf("%q is not a Log Analytics workspace ID: %w; expected %s", s, err, workspaceIDForm)
	}
	id, err := workspaceFromResourceID(parsed)
	if err != nil {
		return WorkspaceID{}, fmt.Errorf("%q is not a Log Analytics workspace ID: %w; expected %s", s, err, workspaceIDForm)
	}
	return id, nil
}

// String returns the workspace's Azure Resource Manager ID in canonical form.
func (id WorkspaceID) String() string {
	return "/subscriptions/" + id.SubscriptionID +
		"/resourceGroups/" + id.ResourceGroup +
		"/providers/" + workspacesNamespace + "/" + workspacesType + "/" + id.Name
}

// path returns the ID as an escaped URL path.
func (id WorkspaceID) path() string {
	return "/subscriptions/" + url.PathEscape(id.SubscriptionID) +
		"/resourceGroups/" + url.PathEscape(id.ResourceGroup) +
		"/providers/" + workspacesNamespace + "/" + workspacesType + "/" + url.PathEscape(id.Name)
}

// validate checks the shape of a workspace ID built in code rather than
// parsed, so that a malformed one is refused before any request.
func (id WorkspaceID) validate() error {
	if err := id.check(); err != nil {
		return fmt.Errorf("workspace ID %q: %w", id.String(), err)
	}
	return nil
}

// check returns the first error of the subscription ID, the resource group
// and the workspace name, in that order, or nil.
func (id WorkspaceID) check() error {
	return cmp.Or(validateSubscriptionID(id.SubscriptionID), validateResourceGroup(id.ResourceGroup), validateWorkspaceName(id.Name))
}

// DataConnectorID identifies a Microsoft Sentinel data connector of a
// workspace.
type DataConnectorID struct {
	Workspace WorkspaceID
	Name      string
}

// NewDataConnectorID returns the ID of the data connector named name in the
// workspace ws.
func NewDataConnectorID(ws WorkspaceID, name string) DataConnectorID {
	return DataConnectorID{Workspace: ws, Name: name}
}

// ParseDataConnectorID parses the Azure Resource Manager ID of a Microsoft
// Sentinel data connector, {workspace ID}/providers/Microsoft.SecurityInsights/dataConnectors/{connector id}.
// Segment names and provider namespaces are compared case-insensitively.
func ParseDataConnectorID(s string) (DataConnectorID, error) {
	parsed, err := parseID(s, dataConnectorTypeChain)
	if err != nil {
		return DataConnectorID{}, fmt.Errorf("%q is not a Microsoft Sentinel data connector ID: %w; expected %s", s, err, dataConnectorIDForm)
	}
	ws, err := workspaceFromResourceID(parsed.Parent)
	if err != nil {
		return DataConnectorID{}, fmt.Errorf("%q is not a Microsoft Sentinel data connector ID: %w; expected %s", s, err, dataConnectorIDForm)
	}
	if err := ValidateConnectorName(parsed.Name); err != nil {
		return DataConnectorID{}, fmt.Errorf("%q is not a Microsoft Sentinel data connector ID: %w; expected %s", s, err, dataConnectorIDForm)
	}
	return DataConnectorID{Workspace: ws, Name: parsed.Name}, nil
}

// String returns the data connector's Azure Resource Manager ID in canonical
// form.
func (id DataConnectorID) String() string {
	return id.Workspace.String() + "/providers/" + dataConnectorsNamespace + "/" + dataConnectorsType + "/" + id.Name
}

func (id DataConnectorID) path() string {
	return id.Workspace.path() + "/providers/" + dataConnectorsNamespace + "/" + dataConnectorsType + "/" + url.PathEscape(id.Name)
}

func (id DataConnectorID) validate() error {
	if err := id.Workspace.validate(); err != nil {
		return err
	}
	if err := ValidateConnectorName(id.Name); err != nil {
		return fmt.Errorf("data connector ID %q: %w", id.String(), err)
	}
	return nil
}

// parseID parses s with azcore's parser and checks its complete resource
// type ancestry.
func parseID(s string, chain []arm.ResourceType) (*arm.ResourceID, error) {
	segments := strings.Split(strings.Trim(s, "/"), "/")
	switch {
	case strings.TrimSpace(s) == "":
		return nil, errors.New("the ID is empty")
	case !strings.HasPrefix(s, "/"):
		return nil, errors.New("it must start with '/': use the full ID, as the Azure portal shows it on the resource's JSON View")
	case !strings.EqualFold(segments[0], "subscriptions"):
		return nil, fmt.Errorf("it must start with /subscriptions/{subscription id}, not with %q", "/"+segments[0])
	}
	if err := checkSegments(s); err != nil {
		return nil, err
	}
	parsed, err := arm.ParseResourceID(s)
	if err != nil {
		return nil, fmt.Errorf("invalid resource ID: it is incomplete at its end, %q, which lacks the name (or type) that must follow it", segments[len(segments)-1])
	}
	if err := parsed.ValidateResourceTypeChain(chain); err != nil {
		want := chain[len(chain)-1]
		if !strings.EqualFold(parsed.ResourceType.String(), want.String()) {
			return nil, fmt.Errorf("it is of the wrong resource type: got %q, want %q", parsed.ResourceType, want)
		}
		return nil, fmt.Errorf("its %q resource has other parent resources than expected", want)
	}
	return parsed, nil
}

// checkSegments refuses what azcore's parser would silently repair, so that the ID used is the ID
// written: empty segments (as in "//") and segments with spaces around them. One trailing slash is
// allowed.
func checkSegments(s string) error {
	for _, segment := range strings.Split(strings.TrimSuffix(s, "/"), "/")[1:] {
		switch {
		case segment == "":
			return errors.New(`it has an empty segment ("//")`)
		case strings.TrimSpace(segment) != segment:
			return fmt.Errorf("its segment %q has spaces around it", segment)
		}
	}
	return nil
}

func workspaceFromResourceID(parsed *arm.ResourceID) (WorkspaceID, error) {
	id := WorkspaceID{
		SubscriptionID: parsed.SubscriptionID,
		ResourceGroup:  parsed.ResourceGroupName,
		Name:           parsed.Name,
	}
	if err := id.check(); err != nil {
		return WorkspaceID{}, err
	}
	return id, nil
}

func validateSubscriptionID(s string) error {
	if !pipeline.GUIDPattern.MatchString(s) {
		return fmt.Errorf("subscription ID %q is not a GUID", s)
	}
	return nil
}

func validateResourceGroup(s string) error {
	if s == "" || len(s) > maxResourceGroupNameLength || strings.HasSuffix(s, ".") || strings.ContainsAny(s, "/?#") {
		return fmt.Errorf("resource group name %q must be 1 to %d characters, without '/', '?' or '#', and must not end with a period", s, maxResourceGroupNameLength)
	}
	return nil
}

func validateWorkspaceName(s string) error {
	switch {
	case len(s) > maxWorkspaceNameLength:
		return fmt.Errorf("workspace name %q has %d characters, but at most %d are allowed", s, len(s), maxWorkspaceNameLength)
	case !workspaceNamePattern.MatchString(s):
		return fmt.Errorf("workspace name %q must have 3 to %d letters, digits and hyphens, and start and end with a letter or digit", s, maxWorkspaceNameLength)
	}
	return nil
}

// ValidateConnectorName checks that s can be the id (last ARM id segment) of a data connector.
func ValidateConnectorName(s string) error {
	if s == "" || s == "." || s == ".." || strings.TrimSpace(s) != s || strings.ContainsAny(s, "/?#") {
		return fmt.Errorf("data connector id %q must be non-empty, without surrounding spaces, '/', '?' or '#'", s)
	}
	return nil
}

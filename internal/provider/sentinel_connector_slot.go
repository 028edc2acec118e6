package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/resourcemanager"
)

// Microsoft Sentinel allows one data connector of a kind and context per workspace: it refuses a
// second MicrosoftCloudAppSecurity connector under another name with HTTP 400 ("there are two
// connectors with different names and the same kind and context id", reported for other kinds in
// Azure/Azure-Sentinel#15075). When the connector the state tracks is gone and someone created another
// one meanwhile (in the portal, under a name of its choosing), writing ours is bound to fail, and every
// apply would fail the same way; the provider says what to do instead.

// otherConnectorError is the workspace holding another Defender for Cloud Apps data connector than the
// one the state tracks, which is gone.
type otherConnectorError struct {
	// connector is the connector the state tracks.
	connector resourcemanager.DataConnectorID
	// other is the ARM id of the workspace's other MicrosoftCloudAppSecurity connector, and otherName
	// its name.
	other, otherName string
}

func (e *otherConnectorError) Error() string {
	return fmt.Sprintf("The data connector %s is gone, and the workspace now has another Microsoft Defender for Cloud Apps data connector, %s "+
		"(made in the portal, for example). Microsoft Sentinel allows one such connector per workspace, so the provider did not try to create "+
		"%s again. Either manage the existing connector with Terraform: set connector_name = %q, remove this resource from the state "+
		"(terraform state rm mcas_sentinel_integration.<name>) and import it:\n\n  terraform import mcas_sentinel_integration.<name> %s\n\n"+
		"or add an import block:\n\n  import {\n    to = mcas_sentinel_integration.<name>\n    id = %q\n  }\n\n"+
		"Or delete that connector (on the workspace's Microsoft Sentinel data connector page, or with az sentinel data-connector delete) "+
		"and apply again, which creates %s.",
		e.connector, e.other, e.connector.Name, e.otherName, e.other, e.other, e.connector.Name)
}

// connectorLister lists a workspace's data connectors, as the Resource Manager client does.
type connectorLister interface {
	ListDataConnectors(ctx context.Context, ws resourcemanager.WorkspaceID) ([]resourcemanager.DataConnector, error)
}

// checkConnectorSlot returns an *otherConnectorError when the workspace holds a MicrosoftCloudAppSecurity
// connector other than connector, so that creating connector is bound to fail; it is meant for when
// connector is gone.
func checkConnectorSlot(ctx context.Context, c connectorLister, connector resourcemanager.DataConnectorID) error {
	connectors, err := c.ListDataConnectors(ctx, connector.Workspace)
	if err != nil {
		return err
	}
	for _, dc := range connectors {
		if strings.EqualFold(dc.Kind, resourcemanager.KindCloudAppSecurity) && !strings.EqualFold(dc.Name, connector.Name) {
			return &otherConnectorError{connector: connector, other: dc.ID, otherName: dc.Name}
		}
	}
	return nil
}

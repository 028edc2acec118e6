package provider

import (
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/loganalytics"
)

// LogAnalytics returns the Log Analytics query client, or an error that says which configuration it
// lacks.
func (c *Clients) LogAnalytics() (*loganalytics.Client, error) {
	return c.logAnalytics, c.logAnalyticsErr
}

// newLogAnalyticsClient builds the Log Analytics query client for the cloud that resolve chose: its
// endpoint is clients.LogAnalyticsEndpoint (the built-in cloud's, or endpoint.log_analytics_endpoint
// in a custom environment), its token audience endpoint.log_analytics_audience (ARM_LOG_ANALYTICS_AUDIENCE)
// in a custom environment and otherwise the endpoint itself. It shares the credential and the
// pipeline options (transport, telemetry, retries set by the provider's options) of the other
// clients; without such retries it takes the client's defaults, which wait for the query API's
// throttling window.
func newLogAnalyticsClient(clients *Clients, customAudience string, credential azcore.TokenCredential,
	clientOptions azcore.ClientOptions) (*loganalytics.Client, error) {
	switch {
	case credential == nil:
		return nil, fmt.Errorf("querying Log Analytics needs a Microsoft Entra ID credential, and %w", errNoCredential)
	case clients.LogAnalyticsEndpoint == "":
		return nil, fmt.Errorf("the Log Analytics query endpoint is not set: with environment = \"custom\", set %s "+
			"to the cloud's query endpoint, for example https://api.loganalytics.io", label("endpoint.log_analytics_endpoint"))
	}
	audience := ""
	if clients.Environment == EnvironmentCustom {
		audience = customAudience
	}
	client, err := loganalytics.NewClient(loganalytics.Options{
		Endpoint:      clients.LogAnalyticsEndpoint,
		Audience:      audience,
		Credential:    credential,
		ClientOptions: clientOptions,
	})
	if err != nil {
		return nil, fmt.Errorf("building the Log Analytics client from %s: %w", label("endpoint.log_analytics_endpoint"), err)
	}
	return client, nil
}

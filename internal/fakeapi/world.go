package fakeapi

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
)

// DefaultFederatedSubject is the subject of the federated identity credential that the default world
// registers on every tenant's app: a GitHub Actions job of the production environment.
const DefaultFederatedSubject = "repo:mcas-terraform/infrastructure:environment:production"

// FederatedTokenAudience is the audience Microsoft Entra expects in federated (workload identity) assertions.
const FederatedTokenAudience = "api://AzureADTokenExchange"

// DefaultServiceConnectionSubjectPrefix starts the subject of the federated credential that the default
// world registers for each tenant's Azure DevOps service connection; the tenant name follows.
const DefaultServiceConnectionSubjectPrefix = "sc://mcas-terraform/infrastructure/mcas-"

// Streams envelopes that SetStreamsEnvelope accepts: how GET /api/discovery/streams/ wraps the list.
const (
	EnvelopeStreams = "streams" // {"streams": [...]}, the documented shape and the default.
	EnvelopeArray   = "array"   // a bare JSON array.
	EnvelopeData    = "data"    // {"total": N, "hasNext": false, "data": [...]}.
)

// Stream types of Defender for Cloud Apps discovery streams.
const (
	StreamTypeInput    = 1 // A log collector or data source.
	StreamTypeView     = 3 // A view created in the portal, including the built-in "Global View".
	StreamTypeSnapshot = 5 // A snapshot report made from an uploaded log file.
)

// SIEM agent types of the Cloud Apps SIEM agents API.
const (
	AgentTypeSentinel = "sentinel"
	AgentTypeGeneric  = "generic"
)

// World is the content a server starts with: the tenants it plays.
type World struct {
	Tenants []TenantSpec `json:"tenants"`
}

// TenantSpec seeds one tenant. Empty fields get defaults when the tenant is added: a random tenant,
// subscription and client id, the domain <name>.onmicrosoft.com, resource group rg-security, and for
// nil slices (as opposed to empty ones) two workspaces law-sentinel-<name> (Sentinel enabled) and
// law-no-sentinel-<name>, one app with a secret, a generated certificate, the default federated
// credential and a federated credential for an Azure DevOps service connection, a system-assigned and
// a user-assigned managed identity, one random legacy API token and the built-in "Global View" stream.
type TenantSpec struct {
	// Name is the short tenant name used in the Cloud Apps portal URL: lower-case letters, digits and dashes.
	Name           string          `json:"name"`
	TenantID       string          `json:"tenant_id,omitempty"`
	Domain         string          `json:"domain,omitempty"`
	SubscriptionID string          `json:"subscription_id,omitempty"`
	ResourceGroup  string          `json:"resource_group,omitempty"`
	Workspaces     []WorkspaceSpec `json:"workspaces"`
	Apps           []AppSpec       `json:"apps"`
	// ManagedIdentities are the identities of the tenant's App Service host (see ManagedIdentitySpec).
	ManagedIdentities []ManagedIdentitySpec `json:"managed_identities"`
	APITokens         []string              `json:"api_tokens"`
	Streams           []Stream              `json:"streams"`
	Agents            []Agent               `json:"agents"`
	LicenseInvalid    bool                  `json:"license_invalid,omitempty"`
	RoleMissing       bool                  `json:"role_missing,omitempty"`
	// ReadAccessMissing takes Microsoft Sentinel Reader away from the tenant's callers: reading the
	// onboarding state and the data connectors answers 403 AuthorizationFailed.
	ReadAccessMissing bool `json:"read_access_missing,omitempty"`
	// AdminConsentMissing makes a service principal's write of a MicrosoftCloudAppSecurity connector
	// answer 401 InvalidLicense "Missing consent"; a signed-in user's write still works.
	AdminConsentMissing bool   `json:"admin_consent_missing,omitempty"`
	StreamsEnvelope     string `json:"streams_envelope,omitempty"`
	// ConsentedApps are multi-tenant app registrations of other tenants that this tenant's administrator
	// consented to (see ConsentSpec).
	ConsentedApps []ConsentSpec `json:"consented_apps,omitempty"`
}

// WorkspaceSpec seeds one Log Analytics workspace of a tenant's subscription.
type WorkspaceSpec struct {
	Name string `json:"name"`
	// ResourceGroup defaults to the tenant's resource group.
	ResourceGroup string `json:"resource_group,omitempty"`
	// CustomerID is the workspace GUID of the Log Analytics query API; random when empty.
	CustomerID string `json:"customer_id,omitempty"`
	// Location defaults to westeurope.
	Location        string `json:"location,omitempty"`
	SentinelEnabled bool   `json:"sentinel_enabled"`
	// DataConnectors are Sentinel data connector bodies, each with at least "name" and "kind".
	DataConnectors []json.RawMessage `json:"data_connectors"`
}

// AppSpec seeds one app registration (service principal) of a tenant.
type AppSpec struct {
	ClientID string `json:"client_id,omitempty"`
	// ObjectID is the service principal's object id, the oid claim of its tokens; random when empty.
	ObjectID string `json:"object_id,omitempty"`
	// ClientSecret is the app's secret; empty means the app has none.
	ClientSecret string `json:"client_secret,omitempty"`
	// ClientSecretExpired makes the token endpoint refuse the secret as expired (AADSTS7000222).
	ClientSecretExpired bool `json:"client_secret_expired,omitempty"`
	// GenerateCertificate makes the server generate a certificate with its private key and register it;
	// TenantInfo.ClientCertificatePEM hands it out.
	GenerateCertificate bool `json:"generate_certificate,omitempty"`
	// CertificatesPEM are further registered certificates (public part only, PEM).
	CertificatesPEM []string `json:"certificates_pem,omitempty"`
	// FederatedCredentials are the app's federated identity credentials.
	FederatedCredentials []FederatedCredential `json:"federated_credentials,omitempty"`
	// MultiTenant makes the registration multi-tenant (sign-in audience "accounts in any organizational
	// directory"), so that other tenants may consent to it (TenantSpec.ConsentedApps, Server.ConsentApp)
	// and it then gets tokens for them with its own credentials.
	MultiTenant bool `json:"multi_tenant,omitempty"`
}

// ConsentSpec is the consent of a tenant's administrator to a multi-tenant app registered in another
// tenant: it creates a service principal of the app in the consenting tenant.
type ConsentSpec struct {
	// ClientID is the application (client) id of the app registration.
	ClientID string `json:"client_id"`
	// ObjectID is the object id of the service principal in the consenting tenant, the oid claim of the
	// app's tokens there; random when empty.
	ObjectID string `json:"object_id,omitempty"`
}

// FederatedCredential is a federated identity credential of an app registration.
type FederatedCredential struct {
	// Issuer defaults to this server's own OIDC issuer, Server.OIDCIssuer().
	Issuer  string `json:"issuer,omitempty"`
	Subject string `json:"subject"`
	// Audience defaults to FederatedTokenAudience.
	Audience string `json:"audience,omitempty"`
	// ServiceConnectionID is the id of the Azure DevOps service connection whose OIDC tokens carry this
	// credential's subject and audience; the fake's Azure DevOps OIDC endpoint hands them out.
	ServiceConnectionID string `json:"service_connection_id,omitempty"`
}

// ManagedIdentitySpec seeds a managed identity of a tenant. Each tenant plays one App Service host
// (Server.ManagedIdentityEndpoint) with at most one system-assigned identity and any number of
// user-assigned identities attached to it.
type ManagedIdentitySpec struct {
	// Name is the name of a user-assigned identity (its ARM resource is
	// Microsoft.ManagedIdentity/userAssignedIdentities/<name> in the tenant's resource group); it is
	// ignored for the system-assigned identity. Default id-mcas-terraform for the first user-assigned
	// identity and id-mcas-terraform-<n> for the n-th after it.
	Name string `json:"name,omitempty"`
	// ClientID and ObjectID are random when empty.
	ClientID string `json:"client_id,omitempty"`
	ObjectID string `json:"object_id,omitempty"`
	// SystemAssigned marks the host's own identity.
	SystemAssigned bool `json:"system_assigned,omitempty"`
}

// Stream is a Defender for Cloud Apps discovery stream (continuous report). Its JSON names are those of
// the admin interface; the Cloud Apps API answers the service's own names (_id, displayName, ...).
type Stream struct {
	ID               string  `json:"id"`
	DisplayName      string  `json:"display_name"`
	StreamType       int     `json:"stream_type"`
	LogType          int     `json:"log_type"`
	ReceiverType     string  `json:"receiver_type"`
	Created          string  `json:"created"`
	LastModified     string  `json:"last_modified"`
	LastDataReceived *string `json:"last_data_received"`
	GlobalAggregated bool    `json:"global_aggregated"`
}

// Agent is a Defender for Cloud Apps SIEM agent. Its JSON names are those of the admin interface; the
// Cloud Apps API answers the service's own shape (_id, agentType, dataTypes, ...).
type Agent struct {
	ID                   string   `json:"id"`
	AgentType            string   `json:"agent_type"`
	DisplayName          string   `json:"display_name"`
	Alerts               bool     `json:"alerts"`
	DiscoveryLogsEnabled bool     `json:"discovery_logs_enabled"`
	Streams              []string `json:"streams"`
	Created              int64    `json:"created"`
	LastModified         int64    `json:"last_modified"`
}

var (
	tenantNameRE    = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	workspaceNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,88}[A-Za-z0-9]$`)
	objectIDRE      = regexp.MustCompile(`^[0-9a-fA-F]{24}$`)
	resourceGroupRE = regexp.MustCompile(`^[-\w._()]{1,90}$`)
)

// defaultTenant describes the fixed identifiers of one tenant of the default world.
type defaultTenant struct {
	name, tenantID, subscriptionID, customerID, noSentinelCustomerID string
	clientID, objectID, clientSecret, apiToken                       string
	serviceConnectionID                                              string
	systemIdentity, userIdentity                                     [2]string // client id, object id
	connectorNames                                                   [3]string
	streams                                                          []Stream
	agents                                                           []Agent
}

// DefaultWorld returns the deterministic world of three tenants (contoso, fabrikam, northwind) that
// examples and tests name: each with a Sentinel workspace holding three data connectors of other
// kinds, a workspace without Sentinel, an app registration with a secret, a generated certificate and a
// federated credential, a legacy API token and a few discovery streams. Only fabrikam has a SIEM agent,
// a generic one. Every call returns a new value that the caller may change.
func DefaultWorld() *World {
	tenants := []defaultTenant{
		{
			name: "contoso", tenantID: "d7bca20e-e2a1-40ba-952e-c61e79d572ac",
			subscriptionID: "4c2dd80b-1ccb-4d86-bcc7-fb007341aad6",
			customerID:     "045e6cbf-2143-46f4-89e2-c5877016b50c", noSentinelCustomerID: "2da940ac-7d74-48b9-877c-5e6acdc03f78",
			clientID: "8f859d2f-03a0-4c08-adcf-9b35b21c9b5b", objectID: "ea1b7092-4698-469e-b40d-946cbc193a16",
			clientSecret:        "Fk8Q~v8WKgrVEYhp6Kv_9c5EZLDf_UG8KSgaT0HX",
			apiToken:            "nRetzFxpC59SwPs1FNeTqGlyzAFMUa624XXc3aaSgd7SeASaWg4FEtzvwxvREb7o",
			serviceConnectionID: "2e9d7e3d-1776-4387-98b7-b38e8915d3eb",
			systemIdentity:      [2]string{"d8647287-56d1-446d-8da4-f9f12a16811b", "0a6852fd-fc04-4f79-bd39-739b53263945"},
			userIdentity:        [2]string{"30891e35-791f-46d7-be36-40fe868f5d38", "41472f60-f5d5-4c41-9433-b1170a7db1c6"},
			connectorNames:      [3]string{"03c5af79-af42-4679-8fcc-c5b5bb7eede4", "7278fd34-45f3-4dad-bdc3-bcb1d7365ebf", "c4492a7a-c46e-478e-8bfa-f2c7e037fecd"},
			streams: []Stream{
				globalView("91a8df304db0b18ad9585713", "2021-03-02T08:15:27.000Z"),
				inputStream("2b71970898808dd3b257b647", "Palo Alto - HQ firewall", 112, "syslog", "2022-06-14T10:02:11.482Z", "2025-01-08T07:41:09.000Z"),
				inputStream("aa09b5a130daae101589a0b1", "Zscaler - Branch offices", 120, "ftp", "2023-02-20T13:45:00.120Z", "2025-01-08T06:00:00.000Z"),
				viewStream("48ec4defd0c32080670d6075", "Marketing Department", "2023-09-05T09:30:12.771Z"),
				snapshotStream("b254947b2f44caa054935d19", "Firewall snapshot 2024-Q4", 112, "2024-12-31T17:20:44.305Z"),
			},
		},
		{
			name: "fabrikam", tenantID: "c50d5e64-456e-44eb-a8b2-4badb6380e06",
			subscriptionID: "21cd0535-5973-40b8-9c0f-3aca7a3dc1cf",
			customerID:     "53ad58f9-6ee3-478c-a099-f21414fdb0c7", noSentinelCustomerID: "99ccc6ad-ad05-4af5-bc53-d589c91be895",
			clientID: "0efb8837-db62-44c4-bc1b-e291e2079184", objectID: "cd9c9dfa-e2fc-44c7-90aa-ae9aefe08140",
			clientSecret:        "Fk8Q~2DcQsNYPRjrVb8LXt1XN0c_V8KHgp_-Lsrq",
			apiToken:            "PMkIrRXZwT7Jj5lVbSZFPIrEQMPWDTrXFYC9nwjjqNdb7JJhOuAj8d5LogC8VxTG",
			serviceConnectionID: "1fc03e85-beed-4610-bb5a-b37e0e6c53f7",
			systemIdentity:      [2]string{"c882a454-52f9-4156-b9ea-4ff252f8b8e9", "41e3db64-1a0f-4a1b-80a7-29d23e9b8649"},
			userIdentity:        [2]string{"5778994c-4cfd-4aa9-920d-e90beda6d70d", "9efaf2be-56dd-4040-894b-d46d9fbc59f8"},
			connectorNames:      [3]string{"eb090c7b-6901-41e9-825e-895dd29789e2", "8fd2f587-c075-407a-99d3-b67bbefb818c", "eef28696-7115-4f97-93f2-f35c19f3cedd"},
			streams: []Stream{
				globalView("51705d9168539a6a86ed56f6", "2020-11-17T12:00:03.000Z"),
				inputStream("f9fa1b2afe884b9d1882c3ed", "Palo Alto - Datacenter", 112, "syslog", "2021-08-02T15:12:45.000Z", "2025-01-08T07:55:30.000Z"),
				inputStream("5428e42ded6dc40720306cc1", "Zscaler - Remote workforce", 120, "ftp", "2022-01-10T08:00:00.000Z", "2025-01-07T23:10:00.000Z"),
				viewStream("f76d3ee05041c5c21899068e", "Finance Department", "2022-04-28T11:03:59.314Z"),
			},
			agents: []Agent{{
				ID: "a630972cdb0a706848d0091f", AgentType: AgentTypeGeneric, DisplayName: "Splunk forwarder",
				Alerts: true, DiscoveryLogsEnabled: false, Streams: []string{},
				Created: 1651139823000, LastModified: 1651139823000,
			}},
		},
		{
			name: "northwind", tenantID: "4b010b84-cbd6-4e85-b336-3ddc4a37ab80",
			subscriptionID: "65859715-a680-4cdb-8ec6-d38378968541",
			customerID:     "da7286bf-66a4-42b9-ac5d-833e0711bc57", noSentinelCustomerID: "76d96774-6a00-4ade-920e-1bd799088d5d",
			clientID: "45857e5e-6252-4e6c-b20c-5c8d92fa600d", objectID: "aa3c18f9-aaf5-4e19-aa80-df3f7d545818",
			clientSecret:        "Fk8Q~Y3UZv1UJ7QKsXFKd7jOYniuqqZewvTppqTQ",
			apiToken:            "2oEhoBqByTcUNdoPP4DNOy7jWLDNTOhTWpq0oViCcZgsUDgwSjQHbVtXheBJ5ebk",
			serviceConnectionID: "256381fc-1534-482a-9324-07c8c5197157",
			systemIdentity:      [2]string{"9177ab99-b1d6-4967-9c1e-5595d5d42b8f", "b1e2b0f1-35e6-43fc-85a0-9ff029389668"},
			userIdentity:        [2]string{"8899c3a3-86ef-49c6-9de4-9669c2905c42", "fb2d2027-0809-4c81-a1c5-081f4b03a855"},
			connectorNames:      [3]string{"b2ea5d8a-15a4-4a44-867c-a46db48eb24e", "a08f6e9a-c2a2-435e-ad7a-cb1ea3b49530", "c66d2b92-ccda-4743-aaea-fa54e8c9dd98"},
			streams: []Stream{
				globalView("381b10b3550be317785fe99d", "2022-05-09T06:30:00.000Z"),
				inputStream("f2429aec2fdc2a74a5b3f7a0", "Palo Alto - Warehouse", 112, "syslog", "2023-03-01T09:00:00.000Z", "2025-01-08T05:12:00.000Z"),
				viewStream("04cde0578cbdbfc4c85b28b7", "Engineering Department", "2023-10-12T14:22:08.090Z"),
				snapshotStream("46499f7f7026c0c6b0fa217d", "Audit snapshot 2024", 120, "2024-06-30T16:45:00.000Z"),
			},
		},
	}
	world := &World{}
	for _, d := range tenants {
		world.Tenants = append(world.Tenants, d.spec())
	}
	return world
}

// spec turns the fixed identifiers of a default tenant into its TenantSpec.
func (d defaultTenant) spec() TenantSpec {
	connector := func(name, kind, properties string) json.RawMessage {
		return json.RawMessage(fmt.Sprintf(`{"name":%q,"kind":%q,"properties":%s}`, name, kind, properties))
	}
	return TenantSpec{
		Name:           d.name,
		TenantID:       d.tenantID,
		Domain:         d.name + ".onmicrosoft.com",
		SubscriptionID: d.subscriptionID,
		ResourceGroup:  "rg-security",
		Workspaces: []WorkspaceSpec{
			{
				Name: "law-sentinel-" + d.name, CustomerID: d.customerID, Location: "westeurope", SentinelEnabled: true,
				DataConnectors: []json.RawMessage{
					connector(d.connectorNames[0], "AzureActiveDirectory",
						fmt.Sprintf(`{"tenantId":%q,"dataTypes":{"alerts":{"state":"Enabled"}}}`, d.tenantID)),
					connector(d.connectorNames[1], "Office365",
						fmt.Sprintf(`{"tenantId":%q,"dataTypes":{"exchange":{"state":"Enabled"},"sharePoint":{"state":"Enabled"},"teams":{"state":"Disabled"}}}`, d.tenantID)),
					connector(d.connectorNames[2], "ThreatIntelligence",
						fmt.Sprintf(`{"tenantId":%q,"dataTypes":{"indicators":{"state":"Enabled"}}}`, d.tenantID)),
				},
			},
			{Name: "law-no-sentinel-" + d.name, CustomerID: d.noSentinelCustomerID, Location: "westeurope", DataConnectors: []json.RawMessage{}},
		},
		Apps: []AppSpec{{
			ClientID:            d.clientID,
			ObjectID:            d.objectID,
			ClientSecret:        d.clientSecret,
			GenerateCertificate: true,
			FederatedCredentials: []FederatedCredential{
				{Subject: DefaultFederatedSubject, Audience: FederatedTokenAudience},
				{Subject: DefaultServiceConnectionSubjectPrefix + d.name, Audience: FederatedTokenAudience, ServiceConnectionID: d.serviceConnectionID},
			},
		}},
		ManagedIdentities: []ManagedIdentitySpec{
			{SystemAssigned: true, ClientID: d.systemIdentity[0], ObjectID: d.systemIdentity[1]},
			{Name: "id-mcas-terraform", ClientID: d.userIdentity[0], ObjectID: d.userIdentity[1]},
		},
		APITokens:       []string{d.apiToken},
		Streams:         d.streams,
		Agents:          append([]Agent{}, d.agents...),
		StreamsEnvelope: EnvelopeStreams,
	}
}

// globalView returns the built-in aggregate stream every tenant has.
func globalView(id, created string) Stream {
	return Stream{ID: id, DisplayName: "Global View", StreamType: StreamTypeView, Created: created, LastModified: created, GlobalAggregated: true}
}

// inputStream returns a log collector stream that has received data.
func inputStream(id, name string, logType int, receiver, created, lastData string) Stream {
	return Stream{ID: id, DisplayName: name, StreamType: StreamTypeInput, LogType: logType, ReceiverType: receiver,
		Created: created, LastModified: created, LastDataReceived: &lastData}
}

// viewStream returns a view created in the portal.
func viewStream(id, name, created string) Stream {
	return Stream{ID: id, DisplayName: name, StreamType: StreamTypeView, Created: created, LastModified: created}
}

// snapshotStream returns a snapshot report made from an uploaded log.
func snapshotStream(id, name string, logType int, created string) Stream {
	return Stream{ID: id, DisplayName: name, StreamType: StreamTypeSnapshot, LogType: logType, ReceiverType: "upload",
		Created: created, LastModified: created, LastDataReceived: &created}
}

// tenant is the live state of one tenant. All fields are guarded by Server.mu.
type tenant struct {
	name, id, domain, subscriptionID, resourceGroup string
	resourceGroups                                  map[string]string // lower-case name -> name as created
	workspaces                                      []*workspace
	apps                                            []*app
	consents                                        map[string]*servicePrincipal // lower-case client id -> service principal of another tenant's app
	identities                                      []*managedIdentity
	apiTokens                                       []string
	streams                                         []Stream
	agents                                          map[string]*Agent // lower-case id -> agent
	licenseValid, rolePresent, readAccess           bool
	adminConsent                                    bool
	envelope                                        string
	siemRoute                                       string      // one of the SIEMRoute constants; "" is SIEMRouteModeled
	recent                                          []time.Time // Cloud Apps requests inside the throttle window
}

// workspace is a Log Analytics workspace with its Sentinel state.
type workspace struct {
	id, name, resourceGroup, customerID, location string
	sentinel                                      bool
	// onboardedFrom and connectorWritesFrom delay the effects of enabling Sentinel (EnableSentinel):
	// until onboardedFrom the onboarding state answers 404 and data connector requests 400, until
	// connectorWritesFrom data connector writes answer 400. Zero means no delay.
	onboardedFrom, connectorWritesFrom time.Time
	connectors                         map[string]*dataConnector // lower-case name -> connector
	// queryAccess is whether the tenant's callers may query the workspace's logs (SetQueryAccess).
	queryAccess bool
	// ingestion holds the periods during which sources wrote into the workspace's tables, oldest first.
	ingestion []*ingestionPeriod
}

// app is an app registration with its credentials.
type app struct {
	clientID, objectID, secret string
	home                       string // name of the tenant that registered the app
	multiTenant                bool
	secretExpired              bool
	generate                   bool               // a certificate with private key is generated on first use
	generated                  *clientCertificate // the generated certificate, nil until first use
	certs                      []*clientCertificate
	federated                  []FederatedCredential
}

// dataConnector is a stored Sentinel data connector.
type dataConnector struct {
	name, kind, etag              string
	body                          map[string]json.RawMessage // the body as sent, without read-only fields
	props                         connectorProperties        // read from body["properties"]
	createdAt, modifiedAt         time.Time
	createdBy, modifiedBy         string
	createdByType, modifiedByType string
}

// newTenant validates a spec, fills in its defaults and builds the tenant state.
func newTenant(spec TenantSpec, now time.Time) (*tenant, error) {
	if !tenantNameRE.MatchString(spec.Name) {
		return nil, fmt.Errorf("tenant name %q is invalid: expected 1-63 lower-case letters, digits and dashes", spec.Name)
	}
	t := &tenant{
		name:           spec.Name,
		id:             strings.ToLower(defaultString(spec.TenantID, uuid.NewString())),
		domain:         strings.ToLower(defaultString(spec.Domain, spec.Name+".onmicrosoft.com")),
		subscriptionID: strings.ToLower(defaultString(spec.SubscriptionID, uuid.NewString())),
		resourceGroup:  defaultString(spec.ResourceGroup, "rg-security"),
		resourceGroups: map[string]string{},
		agents:         map[string]*Agent{},
		consents:       map[string]*servicePrincipal{},
		licenseValid:   !spec.LicenseInvalid,
		rolePresent:    !spec.RoleMissing,
		readAccess:     !spec.ReadAccessMissing,
		adminConsent:   !spec.AdminConsentMissing,
		envelope:       defaultString(spec.StreamsEnvelope, EnvelopeStreams),
	}
	if err := validateUUID("tenant_id", t.id); err != nil {
		return nil, err
	}
	if err := validateUUID("subscription_id", t.subscriptionID); err != nil {
		return nil, err
	}
	if err := validateEnvelope(t.envelope); err != nil {
		return nil, err
	}
	if !resourceGroupRE.MatchString(t.resourceGroup) {
		return nil, fmt.Errorf("resource group %q is invalid: expected 1-90 letters, digits, '-', '_', '.', '(' or ')'", t.resourceGroup)
	}
	t.resourceGroups[strings.ToLower(t.resourceGroup)] = t.resourceGroup

	workspaces := spec.Workspaces
	if workspaces == nil {
		workspaces = []WorkspaceSpec{
			{Name: "law-sentinel-" + spec.Name, SentinelEnabled: true},
			{Name: "law-no-sentinel-" + spec.Name},
		}
	}
	for _, ws := range workspaces {
		w, err := t.newWorkspace(ws, now)
		if err != nil {
			return nil, err
		}
		t.workspaces = append(t.workspaces, w)
	}

	apps := spec.Apps
	if apps == nil {
		apps = []AppSpec{{
			ClientSecret:        randomSecret(),
			GenerateCertificate: true,
			FederatedCredentials: []FederatedCredential{
				{Subject: DefaultFederatedSubject},
				{Subject: DefaultServiceConnectionSubjectPrefix + spec.Name, ServiceConnectionID: uuid.NewString()},
			},
		}}
	}
	for _, as := range apps {
		a, err := newApp(as)
		if err != nil {
			return nil, fmt.Errorf("tenant %q: %w", spec.Name, err)
		}
		a.home = spec.Name
		t.apps = append(t.apps, a)
	}

	identities := spec.ManagedIdentities
	if identities == nil {
		identities = []ManagedIdentitySpec{{SystemAssigned: true}, {}}
	}
	if err := t.addManagedIdentities(identities); err != nil {
		return nil, fmt.Errorf("tenant %q: %w", spec.Name, err)
	}

	t.apiTokens = append([]string{}, spec.APITokens...)
	if spec.APITokens == nil {
		t.apiTokens = []string{randomAPIToken()}
	}
	for _, tok := range t.apiTokens {
		if !legacyTokenRE.MatchString(tok) {
			return nil, fmt.Errorf("tenant %q: a legacy API token is malformed: expected 64-192 characters of [0-9a-zA-Z=]", spec.Name)
		}
	}

	streams := spec.Streams
	if streams == nil {
		streams = []Stream{globalView(newObjectID(now), now.UTC().Format(isoMillis))}
	}
	for _, st := range streams {
		st, err := normalizeStream(st, now)
		if err != nil {
			return nil, fmt.Errorf("tenant %q: %w", spec.Name, err)
		}
		t.putStream(st)
	}
	for _, a := range spec.Agents {
		a, err := normalizeAgent(a, now)
		if err != nil {
			return nil, fmt.Errorf("tenant %q: %w", spec.Name, err)
		}
		t.agents[a.ID] = &a
	}
	return t, nil
}

// newWorkspace validates a workspace spec and builds the workspace with its seeded data connectors.
func (t *tenant) newWorkspace(spec WorkspaceSpec, now time.Time) (*workspace, error) {
	if !workspaceNameRE.MatchString(spec.Name) {
		return nil, fmt.Errorf("tenant %q: workspace name %q is invalid: expected 2-90 letters, digits and dashes, starting and ending with a letter or digit", t.name, spec.Name)
	}
	rg := defaultString(spec.ResourceGroup, t.resourceGroup)
	if !resourceGroupRE.MatchString(rg) {
		return nil, fmt.Errorf("tenant %q: resource group %q is invalid", t.name, rg)
	}
	if existing, ok := t.resourceGroups[strings.ToLower(rg)]; ok {
		rg = existing
	} else {
		t.resourceGroups[strings.ToLower(rg)] = rg
	}
	if t.findWorkspace(rg, spec.Name) != nil {
		return nil, fmt.Errorf("tenant %q: workspace %q appears twice in resource group %q", t.name, spec.Name, rg)
	}
	w := &workspace{
		id:            fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.OperationalInsights/workspaces/%s", t.subscriptionID, rg, spec.Name),
		name:          spec.Name,
		resourceGroup: rg,
		customerID:    strings.ToLower(defaultString(spec.CustomerID, uuid.NewString())),
		location:      defaultString(spec.Location, "westeurope"),
		sentinel:      spec.SentinelEnabled,
		connectors:    map[string]*dataConnector{},
		queryAccess:   true,
	}
	if err := validateUUID("customer_id", w.customerID); err != nil {
		return nil, err
	}
	for _, raw := range spec.DataConnectors {
		body, err := connectorBody(raw)
		if err != nil {
			return nil, fmt.Errorf("tenant %q, workspace %q: %w", t.name, spec.Name, err)
		}
		var name string
		if err := json.Unmarshal(body["name"], &name); err != nil || name == "" {
			return nil, fmt.Errorf("tenant %q, workspace %q: a seeded data connector has no \"name\"; give each one a name", t.name, spec.Name)
		}
		c := newDataConnector(name, body, "admin@"+t.domain, "User", now)
		if c.kind == "" {
			return nil, fmt.Errorf("tenant %q, workspace %q: seeded data connector %q has no \"kind\"", t.name, spec.Name, name)
		}
		w.connectors[strings.ToLower(name)] = c
	}
	return w, nil
}

// findWorkspace looks a workspace up by resource group and name, ignoring case.
func (t *tenant) findWorkspace(rg, name string) *workspace {
	for _, w := range t.workspaces {
		if strings.EqualFold(w.resourceGroup, rg) && strings.EqualFold(w.name, name) {
			return w
		}
	}
	return nil
}

// putStream adds a stream or replaces the one with the same id.
func (t *tenant) putStream(st Stream) {
	for i := range t.streams {
		if strings.EqualFold(t.streams[i].ID, st.ID) {
			t.streams[i] = st
			return
		}
	}
	t.streams = append(t.streams, st)
}

// findStream returns the index of a stream by id, or -1.
func (t *tenant) findStream(id string) int {
	for i := range t.streams {
		if strings.EqualFold(t.streams[i].ID, id) {
			return i
		}
	}
	return -1
}

// sentinelAgent returns the tenant's Sentinel SIEM agent, or nil.
func (t *tenant) sentinelAgent() *Agent {
	for _, a := range t.agents {
		if a.AgentType == AgentTypeSentinel {
			return a
		}
	}
	return nil
}

// newApp validates an app spec and builds the app registration.
func newApp(spec AppSpec) (*app, error) {
	a := &app{
		clientID:      strings.ToLower(defaultString(spec.ClientID, uuid.NewString())),
		objectID:      strings.ToLower(defaultString(spec.ObjectID, uuid.NewString())),
		secret:        spec.ClientSecret,
		secretExpired: spec.ClientSecretExpired,
		generate:      spec.GenerateCertificate,
		multiTenant:   spec.MultiTenant,
	}
	if err := validateUUID("client_id", a.clientID); err != nil {
		return nil, err
	}
	if err := validateUUID("object_id", a.objectID); err != nil {
		return nil, err
	}
	for _, p := range spec.CertificatesPEM {
		certs, err := parseCertificatesPEM([]byte(p))
		if err != nil {
			return nil, fmt.Errorf("app %s: %w", a.clientID, err)
		}
		for _, c := range certs {
			a.certs = append(a.certs, newClientCertificate(c, nil))
		}
	}
	for _, fc := range spec.FederatedCredentials {
		if fc.Subject == "" {
			return nil, fmt.Errorf("app %s: a federated credential has no subject; set the subject the pipeline's tokens carry", a.clientID)
		}
		fc.Audience = defaultString(fc.Audience, FederatedTokenAudience)
		if fc.ServiceConnectionID != "" {
			fc.ServiceConnectionID = strings.ToLower(fc.ServiceConnectionID)
			if err := validateUUID("service_connection_id", fc.ServiceConnectionID); err != nil {
				return nil, fmt.Errorf("app %s: %w", a.clientID, err)
			}
		}
		a.federated = append(a.federated, fc)
	}
	return a, nil
}

// certificate returns the app's generated certificate, generating it on first use; nil when the
// app has none.
func (a *app) certificate() (*clientCertificate, error) {
	if !a.generate {
		return nil, nil
	}
	if a.generated == nil {
		c, err := generateClientCertificate("terraform-provider-mcas " + a.clientID)
		if err != nil {
			return nil, err
		}
		a.generated = c
		a.certs = append(a.certs, c)
	}
	return a.generated, nil
}

// normalizeStream validates a stream, fills in its id and timestamps and copies its pointer field.
func normalizeStream(st Stream, now time.Time) (Stream, error) {
	if st.ID == "" {
		st.ID = newObjectID(now)
	}
	if !objectIDRE.MatchString(st.ID) {
		return st, fmt.Errorf("stream id %q is invalid: expected 24 hexadecimal characters", st.ID)
	}
	st.ID = strings.ToLower(st.ID)
	if st.LastDataReceived != nil {
		received := *st.LastDataReceived
		st.LastDataReceived = &received
	}
	stamp := now.UTC().Format(isoMillis)
	st.Created = defaultString(st.Created, stamp)
	st.LastModified = defaultString(st.LastModified, stamp)
	return st, nil
}

// normalizeAgent validates an agent and fills in its id, stream list and timestamps.
func normalizeAgent(a Agent, now time.Time) (Agent, error) {
	if a.ID == "" {
		a.ID = newObjectID(now)
	}
	if !objectIDRE.MatchString(a.ID) {
		return a, fmt.Errorf("agent id %q is invalid: expected 24 hexadecimal characters", a.ID)
	}
	a.ID = strings.ToLower(a.ID)
	if a.AgentType != AgentTypeSentinel && a.AgentType != AgentTypeGeneric {
		return a, fmt.Errorf("agent type %q is invalid: expected %q or %q", a.AgentType, AgentTypeSentinel, AgentTypeGeneric)
	}
	a.Streams = append([]string{}, a.Streams...)
	if a.Created == 0 {
		a.Created = now.UnixMilli()
	}
	if a.LastModified == 0 {
		a.LastModified = a.Created
	}
	return a, nil
}

// validateEnvelope checks a streams envelope name.
func validateEnvelope(envelope string) error {
	switch envelope {
	case EnvelopeStreams, EnvelopeArray, EnvelopeData:
		return nil
	}
	return fmt.Errorf("streams envelope %q is unknown: expected %q, %q or %q", envelope, EnvelopeStreams, EnvelopeArray, EnvelopeData)
}

// validateUUID checks that a value is a GUID.
func validateUUID(field, value string) error {
	if _, err := uuid.Parse(value); err != nil || len(value) != 36 {
		return fmt.Errorf("%s %q is not a GUID: expected the form 00000000-0000-0000-0000-000000000000", field, value)
	}
	return nil
}

// defaultString returns value, or def when value is empty.
func defaultString(value, def string) string {
	if value == "" {
		return def
	}
	return value
}

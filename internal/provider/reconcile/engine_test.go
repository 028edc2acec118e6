package reconcile

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/cloudapps"
	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/resourcemanager"
)

const (
	tenantID   = "d7bca20e-e2a1-40ba-952e-c61e79d572ac"
	agentID    = "5f1e2d3c4b5a69788796a5b4"
	genericID  = "a630972cdb0a706848d0091f"
	streamA    = "5a4a1e4f5e0c2d0001f3e1a1"
	streamB    = "5a4a1e4f5e0c2d0001f3e1a2"
	workspaceS = "/subscriptions/4c2dd80b-1ccb-4d86-bcc7-fb007341aad6/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/sentinel-ws"
)

// services is a fake of both halves that records every call in order. A call named in fail answers
// with that error instead.
type services struct {
	calls      []string
	connector  *resourcemanager.DataConnector
	connectors []resourcemanager.DataConnector // others in the workspace
	agents     []cloudapps.Agent               // every agent of the tenant, of every type
	streams    []cloudapps.Stream
	onboarded  bool
	fail       map[string]error
	// putKind, when set, is the kind the connector PUT answers with.
	putKind string
}

func newServices() *services {
	return &services{
		onboarded: true,
		streams:   []cloudapps.Stream{{ID: streamA, DisplayName: "Firewall"}, {ID: streamB, DisplayName: "Proxy"}},
		fail:      map[string]error{},
	}
}

func (s *services) call(name string) error {
	s.calls = append(s.calls, name)
	return s.fail[name]
}

func (s *services) GetWorkspace(context.Context, resourcemanager.WorkspaceID) (*resourcemanager.Workspace, error) {
	if err := s.call("GetWorkspace"); err != nil {
		return nil, err
	}
	return &resourcemanager.Workspace{ID: workspaceS}, nil
}

func (s *services) SentinelOnboarded(context.Context, resourcemanager.WorkspaceID) (bool, error) {
	return s.onboarded, s.call("SentinelOnboarded")
}

func (s *services) ListDataConnectors(context.Context, resourcemanager.WorkspaceID) ([]resourcemanager.DataConnector, error) {
	if err := s.call("ListDataConnectors"); err != nil {
		return nil, err
	}
	all := slices.Clone(s.connectors)
	if s.connector != nil {
		all = append(all, *s.connector)
	}
	return all, nil
}

func (s *services) GetDataConnector(context.Context, resourcemanager.DataConnectorID) (*resourcemanager.DataConnector, error) {
	if err := s.call("GetDataConnector"); err != nil {
		return nil, err
	}
	if s.connector == nil {
		return nil, armError(http.StatusNotFound)
	}
	dc := *s.connector
	return &dc, nil
}

func (s *services) PutDataConnector(_ context.Context, id resourcemanager.DataConnectorID, dc resourcemanager.DataConnector) (*resourcemanager.DataConnector, error) {
	if err := s.call("PutDataConnector"); err != nil {
		return nil, err
	}
	dc.ID, dc.Name = id.String(), id.Name
	if s.putKind != "" {
		dc.Kind = s.putKind
	}
	s.connector = &dc
	out := dc
	return &out, nil
}

func (s *services) DeleteDataConnector(context.Context, resourcemanager.DataConnectorID) error {
	if err := s.call("DeleteDataConnector"); err != nil {
		return err
	}
	if s.connector == nil {
		return armError(http.StatusNotFound)
	}
	s.connector = nil
	return nil
}

// FindSentinelAgent plays the client's rule: only an agent of type sentinel is the tenant's.
func (s *services) FindSentinelAgent(context.Context) (*cloudapps.Agent, error) {
	if err := s.call("FindSentinelAgent"); err != nil {
		return nil, err
	}
	for _, a := range s.agents {
		if strings.EqualFold(a.AgentType, cloudapps.AgentTypeSentinel) {
			return &a, nil
		}
	}
	return nil, nil
}

func (s *services) CreateAgent(_ context.Context, a cloudapps.Agent) (*cloudapps.Agent, error) {
	if err := s.call("CreateAgent"); err != nil {
		return nil, err
	}
	a.ID = agentID
	s.agents = append(s.agents, a)
	return &a, nil
}

func (s *services) UpdateAgent(_ context.Context, id string, a cloudapps.Agent) (*cloudapps.Agent, error) {
	if err := s.call("UpdateAgent:" + id); err != nil {
		return nil, err
	}
	for i := range s.agents {
		if s.agents[i].ID == id {
			a.ID = id
			s.agents[i] = a
			return &a, nil
		}
	}
	return nil, cloudAppsError(http.StatusNotFound)
}

func (s *services) DeleteAgent(_ context.Context, id string) error {
	if err := s.call("DeleteAgent:" + id); err != nil {
		return err
	}
	for i := range s.agents {
		if s.agents[i].ID == id {
			s.agents = slices.Delete(s.agents, i, i+1)
			return nil
		}
	}
	return cloudAppsError(http.StatusNotFound)
}

func (s *services) ListStreams(context.Context) ([]cloudapps.Stream, error) {
	return s.streams, s.call("ListStreams")
}

func armError(status int) error {
	return &resourcemanager.Error{Service: resourcemanager.ServiceName, Operation: "test", StatusCode: status}
}

func cloudAppsError(status int) error {
	return &cloudapps.Error{Service: cloudapps.ServiceName, Operation: "test", StatusCode: status, Message: "answer"}
}

// errTimeout is what a client returns when the time allowed ran out: not a refusal.
var errTimeout = fmt.Errorf("test: the time allowed ran out: %w", context.DeadlineExceeded)

// errUnexpected is a success answer the Cloud Apps client could not read.
var errUnexpected = fmt.Errorf("test: %w", cloudapps.ErrUnexpectedAnswer)

func connector(tenant string, discovery bool) *resourcemanager.DataConnector {
	dc := resourcemanager.NewCloudAppSecurityConnector(tenant, true, discovery)
	dc.ID = connectorID().String()
	dc.Name = connectorID().Name
	return &dc
}

func sentinelAgent(discovery bool, streams ...string) cloudapps.Agent {
	return cloudapps.Agent{ID: agentID, AgentType: cloudapps.AgentTypeSentinel, DisplayName: "Sentinel (renamed)",
		DataTypes: cloudapps.AgentDataTypes{Alerts: true, DiscoveryLogs: cloudapps.DiscoveryLogs{Enabled: discovery, Streams: streams}}}
}

func genericAgent() cloudapps.Agent {
	return cloudapps.Agent{ID: genericID, AgentType: "generic", DisplayName: "Splunk", DataTypes: cloudapps.AgentDataTypes{Alerts: true}}
}

func workspaceID() resourcemanager.WorkspaceID {
	ws, err := resourcemanager.ParseWorkspaceID(workspaceS)
	if err != nil {
		panic(err)
	}
	return ws
}

func connectorID() resourcemanager.DataConnectorID {
	return resourcemanager.NewDataConnectorID(workspaceID(), tenantID)
}

func engine(s *services, mode Mode) *Engine {
	return &Engine{Connectors: s, Agents: s, Workspace: workspaceID(), Connector: connectorID(), Mode: mode}
}

// all is the default configuration: alerts and the discovery logs of all streams.
var all = Desired{TenantID: tenantID, Alerts: true, Discovery: true}

func checkCalls(t *testing.T, s *services, want ...string) {
	t.Helper()
	if !slices.Equal(s.calls, want) {
		t.Errorf("calls\n  %v\nwant\n  %v", s.calls, want)
	}
}

func checkErr[T error](t *testing.T, err error) T {
	t.Helper()
	var target T
	if !errors.As(err, &target) {
		t.Fatalf("error %v (%T), want a %T", err, err, target)
	}
	return target
}

func TestObserve(t *testing.T) {
	tests := []struct {
		name        string
		mode        Mode
		setup       func(*services)
		wantAgent   bool
		wantConn    bool
		unreadable  bool
		wantErr     func(*testing.T, error)
		wantCallsFn func(*services) []string
	}{
		{name: "both halves", setup: func(s *services) {
			s.connector = connector(tenantID, true)
			s.agents = []cloudapps.Agent{genericAgent(), sentinelAgent(true)}
		}, wantAgent: true, wantConn: true},
		{name: "both halves gone", setup: func(*services) {}},
		{name: "connector gone", setup: func(s *services) { s.agents = []cloudapps.Agent{sentinelAgent(true)} }, wantAgent: true},
		{name: "agent gone, a generic agent present", setup: func(s *services) {
			s.connector = connector(tenantID, true)
			s.agents = []cloudapps.Agent{genericAgent()}
		}, wantConn: true},
		{name: "connector of another kind", setup: func(s *services) {
			s.connector = &resourcemanager.DataConnector{Kind: "AzureActiveDirectory"}
		}, wantErr: func(t *testing.T, err error) {
			if e := checkErr[*WrongKindError](t, err); e.Kind != "AzureActiveDirectory" || !strings.Contains(e.Error(), "AzureActiveDirectory") {
				t.Errorf("error %v", e)
			}
		}},
		{name: "connector without properties", setup: func(s *services) {
			s.connector = &resourcemanager.DataConnector{Kind: resourcemanager.KindCloudAppSecurity}
		}, wantErr: func(t *testing.T, err error) {
			if !strings.Contains(err.Error(), "no longer a readable Defender for Cloud Apps connector") {
				t.Errorf("error %v", err)
			}
		}},
		{name: "connector read fails", setup: func(s *services) { s.fail["GetDataConnector"] = armError(503) }, wantErr: func(t *testing.T, err error) {
			if checkErr[*resourcemanager.Error](t, err).StatusCode != 503 {
				t.Errorf("error %v", err)
			}
		}, wantCallsFn: func(*services) []string { return []string{"GetDataConnector"} }},
		{name: "agent list fails", setup: func(s *services) { s.fail["FindSentinelAgent"] = cloudAppsError(500) }, wantErr: func(t *testing.T, err error) {
			if checkErr[*cloudapps.Error](t, err).StatusCode != 500 || errors.As(err, new(*AgentRouteError)) {
				t.Errorf("error %v, want the 500 as it is", err)
			}
		}},
		{name: "manage: agent route absent", setup: func(s *services) { s.fail["FindSentinelAgent"] = cloudAppsError(404) }, wantErr: func(t *testing.T, err error) {
			if e := checkErr[*AgentRouteError](t, err); e.StatusCode != 404 || !strings.Contains(e.Error(), "did not accept the modeled SIEM agent call") {
				t.Errorf("error %v", e)
			}
		}},
		{name: "manage: agent list not understood", setup: func(s *services) { s.fail["FindSentinelAgent"] = errUnexpected }, wantErr: func(t *testing.T, err error) {
			if e := checkErr[*AgentRouteError](t, err); e.StatusCode != 0 {
				t.Errorf("error %v", e)
			}
		}},
		{name: "observe: agent route absent", mode: ModeObserve, setup: func(s *services) {
			s.connector = connector(tenantID, true)
			s.fail["FindSentinelAgent"] = cloudAppsError(405)
		}, wantConn: true, unreadable: true},
		{name: "observe: agent list fails", mode: ModeObserve, setup: func(s *services) { s.fail["FindSentinelAgent"] = errTimeout }, wantErr: func(t *testing.T, err error) {
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("error %v", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServices()
			tt.setup(s)
			mode := tt.mode
			if mode == "" {
				mode = ModeManage
			}
			o, err := engine(s, mode).Observe(context.Background())
			wantCalls := []string{"GetDataConnector", "FindSentinelAgent"}
			if tt.wantCallsFn != nil {
				wantCalls = tt.wantCallsFn(s)
			} else if tt.name == "connector of another kind" || tt.name == "connector without properties" {
				wantCalls = []string{"GetDataConnector"}
			}
			checkCalls(t, s, wantCalls...)
			if tt.wantErr != nil {
				tt.wantErr(t, err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (o.Agent != nil) != tt.wantAgent || (o.Connector != nil) != tt.wantConn || (o.AgentUnreadable != nil) != tt.unreadable {
				t.Errorf("observed agent %v, connector %v, unreadable %v", o.Agent, o.Connector, o.AgentUnreadable)
			}
			if o.Agent != nil && o.Agent.AgentType != cloudapps.AgentTypeSentinel {
				t.Errorf("a %s agent was taken for the Sentinel agent", o.Agent.AgentType)
			}
		})
	}
}

func TestCreate(t *testing.T) {
	prereqs := []string{"GetWorkspace", "SentinelOnboarded", "FindSentinelAgent", "ListDataConnectors"}
	withStreams := Desired{TenantID: tenantID, Alerts: true, Discovery: true, Streams: []string{streamA}}
	tests := []struct {
		name        string
		mode        Mode
		desired     Desired
		setup       func(*services)
		wantCalls   []string
		wantWritten bool
		check       func(*testing.T, *services, Observed, error)
	}{
		{
			name: "manage: nothing exists", desired: withStreams, wantWritten: true,
			wantCalls: append(slices.Clone(prereqs), "ListStreams", "CreateAgent", "PutDataConnector"),
			check: func(t *testing.T, s *services, o Observed, err error) {
				if err != nil || o.Agent == nil || o.Connector == nil {
					t.Fatalf("Create = %+v, %v", o, err)
				}
				a, _ := s.FindSentinelAgent(context.Background())
				if a.DisplayName != SentinelAgentDisplayName || !slices.Equal(a.DataTypes.DiscoveryLogs.Streams, []string{streamA}) {
					t.Errorf("agent created as %+v", a)
				}
				if !o.Props.AlertsEnabled() || !o.Props.DiscoveryLogsEnabled() || o.Props.TenantID != tenantID {
					t.Errorf("connector written as %+v", o.Props)
				}
			},
		},
		{
			name: "manage: a generic agent is left alone", desired: all, wantWritten: true,
			setup:     func(s *services) { s.agents = []cloudapps.Agent{genericAgent()} },
			wantCalls: append(slices.Clone(prereqs), "CreateAgent", "PutDataConnector"),
			check: func(t *testing.T, s *services, _ Observed, err error) {
				if err != nil || len(s.agents) != 2 || !reflect.DeepEqual(s.agents[0], genericAgent()) {
					t.Errorf("agents %+v, %v", s.agents, err)
				}
			},
		},
		{
			name: "workspace missing", desired: all, wantCalls: []string{"GetWorkspace"},
			setup: func(s *services) { s.fail["GetWorkspace"] = armError(404) },
			check: func(t *testing.T, _ *services, _ Observed, err error) {
				if e := checkErr[*WorkspaceNotFoundError](t, err); !strings.Contains(e.Error(), workspaceS) {
					t.Error(e)
				}
			},
		},
		{
			name: "workspace read fails", desired: all, wantCalls: []string{"GetWorkspace"},
			setup: func(s *services) { s.fail["GetWorkspace"] = armError(500) },
			check: func(t *testing.T, _ *services, _ Observed, err error) {
				if checkErr[*StepError](t, err).Step != "Reading the Log Analytics workspace" {
					t.Error(err)
				}
			},
		},
		{
			name: "Sentinel not enabled", desired: all, wantCalls: []string{"GetWorkspace", "SentinelOnboarded"},
			setup: func(s *services) { s.onboarded = false },
			check: func(t *testing.T, _ *services, _ Observed, err error) {
				if e := checkErr[*SentinelNotEnabledError](t, err); !strings.Contains(e.Error(), "does not have Microsoft Sentinel enabled") {
					t.Error(e)
				}
			},
		},
		{
			name: "onboarding state unreadable", desired: all, wantCalls: []string{"GetWorkspace", "SentinelOnboarded"},
			setup: func(s *services) { s.fail["SentinelOnboarded"] = armError(403) },
			check: func(t *testing.T, _ *services, _ Observed, err error) { _ = checkErr[*StepError](t, err) },
		},
		{
			name: "manage: the agent exists", desired: all, wantCalls: prereqs,
			setup: func(s *services) { s.agents = []cloudapps.Agent{sentinelAgent(true)} },
			check: func(t *testing.T, _ *services, _ Observed, err error) {
				e := checkErr[*ExistsError](t, err)
				if e.AgentID != agentID || e.ImportID != connectorID().String() || !strings.HasSuffix(e.Error(), "already exists") {
					t.Errorf("error %+v: %v", e, e)
				}
			},
		},
		{
			name: "the connector exists under another name", desired: all, wantCalls: prereqs,
			setup: func(s *services) {
				other := connector(tenantID, false)
				other.ID, other.Name = workspaceS+"/providers/Microsoft.SecurityInsights/dataConnectors/portal", "portal"
				s.connectors = []resourcemanager.DataConnector{*other}
				s.agents = []cloudapps.Agent{sentinelAgent(true)}
			},
			check: func(t *testing.T, _ *services, _ Observed, err error) {
				e := checkErr[*ExistsError](t, err)
				if !strings.HasSuffix(e.ImportID, "/portal") || e.AgentID == "" || len(e.ConnectorIDs) != 1 ||
					e.Error() != "the Sentinel SIEM agent "+e.AgentID+" in Defender for Cloud Apps and the data connector "+workspaceS+"/providers/Microsoft.SecurityInsights/dataConnectors/portal already exist" {
					t.Errorf("error %+v: %v", e, e)
				}
			},
		},
		{
			name: "observe: only the connector counts as existing", mode: ModeObserve, desired: all, wantCalls: prereqs,
			setup: func(s *services) {
				s.connector = connector(tenantID, true)
				s.agents = []cloudapps.Agent{sentinelAgent(true)}
			},
			check: func(t *testing.T, _ *services, _ Observed, err error) {
				if e := checkErr[*ExistsError](t, err); e.AgentID != "" || len(e.ConnectorIDs) != 1 {
					t.Errorf("error %+v", e)
				}
			},
		},
		{
			name: "connector name taken by another kind", desired: all, wantCalls: prereqs,
			setup: func(s *services) {
				s.connectors = []resourcemanager.DataConnector{{Name: tenantID, Kind: "Office365"}}
			},
			check: func(t *testing.T, _ *services, _ Observed, err error) {
				if e := checkErr[*ConnectorNameTakenError](t, err); e.Kind != "Office365" || !strings.Contains(e.Error(), "Office365") {
					t.Errorf("error %v", e)
				}
			},
		},
		{
			name: "connectors unlistable", desired: all, wantCalls: prereqs,
			setup: func(s *services) { s.fail["ListDataConnectors"] = armError(503) },
			check: func(t *testing.T, _ *services, _ Observed, err error) { _ = checkErr[*StepError](t, err) },
		},
		{
			name: "agents unlistable", desired: all, wantCalls: prereqs[:3],
			setup: func(s *services) { s.fail["FindSentinelAgent"] = cloudAppsError(503) },
			check: func(t *testing.T, _ *services, _ Observed, err error) {
				if checkErr[*StepError](t, err).Step != "Looking for an existing Sentinel SIEM agent" {
					t.Error(err)
				}
			},
		},
		{
			name: "manage: agent route absent", desired: all, wantCalls: prereqs[:3],
			setup: func(s *services) { s.fail["FindSentinelAgent"] = cloudAppsError(404) },
			check: func(t *testing.T, _ *services, _ Observed, err error) { _ = checkErr[*AgentRouteError](t, err) },
		},
		{
			name: "unknown stream", desired: Desired{TenantID: tenantID, Alerts: true, Discovery: true, Streams: []string{streamA, "5a4a1e4f5e0c2d0001f3e1ff"}},
			wantCalls: append(slices.Clone(prereqs), "ListStreams"),
			check: func(t *testing.T, _ *services, _ Observed, err error) {
				if e := checkErr[*UnknownStreamsError](t, err); !slices.Equal(e.IDs, []string{"5a4a1e4f5e0c2d0001f3e1ff"}) || !strings.Contains(e.Error(), "e1ff") {
					t.Errorf("error %v", e)
				}
			},
		},
		{
			name: "streams unlistable", desired: withStreams, wantCalls: append(slices.Clone(prereqs), "ListStreams"),
			setup: func(s *services) { s.fail["ListStreams"] = cloudAppsError(429) },
			check: func(t *testing.T, _ *services, _ Observed, err error) {
				if e := checkErr[*StepError](t, err); e.Step != "Listing discovery streams" || !cloudapps.IsThrottled(e) {
					t.Error(err)
				}
			},
		},
		{
			name: "manage: a Sentinel agent appears meanwhile (409)", desired: all, wantWritten: false,
			wantCalls: append(slices.Clone(prereqs), "CreateAgent"),
			setup:     func(s *services) { s.fail["CreateAgent"] = cloudAppsError(409) },
			check: func(t *testing.T, _ *services, _ Observed, err error) {
				e := checkErr[*ExistsError](t, err)
				if !e.AgentConflict || e.ImportID != connectorID().String() || !cloudapps.IsConflict(err) || MayHaveActed(err) ||
					!strings.Contains(e.Error(), "answered HTTP 409 to creating one") {
					t.Errorf("error %+v", e)
				}
			},
		},
		{
			name: "manage: agent writes not accepted (405)", desired: all, wantWritten: true,
			wantCalls: append(slices.Clone(prereqs), "CreateAgent"),
			setup:     func(s *services) { s.fail["CreateAgent"] = cloudAppsError(405) },
			check: func(t *testing.T, _ *services, o Observed, err error) {
				if e := checkErr[*AgentRouteError](t, err); e.StatusCode != 405 || e.Call != "creating the Sentinel SIEM agent" || MayHaveActed(err) || o.Connector != nil {
					t.Errorf("error %v, observed %+v", e, o)
				}
			},
		},
		{
			name: "manage: agent write refused (400)", desired: all, wantWritten: true,
			wantCalls: append(slices.Clone(prereqs), "CreateAgent"),
			setup:     func(s *services) { s.fail["CreateAgent"] = cloudAppsError(400) },
			check: func(t *testing.T, _ *services, _ Observed, err error) {
				if errors.As(err, new(*AgentRouteError)) || MayHaveActed(err) {
					t.Errorf("a refusal %v reads as a missing route or as maybe carried out", err)
				}
			},
		},
		{
			name: "manage: agent write times out", desired: all, wantWritten: true,
			wantCalls: append(slices.Clone(prereqs), "CreateAgent"),
			setup:     func(s *services) { s.fail["CreateAgent"] = errTimeout },
			check: func(t *testing.T, _ *services, _ Observed, err error) {
				if !MayHaveActed(err) {
					t.Errorf("a timeout %v reads as not carried out", err)
				}
			},
		},
		{
			name: "manage: agent write answer not understood", desired: all, wantWritten: true,
			wantCalls: append(slices.Clone(prereqs), "CreateAgent"),
			setup:     func(s *services) { s.fail["CreateAgent"] = errUnexpected },
			check: func(t *testing.T, _ *services, _ Observed, err error) {
				if e := checkErr[*AgentRouteError](t, err); e.StatusCode != 0 || !MayHaveActed(err) {
					t.Errorf("error %v", e)
				}
			},
		},
		{
			name: "manage: connector write fails after the agent (5xx)", desired: all, wantWritten: true,
			wantCalls: append(slices.Clone(prereqs), "CreateAgent", "PutDataConnector"),
			setup:     func(s *services) { s.fail["PutDataConnector"] = armError(503) },
			check: func(t *testing.T, _ *services, o Observed, err error) {
				if o.Agent == nil || o.Connector != nil || !MayHaveActed(err) {
					t.Errorf("observed %+v, %v: want the agent kept and the write maybe carried out", o, err)
				}
			},
		},
		{
			name: "observe: the agent was added in the portal", mode: ModeObserve, desired: withStreams, wantWritten: true,
			setup:     func(s *services) { s.agents = []cloudapps.Agent{sentinelAgent(true, streamA)} },
			wantCalls: append(slices.Clone(prereqs), "ListStreams", "PutDataConnector"),
			check: func(t *testing.T, _ *services, o Observed, err error) {
				if err != nil || o.Agent == nil || o.Connector == nil {
					t.Errorf("Create = %+v, %v", o, err)
				}
			},
		},
		{
			name: "observe: no agent yet: nothing is written", mode: ModeObserve, desired: withStreams,
			wantCalls: append(slices.Clone(prereqs), "ListStreams"),
			check: func(t *testing.T, s *services, _ Observed, err error) {
				e := checkErr[*PortalStepsError](t, err)
				if e.Agent != nil || !slices.Equal(e.Streams(), []string{`"Firewall" (` + streamA + `)`}) || s.connector != nil {
					t.Errorf("error %+v, streams %v", e, e.Streams())
				}
				if !strings.Contains(e.Error(), "no Sentinel SIEM agent") {
					t.Error(e)
				}
			},
		},
		{
			name: "observe: the agent forwards other streams", mode: ModeObserve, desired: all,
			setup:     func(s *services) { s.agents = []cloudapps.Agent{sentinelAgent(true, streamB)} },
			wantCalls: prereqs,
			check: func(t *testing.T, _ *services, _ Observed, err error) {
				e := checkErr[*PortalStepsError](t, err)
				if e.Agent == nil || len(e.Streams()) != 0 || !strings.Contains(e.Error(), agentID) {
					t.Errorf("error %+v", e)
				}
			},
		},
		{
			name: "observe: the stream names cannot be listed", mode: ModeObserve, desired: Desired{TenantID: tenantID, Discovery: true, Streams: []string{streamA}},
			setup: func(s *services) {
				s.agents = []cloudapps.Agent{sentinelAgent(false)}
				s.streams = nil
			},
			wantCalls: append(slices.Clone(prereqs), "ListStreams"),
			check: func(t *testing.T, _ *services, _ Observed, err error) {
				// The tenant lists no streams at all: the stream check refuses the id.
				_ = checkErr[*UnknownStreamsError](t, err)
			},
		},
		{
			name: "observe: the agent list does not answer as modeled", mode: ModeObserve, desired: all, wantWritten: true,
			setup:     func(s *services) { s.fail["FindSentinelAgent"] = cloudAppsError(501) },
			wantCalls: append(slices.Clone(prereqs), "PutDataConnector"),
			check: func(t *testing.T, _ *services, o Observed, err error) {
				if err != nil || o.AgentUnreadable == nil || o.Connector == nil {
					t.Errorf("Create = %+v, %v", o, err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServices()
			if tt.setup != nil {
				tt.setup(s)
			}
			mode := tt.mode
			if mode == "" {
				mode = ModeManage
			}
			o, written, err := engine(s, mode).Create(context.Background(), tt.desired)
			checkCalls(t, s, tt.wantCalls...)
			if written != tt.wantWritten {
				t.Errorf("written = %v, want %v", written, tt.wantWritten)
			}
			if mode == ModeObserve && slices.ContainsFunc(s.calls, func(c string) bool { return strings.Contains(c, "Agent:") || c == "CreateAgent" }) {
				t.Errorf("observe mode wrote to the agent route: %v", s.calls)
			}
			tt.check(t, s, o, err)
		})
	}
}

func TestConverge(t *testing.T) {
	streams := Desired{TenantID: tenantID, Alerts: false, Discovery: true, Streams: []string{streamB, streamA}}
	streams.Streams = NormalizeStreams(streams.Streams)
	tests := []struct {
		name      string
		mode      Mode
		desired   Desired
		setup     func(*services)
		wantCalls []string
		check     func(*testing.T, *services, Observed, error)
	}{
		{
			name: "manage: all converged", desired: all, wantCalls: nil,
			setup: func(s *services) {
				s.connector = connector(strings.ToUpper(tenantID), true)
				s.agents = []cloudapps.Agent{sentinelAgent(true)}
			},
		},
		{
			name: "manage: both halves edited", desired: streams,
			setup: func(s *services) {
				s.connector = connector(tenantID, false)
				s.agents = []cloudapps.Agent{genericAgent(), sentinelAgent(false)}
			},
			wantCalls: []string{"UpdateAgent:" + agentID, "PutDataConnector"},
			check: func(t *testing.T, s *services, o Observed, err error) {
				if err != nil || s.agents[1].DisplayName != "Sentinel (renamed)" || !reflect.DeepEqual(s.agents[0], genericAgent()) {
					t.Errorf("agents %+v, %v: the update must keep the portal's display name and leave the generic agent", s.agents, err)
				}
				if !slices.Equal(o.Agent.DataTypes.DiscoveryLogs.Streams, []string{streamA, streamB}) || o.Props.AlertsEnabled() {
					t.Errorf("observed %+v", o)
				}
			},
		},
		{
			name: "manage: agent gone", desired: all,
			setup:     func(s *services) { s.connector = connector(tenantID, true) },
			wantCalls: []string{"CreateAgent"},
		},
		{
			name: "manage: connector gone", desired: all,
			setup:     func(s *services) { s.agents = []cloudapps.Agent{sentinelAgent(true)} },
			wantCalls: []string{"PutDataConnector"},
		},
		{
			name: "manage: connector of another tenant", desired: all,
			setup: func(s *services) {
				s.connector = connector("c50d5e64-456e-44eb-a8b2-4badb6380e06", true)
				s.agents = []cloudapps.Agent{sentinelAgent(true)}
			},
			wantCalls: []string{"PutDataConnector"},
		},
		{
			name: "manage: agent update not accepted (501)", desired: streams,
			setup: func(s *services) {
				s.connector = connector(tenantID, true)
				s.agents = []cloudapps.Agent{sentinelAgent(true)}
				s.fail["UpdateAgent:"+agentID] = cloudAppsError(501)
			},
			wantCalls: []string{"UpdateAgent:" + agentID},
			check: func(t *testing.T, _ *services, o Observed, err error) {
				if e := checkErr[*AgentRouteError](t, err); e.StatusCode != 501 || o.Connector == nil || MayHaveActed(err) {
					t.Errorf("error %v, observed %+v", e, o)
				}
			},
		},
		{
			name: "manage: agent update fails (5xx)", desired: streams,
			setup: func(s *services) {
				s.agents = []cloudapps.Agent{sentinelAgent(true)}
				s.fail["UpdateAgent:"+agentID] = cloudAppsError(502)
			},
			wantCalls: []string{"UpdateAgent:" + agentID},
			check: func(t *testing.T, _ *services, _ Observed, err error) {
				if errors.As(err, new(*AgentRouteError)) || !MayHaveActed(err) {
					t.Errorf("error %v", err)
				}
			},
		},
		{
			name: "manage: the connector comes back of another kind", desired: all,
			setup: func(s *services) {
				s.agents = []cloudapps.Agent{sentinelAgent(true)}
				s.putKind = "Office365"
			},
			wantCalls: []string{"PutDataConnector"},
			check: func(t *testing.T, _ *services, o Observed, err error) {
				if err == nil || !strings.Contains(err.Error(), "Office365") || o.Connector != nil {
					t.Errorf("Converge = %+v, %v", o, err)
				}
			},
		},
		{
			name: "observe: connector converges, then the portal steps", mode: ModeObserve, desired: streams,
			setup: func(s *services) {
				s.connector = connector(tenantID, true)
				s.agents = []cloudapps.Agent{sentinelAgent(true, streamA)}
			},
			wantCalls: []string{"PutDataConnector", "ListStreams"},
			check: func(t *testing.T, _ *services, o Observed, err error) {
				e := checkErr[*PortalStepsError](t, err)
				if o.Connector == nil || o.Props.AlertsEnabled() || len(e.Streams()) != 2 || !strings.Contains(e.Streams()[1], "Proxy") {
					t.Errorf("observed %+v, steps %v", o, e.Streams())
				}
			},
		},
		{
			name: "observe: agent gone, connector converged", mode: ModeObserve, desired: all,
			setup:     func(s *services) { s.connector = connector(tenantID, true) },
			wantCalls: nil,
			check: func(t *testing.T, _ *services, _ Observed, err error) {
				if e := checkErr[*PortalStepsError](t, err); e.Agent != nil {
					t.Errorf("steps %+v", e)
				}
			},
		},
		{
			name: "observe: connector write fails", mode: ModeObserve, desired: all,
			setup:     func(s *services) { s.fail["PutDataConnector"] = armError(400) },
			wantCalls: []string{"PutDataConnector"},
			check: func(t *testing.T, _ *services, _ Observed, err error) {
				if checkErr[*resourcemanager.Error](t, err).StatusCode != 400 || MayHaveActed(err) {
					t.Error(err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServices()
			tt.setup(s)
			mode := tt.mode
			if mode == "" {
				mode = ModeManage
			}
			e := engine(s, mode)
			o, err := e.Observe(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			s.calls = nil
			o, err = e.Converge(context.Background(), tt.desired, o)
			checkCalls(t, s, tt.wantCalls...)
			if tt.check != nil {
				tt.check(t, s, o, err)
			} else if err != nil {
				t.Fatal(err)
			}
			if mode == ModeObserve && slices.ContainsFunc(s.calls, func(c string) bool { return strings.Contains(c, "Agent") }) {
				t.Errorf("observe mode wrote to the agent route: %v", s.calls)
			}
			if err == nil && (!AgentMatches(o.Agent, tt.desired) || !ConnectorMatches(o.Props, tt.desired)) {
				t.Errorf("converged to %+v", o)
			}
		})
	}
}

// TestUpdate: the connector gone and another Cloud Apps connector in the workspace (made in the portal)
// ends the update before any write; without one, the update converges.
func TestUpdate(t *testing.T) {
	other := *connector(tenantID, true)
	other.ID, other.Name = workspaceS+"/providers/Microsoft.SecurityInsights/dataConnectors/portal-made", "portal-made"
	aad := resourcemanager.DataConnector{ID: workspaceS + "/providers/Microsoft.SecurityInsights/dataConnectors/aad", Name: "aad", Kind: "AzureActiveDirectory"}

	s := newServices()
	s.agents = []cloudapps.Agent{sentinelAgent(true)}
	s.connectors = []resourcemanager.DataConnector{aad, other}
	_, observed, err := engine(s, ModeManage).Update(context.Background(), all)
	checkCalls(t, s, "GetDataConnector", "FindSentinelAgent", "ListDataConnectors")
	e := checkErr[*OtherConnectorError](t, err)
	if !observed || e.Other != other.ID || e.OtherName != "portal-made" || !strings.Contains(e.Error(), "is gone") || !strings.Contains(e.Error(), other.ID) {
		t.Errorf("Update = %v, observed %v", e, observed)
	}

	s = newServices()
	s.agents = []cloudapps.Agent{sentinelAgent(true)}
	s.connectors = []resourcemanager.DataConnector{aad}
	o, observed, err := engine(s, ModeManage).Update(context.Background(), all)
	checkCalls(t, s, "GetDataConnector", "FindSentinelAgent", "ListDataConnectors", "PutDataConnector")
	if err != nil || !observed || o.Connector == nil {
		t.Errorf("Update = %+v, %v, %v", o, observed, err)
	}

	s = newServices()
	s.fail["ListDataConnectors"] = armError(503)
	if _, _, err := engine(s, ModeManage).Update(context.Background(), all); checkErr[*StepError](t, err).Step != "Listing the workspace's data connectors" {
		t.Error(err)
	}
	s = newServices()
	s.fail["GetDataConnector"] = armError(503)
	if _, observed, err := engine(s, ModeManage).Update(context.Background(), all); observed || err == nil {
		t.Errorf("Update = %v, %v; want the failed observation", observed, err)
	}
}

func TestAfterFailure(t *testing.T) {
	s := newServices()
	s.agents = []cloudapps.Agent{sentinelAgent(true)}
	partial := Observed{Connector: connector(tenantID, true)}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // Terraform is stopping: the look still happens, on a context of its own.
	o, fresh := engine(s, ModeManage).AfterFailure(ctx, partial)
	if !fresh || o.Agent == nil || o.Connector != nil {
		t.Errorf("AfterFailure = %+v, %v; want a fresh observation", o, fresh)
	}
	s.fail["GetDataConnector"] = armError(503)
	o, fresh = engine(s, ModeManage).AfterFailure(context.Background(), partial)
	if fresh || o.Connector != partial.Connector {
		t.Errorf("AfterFailure = %+v, %v; want what the write knew", o, fresh)
	}
}

func TestDelete(t *testing.T) {
	tests := []struct {
		name          string
		mode          Mode
		agentID       string
		setup         func(*services)
		wantCalls     []string
		wantAgentLeft bool
		wantStep      string
	}{
		{name: "manage: both", agentID: agentID, setup: func(s *services) {
			s.connector = connector(tenantID, true)
			s.agents = []cloudapps.Agent{genericAgent(), sentinelAgent(true)}
		}, wantCalls: []string{"DeleteDataConnector", "DeleteAgent:" + agentID}},
		{name: "manage: both already gone", agentID: agentID, wantCalls: []string{"DeleteDataConnector", "DeleteAgent:" + agentID}},
		{name: "manage: no agent known", wantCalls: []string{"DeleteDataConnector"}},
		{name: "connector delete fails", agentID: agentID, setup: func(s *services) { s.fail["DeleteDataConnector"] = armError(409) },
			wantCalls: []string{"DeleteDataConnector"}, wantStep: "Deleting the Microsoft Sentinel data connector"},
		{name: "manage: agent delete not accepted", agentID: agentID, setup: func(s *services) { s.fail["DeleteAgent:"+agentID] = cloudAppsError(405) },
			wantCalls: []string{"DeleteDataConnector", "DeleteAgent:" + agentID}, wantStep: "Deleting the Sentinel SIEM agent in Defender for Cloud Apps"},
		{name: "observe: the agent is left", mode: ModeObserve, agentID: agentID, setup: func(s *services) {
			s.connector = connector(tenantID, true)
			s.agents = []cloudapps.Agent{sentinelAgent(true)}
		}, wantCalls: []string{"DeleteDataConnector"}, wantAgentLeft: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServices()
			if tt.setup != nil {
				tt.setup(s)
			}
			mode := tt.mode
			if mode == "" {
				mode = ModeManage
			}
			left, err := engine(s, mode).Delete(context.Background(), tt.agentID)
			checkCalls(t, s, tt.wantCalls...)
			if left != tt.wantAgentLeft {
				t.Errorf("agentLeft = %v", left)
			}
			if tt.wantStep == "" {
				if err != nil {
					t.Fatal(err)
				}
				if s.connector != nil || (mode == ModeManage && len(s.agents) > 1) {
					t.Errorf("left behind: %+v, %+v", s.connector, s.agents)
				}
				return
			}
			if e := checkErr[*StepError](t, err); e.Step != tt.wantStep || !strings.HasPrefix(e.Error(), tt.wantStep) {
				t.Errorf("error %v", e)
			}
			if mode == ModeManage && strings.Contains(tt.wantStep, "agent") {
				_ = checkErr[*AgentRouteError](t, err)
			}
		})
	}
}

func TestStreams(t *testing.T) {
	if NormalizeStreams(nil) != nil || NormalizeStreams([]string{}) != nil {
		t.Error("an empty filter must mean all streams (nil)")
	}
	if got := NormalizeStreams([]string{streamB, streamA, streamB}); !slices.Equal(got, []string{streamA, streamB}) {
		t.Errorf("NormalizeStreams = %v", got)
	}
	if !SameStreams([]string{strings.ToUpper(streamA), streamB}, []string{streamB, streamA}) || SameStreams(nil, []string{streamA}) {
		t.Error("SameStreams compares sets of ids case-insensitively, nil meaning all")
	}
	steps := &PortalStepsError{Desired: Desired{Streams: []string{streamA, streamB}}, StreamNames: map[string]string{streamA: "Firewall"}}
	if got := steps.Streams(); !slices.Equal(got, []string{`"Firewall" (` + streamA + `)`, streamB}) {
		t.Errorf("Streams = %v", got)
	}
}

package cloudapps

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/internal/pipeline"
)

// AgentTypeSentinel is the agent type of the Microsoft Sentinel SIEM agent.
// Agents of other types (such as "generic") do not belong to the provider.
const AgentTypeSentinel = "sentinel"

const agentsPath = "/api/v1/agents/siem/"

// Agent is a SIEM agent.
type Agent struct {
	// ID is the agent's id, 24 hexadecimal characters (read-only).
	ID string `json:"_id"`
	// AgentType is [AgentTypeSentinel] or "generic".
	AgentType string `json:"agentType"`
	// DisplayName is the name shown in the portal.
	DisplayName string `json:"displayName"`
	// DataTypes are the data the agent sends.
	DataTypes AgentDataTypes `json:"dataTypes"`
	// Created and LastModified are epoch milliseconds (read-only).
	Created      int64 `json:"created"`
	LastModified int64 `json:"lastModified"`
}

// AgentDataTypes are the data types a SIEM agent sends.
type AgentDataTypes struct {
	// Alerts is always true for a Sentinel agent.
	Alerts bool `json:"alerts"`
	// DiscoveryLogs configures the Cloud Discovery logs.
	DiscoveryLogs DiscoveryLogs `json:"discoveryLogs"`
}

// DiscoveryLogs configures the Cloud Discovery logs a SIEM agent sends.
type DiscoveryLogs struct {
	// Enabled turns the discovery logs on.
	Enabled bool `json:"enabled"`
	// Streams are the ids of the streams sent; empty means all streams.
	Streams []string `json:"streams"`
}

// agentBody is what the client sends when creating or updating an agent: the
// writable fields only, with an empty stream list sent as [].
type agentBody struct {
	AgentType   string         `json:"agentType"`
	DisplayName string         `json:"displayName"`
	DataTypes   AgentDataTypes `json:"dataTypes"`
}

func newAgentBody(a Agent) agentBody {
	body := agentBody{AgentType: a.AgentType, DisplayName: a.DisplayName, DataTypes: a.DataTypes}
	if body.DataTypes.DiscoveryLogs.Streams == nil {
		body.DataTypes.DiscoveryLogs.Streams = []string{}
	}
	return body
}

// ErrUnexpectedAnswer is matched (with errors.Is) by the error for a success answer of the SIEM
// agent route that the client cannot understand: not JSON, no agent list, an agent without a valid id.
// The route is modeled on an undocumented API, so such an answer means the tenant's API differs.
var ErrUnexpectedAnswer = errors.New("unexpected answer from the SIEM agent route")

// unexpectedAnswer marks an error as [ErrUnexpectedAnswer] without changing its text.
type unexpectedAnswer struct{ error }

func (e unexpectedAnswer) Unwrap() error        { return e.error }
func (e unexpectedAnswer) Is(target error) bool { return target == ErrUnexpectedAnswer }

// ListAgents returns every SIEM agent of the tenant, of every type, paging
// with skip and limit=100 while the service reports more. Microsoft's MCAS PowerShell module reads the
// list from "data" (the envelope of every Cloud Apps list); a bare array and an "agents" field are
// accepted too, as the route is not documented (see [decodePage]). Unknown fields are ignored.
func (c *Client) ListAgents(ctx context.Context) ([]Agent, error) {
	const op = "listing SIEM agents"
	return listAll(op, "agent", func(a Agent) string { return a.ID }, func(query string) ([]Agent, bool, error) {
		resp, err := c.send(ctx, op, http.MethodGet, agentsPath+"?"+query, nil, http.StatusOK)
		if err != nil {
			return nil, false, err
		}
		agents, hasNext, err := decodePage[Agent](op, resp, "agent", "data", "agents")
		if err != nil {
			return nil, false, unexpectedAnswer{err}
		}
		return agents, hasNext, nil
	})
}

// CreateAgent creates a SIEM agent from a's writable fields and returns the
// agent the service created. When a Sentinel agent already exists the error
// satisfies [IsConflict]. Creating is not idempotent, so the request is
// retried only after HTTP 429; after any other failure the caller finds out
// whether the agent was created with [Client.FindSentinelAgent].
func (c *Client) CreateAgent(ctx context.Context, a Agent) (*Agent, error) {
	const op = "creating SIEM agent"
	resp, err := c.send(c.withoutAmbiguousRetries(ctx), op, http.MethodPost, agentsPath, newAgentBody(a), http.StatusCreated, http.StatusOK)
	if err != nil {
		return nil, err
	}
	return decodeAgent(op, resp)
}

// UpdateAgent replaces the writable fields of a SIEM agent and returns the
// agent as the service stored it. When it does not exist the error satisfies
// [IsNotFound].
func (c *Client) UpdateAgent(ctx context.Context, id string, a Agent) (*Agent, error) {
	op := fmt.Sprintf("updating SIEM agent %s", id)
	if err := validateAgentID(op, id); err != nil {
		return nil, err
	}
	resp, err := c.send(ctx, op, http.MethodPut, agentsPath+url.PathEscape(id)+"/", newAgentBody(a), http.StatusOK)
	if err != nil {
		return nil, err
	}
	return decodeAgent(op, resp)
}

// DeleteAgent deletes a SIEM agent. When it does not exist the error
// satisfies [IsNotFound].
func (c *Client) DeleteAgent(ctx context.Context, id string) error {
	op := fmt.Sprintf("deleting SIEM agent %s", id)
	if err := validateAgentID(op, id); err != nil {
		return err
	}
	resp, err := c.send(ctx, op, http.MethodDelete, agentsPath+url.PathEscape(id)+"/", nil, http.StatusNoContent, http.StatusOK)
	if err != nil {
		return err
	}
	return pipeline.CheckOptionalJSON(op, resp)
}

// FindSentinelAgent lists the agents and returns the tenant's Sentinel
// agent, or nil when there is none. More than one Sentinel agent, which the
// service does not allow, is an error.
func (c *Client) FindSentinelAgent(ctx context.Context) (*Agent, error) {
	agents, err := c.ListAgents(ctx)
	if err != nil {
		return nil, err
	}
	var found []Agent
	for _, a := range agents {
		if strings.EqualFold(a.AgentType, AgentTypeSentinel) {
			found = append(found, a)
		}
	}
	switch len(found) {
	case 0:
		return nil, nil
	case 1:
		if !agentIDPattern.MatchString(found[0].ID) {
			return nil, unexpectedAnswer{fmt.Errorf("finding the Sentinel SIEM agent: the service lists it with the id %q, which is not 24 hexadecimal characters", found[0].ID)}
		}
		return &found[0], nil
	default:
		ids := make([]string, len(found))
		for i, a := range found {
			ids[i] = a.ID
		}
		return nil, fmt.Errorf("finding the Sentinel SIEM agent: the tenant has %d Sentinel agents (%s) where at most one is expected; delete the extra ones in the portal under Settings > Cloud Apps > System > SIEM agents", len(found), strings.Join(ids, ", "))
	}
}

func decodeAgent(op string, resp *http.Response) (*Agent, error) {
	var a Agent
	if err := pipeline.DecodeJSON(op, resp, &a); err != nil {
		return nil, unexpectedAnswer{err}
	}
	switch {
	case a.ID == "":
		return nil, unexpectedAnswer{fmt.Errorf("%s: the HTTP %d answer holds no agent id (\"_id\"); expected the agent", op, resp.StatusCode)}
	case !agentIDPattern.MatchString(a.ID):
		return nil, unexpectedAnswer{fmt.Errorf("%s: the HTTP %d answer holds the agent id %q, which is not 24 hexadecimal characters", op, resp.StatusCode, a.ID)}
	}
	return &a, nil
}

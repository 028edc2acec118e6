package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/resourcemanager"
	"github.com/mcas-terraform/terraform-provider-mcas/internal/provider/reconcile"
)

// Enabling Microsoft Sentinel on a workspace is eventually consistent: right after it is enabled (for
// example by azurerm_sentinel_log_analytics_workspace_onboarding in the same apply) the onboarding
// state may still answer 404, which the azurerm provider polls through after its own PUT, and data
// connector writes may still be refused. A create therefore waits for both, with back-off, within its
// timeout, before it reports that Sentinel is not enabled.

// onboardingWait is how a create waits for Sentinel's onboarding to take effect: the first pause, the
// longest pause (each pause doubles up to it), and the longest wait in all.
type onboardingWait struct {
	first, max, limit time.Duration
}

// defaultOnboardingWait waits 2 s, then 4, 8 and 15 s between looks, for at most 5 minutes: long enough
// for the onboarding to propagate, short enough that a workspace without Sentinel is reported soon.
var defaultOnboardingWait = onboardingWait{first: 2 * time.Second, max: 15 * time.Second, limit: 5 * time.Minute}

// await calls attempt until it reports done or fails, pausing between calls, and logs each pause. It
// stops waiting, reporting not done, when the next call would come after the wait's limit or after
// ctx's deadline (the create's timeout), and fails when ctx is cancelled while it pauses.
func (w onboardingWait) await(ctx context.Context, what string, attempt func() (bool, error)) (bool, error) {
	start := time.Now()
	pause := w.first
	for n := 1; ; n++ {
		done, err := attempt()
		if done || err != nil {
			return done, err
		}
		next := time.Now().Add(pause)
		deadline, hasDeadline := ctx.Deadline()
		if pause <= 0 || next.After(start.Add(w.limit)) || (hasDeadline && next.After(deadline)) {
			tflog.Warn(ctx, "Gave up waiting for Microsoft Sentinel's onboarding to take effect", map[string]any{
				"waiting_for": what, "attempts": n, "waited": time.Since(start).Round(time.Millisecond).String(),
			})
			return false, nil
		}
		tflog.Info(ctx, "Waiting for Microsoft Sentinel's onboarding to take effect", map[string]any{
			"waiting_for": what, "attempt": n, "next_attempt_in": pause.String(), "waited": time.Since(start).Round(time.Millisecond).String(),
		})
		timer := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			timer.Stop()
			return false, fmt.Errorf("cancelled while waiting for %s (%w); run the operation again", what, ctx.Err())
		case <-timer.C:
		}
		pause = min(2*pause, w.max)
	}
}

// waitingConnectors are the engine's Resource Manager calls during a create: the two that Sentinel's
// onboarding delays wait for it to take effect.
type waitingConnectors struct {
	reconcile.Connectors
	wait onboardingWait
}

// SentinelOnboarded reports whether Microsoft Sentinel is enabled on the workspace; an absent
// onboarding state is read again, with back-off, until it appears or the wait is over.
func (c waitingConnectors) SentinelOnboarded(ctx context.Context, ws resourcemanager.WorkspaceID) (bool, error) {
	return c.wait.await(ctx, "the onboarding state of workspace "+ws.String(), func() (bool, error) {
		return c.Connectors.SentinelOnboarded(ctx, ws)
	})
}

// PutDataConnector creates or updates a data connector; a write that Sentinel refuses because its
// onboarding has not taken effect yet is sent again, with back-off, until it is accepted or the wait is
// over, and then the last refusal is returned.
func (c waitingConnectors) PutDataConnector(ctx context.Context, id resourcemanager.DataConnectorID, dc resourcemanager.DataConnector) (*resourcemanager.DataConnector, error) {
	var written *resourcemanager.DataConnector
	var refused error
	done, err := c.wait.await(ctx, "data connector writes to workspace "+id.Workspace.String(), func() (bool, error) {
		var err error
		written, err = c.Connectors.PutDataConnector(ctx, id, dc)
		if isNotOnboarded(err) {
			refused = err
			return false, nil
		}
		return err == nil, err
	})
	if !done && err == nil {
		err = refused
	}
	return written, err
}

// isNotOnboarded reports whether err is Resource Manager refusing a data connector request because
// Microsoft Sentinel is not (yet) enabled on the workspace: an HTTP 400 whose message speaks of
// onboarding. Microsoft does not document the wording; the fake API server answers "The workspace ...
// is not onboarded to Microsoft Sentinel".
func isNotOnboarded(err error) bool {
	var armErr *resourcemanager.Error
	return errors.As(err, &armErr) && armErr.StatusCode == http.StatusBadRequest && strings.Contains(strings.ToLower(armErr.Message), "onboard")
}

package loganalytics

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/monitor/query/azlogs"
)

// Tables the integration writes into and the product name of its alerts, from Microsoft's page on
// the integration.
const (
	// TableDiscoveryLogs holds the discovery logs of the forwarded streams.
	TableDiscoveryLogs = "McasShadowItReporting"
	// TableAlerts holds the alerts of every product connected to Microsoft Sentinel.
	TableAlerts = "SecurityAlert"
	// CloudAppsProductName is the ProductName of Defender for Cloud Apps alerts in SecurityAlert.
	CloudAppsProductName = "Microsoft Cloud App Security"
)

// Bounds of a lookback: whole seconds, from a minute to 730 days, the longest interactive retention
// a Log Analytics workspace can be set to (our bound: older data is no longer in the tables a query
// reads, and the workspace's own retention may be shorter).
const (
	MinLookback = time.Minute
	MaxLookback = 730 * 24 * time.Hour
)

// CheckLookback says what is wrong with a lookback, or returns nil.
func CheckLookback(d time.Duration) error {
	switch {
	case d < MinLookback:
		return fmt.Errorf("%s is shorter than the minimum of %s", d, MinLookback)
	case d > MaxLookback:
		return fmt.Errorf("%s is longer than 730 days (17520h), the longest interactive retention of a workspace", d)
	case d%time.Second != 0:
		return fmt.Errorf("%s is not a whole number of seconds", d)
	}
	return nil
}

// kqlTimespan writes a lookback as a KQL timespan literal in its largest whole unit, such as 24h.
func kqlTimespan(d time.Duration) string {
	for _, u := range []struct {
		unit   time.Duration
		suffix string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}} {
		if d%u.unit == 0 {
			return fmt.Sprintf("%d%s", d/u.unit, u.suffix)
		}
	}
	return fmt.Sprintf("%ds", d/time.Second)
}

// isoDuration writes a lookback as the ISO 8601 duration of the API's timespan, such as PT86400S.
func isoDuration(d time.Duration) string {
	return fmt.Sprintf("PT%dS", d/time.Second)
}

// DiscoveryLogsQuery is the KQL that counts the discovery logs of the last lookback per stream.
func DiscoveryLogsQuery(lookback time.Duration) string {
	return TableDiscoveryLogs + "\n" +
		"| where TimeGenerated > ago(" + kqlTimespan(lookback) + ")\n" +
		"| summarize count(), max(TimeGenerated) by StreamName"
}

// AlertsQuery is the KQL that counts the Defender for Cloud Apps alerts of the last lookback.
func AlertsQuery(lookback time.Duration) string {
	return TableAlerts + "\n" +
		"| where TimeGenerated > ago(" + kqlTimespan(lookback) + ") and ProductName == \"" + CloudAppsProductName + "\"\n" +
		"| summarize count(), max(TimeGenerated)"
}

// Figures are the rows of a source within the lookback and the time of its newest row (nil when
// there is none).
type Figures struct {
	Rows         int64
	LastReceived *time.Time
}

// Answer is what the service said about a query besides its figures.
type Answer struct {
	// AnsweredAt is the service's time of the answer (its Date header), or the client's clock when
	// the answer had none.
	AnsweredAt time.Time
	// Partial is set when the service could answer only part of the query: the figures may be low.
	Partial *PartialError
	// TableMissing is set when the query API says the workspace has no such table (in our model,
	// because no data of that kind has arrived yet); the figures are then zero.
	TableMissing bool
}

// DiscoveryLogs are the figures of McasShadowItReporting: in all and per stream name.
type DiscoveryLogs struct {
	Figures
	Streams map[string]Figures
	Answer
}

// Alerts are the figures of the Defender for Cloud Apps alerts in SecurityAlert.
type Alerts struct {
	Figures
	Answer
}

// DiscoveryLogs counts the discovery logs a workspace (by customer id) received in the last
// lookback, per stream, with one query.
func (c *Client) DiscoveryLogs(ctx context.Context, workspace string, lookback time.Duration) (*DiscoveryLogs, error) {
	const op = "counting the discovery logs in " + TableDiscoveryLogs
	table, answer, err := c.query(ctx, op, workspace, TableDiscoveryLogs, DiscoveryLogsQuery(lookback), lookback)
	if err != nil {
		return nil, err
	}
	out := &DiscoveryLogs{Streams: map[string]Figures{}, Answer: answer}
	if answer.TableMissing {
		return out, nil
	}
	cols, err := columns(table, "StreamName", "count_", "max_TimeGenerated")
	if err != nil {
		return nil, fmt.Errorf("%s of workspace %s: %w", op, workspace, err)
	}
	for i, row := range table.Rows {
		if len(row) <= max(cols[0], cols[1], cols[2]) {
			return nil, fmt.Errorf("%s of workspace %s: row %d of the answer has %d values, fewer than its columns", op, workspace, i, len(row))
		}
		name, ok := row[cols[0]].(string)
		if !ok {
			return nil, fmt.Errorf("%s of workspace %s: row %d has a StreamName that is not a string: %v", op, workspace, i, row[cols[0]])
		}
		f, err := figures(row[cols[1]], row[cols[2]])
		if err != nil {
			return nil, fmt.Errorf("%s of workspace %s: row %d (stream %q): %w", op, workspace, i, name, err)
		}
		if prev, seen := out.Streams[name]; seen {
			// Rows with the same name (which KQL groups together) are added up rather than lost.
			f = Figures{Rows: prev.Rows + f.Rows, LastReceived: later(prev.LastReceived, f.LastReceived)}
		}
		out.Streams[name] = f
	}
	for _, f := range out.Streams {
		out.Rows += f.Rows
		out.LastReceived = later(out.LastReceived, f.LastReceived)
	}
	return out, nil
}

// CloudAppsAlerts counts the Defender for Cloud Apps alerts a workspace (by customer id) received in
// the last lookback, with one query.
func (c *Client) CloudAppsAlerts(ctx context.Context, workspace string, lookback time.Duration) (*Alerts, error) {
	const op = "counting the Defender for Cloud Apps alerts in " + TableAlerts
	table, answer, err := c.query(ctx, op, workspace, TableAlerts, AlertsQuery(lookback), lookback)
	if err != nil {
		return nil, err
	}
	out := &Alerts{Answer: answer}
	if answer.TableMissing {
		return out, nil
	}
	cols, err := columns(table, "count_", "max_TimeGenerated")
	if err != nil {
		return nil, fmt.Errorf("%s of workspace %s: %w", op, workspace, err)
	}
	switch n := len(table.Rows); {
	case n == 0 && answer.Partial != nil:
		// The part of the query that failed took the one row with it.
		return out, nil
	case n != 1:
		return nil, fmt.Errorf("%s of workspace %s: the answer has %d rows; a summarize without 'by' answers exactly one", op, workspace, n)
	case len(table.Rows[0]) <= max(cols[0], cols[1]):
		return nil, fmt.Errorf("%s of workspace %s: the row of the answer has fewer values than its columns", op, workspace)
	}
	if out.Figures, err = figures(table.Rows[0][cols[0]], table.Rows[0][cols[1]]); err != nil {
		return nil, fmt.Errorf("%s of workspace %s: %w", op, workspace, err)
	}
	return out, nil
}

// columns returns the indexes of the named columns of a result table.
func columns(t *azlogs.Table, names ...string) ([]int, error) {
	idx := make([]int, len(names))
	for i, name := range names {
		idx[i] = -1
		for j, c := range t.Columns {
			if c.Name != nil && *c.Name == name {
				idx[i] = j
				break
			}
		}
		if idx[i] < 0 {
			var got []string
			for _, c := range t.Columns {
				if c.Name != nil {
					got = append(got, *c.Name)
				}
			}
			return nil, fmt.Errorf("the answer has no column %q (columns: %v); it does not answer the query that was sent", name, got)
		}
	}
	return idx, nil
}

// figures reads a count and a newest time from a row.
func figures(count, newest any) (Figures, error) {
	n, ok := count.(float64)
	if !ok || n < 0 || n != math.Trunc(n) || n > math.MaxInt64 {
		return Figures{}, fmt.Errorf("the count %v is not a whole number", count)
	}
	f := Figures{Rows: int64(n)}
	switch v := newest.(type) {
	case nil:
	case string:
		if v == "" {
			break
		}
		at, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return Figures{}, fmt.Errorf("the newest time %q is not an RFC 3339 time", v)
		}
		at = at.UTC()
		f.LastReceived = &at
	default:
		return Figures{}, fmt.Errorf("the newest time %v is not a time", newest)
	}
	if f.Rows > 0 && f.LastReceived == nil {
		return Figures{}, fmt.Errorf("%d rows came without the time of the newest one", f.Rows)
	}
	return f, nil
}

// later returns the later of two optional times.
func later(a, b *time.Time) *time.Time {
	switch {
	case a == nil:
		return b
	case b == nil || a.After(*b):
		return a
	}
	return b
}

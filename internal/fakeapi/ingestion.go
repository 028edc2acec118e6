package fakeapi

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"time"
)

// The ingestion world: what the integration writes into a workspace's Log Analytics tables.
//
// The seed document (Microsoft's page on the integration) says that discovery logs land in
// McasShadowItReporting and alerts in SecurityAlert, and that new discovery logs usually appear
// within 15 minutes. How often rows arrive and what they hold beyond the documented schema is our
// model: the fake records, on its own clock, when each stream starts and stops being forwarded into
// a workspace (an ingestion period), and generates rows lazily and deterministically from those
// periods whenever a query reads a table. Nothing runs in the background, so a test moves time with
// AdvanceClock instead of sleeping.

// Tables of the ingestion world.
const (
	// TableMcasShadowItReporting holds the discovery logs of the forwarded streams.
	TableMcasShadowItReporting = "McasShadowItReporting"
	// TableSecurityAlert holds the alerts of every product connected to Microsoft Sentinel.
	TableSecurityAlert = "SecurityAlert"
)

// Products whose alerts the fake writes to SecurityAlert.
const (
	// ProductCloudAppSecurity is the ProductName of Defender for Cloud Apps alerts.
	ProductCloudAppSecurity = "Microsoft Cloud App Security"
	// productIdentityProtection is the ProductName of the alerts of the AzureActiveDirectory data
	// connector that the default world's workspaces have, so that SecurityAlert holds other products'
	// rows as a real workspace does.
	productIdentityProtection = "Azure Active Directory Identity Protection"
)

// DefaultIngestionDelay is the time between the start of forwarding and the first rows: the seed
// document's "usually within 15 minutes".
const DefaultIngestionDelay = 15 * time.Minute

// Cadences of the generated rows (our model): a batch of discovery rows per stream every 5 minutes,
// a Defender for Cloud Apps alert every 40 minutes, an Identity Protection alert every 90 minutes.
const (
	discoveryBatchInterval = 5 * time.Minute
	cloudAppsAlertInterval = 40 * time.Minute
	identityAlertInterval  = 90 * time.Minute
)

// ingestionPeriod is a time during which one source wrote into one table of a workspace: a forwarded
// stream into McasShadowItReporting, or a product's alerts into SecurityAlert.
type ingestionPeriod struct {
	table      string
	product    string // SecurityAlert only
	streamID   string // McasShadowItReporting only
	streamName string
	from       time.Time
	to         time.Time // zero while the period is open
}

// key identifies the source of a period.
func (p *ingestionPeriod) key() string {
	return p.table + "\x00" + p.product + "\x00" + p.streamID + "\x00" + p.streamName
}

// nowLocked is the fake's clock: the real time moved forward by AdvanceClock. The caller holds s.mu.
func (s *Server) nowLocked() time.Time {
	return time.Now().Add(s.clockOffset).UTC()
}

// Now returns the time of the fake's clock, which governs the ingestion world (when rows are written,
// their TimeGenerated, ago() in queries and the Date header of query answers) and the delays of
// EnableSentinel. Tokens and every other timestamp of the server follow the real clock.
func (s *Server) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nowLocked()
}

// AdvanceClock moves the fake's clock forward by d (which must not be negative) and returns the new
// time, so a test sees the rows that d of ingestion would write, without waiting.
func (s *Server) AdvanceClock(d time.Duration) (time.Time, error) {
	if d < 0 {
		return time.Time{}, fmt.Errorf("the clock only moves forward: %s is negative", d)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clockOffset += d
	return s.nowLocked(), nil
}

// IngestionDelay returns the time between the start of forwarding and the first rows.
func (s *Server) IngestionDelay() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ingestionDelay
}

// SetIngestionDelay sets the time between the start of forwarding and the first rows (not negative).
// Rows are generated when they are queried, so the delay applies to every period, past ones included.
func (s *Server) SetIngestionDelay(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("the ingestion delay %s is negative", d)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ingestionDelay = d
	return nil
}

// observeIngestion compares what each workspace of a tenant receives at now with its open ingestion
// periods, closing those that stopped and opening those that started. It runs after every change to
// the tenant's streams, SIEM agents, workspaces or data connectors, for that tenant only, which is all
// that the change can affect: a workspace receives only its own tenant's data. The caller holds s.mu.
func (t *tenant) observeIngestion(now time.Time) {
	agent := t.sentinelAgent()
	for _, ws := range t.workspaces {
		want := map[string]*ingestionPeriod{}
		add := func(p *ingestionPeriod) { want[p.key()] = p }
		if ws.sentinel {
			for _, c := range ws.connectors {
				switch c.kind {
				case KindMicrosoftCloudAppSecurity:
					if agent == nil || c.props.tenantID != t.id {
						continue
					}
					if agent.Alerts && c.props.enabled["alerts"] {
						add(&ingestionPeriod{table: TableSecurityAlert, product: ProductCloudAppSecurity})
					}
					if agent.DiscoveryLogsEnabled && c.props.enabled["discoveryLogs"] {
						for _, st := range t.forwardedStreams(agent) {
							add(&ingestionPeriod{table: TableMcasShadowItReporting, streamID: st.ID, streamName: st.DisplayName})
						}
					}
				case "AzureActiveDirectory":
					if c.props.enabled["alerts"] {
						add(&ingestionPeriod{table: TableSecurityAlert, product: productIdentityProtection})
					}
				}
			}
		}
		open := map[string]bool{}
		for _, p := range ws.ingestion {
			if !p.to.IsZero() {
				continue
			}
			if want[p.key()] == nil {
				p.to = now
				continue
			}
			open[p.key()] = true
		}
		for k, p := range want {
			if !open[k] {
				p.from = now
				ws.ingestion = append(ws.ingestion, p)
			}
		}
	}
}

// forwardedStreams returns the streams whose discovery logs a Sentinel agent forwards: those it
// names that still exist, or every stream when it names none ("Apply to: all").
func (t *tenant) forwardedStreams(agent *Agent) []Stream {
	if len(agent.Streams) == 0 {
		return t.streams
	}
	var out []Stream
	for _, id := range agent.Streams {
		if i := t.findStream(id); i >= 0 {
			out = append(out, t.streams[i])
		}
	}
	return out
}

// IngestionPeriod is a time during which a source wrote into a table of a workspace, as
// IngestionPeriods reports it.
type IngestionPeriod struct {
	Table      string     `json:"table"`
	Product    string     `json:"product,omitempty"`
	StreamID   string     `json:"stream_id,omitempty"`
	StreamName string     `json:"stream_name,omitempty"`
	From       time.Time  `json:"from"`
	To         *time.Time `json:"to"`
}

// IngestionPeriods returns the ingestion periods of a workspace (by ARM id), oldest first; nil when
// the workspace is unknown.
func (s *Server) IngestionPeriods(workspaceID string) []IngestionPeriod {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ws, err := s.lookupWorkspace(workspaceID)
	if err != nil {
		return nil
	}
	out := []IngestionPeriod{}
	for _, p := range ws.ingestion {
		ip := IngestionPeriod{Table: p.table, Product: p.product, StreamID: p.streamID, StreamName: p.streamName, From: p.from}
		if !p.to.IsZero() {
			to := p.to
			ip.To = &to
		}
		out = append(out, ip)
	}
	return out
}

// ingestionTableColumns are the columns of the tables the fake holds. McasShadowItReporting has the
// 18 fields of the seed document's schema; SecurityAlert has the columns of the Azure Monitor table
// reference that describe an alert (a subset of the real table).
var ingestionTableColumns = map[string][]kqlColumn{
	TableMcasShadowItReporting: {
		{"TenantId", kqlString}, {"SourceSystem", kqlString}, {"TimeGenerated", kqlDatetime}, {"StreamName", kqlString},
		{"TotalEvents", kqlLong}, {"BlockedEvents", kqlLong}, {"UploadedBytes", kqlLong}, {"TotalBytes", kqlLong},
		{"DownloadedBytes", kqlLong}, {"IpAddress", kqlString}, {"UserName", kqlString}, {"EnrichedUserName", kqlString},
		{"AppName", kqlString}, {"AppId", kqlInt}, {"AppCategory", kqlString}, {"AppTags", kqlDynamic}, {"AppScore", kqlInt},
		{"Type", kqlString},
	},
	TableSecurityAlert: {
		{"TenantId", kqlString}, {"TimeGenerated", kqlDatetime}, {"DisplayName", kqlString}, {"AlertName", kqlString},
		{"AlertSeverity", kqlString}, {"Description", kqlString}, {"ProviderName", kqlString}, {"VendorName", kqlString},
		{"VendorOriginalId", kqlString}, {"SystemAlertId", kqlString}, {"ProductName", kqlString}, {"AlertType", kqlString},
		{"Status", kqlString}, {"CompromisedEntity", kqlString}, {"StartTime", kqlDatetime}, {"EndTime", kqlDatetime},
		{"SourceSystem", kqlString}, {"Type", kqlString},
	},
}

// discoveredApp is a cloud app of the fake's Cloud App Catalog.
type discoveredApp struct {
	name, category string
	id, score      int64
	tags           []string
}

// discoveredApps are the apps the generated discovery logs name.
var discoveredApps = []discoveredApp{
	{"Microsoft OneDrive for Business", "Cloud storage", 15600, 10, []string{"sanctioned"}},
	{"Microsoft Exchange Online", "Collaboration", 20893, 10, []string{"sanctioned"}},
	{"Microsoft Teams", "Collaboration", 28375, 10, []string{"sanctioned"}},
	{"Dropbox", "Cloud storage", 11627, 8, []string{}},
	{"Box", "Cloud storage", 10489, 9, []string{}},
	{"Slack", "Collaboration", 11394, 9, []string{}},
	{"WeTransfer", "Cloud storage", 13410, 5, []string{"unsanctioned"}},
	{"Mega", "Cloud storage", 26062, 3, []string{"unsanctioned"}},
	{"GitHub", "Code-hosting", 11376, 10, []string{"sanctioned"}},
	{"Zoom", "Online meeting", 15722, 8, []string{}},
}

// discoveryUsers are the mailbox names of the users in the generated discovery logs.
var discoveryUsers = []string{"megan.bowen", "alex.wilber", "adele.vance", "diego.siciliani", "lynne.robbins", "isaiah.langer", "nestor.wilke"}

// cloudAppsAlerts are the Defender for Cloud Apps alerts the fake raises: name, type, severity,
// description.
var cloudAppsAlerts = [][4]string{
	{"Impossible travel activity", "MCAS_ALERT_ANUBIS_DETECTION_VELOCITY", "Medium", "The user signed in from two countries within a time that makes travel between them impossible."},
	{"Mass download by a single user", "MCAS_ALERT_ANUBIS_DETECTION_MASS_DOWNLOAD", "Medium", "The user downloaded an unusually large number of files in one session."},
	{"Activity from infrequent country", "MCAS_ALERT_ANUBIS_DETECTION_RARE_COUNTRY", "Low", "Activity from a country that no user of the organisation used recently."},
	{"Suspicious inbox forwarding", "MCAS_ALERT_ANUBIS_DETECTION_INBOX_FORWARDING", "High", "An inbox rule forwards the user's mail to an external address."},
}

// identityAlerts are the Identity Protection alerts of the other connector.
var identityAlerts = [][4]string{
	{"Unfamiliar sign-in properties", "UnfamiliarLocation", "Medium", "The sign-in has properties not seen recently for the user."},
	{"Anonymous IP address", "AnonymousLogin", "Medium", "The sign-in came from an anonymous IP address, such as a Tor exit node."},
}

// ingestedTable returns the rows of a table of a workspace written up to the fake's now, from the
// batch before since on (zero: from the start), or nil when the table does not exist there. The caller holds s.mu.
func (s *Server) ingestedTable(t *tenant, ws *workspace, name string, since time.Time) *kqlTable {
	columns, ok := ingestionTableColumns[name]
	if !ok || (!ws.sentinel && len(ws.ingestion) == 0) {
		// Both tables come with Microsoft Sentinel and stay with the rows written into them when it is
		// disabled (our model: they exist, empty, once it is enabled, and keep existing while the
		// workspace holds rows of any ingestion period).
		return nil
	}
	now := s.nowLocked()
	table := &kqlTable{columns: columns}
	for _, p := range ws.ingestion {
		if p.table != name {
			continue
		}
		interval := discoveryBatchInterval
		switch p.product {
		case ProductCloudAppSecurity:
			interval = cloudAppsAlertInterval
		case productIdentityProtection:
			interval = identityAlertInterval
		}
		first := p.from.Add(s.ingestionDelay)
		k := int64(0)
		if since.After(first) {
			k = int64(since.Sub(first) / interval)
		}
		// A batch is written at or before now, and before the period ended.
		for at := first.Add(time.Duration(k) * interval); !at.After(now); at = at.Add(interval) {
			if !p.to.IsZero() && !at.Before(p.to) {
				break
			}
			rng := rand.New(rand.NewPCG(seedOf(ws.customerID, p.key(), at), 0x6d636173))
			switch {
			case name == TableMcasShadowItReporting:
				table.rows = append(table.rows, discoveryRows(rng, t, ws, p, at)...)
			case p.product == ProductCloudAppSecurity:
				table.rows = append(table.rows, alertRow(rng, t, ws, p, at, cloudAppsAlerts, "MCAS"))
			default:
				table.rows = append(table.rows, alertRow(rng, t, ws, p, at, identityAlerts, "IPC"))
			}
		}
	}
	return table
}

// seedOf derives the random seed of one batch from what identifies it.
func seedOf(workspace, source string, at time.Time) uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s\x00%s\x00%d", workspace, source, at.UnixNano())
	return h.Sum64()
}

// discoveryRows returns the one to three rows of a batch of discovery logs of a stream.
func discoveryRows(rng *rand.Rand, t *tenant, ws *workspace, p *ingestionPeriod, at time.Time) [][]any {
	n := 1 + rng.IntN(3)
	rows := make([][]any, 0, n)
	for i := range n {
		app := discoveredApps[rng.IntN(len(discoveredApps))]
		user := discoveryUsers[rng.IntN(len(discoveryUsers))] + "@" + t.domain
		events := int64(5 + rng.IntN(400))
		blocked := int64(0)
		if app.score < 6 {
			blocked = int64(rng.IntN(int(events)))
		}
		up := int64(10_000 + rng.IntN(5_000_000))
		down := int64(10_000 + rng.IntN(20_000_000))
		rows = append(rows, []any{
			ws.customerID, "Azure", at.Add(time.Duration(i) * 7 * time.Second), p.streamName,
			events, blocked, up, up + down, down,
			fmt.Sprintf("10.%d.%d.%d", 10+rng.IntN(20), rng.IntN(256), 1+rng.IntN(254)), user, user,
			app.name, app.id, app.category, app.tags, app.score,
			TableMcasShadowItReporting,
		})
	}
	return rows
}

// alertRow returns one SecurityAlert row of a product's alert.
func alertRow(rng *rand.Rand, t *tenant, ws *workspace, p *ingestionPeriod, at time.Time, catalog [][4]string, provider string) []any {
	a := catalog[rng.IntN(len(catalog))]
	user := discoveryUsers[rng.IntN(len(discoveryUsers))] + "@" + t.domain
	vendorID := fmt.Sprintf("%016x", rng.Uint64())
	return []any{
		ws.customerID, at, a[0], a[0], a[2], a[3], provider, "Microsoft",
		vendorID, newUUIDFrom(rng), p.product, a[1],
		"New", user, at.Add(-10 * time.Minute), at.Add(-time.Minute),
		"Detection", TableSecurityAlert,
	}
}

// newUUIDFrom returns a random (version 4) UUID drawn from rng, so generated rows stay deterministic.
func newUUIDFrom(rng *rand.Rand) string {
	a, b := rng.Uint64(), rng.Uint64()
	a = a&^0xf000 | 0x4000
	b = b&^(0xc<<60) | 0x8<<60
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", a>>32, a>>16&0xffff, a&0xffff, b>>48, b&0xffffffffffff)
}

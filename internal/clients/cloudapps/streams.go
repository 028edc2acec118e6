package cloudapps

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/internal/pipeline"
)

// Stream types of a discovery stream.
const (
	StreamTypeInput    = 1 // a log collector or data source
	StreamTypeView     = 3 // a continuous report created in the portal
	StreamTypeSnapshot = 5 // a snapshot report
)

// Stream is a Cloud Discovery stream (continuous report).
type Stream struct {
	// ID is the stream's id, 24 hexadecimal characters.
	ID string `json:"_id"`
	// DisplayName is the name shown in the portal.
	DisplayName string `json:"displayName"`
	// StreamType is one of the StreamType constants.
	StreamType int `json:"streamType"`
	// LogType is the log format, for example 112 for Palo Alto.
	LogType int `json:"logType"`
	// ReceiverType is the log receiver, for example "syslog" or "ftp".
	ReceiverType string `json:"receiverType"`
	// Created, LastModified and LastDataReceived are ISO-8601 timestamps as
	// the service sends them, or nil when absent or null. A timestamp sent
	// as epoch milliseconds is converted to RFC 3339 in UTC.
	Created          *string `json:"created"`
	LastModified     *string `json:"lastModified"`
	LastDataReceived *string `json:"lastDataReceived"`
	// GlobalAggregated is true for the built-in "Global View" stream.
	GlobalAggregated bool `json:"globalAggregated"`
}

// UnmarshalJSON decodes a stream, accepting timestamps as ISO-8601
// strings, epoch milliseconds, or {"$date": ...} objects.
func (s *Stream) UnmarshalJSON(data []byte) error {
	type plain Stream
	var raw struct {
		plain
		Created          json.RawMessage `json:"created"`
		LastModified     json.RawMessage `json:"lastModified"`
		LastDataReceived json.RawMessage `json:"lastDataReceived"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	*s = Stream(raw.plain)
	var err error
	if s.Created, err = decodeTimestamp("created", raw.Created); err != nil {
		return err
	}
	if s.LastModified, err = decodeTimestamp("lastModified", raw.LastModified); err != nil {
		return err
	}
	if s.LastDataReceived, err = decodeTimestamp("lastDataReceived", raw.LastDataReceived); err != nil {
		return err
	}
	return nil
}

// The epoch milliseconds of the first and the last millisecond that RFC 3339 can write, of the years
// 1 and 9999.
const (
	minTimestampMillis = -62135596800000
	maxTimestampMillis = 253402300799999
)

func decodeTimestamp(field string, raw json.RawMessage) (*string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("stream field %s: %w", field, err)
		}
		return &s, nil
	case '{':
		var wrapped struct {
			Date json.RawMessage `json:"$date"`
		}
		if err := json.Unmarshal(raw, &wrapped); err != nil || len(wrapped.Date) == 0 || wrapped.Date[0] == '{' {
			return nil, fmt.Errorf("stream field %s: %s is not a timestamp", field, pipeline.Snippet(raw, 80))
		}
		return decodeTimestamp(field, wrapped.Date)
	default:
		ms, err := strconv.ParseFloat(string(raw), 64)
		if err != nil {
			return nil, fmt.Errorf("stream field %s: %s is not a timestamp", field, pipeline.Snippet(raw, 80))
		}
		if ms < minTimestampMillis || ms >= maxTimestampMillis+1 {
			return nil, fmt.Errorf("stream field %s: %s is not a timestamp: as epoch milliseconds it lies outside the years 1 to 9999", field, pipeline.Snippet(raw, 80))
		}
		s := time.UnixMilli(int64(ms)).UTC().Format(time.RFC3339Nano)
		return &s, nil
	}
}

const streamsPath = "/api/discovery/streams/"

// ListStreams returns the tenant's discovery streams. It accepts the three
// answer shapes seen for GET /api/discovery/streams/: {"streams": [...]}, a
// bare array, and {"data": [...]} (see [decodePage]). The last is the envelope of the API's
// lists, {"total", "hasNext", "data"}, which holds at most 100 items: while it
// reports more, the next page is asked for with skip and limit=100, so a
// tenant with 250 streams takes three requests. The other shapes carry no
// paging fields and hold the whole list; a "hasNext" sent with "streams" is read all the same.
func (c *Client) ListStreams(ctx context.Context) ([]Stream, error) {
	const op = "listing Cloud Discovery streams"
	return listAll(op, "stream", func(s Stream) string { return s.ID }, func(query string) ([]Stream, bool, error) {
		resp, err := c.send(ctx, op, http.MethodGet, streamsPath+"?"+query, nil, http.StatusOK)
		if err != nil {
			return nil, false, err
		}
		return decodePage[Stream](op, resp, "stream", "streams", "data")
	})
}

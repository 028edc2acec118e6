package cloudapps_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/internal/clienttest"
)

// streamsAnswer is a stream list of n streams in the service's {"streams": [...]} envelope, with the
// timestamps in each of the forms the service sends.
func streamsAnswer(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"streams":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"_id":"%024x","displayName":"Stream %d","streamType":1,"logType":112,"receiverType":"syslog",`+
			`"created":"2023-04-01T10:00:00Z","lastModified":{"$date":1680343200000},"lastDataReceived":1680343200000,"globalAggregated":false}`, i, i)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

// BenchmarkListStreams measures the client's side of listing a tenant's streams (the pipeline, the
// envelope and the decoding of every stream), for a small and a very large tenant.
func BenchmarkListStreams(b *testing.B) {
	for _, n := range []int{10, 1000} {
		body := streamsAnswer(n)
		b.Run(fmt.Sprintf("streams=%d", n), func(b *testing.B) {
			r := &clienttest.Replay{Answer: jsonAnswer(body)}
			c := fuzzClient(b, r)
			r.MaxRequests = math.MaxInt
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				streams, err := c.ListStreams(b.Context())
				if err != nil || len(streams) != n {
					b.Fatalf("ListStreams returned %d streams and %v, want %d", len(streams), err, n)
				}
			}
		})
	}
}

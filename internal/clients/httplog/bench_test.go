package httplog_test

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/hashicorp/terraform-plugin-log/tflogtest"

	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/httplog"
	"github.com/mcas-terraform/terraform-provider-mcas/internal/clients/internal/clienttest"
)

// BenchmarkPolicy measures what the logging policy adds to a request answered with a 1,000-stream
// JSON body: nothing to log (the default, no TF_LOG), the DEBUG summary, and TRACE with headers and
// the redacted body.
func BenchmarkPolicy(b *testing.B) {
	var body strings.Builder
	body.WriteString(`{"streams":[`)
	for i := range 1000 {
		if i > 0 {
			body.WriteByte(',')
		}
		fmt.Fprintf(&body, `{"_id":"%024x","displayName":"Stream %d","streamType":1,"token":"%s"}`, i, i, plainToken)
	}
	body.WriteString(`]}`)
	answer := []byte(body.String())

	for _, level := range []string{"off", "DEBUG", "TRACE"} {
		b.Run("log="+level, func(b *testing.B) {
			ctx := context.Background()
			if level != "off" {
				b.Setenv(httplog.LevelEnvPrefix+"_"+strings.ToUpper(subsystem), level)
				ctx = tflogtest.RootLogger(ctx, io.Discard)
			}
			r := &clienttest.Replay{T: b, MaxRequests: math.MaxInt, Answer: func(int, *http.Request) (int, http.Header, []byte) {
				return http.StatusOK, http.Header{"Content-Type": {"application/json"}}, answer
			}}
			pl := runtime.NewPipeline("bench", "v0.0.1", runtime.PipelineOptions{
				PerRetry: []policy.Policy{headerPolicy{"Authorization": "Bearer " + bearerToken}, httplog.NewPolicy(subsystem, httplog.Options{})},
			}, &policy.ClientOptions{Transport: r, Retry: policy.RetryOptions{MaxRetries: -1}})
			b.SetBytes(int64(len(answer)))
			b.ReportAllocs()
			for b.Loop() {
				req, err := runtime.NewRequest(ctx, http.MethodGet, "https://contoso.example/api/discovery/streams/")
				if err != nil {
					b.Fatal(err)
				}
				resp, err := pl.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := runtime.Payload(resp); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

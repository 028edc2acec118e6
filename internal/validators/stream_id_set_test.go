package validators

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func TestStreamIDSet(t *testing.T) {
	cases := []struct {
		name  string
		value types.Set
		want  string // summary; empty: valid
	}{
		{"null means all streams", types.SetNull(types.StringType), ""},
		{"unknown until apply", types.SetUnknown(types.StringType), ""},
		{"one stream", types.SetValueMust(types.StringType, []attr.Value{types.StringValue("2b71970898808dd3b257b647")}), ""},
		{"empty", types.SetValueMust(types.StringType, []attr.Value{}), "No streams selected"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := &validator.SetResponse{}
			StreamIDSet().ValidateSet(context.Background(), validator.SetRequest{Path: path.Root("stream_ids"), ConfigValue: tc.value}, resp)
			var got, detail string
			if resp.Diagnostics.HasError() {
				got, detail = resp.Diagnostics.Errors()[0].Summary(), resp.Diagnostics.Errors()[0].Detail()
			}
			if got != tc.want {
				t.Fatalf("summary = %q, want %q (detail %q)", got, tc.want, detail)
			}
			if tc.want != "" && detail != "stream_ids is an empty set, which would forward the discovery logs of no stream. Leave it out (null) to forward "+
				"the logs of all streams, list the ids of the streams to forward, or set discovery_logs.enabled = false." {
				t.Errorf("detail = %q", detail)
			}
		})
	}
}

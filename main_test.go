package main

import (
	"maps"
	"testing"
)

func TestQuietLogs(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		want map[string]string
	}{
		{
			name: "Terraform shows no logs",
			env:  map[string]string{"TF_LOG_SDK_PROTO": "DEBUG"},
			want: map[string]string{"TF_LOG_SDK": "OFF", "TF_LOG_SDK_PROTO": "DEBUG", "TF_LOG_SDK_FRAMEWORK": "OFF", "TF_LOG_PROVIDER_MCAS": "OFF"},
		},
		{name: "TF_LOG", env: map[string]string{"TF_LOG": "WARN"}, want: map[string]string{"TF_LOG": "WARN"}},
		{name: "TF_LOG_PROVIDER", env: map[string]string{"TF_LOG_PROVIDER": "TRACE"}, want: map[string]string{"TF_LOG_PROVIDER": "TRACE"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := maps.Clone(tc.env)
			err := quietLogs(func(k string) string { return env[k] }, func(k, v string) error { env[k] = v; return nil })
			if err != nil || !maps.Equal(env, tc.want) {
				t.Errorf("environment %v, %v; want %v", env, err, tc.want)
			}
		})
	}
}

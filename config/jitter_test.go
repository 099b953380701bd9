package config

import (
	"strings"
	"testing"
	"time"
)

// TestJitter: the share forms, the default, and the duration form of
// earlier versions (a cap now), and the values refused.
func TestJitter(t *testing.T) {
	tests := []struct {
		yaml    string // "" = no jitter key
		want    Jitter
		wantErr string
	}{
		{"", Jitter{Share: DefaultJitterShare}, ""},
		{"jitter: 0.5", Jitter{Share: 0.5}, ""},
		{"jitter: 25%", Jitter{Share: 0.25}, ""},
		{"jitter: 0", Jitter{}, ""},
		{"jitter: 1", Jitter{Share: 1}, ""},
		{"jitter: 5s", Jitter{Share: DefaultJitterShare, Max: Duration(5 * time.Second)}, ""},
		{"jitter: 0s", Jitter{}, ""},
		{"jitter: 1.5", Jitter{}, "between 0 and 1"},
		{"jitter: 5", Jitter{}, "between 0 and 1"},
		{"jitter: -0.1", Jitter{}, "between 0 and 1"},
		{"jitter: -5s", Jitter{}, "must not be negative"},
		{"jitter: lots", Jitter{}, "share of the delay"},
		{"jitter: [1]", Jitter{}, "share of the delay"},
	}
	for _, tt := range tests {
		t.Run(tt.yaml, func(t *testing.T) {
			c, err := Parse(strings.NewReader(tt.yaml + "\n"))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "jitter") {
					t.Fatalf("err = %v, want one naming jitter and %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Jitter != tt.want {
				t.Errorf("jitter = %+v, want %+v", c.Jitter, tt.want)
			}
		})
	}
}

package tfo

import (
	"context"
	"net"
	"testing"
	"time"
)

func TestDialerDeadline(t *testing.T) {
	now := time.Unix(1000, 0)
	ctx, cancel := context.WithDeadline(context.Background(), now.Add(5*time.Second))
	defer cancel()
	tests := []struct {
		name string
		d    Dialer
		ctx  context.Context
		want time.Time
	}{
		{"none", Dialer{}, context.Background(), time.Time{}},
		{"timeout", Dialer{Base: net.Dialer{Timeout: time.Second}}, context.Background(), now.Add(time.Second)},
		{"ctx earlier", Dialer{Base: net.Dialer{Timeout: 9 * time.Second}}, ctx, now.Add(5 * time.Second)},
		{"deadline earliest", Dialer{Base: net.Dialer{Deadline: now.Add(2 * time.Second), Timeout: 3 * time.Second}}, ctx, now.Add(2 * time.Second)},
	}
	for _, tt := range tests {
		if got := tt.d.deadline(tt.ctx, now); !got.Equal(tt.want) {
			t.Errorf("%s: deadline = %v, want %v", tt.name, got, tt.want)
		}
	}
}

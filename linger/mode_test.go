package linger

import (
	"math"
	"testing"
	"time"
)

func TestTimeoutRounding(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want int32
	}{
		{-time.Second, 1},
		{0, 1},
		{time.Nanosecond, 1},
		{time.Second, 1},
		{time.Second + time.Nanosecond, 2},
		{1500 * time.Millisecond, 2},
		{10 * time.Second, 10},
		{math.MaxInt64, math.MaxInt32},
	}
	for _, tt := range tests {
		onoff, sec := Timeout(tt.d).Linger()
		if onoff != 1 || sec != tt.want {
			t.Errorf("Timeout(%v).Linger() = {%d, %d}, want {1, %d}", tt.d, onoff, sec, tt.want)
		}
	}
}

func TestModes(t *testing.T) {
	tests := []struct {
		m           Mode
		onoff, sec  int32
		d           time.Duration
		str         string
		fromOnoff   int32
		fromSeconds int32
	}{
		{Default(), 0, 0, 0, "Default", 0, 7},
		{Abortive(), 1, 0, 0, "Abortive", 1, 0},
		{Timeout(3 * time.Second), 1, 3, 3 * time.Second, "Timeout(3s)", 1, 3},
		{Timeout(time.Duration(math.MaxInt32) * time.Second), 1, math.MaxInt32, time.Duration(math.MaxInt32) * time.Second, "Timeout(596523h14m7s)", 1, -1},
	}
	for _, tt := range tests {
		if onoff, sec := tt.m.Linger(); onoff != tt.onoff || sec != tt.sec {
			t.Errorf("%v.Linger() = {%d, %d}, want {%d, %d}", tt.m, onoff, sec, tt.onoff, tt.sec)
		}
		if d := tt.m.Duration(); d != tt.d {
			t.Errorf("%v.Duration() = %v, want %v", tt.m, d, tt.d)
		}
		if s := tt.m.String(); s != tt.str {
			t.Errorf("String() = %q, want %q", s, tt.str)
		}
		if got := fromLinger(tt.fromOnoff, tt.fromSeconds); got != tt.m {
			t.Errorf("fromLinger(%d, %d) = %v, want %v", tt.fromOnoff, tt.fromSeconds, got, tt.m)
		}
	}
	if Default() != (Mode{}) {
		t.Error("the zero Mode is not Default")
	}
}

package main

import "testing"

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"auto", 0, true},
		{"0", 0, true},
		{" AUTO ", 0, true},
		{"450000", 450000, true},
		{"450k", 450000, true},
		{"2M", 2000000, true},
		{"1", 1, true},
		{"67108864", 64 << 20, true},
		{"67108865", 0, false},
		{"100m", 0, false},
		{"-5", 0, false},
		{"1.5m", 0, false},
		{"", 0, false},
		{"k", 0, false},
	}
	for _, tc := range tests {
		got, err := parseSize(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"auto", "450k", "2m", "0", "-1", "99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseSize(s)
		if err == nil && (n < 0 || n > 64<<20) {
			t.Fatalf("parseSize(%q) = %d: outside 0 … 64 MiB", s, n)
		}
	})
}

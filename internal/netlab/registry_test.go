package netlab

import (
	"testing"
)

func TestProcStartTime(t *testing.T) {
	// Field 22 is 8000; the command name contains spaces and parentheses.
	const tail = " S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 8000 20 21"
	tests := []struct {
		stat string
		want uint64
		ok   bool
	}{
		{"1234 (tcplab)" + tail, 8000, true},
		{"1234 (a b) (c))" + tail, 8000, true},
		{"1234 (tcplab) S 1 2", 0, false},
		{"no parenthesis", 0, false},
		{"1 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 -5", 0, false},
	}
	for _, tt := range tests {
		got, err := procStartTime(tt.stat)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("procStartTime(%q) = %d, %v; want %d (ok %v)", tt.stat, got, err, tt.want, tt.ok)
		}
	}
}

func FuzzProcStartTime(f *testing.F) {
	f.Add("1234 (tcplab) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 8000 20")
	f.Add("1 ((() S")
	f.Fuzz(func(t *testing.T, s string) { procStartTime(s) })
}

func TestParseState(t *testing.T) {
	tests := []struct {
		name, json string
		ok         bool
	}{
		{"a", `{"name":"a","pid":12,"namespaces":{"client":"tcplab-a-client","server":"tcplab-a-server"}}`, true},
		{"a", `{"name":"b","pid":12}`, false},                               // names another lab
		{"a", `{"name":"a","pid":0}`, false},                                // no process
		{"a", `{"name":"a","pid":1,"namespaces":{"../../etc":"x"}}`, false}, // unknown role
		{"a", `{"name":"a"`, false},
		{"A/..", `{"name":"A/..","pid":1}`, false}, // not a lab name
	}
	for _, tt := range tests {
		_, err := parseState([]byte(tt.json), tt.name)
		if (err == nil) != tt.ok {
			t.Errorf("parseState(%s, %s): %v, want ok %v", tt.name, tt.json, err, tt.ok)
		}
	}
}

func FuzzParseState(f *testing.F) {
	f.Add([]byte(`{"name":"a","pid":12,"namespaces":{"client":"x"}}`), "a")
	f.Fuzz(func(t *testing.T, b []byte, name string) {
		st, err := parseState(b, name)
		if err != nil {
			return
		}
		if checkLabName(st.Name) != nil || st.Name != name || st.PID <= 0 {
			t.Fatalf("accepted %+v for %q", st, name)
		}
		for role := range st.Namespaces {
			if role != "client" && role != "server" && role != "proxy" {
				t.Fatalf("accepted role %q", role)
			}
		}
	})
}

func TestCheckLabName(t *testing.T) {
	for name, ok := range map[string]bool{
		"demo": true, "a-1_b": true, "0": true,
		"": false, "-a": false, "A": false, "a/b": false, "a.b": false, "abcdefghijabcdefghijabcdefghijab": false,
	} {
		if err := checkLabName(name); (err == nil) != ok {
			t.Errorf("checkLabName(%q) = %v, want ok %v", name, err, ok)
		}
	}
}

func TestProcState(t *testing.T) {
	for _, tc := range []struct{ stat, want string }{
		{"6758 (tcplab) Z 1 6758 6758 0 -1 4194564 1", "Z"},
		{"12 (a (b) c) S 1 2 3", "S"},
		{"no parenthesis", ""},
		{"12 (x)", ""},
	} {
		if got := procState(tc.stat); got != tc.want {
			t.Errorf("procState(%q) = %q, want %q", tc.stat, got, tc.want)
		}
	}
}

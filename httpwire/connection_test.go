package httpwire

import (
	"reflect"
	"testing"
)

func TestConnectionTokens(t *testing.T) {
	tests := []struct {
		name string
		h    Header
		want []string
	}{
		{"RFC9110_7.6.1_case_and_lists", Header{{"connection", "Keep-Alive, X-Trace"}, {"X", "y"}, {"CONNECTION", " ,close,, "}}, []string{"keep-alive", "x-trace", "close"}},
		{"RFC9112_AppC.2.2_proxy_connection_is_not_connection", Header{{"Proxy-Connection", "close"}}, nil},
		{"none", Header{{"Host", "x"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ConnectionTokens(tt.h); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestHopByHop(t *testing.T) {
	h := Header{
		{"Host", "x"},
		{"Connection", "X-Trace, keep-alive"},
		{"X-Trace", "1"},
		{"Keep-Alive", "timeout=5"},
		{"Proxy-Connection", "X-Kept"},
		{"X-Kept", "2"},
		{"TE", "trailers"},
		{"Upgrade", "websocket"},
		{"Proxy-Authorization", "Basic x"},
		{"Cache-Control", "no-cache"},
		{"x-trace", "3"},
	}
	wantNames := []string{"connection", "keep-alive", "proxy-authorization", "proxy-connection", "te", "upgrade", "x-trace"}
	if got := HopByHop(h); !reflect.DeepEqual(got, wantNames) {
		t.Errorf("HopByHop = %q, want %q", got, wantNames)
	}
	kept, removed := StripHopByHop(h)
	if !reflect.DeepEqual(removed, wantNames) {
		t.Errorf("removed %q, want %q", removed, wantNames)
	}
	wantKept := Header{{"Host", "x"}, {"X-Kept", "2"}, {"Cache-Control", "no-cache"}}
	if !reflect.DeepEqual(kept, wantKept) {
		t.Errorf("kept %v, want %v", kept, wantKept)
	}
	if len(h) != 11 || h[1].Name != "Connection" {
		t.Errorf("StripHopByHop modified its input: %v", h)
	}
}

func TestParseKeepAlive(t *testing.T) {
	tests := []struct {
		name string
		h    Header
		want KeepAliveParams
		ok   bool
	}{
		{"RFC2068_19.7.1.1_timeout_and_max", Header{{"Keep-Alive", "timeout=5, max=100"}}, KeepAliveParams{5, 100, true, true}, true},
		{"case_spaces_quotes_repeats", Header{{"keep-alive", " Timeout = \"30\" "}, {"Keep-Alive", "max=7, timeout=9"}}, KeepAliveParams{30, 7, true, true}, true},
		{"invalid_values_ignored", Header{{"Keep-Alive", "timeout=-1, max=x, timeout=2"}}, KeepAliveParams{Timeout: 2, HasTimeout: true}, true},
		{"absent", Header{{"Connection", "keep-alive"}}, KeepAliveParams{}, false},
		{"no_params", Header{{"Keep-Alive", "300"}}, KeepAliveParams{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseKeepAlive(tt.h)
			if got != tt.want || ok != tt.ok {
				t.Errorf("got %+v %v, want %+v %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestKeepAliveRules(t *testing.T) {
	tests := []struct {
		name     string
		req      Request
		resp     *Response
		want     bool
		ruleWant string
	}{
		{"RFC9112_9.3_http11_default", Request{Major: 1, Minor: 1}, nil, true, "RFC 9112 §9.3"},
		{"RFC9112_9.6_close", Request{Major: 1, Minor: 1, Header: Header{{"Connection", "Close"}}}, nil, false, "RFC 9112 §9.6"},
		{"RFC9112_9.3_http10_default", Request{Major: 1, Minor: 0}, nil, false, "HTTP/1.0 without"},
		{"RFC9112_9.3_http10_keep_alive", Request{Major: 1, Minor: 0, Header: Header{{"Connection", "keep-alive"}}}, nil, true, "HTTP/1.0 with the keep-alive"},
		{"RFC9112_AppC.2.2_proxy_connection_ignored", Request{Major: 1, Minor: 0, Header: Header{{"Proxy-Connection", "keep-alive"}}}, nil, false, "HTTP/1.0 without"},
		{"RFC9112_8_truncated", Request{Major: 1, Minor: 1, Truncated: true}, nil, false, "RFC 9112 §8"},
		{"RFC9112_6.3_rule8_close_delimited", Request{}, &Response{Major: 1, Minor: 1, Status: 200, Framing: FramingClose}, false, "rule 8"},
		{"RFC9110_15.2.2_101", Request{}, &Response{Major: 1, Minor: 1, Status: 101, EndsHTTP: true}, false, "RFC 9110 §15.2.2"},
		{"RFC9112_6.3_rule2_tunnel", Request{}, &Response{Major: 1, Minor: 1, Status: 200, EndsHTTP: true}, false, "rule 2"},
		{"RFC9112_9.3_response_http11", Request{}, &Response{Major: 1, Minor: 1, Status: 200, Framing: FramingContentLength}, true, "RFC 9112 §9.3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, why := tt.req.KeepAlive()
			if tt.resp != nil {
				got, why = tt.resp.KeepAlive()
			}
			if got != tt.want || !contains(why, tt.ruleWant) {
				t.Errorf("got %v %q, want %v and a reason naming %q", got, why, tt.want, tt.ruleWant)
			}
		})
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

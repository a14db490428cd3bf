package httpwire

import (
	"reflect"
	"testing"
)

func TestHeader(t *testing.T) {
	h := Header{{"Host", "x"}, {"X-A", "1"}, {"x-a", "2"}, {"Y", "3"}}
	if got := h.Get("X-a"); got != "1" {
		t.Errorf("Get = %q", got)
	}
	if got := h.Get("missing"); got != "" {
		t.Errorf("Get(missing) = %q", got)
	}
	if got := h.Values("X-A"); !reflect.DeepEqual(got, []string{"1", "2"}) {
		t.Errorf("Values = %q", got)
	}
	// ASCII folding only: the Kelvin sign is not "K".
	if (Header{{"\u212aey", "v"}}).Get("key") != "" {
		t.Error("Unicode case folding used for a field name")
	}
	h.Add("Z", "4")
	h.Del("X-A")
	want := Header{{"Host", "x"}, {"Y", "3"}, {"Z", "4"}}
	if !reflect.DeepEqual(h, want) {
		t.Errorf("after Add/Del: %v", h)
	}
	h = Header{{"A", "1"}, {"B", "2"}, {"a", "3"}, {"C", "4"}}
	h.Set("a", "9")
	if want := (Header{{"a", "9"}, {"B", "2"}, {"C", "4"}}); !reflect.DeepEqual(h, want) {
		t.Errorf("after Set: %v", h)
	}
	h.Set("D", "5")
	if h[len(h)-1] != (Field{"D", "5"}) {
		t.Errorf("Set of a new field: %v", h)
	}
}

func TestFramingString(t *testing.T) {
	for f, want := range map[Framing]string{FramingNone: "none", FramingContentLength: "content-length", FramingChunked: "chunked", FramingClose: "close-delimited"} {
		if f.String() != want {
			t.Errorf("%d: %q", f, f.String())
		}
	}
}

// The framing functions are pure: each rule of RFC 9112 §6.3, in order.
func TestResponseFramingRuleOrder(t *testing.T) {
	cl := Header{{"Content-Length", "5"}}
	te := Header{{"Transfer-Encoding", "chunked"}}
	both := Header{{"Content-Length", "5"}, {"Transfer-Encoding", "chunked"}}
	tests := []struct {
		name    string
		method  string
		status  int
		minor   int
		h       Header
		f       Framing
		n       int64
		ends    bool
		wantErr bool
	}{
		{"rule1_HEAD_beats_CL_TE_conflict", "HEAD", 200, 1, both, FramingNone, 5, false, false},
		{"rule1_1xx", "GET", 103, 1, te, FramingNone, -1, false, false},
		{"rule1_101_ends_http", "GET", 101, 1, nil, FramingNone, -1, true, false},
		{"rule1_204", "GET", 204, 1, cl, FramingNone, 5, false, false},
		{"rule1_304", "GET", 304, 1, both, FramingNone, 5, false, false},
		{"rule2_CONNECT_2xx_ignores_CL_TE", "CONNECT", 200, 1, both, FramingNone, -1, true, false},
		{"rule2_CONNECT_4xx_has_body", "CONNECT", 403, 1, cl, FramingContentLength, 5, false, false},
		{"rule3_CL_and_TE", "GET", 200, 1, both, FramingNone, -1, false, true},
		{"rule4_chunked", "GET", 200, 1, te, FramingChunked, -1, false, false},
		{"rule4_not_chunked_close", "GET", 200, 1, Header{{"Transfer-Encoding", "gzip"}}, FramingClose, -1, false, false},
		{"rule4_http10_TE_close", "GET", 200, 0, te, FramingClose, -1, false, false},
		{"rule4_chunked_not_last_is_error", "GET", 200, 1, Header{{"Transfer-Encoding", "chunked, gzip"}}, FramingNone, -1, false, true},
		{"rule5_invalid_CL", "GET", 200, 1, Header{{"Content-Length", "1.5"}}, FramingNone, -1, false, true},
		{"rule6_CL", "GET", 200, 1, cl, FramingContentLength, 5, false, false},
		{"rule8_close", "GET", 200, 1, nil, FramingClose, -1, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, n, ends, err := ResponseFraming(tt.method, tt.status, 1, tt.minor, tt.h)
			if (err != nil) != tt.wantErr || f != tt.f || n != tt.n || ends != tt.ends {
				t.Errorf("got %v %d %v %v", f, n, ends, err)
			}
		})
	}
}

func TestRequestFramingRuleOrder(t *testing.T) {
	tests := []struct {
		name   string
		minor  int
		h      Header
		f      Framing
		n      int64
		status int // 0: no error
	}{
		{"rule3_CL_and_TE", 1, Header{{"Transfer-Encoding", "chunked"}, {"Content-Length", "0"}}, FramingNone, -1, 400},
		{"rule4_chunked", 1, Header{{"transfer-encoding", "CHUNKED"}}, FramingChunked, -1, 0},
		{"rule4_split_over_fields", 1, Header{{"Transfer-Encoding", ""}, {"Transfer-Encoding", "chunked"}}, FramingChunked, -1, 0},
		{"rule4_not_chunked", 1, Header{{"Transfer-Encoding", "identity"}}, FramingNone, -1, 400},
		{"rule4_other_coding_501", 1, Header{{"Transfer-Encoding", "gzip, chunked"}}, FramingNone, -1, 501},
		{"rule4_empty_TE", 1, Header{{"Transfer-Encoding", " , "}}, FramingNone, -1, 400},
		{"rule4_http10", 0, Header{{"Transfer-Encoding", "chunked"}}, FramingNone, -1, 400},
		{"rule5_equal_list", 1, Header{{"Content-Length", "7,7"}, {"Content-Length", "7"}}, FramingContentLength, 7, 0},
		{"rule5_trailing_empty_element", 1, Header{{"Content-Length", "7,"}}, FramingNone, -1, 400},
		{"rule5_leading_comma", 1, Header{{"Content-Length", ",7"}}, FramingNone, -1, 400},
		{"rule6_max", 1, Header{{"Content-Length", "9223372036854775807"}}, FramingContentLength, 1<<63 - 1, 0},
		{"rule6_leading_zeros", 1, Header{{"Content-Length", "007"}}, FramingContentLength, 7, 0},
		{"rule7_none", 1, Header{{"Host", "x"}}, FramingNone, -1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, n, err := RequestFraming(1, tt.minor, tt.h)
			status := 0
			if pe, ok := err.(*ProtocolError); ok {
				status = pe.Status
			} else if err != nil {
				t.Fatalf("error of type %T", err)
			}
			if status != tt.status || f != tt.f || n != tt.n {
				t.Errorf("got %v %d %v", f, n, err)
			}
		})
	}
}

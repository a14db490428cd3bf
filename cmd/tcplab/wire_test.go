package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// runWire runs `tcplab wire parse args...` on stdin and returns stdout and
// the exit status.
func runWire(t *testing.T, stdin string, args ...string) (string, int) {
	t.Helper()
	var out bytes.Buffer
	app := &cli.App{
		Name:           "tcplab",
		Reader:         strings.NewReader(stdin),
		Writer:         &out,
		ErrWriter:      &bytes.Buffer{},
		ExitErrHandler: func(*cli.Context, error) {},
		Commands:       []*cli.Command{wireCommand()},
	}
	err := app.Run(append([]string{"tcplab", "wire", "parse"}, args...))
	code := 0
	if err != nil {
		var ec cli.ExitCoder
		if !errors.As(err, &ec) {
			t.Fatalf("error without an exit code: %v", err)
		}
		code = ec.ExitCode()
	}
	return out.String(), code
}

func TestWireParseJSONContract(t *testing.T) {
	in := "GET /a HTTP/1.1\r\nHost: x\r\n\r\n" +
		"POST /b HTTP/1.0\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5, max=100\r\nContent-Length: 2\r\n\r\nhi"
	got, code := runWire(t, in, "--json")
	want := `{"messages":[` +
		`{"method":"GET","target":"/a","version":"HTTP/1.1","headers":[["Host","x"]],"body_b64":"","keep_alive":true,"framing":"none"},` +
		`{"method":"POST","target":"/b","version":"HTTP/1.0","headers":[["Connection","keep-alive"],["Keep-Alive","timeout=5, max=100"],["Content-Length","2"]],` +
		`"body_b64":"aGk=","keep_alive":true,"framing":"content-length","keep_alive_params":{"timeout":5,"max":100},"hop_by_hop":["connection","keep-alive"]}` +
		`],"truncated":false,"error":null,"leftover_b64":""}` + "\n"
	if code != 0 || got != want {
		t.Errorf("exit %d, output\n%s\nwant\n%s", code, got, want)
	}
}

func TestWireParseResponses(t *testing.T) {
	in := "HTTP/1.1 100 Continue\r\n\r\n" +
		"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n" + // answers HEAD: no body
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n3\r\nabc\r\n0\r\nX-Sum: 9\r\n\r\n" +
		"HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n\x81\x00"
	got, code := runWire(t, in, "--response", "--method", "HEAD, GET", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, got)
	}
	var out struct {
		Messages []struct {
			Status   int         `json:"status"`
			Reason   string      `json:"reason"`
			Method   *string     `json:"method"`
			Framing  string      `json:"framing"`
			Body     string      `json:"body_b64"`
			Keep     bool        `json:"keep_alive"`
			Trailers [][2]string `json:"trailers"`
			HopByHop []string    `json:"hop_by_hop"`
		} `json:"messages"`
		Truncated bool    `json:"truncated"`
		Error     *string `json:"error"`
		Leftover  string  `json:"leftover_b64"`
	}
	if err := json.Unmarshal([]byte(got), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) != 4 {
		t.Fatalf("%d messages: %s", len(out.Messages), got)
	}
	m := out.Messages
	if m[0].Status != 100 || m[0].Method != nil || m[1].Framing != "none" || m[1].Reason != "OK" {
		t.Errorf("100 then the HEAD answer: %+v %+v", m[0], m[1])
	}
	if m[2].Framing != "chunked" || m[2].Body != "YWJj" || len(m[2].Trailers) != 1 || m[2].Trailers[0] != [2]string{"X-Sum", "9"} {
		t.Errorf("chunked answer to GET: %+v", m[2])
	}
	if m[3].Status != 101 || m[3].Keep || strings.Join(m[3].HopByHop, ",") != "connection,upgrade" {
		t.Errorf("101: %+v", m[3])
	}
	if out.Leftover != "gQA=" || out.Error != nil || out.Truncated {
		t.Errorf("leftover %q error %v truncated %v", out.Leftover, out.Error, out.Truncated)
	}
}

func TestWireParseExitStatus(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		args   []string
		code   int
		output string // a substring of stdout
	}{
		{"protocol_error_after_a_message", "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost : x\r\n\r\n", []string{"--json"}, 1,
			`"error":"httpwire: whitespace between the field name and the colon (RFC 9112 §5.1)"`},
		{"one_message_before_the_error", "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost : x\r\n\r\n", []string{"--json"}, 1,
			`{"messages":[{"method":"GET","target":"/"`},
		{"truncated_body_is_not_an_error", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\nabc", []string{"--json"}, 0,
			`"body_b64":"YWJj","keep_alive":false,"framing":"content-length"}],"truncated":true,"error":null`},
		{"truncated_head_is_not_an_error", "GET / HTTP/1.1\r\nHo", []string{"--json"}, 0,
			`{"messages":[],"truncated":true,"error":null,"leftover_b64":"R0VUIC8gSFRUUC8xLjENCkhv"}`},
		{"empty_input", "", []string{"--json"}, 0, `{"messages":[],"truncated":false,"error":null,"leftover_b64":""}`},
		{"header_limit", "GET / HTTP/1.1\r\nHost: x\r\nX: " + strings.Repeat("y", 100) + "\r\n\r\n", []string{"--max-header-bytes", "64"}, 1,
			"error: httpwire: header section larger than 64 bytes (RFC 9110 §5.4)"},
		{"close_leaves_leftover", "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /2 HTTP/1.1\r\n\r\n", nil, 0,
			`leftover: 19 bytes not parsed as HTTP/1.x: "GET /2 HTTP/1.1\r\n\r\n"`},
		{"usage_arguments", "", []string{"file.txt"}, 2, ""},
		{"usage_bad_method", "", []string{"--response", "--method", "GET,BAD METHOD"}, 2, ""},
		{"usage_method_without_response", "", []string{"--method", "HEAD"}, 2, ""},
		{"usage_negative_limit", "", []string{"--max-header-bytes", "-1"}, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, code := runWire(t, tt.in, tt.args...)
			if code != tt.code || !strings.Contains(got, tt.output) {
				t.Errorf("exit %d (want %d), output:\n%s\nwant it to contain\n%s", code, tt.code, got, tt.output)
			}
		})
	}
}

func TestWireParseText(t *testing.T) {
	in := "GET / HTTP/1.0\r\nConnection: keep-alive, X-Trace\r\nX-Trace: 1\r\nProxy-Connection: keep-alive\r\n\r\n" +
		"GET /2 HTTP/1.0\r\n\r\n"
	got, code := runWire(t, in)
	for _, want := range []string{
		"request 1: GET / HTTP/1.0",
		"  framing:    none: a request without Content-Length or Transfer-Encoding has no body (RFC 9112 §6.3 rule 7)",
		"  persistent: yes: HTTP/1.0 with the keep-alive connection option is persistent (RFC 9112 §9.3, App. C.2.2)",
		"  hop-by-hop: connection, proxy-connection, x-trace (a proxy removes these)",
		"request 2: GET /2 HTTP/1.0",
		"  persistent: no: HTTP/1.0 without the keep-alive connection option closes after this message (RFC 9112 §9.3)",
	} {
		if !strings.Contains(got, want+"\n") {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if code != 0 {
		t.Errorf("exit %d", code)
	}
}

package httpwire

import (
	"strings"
	"testing"
)

var responseTests = []struct {
	name    string
	in      string
	methods []string
	want    string
}{
	{"RFC9112_6.3_rule6_content_length_pipelined", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", []string{"GET"}, `
HTTP/1.1 200 "OK" {Content-Length=2} content-length:2 body="hi" keep
HTTP/1.1 404 "Not Found" {Content-Length=0} content-length:0 body="" keep
end: EOF leftover=""`},
	{"RFC9112_4_empty_reason", "HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n", []string{"GET"}, `
HTTP/1.1 200 "" {Content-Length=0} content-length:0 body="" keep
end: EOF leftover=""`},
	{"RFC9112_6.3_rule1_HEAD_response_has_no_body", "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", []string{"HEAD", "GET"}, `
HTTP/1.1 200 "OK" {Content-Length=1000} none:1000 body="" keep
HTTP/1.1 200 "OK" {Content-Length=1} content-length:1 body="x" keep
end: EOF leftover=""`},
	{"RFC9112_6.3_rule1_HEAD_response_ignores_transfer_encoding", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", []string{"HEAD"}, `
HTTP/1.1 200 "OK" {Transfer-Encoding=chunked} none body="" keep
end: EOF leftover=""`},
	{"RFC9112_6.3_rule1_204_and_304_have_no_body", "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nHTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n", []string{"GET"}, `
HTTP/1.1 204 "No Content" {Content-Length=5} none:5 body="" keep
HTTP/1.1 304 "Not Modified" {Transfer-Encoding=chunked} none body="" keep
end: EOF leftover=""`},
	{"RFC9112_6.3_rule1_100_continue_then_final", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", []string{"POST", "HEAD"}, `
HTTP/1.1 100 "Continue" {} none body="" keep
HTTP/1.1 201 "Created" {Content-Length=2} content-length:2 body="ok" keep
HTTP/1.1 200 "OK" {Content-Length=0} none:0 body="" keep
end: EOF leftover=""`},
	{"RFC9112_6.3_rule2_CONNECT_2xx_is_a_tunnel", "HTTP/1.1 200 Connection established\r\nContent-Length: 10\r\n\r\n\x16\x03\x01tls bytes", []string{"CONNECT"}, `
HTTP/1.1 200 "Connection established" {Content-Length=10} none body="" close ends-http
end: EOF leftover="\x16\x03\x01tls bytes"`},
	{"RFC9112_6.3_rule2_CONNECT_refused_has_a_body", "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 2\r\n\r\nnoHTTP/1.1 200 OK\r\n\r\n", []string{"CONNECT"}, `
HTTP/1.1 407 "Proxy Authentication Required" {Content-Length=2} content-length:2 body="no" keep
HTTP/1.1 200 "OK" {} none body="" close ends-http
end: EOF leftover=""`},
	{"RFC9110_15.2.2_101_switches_protocols", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x05hello", []string{"GET"}, `
HTTP/1.1 101 "Switching Protocols" {Upgrade=websocket,Connection=Upgrade} none body="" close ends-http
end: EOF leftover="\x81\x05hello"`},
	{"RFC9112_6.3_rule3_content_length_with_transfer_encoding", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", []string{"GET"}, `
end: 502 RFC 9112 §6.3 rule 3: Content-Length together with Transfer-Encoding leftover="0\r\n\r\n"`},
	{"RFC9112_6.3_rule4_chunked_response_with_trailer", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nTrailer: X-Sum\r\n\r\n4\r\nabcd\r\n0\r\nX-Sum: 1\r\n\r\n", []string{"GET"}, `
HTTP/1.1 200 "OK" {Transfer-Encoding=gzip, chunked,Trailer=X-Sum} chunked body="abcd" trailer{X-Sum=1} keep
end: EOF leftover=""`},
	{"RFC9112_6.3_rule4_TE_not_chunked_is_close_delimited", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nraw bytes", []string{"GET"}, `
HTTP/1.1 200 "OK" {Transfer-Encoding=gzip} close-delimited body="raw bytes" close
end: EOF leftover=""`},
	{"RFC9112_6.1_TE_in_http10_response_is_close_delimited", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", []string{"GET"}, `
HTTP/1.0 200 "OK" {Transfer-Encoding=chunked} close-delimited body="3\r\nabc\r\n0\r\n\r\n" close
end: EOF leftover=""`},
	{"RFC9112_6.3_rule8_no_length_is_close_delimited", "HTTP/1.1 200 OK\r\n\r\nall of this\r\nHTTP/1.1 200 OK\r\n\r\n", []string{"GET"}, `
HTTP/1.1 200 "OK" {} close-delimited body="all of this\r\nHTTP/1.1 200 OK\r\n\r\n" close
end: EOF leftover=""`},
	{"RFC9112_6.3_rule8_empty_close_delimited_body", "HTTP/1.1 500 Oops\r\n\r\n", []string{"GET"}, `
HTTP/1.1 500 "Oops" {} close-delimited body="" close
end: EOF leftover=""`},
	{"RFC9112_6.3_rule5_differing_content_length", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", []string{"GET"}, `
end: 502 RFC 9112 §6.3 rule 5: differing Content-Length values leftover="ab"`},
	{"RFC9112_5.2_obs_fold_unfolded_in_response", "HTTP/1.1 200 OK\r\nX-Long: a\r\n \t b\r\n\tc \r\nContent-Length: 0\r\n\r\n", []string{"GET"}, `
HTTP/1.1 200 "OK" {X-Long=a b c,Content-Length=0} content-length:0 body="" keep
end: EOF leftover=""`},
	{"RFC9112_9.3_http10_response_keep_alive", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5, max=100\r\nContent-Length: 1\r\n\r\naHTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nbHTTP/1.0 200 OK\r\n\r\n", []string{"GET"}, `
HTTP/1.0 200 "OK" {Connection=keep-alive,Keep-Alive=timeout=5, max=100,Content-Length=1} content-length:1 body="a" keep
HTTP/1.0 200 "OK" {Content-Length=1} content-length:1 body="b" close
end: EOF leftover="HTTP/1.0 200 OK\r\n\r\n"`},
	{"RFC9112_9.6_close_leaves_the_rest_unparsed", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\naHTTP/1.1 200 OK\r\n\r\n", []string{"GET"}, `
HTTP/1.1 200 "OK" {Connection=close,Content-Length=1} content-length:1 body="a" close
end: EOF leftover="HTTP/1.1 200 OK\r\n\r\n"`},
	{"RFC9112_8_truncated_response", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial", []string{"GET"}, `
HTTP/1.1 200 "OK" {Content-Length=100} content-length:100 body="partial" close truncated
end: EOF leftover=""`},
	{"RFC9112_8_EOF_in_status_line", "HTTP/1.1 200 O", []string{"GET"}, `
end: unexpected EOF leftover="HTTP/1.1 200 O"`},
	{"RFC9112_4_no_SP_after_status", "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", []string{"GET"}, `
end: 502 RFC 9112 §4: no SP after the status code leftover="HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n"`},
	{"RFC9112_4_two_digit_status", "HTTP/1.1 20 OK\r\n\r\n", []string{"GET"}, `
end: 502 RFC 9112 §4: status code is not three digits leftover="HTTP/1.1 20 OK\r\n\r\n"`},
	{"RFC9110_15_status_out_of_range", "HTTP/1.1 600 Weird\r\n\r\n", []string{"GET"}, `
end: 502 RFC 9110 §15: status code outside 100..599 leftover="HTTP/1.1 600 Weird\r\n\r\n"`},
	{"RFC9112_2.3_HTTP2_status_line", "HTTP/2.0 200 OK\r\n\r\n", []string{"GET"}, `
end: 502 RFC 9112 §2.3: unsupported HTTP version HTTP/2.0 leftover="HTTP/2.0 200 OK\r\n\r\n"`},
	{"RFC9112_2.2_bare_LF_in_response", "HTTP/1.1 200 OK\nContent-Length: 0\n\n", []string{"GET"}, `
end: 502 RFC 9112 §2.2: bare LF as line terminator leftover="HTTP/1.1 200 OK\nContent-Length: 0\n\n"`},
	{"RFC9112_5.1_whitespace_before_colon_in_response", "HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n", []string{"GET"}, `
end: 502 RFC 9112 §5.1: whitespace between the field name and the colon leftover="HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n"`},
	{"RFC9112_2.2_leading_CRLF_not_skipped_before_response", "\r\nHTTP/1.1 200 OK\r\n\r\n", []string{"GET"}, `
end: 502 RFC 9112 §2.2: empty line before the start line leftover="\r\nHTTP/1.1 200 OK\r\n\r\n"`},
}

func TestReadResponse(t *testing.T) {
	for _, tt := range responseTests {
		for _, rd := range readers {
			t.Run(tt.name+"/"+rd.name, func(t *testing.T) {
				check(t, dumpResponses(rd.wrap(strings.NewReader(tt.in)), tt.methods, Limits{}), tt.want)
			})
		}
	}
}

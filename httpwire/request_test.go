package httpwire

import (
	"strings"
	"testing"
)

const crlf = "\r\n"

// lines joins lines with CRLF, so that test inputs show every line end.
func lines(ls ...string) string { return strings.Join(ls, crlf) }

var requestTests = []struct {
	name string
	in   string
	lim  Limits
	want string
}{
	// Accepted messages.
	{"RFC9112_3_simple_get", "GET /a HTTP/1.1\r\nHost: x\r\n\r\n", Limits{}, `
GET /a HTTP/1.1 {Host=x} none body="" keep
end: EOF leftover=""`},
	{"RFC9112_5_name_case_order_and_OWS_kept", lines("GET / HTTP/1.1", "host: \t x \t", "X-B:b", "x-a:  ", "X-B: c d \t e ", "", ""), Limits{}, `
GET / HTTP/1.1 {host=x,X-B=b,x-a=,X-B=c d 	 e} none body="" keep
end: EOF leftover=""`},
	{"RFC9110_5.5_obs_text_in_value", "GET / HTTP/1.1\r\nHost: x\r\nX: caf\xc3\xa9\r\n\r\n", Limits{}, `
GET / HTTP/1.1 {Host=x,X=caf` + "\xc3\xa9" + `} none body="" keep
end: EOF leftover=""`},
	{"RFC9112_2.2_one_leading_CRLF_ignored", "\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", Limits{}, `
GET / HTTP/1.1 {Host=x} none body="" keep
end: EOF leftover=""`},
	{"RFC9112_2.2_two_leading_CRLF_rejected", "\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", Limits{}, `
end: 400 RFC 9112 §2.2: empty line before the start line leftover="\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"`},
	{"RFC9112_2.2_CRLF_only_is_clean_EOF", "\r\n", Limits{}, `
end: EOF leftover=""`},
	{"RFC9112_6.3_rule7_request_without_length_has_no_body", "POST / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: y\r\n\r\n", Limits{}, `
POST / HTTP/1.1 {Host=x} none body="" keep
GET / HTTP/1.1 {Host=y} none body="" keep
end: EOF leftover=""`},
	{"RFC9112_6.3_rule6_content_length_pipelined", "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET /g HTTP/1.1\r\nHost: x\r\n\r\n", Limits{}, `
POST /p HTTP/1.1 {Host=x,Content-Length=5} content-length:5 body="hello" keep
GET /g HTTP/1.1 {Host=x} none body="" keep
end: EOF leftover=""`},
	{"RFC9112_6.3_rule5_equal_duplicate_content_length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\ncontent-length: 3\r\n\r\nabc", Limits{}, `
POST / HTTP/1.1 {Host=x,Content-Length=3,content-length=3} content-length:3 body="abc" keep
end: EOF leftover=""`},
	{"RFC9112_6.3_rule5_equal_list_content_length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\n\r\nabc", Limits{}, `
POST / HTTP/1.1 {Host=x,Content-Length=3, 3} content-length:3 body="abc" keep
end: EOF leftover=""`},
	{"RFC9112_7.1_chunked_extensions_trailers", lines("POST / HTTP/1.1", "Host: x", "Transfer-Encoding: chunked", "",
		"5;a=b ; c ;d=\"q \\\" s\"", "hello", "6", " world", "0", "Expires: never", "X-T: 1", "", "") + "GET /n HTTP/1.1\r\nHost: x\r\n\r\n", Limits{}, `
POST / HTTP/1.1 {Host=x,Transfer-Encoding=chunked} chunked body="hello world" trailer{Expires=never,X-T=1} keep
GET /n HTTP/1.1 {Host=x} none body="" keep
end: EOF leftover=""`},
	{"RFC9112_7.1.1_BWS_before_semicolon", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\nA \t; ext\r\n0123456789\r\n0\r\n\r\n", Limits{}, `
POST / HTTP/1.1 {Host=x,Transfer-Encoding=Chunked} chunked body="0123456789" keep
end: EOF leftover=""`},
	{"RFC9112_9.3_http10_closes_rest_is_leftover", "GET / HTTP/1.0\r\n\r\nGET /2 HTTP/1.0\r\n\r\n", Limits{}, `
GET / HTTP/1.0 {} none body="" close
end: EOF leftover="GET /2 HTTP/1.0\r\n\r\n"`},
	{"RFC9112_9.3_http10_keep_alive_persists", "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\nGET /2 HTTP/1.0\r\n\r\n", Limits{}, `
GET / HTTP/1.0 {Connection=Keep-Alive} none body="" keep
GET /2 HTTP/1.0 {} none body="" close
end: EOF leftover=""`},
	{"RFC9112_9.6_close_ends_stream", "GET / HTTP/1.1\r\nHost: x\r\nConnection: foo, CLOSE\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n", Limits{}, `
GET / HTTP/1.1 {Host=x,Connection=foo, CLOSE} none body="" close
end: EOF leftover="GET /2 HTTP/1.1\r\nHost: x\r\n\r\n"`},
	{"RFC9112_9.3_close_beats_keep_alive", "GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n", Limits{}, `
GET / HTTP/1.0 {Connection=keep-alive,Connection=close} none body="" close
end: EOF leftover=""`},
	{"RFC9110_6.2_minor_above_1_is_1.1", "GET / HTTP/1.7\r\nHost: x\r\n\r\n", Limits{}, `
GET / HTTP/1.7 {Host=x} none body="" keep
end: EOF leftover=""`},
	{"RFC9110_9.1_lower_case_and_extension_methods", "get / HTTP/1.1\r\nHost: x\r\n\r\nPURGE /c HTTP/1.1\r\nHost: x\r\n\r\n", Limits{}, `
get / HTTP/1.1 {Host=x} none body="" keep
PURGE /c HTTP/1.1 {Host=x} none body="" keep
end: EOF leftover=""`},
	{"RFC9112_3.2_target_forms", lines("OPTIONS * HTTP/1.1", "Host: x", "", "CONNECT example.com:443 HTTP/1.1", "Host: example.com:443", "",
		"GET http://example.com/a?b HTTP/1.1", "Host: example.com", "", "GET /x HTTP/1.1", "Host: [::1]:8080", "", ""), Limits{}, `
OPTIONS * HTTP/1.1 {Host=x} none body="" keep
CONNECT example.com:443 HTTP/1.1 {Host=example.com:443} none body="" keep
GET http://example.com/a?b HTTP/1.1 {Host=example.com} none body="" keep
GET /x HTTP/1.1 {Host=[::1]:8080} none body="" keep
end: EOF leftover=""`},
	{"RFC9112_3.2_empty_Host_value", "GET / HTTP/1.1\r\nHost:\r\n\r\n", Limits{}, `
GET / HTTP/1.1 {Host=} none body="" keep
end: EOF leftover=""`},

	// End of stream.
	{"RFC9112_8_empty_stream_is_EOF", "", Limits{}, `
end: EOF leftover=""`},
	{"RFC9112_8_EOF_in_header_section", "GET / HTTP/1.1\r\nHost: x\r\n", Limits{}, `
end: unexpected EOF leftover="GET / HTTP/1.1\r\nHost: x\r\n"`},
	{"RFC9112_8_EOF_in_content_length_body", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc", Limits{}, `
POST / HTTP/1.1 {Host=x,Content-Length=10} content-length:10 body="abc" close truncated
end: EOF leftover=""`},
	{"RFC9112_8_EOF_in_chunk", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n5\r\nde", Limits{}, `
POST / HTTP/1.1 {Host=x,Transfer-Encoding=chunked} chunked body="abcde" close truncated
end: EOF leftover=""`},
	{"RFC9112_8_EOF_before_last_chunk", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n", Limits{}, `
POST / HTTP/1.1 {Host=x,Transfer-Encoding=chunked} chunked body="abc" close truncated
end: EOF leftover=""`},
	{"RFC9112_8_EOF_in_trailer_section", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: y\r\n", Limits{}, `
POST / HTTP/1.1 {Host=x,Transfer-Encoding=chunked} chunked body="" close truncated
end: EOF leftover="X: y\r\n"`},

	// Rejections, each naming its rule.
	{"RFC9112_6.3_rule3_content_length_with_transfer_encoding", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", Limits{}, `
end: 400 RFC 9112 §6.3 rule 3: Content-Length together with Transfer-Encoding leftover="0\r\n\r\n"`},
	{"RFC9112_6.3_rule5_differing_content_length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", Limits{}, `
end: 400 RFC 9112 §6.3 rule 5: differing Content-Length values leftover="abcd"`},
	{"RFC9112_6.3_rule5_differing_content_length_list", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 4\r\n\r\nabcd", Limits{}, `
end: 400 RFC 9112 §6.3 rule 5: differing Content-Length values leftover="abcd"`},
	{"RFC9110_8.6_non_numeric_content_length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x10\r\n\r\n", Limits{}, `
end: 400 RFC 9110 §8.6: Content-Length "0x10" is not a non-negative decimal number leftover=""`},
	{"RFC9110_8.6_negative_content_length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", Limits{}, `
end: 400 RFC 9110 §8.6: Content-Length "-1" is not a non-negative decimal number leftover=""`},
	{"RFC9110_8.6_plus_sign_content_length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +1\r\n\r\n", Limits{}, `
end: 400 RFC 9110 §8.6: Content-Length "+1" is not a non-negative decimal number leftover=""`},
	{"RFC9110_8.6_overflowing_content_length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 9223372036854775808\r\n\r\n", Limits{}, `
end: 400 RFC 9110 §8.6: Content-Length "9223372036854775808" overflows leftover=""`},
	{"RFC9110_8.6_empty_content_length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n", Limits{}, `
end: 400 RFC 9110 §8.6: empty Content-Length leftover=""`},
	{"RFC9110_15.5.14_content_length_over_limit", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n", Limits{MaxBodyBytes: 10}, `
end: 413 RFC 9110 §15.5.14: Content-Length 11 exceeds the body limit leftover=""`},
	{"RFC9112_6.3_rule4_request_TE_not_ending_in_chunked", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", Limits{}, `
end: 400 RFC 9112 §6.3 rule 4: request Transfer-Encoding does not end in chunked leftover=""`},
	{"RFC9112_6.1_coding_other_than_chunked_in_request", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", Limits{}, `
end: 501 RFC 9112 §6.1: transfer coding other than chunked in a request leftover=""`},
	{"RFC9112_6.1_chunked_twice", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", Limits{}, `
end: 400 RFC 9112 §6.1: chunked is not the final transfer coding leftover=""`},
	{"RFC9112_6.1_TE_in_http10_request", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", Limits{}, `
end: 400 RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 request leftover="0\r\n\r\n"`},
	{"RFC9112_6.1_TE_obfuscated_with_tab_in_token", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\t,\r\n\r\n0\r\n\r\n", Limits{}, `
POST / HTTP/1.1 {Host=x,Transfer-Encoding=chunked	,} chunked body="" keep
end: EOF leftover=""`},
	{"RFC9112_5.2_obs_fold_in_request", "GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n", Limits{}, `
end: 400 RFC 9112 §5.2: obs-fold (line folding) in a request leftover="GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n"`},
	{"RFC9112_2.2_bare_LF_in_request_line", "GET / HTTP/1.1\nHost: x\r\n\r\n", Limits{}, `
end: 400 RFC 9112 §2.2: bare LF as line terminator leftover="GET / HTTP/1.1\nHost: x\r\n\r\n"`},
	{"RFC9112_2.2_bare_LF_in_field_line", "GET / HTTP/1.1\r\nHost: x\nX: y\r\n\r\n", Limits{}, `
end: 400 RFC 9112 §2.2: bare LF as line terminator leftover="GET / HTTP/1.1\r\nHost: x\nX: y\r\n\r\n"`},
	{"RFC9112_2.2_bare_LF_ends_header_section", "GET / HTTP/1.1\r\nHost: x\r\n\n", Limits{}, `
end: 400 RFC 9112 §2.2: bare LF as line terminator leftover="GET / HTTP/1.1\r\nHost: x\r\n\n"`},
	{"RFC9112_2.2_bare_CR_in_value", "GET / HTTP/1.1\r\nHost: x\r\nX: a\rTransfer-Encoding: chunked\r\n\r\n", Limits{}, `
end: 400 RFC 9112 §2.2: bare CR not followed by LF leftover="GET / HTTP/1.1\r\nHost: x\r\nX: a\rTransfer-Encoding: chunked\r\n\r\n"`},
	{"RFC9110_5.5_NUL_in_value", "GET / HTTP/1.1\r\nHost: x\r\nX: a\x00b\r\n\r\n", Limits{}, `
end: 400 RFC 9110 §5.5: NUL in a field value leftover="GET / HTTP/1.1\r\nHost: x\r\nX: a\x00b\r\n\r\n"`},
	{"RFC9110_5.5_control_in_value", "GET / HTTP/1.1\r\nHost: x\r\nX: a\x7fb\r\n\r\n", Limits{}, `
end: 400 RFC 9110 §5.5: control character in a field value leftover="GET / HTTP/1.1\r\nHost: x\r\nX: a\x7fb\r\n\r\n"`},
	{"RFC9112_5.1_whitespace_before_colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", Limits{}, `
end: 400 RFC 9112 §5.1: whitespace between the field name and the colon leftover="GET / HTTP/1.1\r\nHost : x\r\n\r\n"`},
	{"RFC9112_2.2_whitespace_before_first_field", "GET / HTTP/1.1\r\n Host: x\r\n\r\n", Limits{}, `
end: 400 RFC 9112 §2.2: whitespace before the first field line leftover="GET / HTTP/1.1\r\n Host: x\r\n\r\n"`},
	{"RFC9112_5.1_invalid_token_in_field_name", "GET / HTTP/1.1\r\nHost: x\r\nX(y): z\r\n\r\n", Limits{}, `
end: 400 RFC 9112 §5.1: invalid character in field name leftover="GET / HTTP/1.1\r\nHost: x\r\nX(y): z\r\n\r\n"`},
	{"RFC9112_5.1_empty_field_name", "GET / HTTP/1.1\r\nHost: x\r\n: z\r\n\r\n", Limits{}, `
end: 400 RFC 9112 §5.1: empty field name leftover="GET / HTTP/1.1\r\nHost: x\r\n: z\r\n\r\n"`},
	{"RFC9112_5_field_line_without_colon", "GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", Limits{}, `
end: 400 RFC 9112 §5: field line without a colon leftover="GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n"`},
	{"RFC9112_3_invalid_token_in_method", "G@T / HTTP/1.1\r\nHost: x\r\n\r\n", Limits{}, `
end: 400 RFC 9112 §3: invalid character in method leftover="G@T / HTTP/1.1\r\nHost: x\r\n\r\n"`},
	{"RFC9112_3_double_SP_before_target", "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", Limits{}, `
end: 400 RFC 9112 §3: more than one SP in the request line leftover="GET  / HTTP/1.1\r\nHost: x\r\n\r\n"`},
	{"RFC9112_3_double_SP_before_version", "GET /  HTTP/1.1\r\nHost: x\r\n\r\n", Limits{}, `
end: 400 RFC 9112 §3: more than one SP in the request line leftover="GET /  HTTP/1.1\r\nHost: x\r\n\r\n"`},
	{"RFC9112_3_leading_whitespace", " GET / HTTP/1.1\r\nHost: x\r\n\r\n", Limits{}, `
end: 400 RFC 9112 §3: request line starts with whitespace leftover=" GET / HTTP/1.1\r\nHost: x\r\n\r\n"`},
	{"RFC9112_3_no_version", "GET /\r\n\r\n", Limits{}, `
end: 400 RFC 9112 §3: request line without HTTP-version leftover="GET /\r\n\r\n"`},
	{"RFC9112_3.2_control_in_target", "GET /a\tb HTTP/1.1\r\nHost: x\r\n\r\n", Limits{}, `
end: 400 RFC 9112 §3.2: invalid character in request-target leftover="GET /a\tb HTTP/1.1\r\nHost: x\r\n\r\n"`},
	{"RFC9112_3.2.4_asterisk_with_GET", "GET * HTTP/1.1\r\nHost: x\r\n\r\n", Limits{}, `
end: 400 RFC 9112 §3.2.4: asterisk-form target with a method other than OPTIONS leftover="GET * HTTP/1.1\r\nHost: x\r\n\r\n"`},
	{"RFC9112_3.2.3_CONNECT_without_authority", "CONNECT /a HTTP/1.1\r\nHost: x\r\n\r\n", Limits{}, `
end: 400 RFC 9112 §3.2.3: CONNECT without an authority-form target (host:port) leftover="CONNECT /a HTTP/1.1\r\nHost: x\r\n\r\n"`},
	{"RFC9112_3.2_target_not_origin_or_absolute", "GET a/b HTTP/1.1\r\nHost: x\r\n\r\n", Limits{}, `
end: 400 RFC 9112 §3.2: request-target is neither origin-form nor absolute-form leftover="GET a/b HTTP/1.1\r\nHost: x\r\n\r\n"`},
	{"RFC9112_3.2_http11_without_Host", "GET / HTTP/1.1\r\nX: y\r\n\r\n", Limits{}, `
end: 400 RFC 9112 §3.2: HTTP/1.1 request without Host leftover="GET / HTTP/1.1\r\nX: y\r\n\r\n"`},
	{"RFC9112_3.2_two_Host_fields", "GET / HTTP/1.0\r\nHost: a\r\nhost: a\r\n\r\n", Limits{}, `
end: 400 RFC 9112 §3.2: more than one Host field leftover="GET / HTTP/1.0\r\nHost: a\r\nhost: a\r\n\r\n"`},
	{"RFC9112_3.2_invalid_Host", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", Limits{}, `
end: 400 RFC 9112 §3.2: invalid Host field value leftover="GET / HTTP/1.1\r\nHost: a b\r\n\r\n"`},
	{"RFC9112_2.3_HTTP2_request_line", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", Limits{}, `
end: 505 RFC 9112 §2.3: unsupported HTTP version HTTP/2.0 leftover="GET / HTTP/2.0\r\nHost: x\r\n\r\n"`},
	{"RFC9113_3.4_h2_preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", Limits{}, `
end: 505 RFC 9113 §3.4: HTTP/2 connection preface on an HTTP/1.x connection leftover="PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"`},
	{"RFC9112_2.3_lower_case_version", "GET / http/1.1\r\nHost: x\r\n\r\n", Limits{}, `
end: 400 RFC 9112 §2.3: invalid HTTP-version leftover="GET / http/1.1\r\nHost: x\r\n\r\n"`},
	{"RFC9112_2.3_two_digit_version", "GET / HTTP/1.10\r\nHost: x\r\n\r\n", Limits{}, `
end: 400 RFC 9112 §2.3: invalid HTTP-version leftover="GET / HTTP/1.10\r\nHost: x\r\n\r\n"`},
	{"RFC9110_5.4_header_section_over_limit", "GET / HTTP/1.1\r\nHost: x\r\nX: " + strings.Repeat("a", 40) + "\r\n\r\n", Limits{MaxHeaderBytes: 64}, `
end: 431 RFC 9110 §5.4: header section larger than 64 bytes leftover="GET / HTTP/1.1\r\nHost: x\r\nX: ` + strings.Repeat("a", 40) + `\r\n\r\n"`},
	{"RFC9110_5.4_header_section_at_limit", "GET / HTTP/1.1\r\nHost: x\r\nX: " + strings.Repeat("a", 31) + "\r\n\r\n", Limits{MaxHeaderBytes: 64}, `
GET / HTTP/1.1 {Host=x,X=` + strings.Repeat("a", 31) + `} none body="" keep
end: EOF leftover=""`},
	{"RFC9112_7.1_bare_LF_in_chunk_line", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n", Limits{}, `
end: 400 RFC 9112 §7.1: bare LF in a chunk line leftover="3\nabc\r\n0\r\n\r\n"`},
	{"RFC9112_7.1.1_whitespace_after_chunk_size", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3 \r\nabc\r\n0\r\n\r\n", Limits{}, `
end: 400 RFC 9112 §7.1.1: whitespace not followed by ';' in a chunk line leftover="abc\r\n0\r\n\r\n"`},
	{"RFC9112_7.1_chunk_size_not_hex", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nx3\r\nabc\r\n0\r\n\r\n", Limits{}, `
end: 400 RFC 9112 §7.1: chunk size is not a hex number leftover="abc\r\n0\r\n\r\n"`},
	{"RFC9112_7.1_chunk_size_overflow", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n", Limits{}, `
end: 400 RFC 9112 §7.1: chunk size too large leftover=""`},
	{"RFC9112_7.1_chunk_data_without_CRLF", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n", Limits{}, `
end: 400 RFC 9112 §7.1: chunk data not followed by CRLF leftover="d\r\n0\r\n\r\n"`},
	{"RFC9112_7.1.1_invalid_extension", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;=x\r\nabc\r\n0\r\n\r\n", Limits{}, `
end: 400 RFC 9112 §7.1.1: empty chunk extension name leftover="abc\r\n0\r\n\r\n"`},
	{"RFC9112_7.1.1_unterminated_quoted_extension", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;a=\"x\r\nabc\r\n0\r\n\r\n", Limits{}, `
end: 400 RFC 9112 §7.1.1: invalid quoted-string in a chunk extension leftover="abc\r\n0\r\n\r\n"`},
	{"RFC9112_7.1.2_obs_fold_in_request_trailer", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: a\r\n b\r\n\r\n", Limits{}, `
end: 400 RFC 9112 §5.2: obs-fold (line folding) in a request leftover="X: a\r\n b\r\n\r\n"`},
}

func TestReadRequest(t *testing.T) {
	for _, tt := range requestTests {
		for _, rd := range readers {
			t.Run(tt.name+"/"+rd.name, func(t *testing.T) {
				check(t, dumpRequests(rd.wrap(strings.NewReader(tt.in)), tt.lim), tt.want)
			})
		}
	}
}

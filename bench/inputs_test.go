package bench

import "strings"

// The inputs, the same bytes for every parser.
const (
	// browserRequest is a typical browser navigation, about 700 bytes.
	browserRequest = "GET /wiki/Hypertext_Transfer_Protocol HTTP/1.1\r\n" +
		"Host: en.wikipedia.org\r\n" +
		"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n" +
		"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n" +
		"Accept-Language: en-US,en;q=0.5\r\n" +
		"Accept-Encoding: gzip, deflate, br, zstd\r\n" +
		"Referer: https://www.google.com/\r\n" +
		"Connection: keep-alive\r\n" +
		"Cookie: WMF-Last-Access=05-Jan-2026; WMF-Last-Access-Global=05-Jan-2026; GeoIP=DE:BE:Berlin:52.52:13.40:v4\r\n" +
		"Upgrade-Insecure-Requests: 1\r\n" +
		"Sec-Fetch-Dest: document\r\n" +
		"Sec-Fetch-Mode: navigate\r\n" +
		"Sec-Fetch-Site: cross-site\r\n" +
		"Sec-Fetch-User: ?1\r\n" +
		"Priority: u=0, i\r\n" +
		"Pragma: no-cache\r\n" +
		"Cache-Control: no-cache\r\n" +
		"\r\n"

	// smallRequest is about 70 bytes.
	smallRequest = "GET /index.html HTTP/1.1\r\nHost: example.com\r\nUser-Agent: bench\r\n\r\n"

	// typicalResponse is a server's answer with a 128-byte body, about 800 bytes.
	typicalResponseHead = "HTTP/1.1 200 OK\r\n" +
		"Date: Mon, 05 Jan 2026 10:00:00 GMT\r\n" +
		"Content-Type: text/html; charset=UTF-8\r\n" +
		"Content-Length: 128\r\n" +
		"Connection: keep-alive\r\n" +
		"Server: nginx/1.27.0\r\n" +
		"Cache-Control: private, s-maxage=0, max-age=0, must-revalidate\r\n" +
		"Content-Language: en\r\n" +
		"Vary: Accept-Encoding,Cookie\r\n" +
		"Last-Modified: Sun, 04 Jan 2026 08:00:00 GMT\r\n" +
		"Age: 0\r\n" +
		"X-Cache: cp3066 miss, cp3066 pass\r\n" +
		"X-Cache-Status: pass\r\n" +
		"Strict-Transport-Security: max-age=106384710; includeSubDomains; preload\r\n" +
		"Set-Cookie: WMF-Last-Access=05-Jan-2026;Path=/;HttpOnly;secure;Expires=Fri, 06 Feb 2026 00:00:00 GMT\r\n" +
		"Accept-Ranges: bytes\r\n" +
		"\r\n"

	// smallResponse is about 70 bytes.
	smallResponse = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello"
)

var typicalResponse = typicalResponseHead + strings.Repeat("x", 128)

// input is one benchmark case: msgs messages of msg each per operation.
type input struct {
	name string
	msg  string
	msgs int
}

var requestInputs = []input{
	{"browser", browserRequest, 1},
	{"small", smallRequest, 1},
	{"pipelined10", smallRequest, 10},
}

var responseInputs = []input{
	{"typical", typicalResponse, 1},
	{"small", smallResponse, 1},
	{"pipelined10", smallResponse, 10},
}

// loopReader repeats data forever, so that every parser reads the same
// stream without the source allocating.
type loopReader struct {
	data []byte
	off  int
}

func (l *loopReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		k := copy(p[n:], l.data[l.off:])
		n += k
		l.off = (l.off + k) % len(l.data)
	}
	return n, nil
}

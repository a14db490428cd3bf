package peer

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tcplab/tcplab/httpwire"
)

// Handler answers one request. It runs once per request read in full; the
// Server counts each call as an execution. The request's storage is reused
// after the handler returns: clone what must be kept.
type Handler func(req *httpwire.Request) Reply

// Reply is a Handler's answer: a response and the scripted behaviour that
// goes with it. The Server adds the Connection, Keep-Alive and framing fields.
type Reply struct {
	Status int // 0: 200
	Reason string
	Header httpwire.Header
	Body   []byte

	// Chunked sends the body with Transfer-Encoding: chunked (HTTP/1.1
	// requests only; an HTTP/1.0 request gets Content-Length).
	Chunked bool
	// CloseDelimited sends no length: the body ends when the server closes
	// the connection (RFC 9112 §6.3 rule 8), so the connection cannot persist.
	CloseDelimited bool
	// Delay is waited before the response is written.
	Delay time.Duration
	// Short announces Content-Length: len(Body) but writes Short bytes
	// fewer, then closes: a truncated response (RFC 9112 §8).
	Short int
	// Drop closes the connection without writing any response: the request
	// was executed but the client never learns it.
	Drop bool
	// Close ends the connection after this response, with Connection: close.
	Close bool
}

// Objects is the default Handler. Routes (any method; HEAD gets no body):
//
//	/obj/<name>?size=B&delay=MS   B bytes (default 1000, at most MaxObjectSize) after MS ms
//	    &chunked=1                Transfer-Encoding: chunked
//	    &eof=1                    close-delimited body, no length
//	    &short=N                  Content-Length B but B-N bytes, then close
//	    &drop=1                   close without a response
//	    &close=1                  Connection: close
//	    &status=N                 status code N
//	/page?objects=N&size=B        an HTML page referencing N objects (PageTargets)
//
// Anything else is 404.
func Objects(req *httpwire.Request) Reply {
	path, query := splitTarget(originForm(req.Target))
	q := parseQuery(query)
	switch {
	case strings.HasPrefix(path, "/obj/"):
		rep := Reply{Body: ObjectBody(min(q.int("size", 1000), MaxObjectSize))}
		rep.Header.Add("Content-Type", "application/octet-stream")
		rep.Delay = time.Duration(q.int("delay", 0)) * time.Millisecond
		rep.Chunked = q.int("chunked", 0) != 0
		rep.CloseDelimited = q.int("eof", 0) != 0
		rep.Short = q.int("short", 0)
		rep.Drop = q.int("drop", 0) != 0
		rep.Close = q.int("close", 0) != 0
		if rep.Status = q.int("status", 200); rep.Status < 100 || rep.Status > 999 {
			rep.Status = 200
		}
		return rep
	case path == "/page":
		rep := Reply{Body: pageHTML(PageTargets(min(q.int("objects", 0), 10000), q.int("size", 1000)))}
		rep.Header.Add("Content-Type", "text/html")
		return rep
	}
	rep := Reply{Status: 404, Body: []byte("not found\n")}
	rep.Header.Add("Content-Type", "text/plain")
	return rep
}

// MaxObjectSize bounds the size= of an object.
const MaxObjectSize = 64 << 20

// PageTargets returns the targets of the n objects of size bytes that
// /page?objects=n&size=size references, in document order.
func PageTargets(n, size int) []string {
	t := make([]string, n)
	for i := range t {
		t[i] = fmt.Sprintf("/obj/%d?size=%d", i, size)
	}
	return t
}

func pageHTML(targets []string) []byte {
	var b strings.Builder
	b.WriteString("<!doctype html>\n<html><body>\n")
	for _, t := range targets {
		fmt.Fprintf(&b, "<img src=\"%s\">\n", t)
	}
	b.WriteString("</body></html>\n")
	return []byte(b.String())
}

// ObjectBody returns n deterministic bytes: lines of 63 characters and a
// newline, so a truncated body is easy to see in a capture.
func ObjectBody(n int) []byte {
	const alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	if n < 0 {
		n = 0
	}
	b := make([]byte, n)
	for i := range b {
		if i%64 == 63 {
			b[i] = '\n'
		} else {
			b[i] = alphabet[i%64%len(alphabet)]
		}
	}
	return b
}

// originForm turns an absolute-form target ("http://host/p?q", RFC 9112
// §3.2.2) into origin form ("/p?q"); other targets are returned unchanged.
func originForm(target string) string {
	rest, ok := strings.CutPrefix(target, "http://")
	if !ok {
		if rest, ok = strings.CutPrefix(target, "https://"); !ok {
			return target
		}
	}
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		if rest[i] == '?' {
			return "/" + rest[i:]
		}
		return rest[i:]
	}
	return "/"
}

func splitTarget(t string) (path, query string) {
	path, query, _ = strings.Cut(t, "?")
	return path, query
}

// query is a parsed query string: the first value of each key; no
// percent-decoding (the lab's targets are plain).
type query map[string]string

func parseQuery(s string) query {
	q := query{}
	for kv := range strings.SplitSeq(s, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		if _, dup := q[k]; !dup {
			q[k] = v
		}
	}
	return q
}

// int returns the value of key as a non-negative int, or def when it is
// absent or not a number.
func (q query) int(key string, def int) int {
	v, ok := q[key]
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return def
	}
	return n
}

package peer

import (
	"strings"

	"github.com/tcplab/tcplab/httpwire"
)

// wire builds the message for r on cc: version, target form, Host, the
// persistence fields, the body framing. persistent is whether the strategy
// means to reuse the connection. It reports whether the request asks the
// connection to persist.
func (c *Client) wire(r *Request, cc *clientConn, persistent bool) (*httpwire.Request, bool) {
	v := c.version(r)
	w := &httpwire.Request{Method: r.Method, Target: r.Target, Major: v.Major, Minor: v.Minor, ContentLength: -1}
	if w.Method == "" {
		w.Method = "GET"
	}
	origin := c.Config.Origin
	if origin == "" {
		origin = cc.addr
	}
	if c.Config.AbsoluteForm && strings.HasPrefix(w.Target, "/") {
		w.Target = "http://" + origin + w.Target
	}
	var h httpwire.Header
	if !r.Header.Has("Host") && !c.Config.Header.Has("Host") {
		h.Add("Host", origin)
	}
	last := !persistent || r.Close || c.Config.NoKeepAlive ||
		(c.Config.MaxRequestsPerConn > 0 && cc.sent+1 >= c.Config.MaxRequestsPerConn) ||
		(cc.limit > 0 && cc.sent+1 >= cc.limit)
	custom := r.Header.Has("Connection") || r.Header.Has("Proxy-Connection") ||
		c.Config.Header.Has("Connection") || c.Config.Header.Has("Proxy-Connection")
	if !custom {
		switch {
		case v == HTTP10 && !last:
			name := "Connection"
			if c.Config.ProxyConnection {
				name = "Proxy-Connection"
			}
			h.Add(name, "keep-alive")
		case v != HTTP10 && last:
			h.Add("Connection", "close")
		}
	}
	h = append(h, c.Config.Header...)
	h = append(h, r.Header...)
	w.Header = h
	if len(r.Body) > 0 || w.Method == "POST" || w.Method == "PUT" || w.Method == "PATCH" {
		w.Framing = httpwire.FramingContentLength
		w.Body = r.Body
	}
	return w, requestAsksKeepAlive(v, h)
}

// requestAsksKeepAlive applies RFC 9112 §9.3 to the request as written:
// HTTP/1.1 persists unless Connection lists close; HTTP/1.0 persists only
// with the keep-alive option, here read from Connection or, for the
// proxy workaround, Proxy-Connection.
func requestAsksKeepAlive(v Version, h httpwire.Header) bool {
	if hasToken(h, "Connection", "close") {
		return false
	}
	if v == HTTP10 {
		return hasToken(h, "Connection", "keep-alive") || hasToken(h, "Proxy-Connection", "keep-alive")
	}
	return true
}

// cacheable reports whether a shared cache could store the response: a
// complete response to GET or HEAD with a heuristically cacheable status
// (RFC 9110 §15.1) and no Cache-Control: no-store (RFC 9111 §3).
func cacheable(method string, resp *httpwire.Response) bool {
	if resp == nil || resp.Truncated || (method != "GET" && method != "HEAD") {
		return false
	}
	if hasToken(resp.Header, "Cache-Control", "no-store") {
		return false
	}
	switch resp.Status {
	case 200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501:
		return true
	}
	return false
}

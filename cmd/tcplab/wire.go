package main

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/tcplab/tcplab/httpwire"
	"github.com/urfave/cli/v2"
)

// wireCommand is `tcplab wire`: the HTTP/1.x codec from the command line.
func wireCommand() *cli.Command {
	return &cli.Command{
		Name:  "wire",
		Usage: "the HTTP/1.x codec (httpwire) on bytes you give it",
		Subcommands: []*cli.Command{{
			Name:      "parse",
			Usage:     "parse HTTP/1.x messages from stdin and say how each is framed and whether the connection persists",
			ArgsUsage: "< bytes",
			Description: "Reads a byte stream (one or several pipelined messages) from standard input and prints,\n" +
				"per message, the start line, the framing and the RFC 9112 §6.3 rule behind it, whether the\n" +
				"connection persists and why (RFC 9112 §9.3), and the hop-by-hop fields.\n" +
				"Exit status: 0 parsed (a truncated stream included), 1 protocol error, 2 usage error.",
			Flags: []cli.Flag{
				&cli.BoolFlag{Name: "response", Usage: "the stream holds responses, not requests"},
				&cli.StringFlag{Name: "method", Value: "GET", Usage: "methods of the requests the responses answer, in order, comma-separated; the last one repeats"},
				&cli.IntFlag{Name: "max-header-bytes", Usage: "largest header section accepted (0: 16 KiB)"},
				&cli.BoolFlag{Name: "json", Usage: "print one JSON object"},
			},
			Action: wireParse,
		}},
	}
}

// wireOutput is the JSON printed by `tcplab wire parse --json`.
type wireOutput struct {
	Messages    []wireMessage `json:"messages"`
	Truncated   bool          `json:"truncated"`
	Error       *string       `json:"error"`
	LeftoverB64 string        `json:"leftover_b64"`

	readFailed bool // the input could not be read: not a protocol error
}

// wireMessage is one parsed message. Requests carry method and target,
// responses status and reason.
type wireMessage struct {
	Method          *string              `json:"method,omitempty"`
	Target          *string              `json:"target,omitempty"`
	Status          *int                 `json:"status,omitempty"`
	Reason          *string              `json:"reason,omitempty"`
	Version         string               `json:"version"`
	Headers         [][2]string          `json:"headers"`
	BodyB64         string               `json:"body_b64"`
	KeepAlive       bool                 `json:"keep_alive"`
	Framing         string               `json:"framing"`
	Trailers        [][2]string          `json:"trailers,omitempty"`
	KeepAliveParams *wireKeepAliveParams `json:"keep_alive_params,omitempty"`
	HopByHop        []string             `json:"hop_by_hop,omitempty"`

	// For the text output only.
	framingWhy, keepWhy string
	contentLength       int64
	truncated           bool
	bodyLen             int
}

type wireKeepAliveParams struct {
	Timeout *int `json:"timeout,omitempty"`
	Max     *int `json:"max,omitempty"`
}

func wireParse(c *cli.Context) error {
	if c.NArg() > 0 {
		return cli.Exit("tcplab wire parse: unexpected arguments "+strings.Join(c.Args().Slice(), " ")+" (the bytes come on stdin)", exitCannotRun)
	}
	if c.Int("max-header-bytes") < 0 {
		return cli.Exit("tcplab wire parse: --max-header-bytes must not be negative", exitCannotRun)
	}
	methods, err := parseMethods(c.String("method"))
	if err != nil {
		return cli.Exit("tcplab wire parse: "+err.Error(), exitCannotRun)
	}
	if c.IsSet("method") && !c.Bool("response") {
		return cli.Exit("tcplab wire parse: --method needs --response", exitCannotRun)
	}
	in := c.App.Reader
	if in == nil {
		in = os.Stdin
	}
	out := parseStream(in, c.Bool("response"), methods, c.Int("max-header-bytes"))

	w := c.App.Writer
	if w == nil {
		w = os.Stdout
	}
	if c.Bool("json") {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(out); err != nil {
			return cli.Exit("tcplab wire parse: "+err.Error(), exitCannotRun)
		}
	} else {
		writeWireText(w, out)
	}
	switch {
	case out.readFailed:
		return cli.Exit("tcplab wire parse: "+*out.Error, exitCannotRun)
	case out.Error != nil:
		return cli.Exit("tcplab wire parse: "+*out.Error, exitFail)
	}
	return nil
}

// parseMethods reads "GET,HEAD" into its methods, each a token.
func parseMethods(s string) ([]string, error) {
	var ms []string
	for _, m := range strings.Split(s, ",") {
		m = strings.TrimSpace(m)
		if m == "" || strings.IndexFunc(m, func(r rune) bool { return r <= ' ' || r >= 0x7f || strings.ContainsRune("\"(),/:;<=>?@[\\]{}", r) }) >= 0 {
			return nil, fmt.Errorf("--method: %q is not a method token", m)
		}
		ms = append(ms, m)
	}
	return ms, nil
}

// parseStream reads every message of in. A 1xx response other than 101 is
// interim and does not use up a request method.
func parseStream(in io.Reader, response bool, methods []string, maxHeader int) wireOutput {
	rd := httpwire.NewReader(in)
	rd.Limits.MaxHeaderBytes = maxHeader
	out := wireOutput{Messages: []wireMessage{}}
	var req httpwire.Request
	var resp httpwire.Response
	for i := 0; ; {
		var m wireMessage
		var err error
		if response {
			if err = rd.ReadResponse(&resp, methods[min(i, len(methods)-1)]); err == nil {
				m = responseMessage(&resp)
				if resp.Status/100 != 1 || resp.Status == 101 {
					i++
				}
			}
		} else if err = rd.ReadRequest(&req); err == nil {
			m = requestMessage(&req)
		}
		switch {
		case err == nil:
			out.Messages = append(out.Messages, m)
			out.Truncated = m.truncated
			continue
		case errors.Is(err, io.ErrUnexpectedEOF):
			out.Truncated = true
		case errors.Is(err, io.EOF):
		default:
			s := err.Error()
			out.Error = &s
			out.readFailed = !errors.As(err, new(*httpwire.ProtocolError))
		}
		out.LeftoverB64 = base64.StdEncoding.EncodeToString(rd.Leftover())
		return out
	}
}

func requestMessage(r *httpwire.Request) wireMessage {
	keep, why := r.KeepAlive()
	m := wireMessage{
		Method: ptr(strings.Clone(r.Method)), Target: ptr(strings.Clone(r.Target)),
		Version: r.Proto(), KeepAlive: keep, keepWhy: why, framingWhy: r.FramingReason(),
		contentLength: r.ContentLength, truncated: r.Truncated, bodyLen: len(r.Body),
	}
	fillCommon(&m, r.Header, r.Trailer, r.Body, r.Framing)
	return m
}

func responseMessage(r *httpwire.Response) wireMessage {
	keep, why := r.KeepAlive()
	m := wireMessage{
		Status: ptr(r.Status), Reason: ptr(strings.Clone(r.Reason)),
		Version: r.Proto(), KeepAlive: keep, keepWhy: why, framingWhy: r.FramingReason(),
		contentLength: r.ContentLength, truncated: r.Truncated, bodyLen: len(r.Body),
	}
	fillCommon(&m, r.Header, r.Trailer, r.Body, r.Framing)
	return m
}

func fillCommon(m *wireMessage, h, trailer httpwire.Header, body []byte, f httpwire.Framing) {
	m.Headers = fieldPairs(h)
	if len(trailer) > 0 {
		m.Trailers = fieldPairs(trailer)
	}
	m.BodyB64 = base64.StdEncoding.EncodeToString(body)
	m.Framing = f.String()
	if p, ok := httpwire.ParseKeepAlive(h); ok {
		m.KeepAliveParams = &wireKeepAliveParams{}
		if p.HasTimeout {
			m.KeepAliveParams.Timeout = ptr(p.Timeout)
		}
		if p.HasMax {
			m.KeepAliveParams.Max = ptr(p.Max)
		}
	}
	m.HopByHop = httpwire.HopByHop(h)
}

// fieldPairs copies fields out of the reader's reused storage.
func fieldPairs(h httpwire.Header) [][2]string {
	ps := make([][2]string, len(h))
	for i, f := range h {
		ps[i] = [2]string{strings.Clone(f.Name), strings.Clone(f.Value)}
	}
	return ps
}

func ptr[T any](v T) *T { return &v }

// writeWireText prints one paragraph per message for a person.
func writeWireText(w io.Writer, out wireOutput) {
	for i, m := range out.Messages {
		if i > 0 {
			fmt.Fprintln(w)
		}
		if m.Method != nil {
			fmt.Fprintf(w, "request %d: %s %s %s\n", i+1, *m.Method, *m.Target, m.Version)
		} else {
			fmt.Fprintf(w, "response %d: %s %d %s\n", i+1, m.Version, *m.Status, *m.Reason)
		}
		for _, f := range m.Headers {
			fmt.Fprintf(w, "  %s: %s\n", f[0], f[1])
		}
		fmt.Fprintf(w, "  framing:    %s: %s\n", m.Framing, m.framingWhy)
		body := fmt.Sprintf("%d bytes", m.bodyLen)
		if m.truncated {
			body += fmt.Sprintf(", truncated: the stream ended first (Content-Length %d)", m.contentLength)
			if m.contentLength < 0 {
				body = fmt.Sprintf("%d bytes, truncated: the stream ended before the last chunk", m.bodyLen)
			}
		}
		fmt.Fprintf(w, "  body:       %s\n", body)
		for _, f := range m.Trailers {
			fmt.Fprintf(w, "  trailer:    %s: %s\n", f[0], f[1])
		}
		persist := "no"
		if m.KeepAlive {
			persist = "yes"
		}
		fmt.Fprintf(w, "  persistent: %s: %s\n", persist, m.keepWhy)
		if p := m.KeepAliveParams; p != nil {
			var ps []string
			if p.Timeout != nil {
				ps = append(ps, fmt.Sprintf("timeout=%ds", *p.Timeout))
			}
			if p.Max != nil {
				ps = append(ps, fmt.Sprintf("max=%d requests", *p.Max))
			}
			fmt.Fprintf(w, "  keep-alive: %s\n", strings.Join(ps, ", "))
		}
		if len(m.HopByHop) > 0 {
			fmt.Fprintf(w, "  hop-by-hop: %s (a proxy removes these)\n", strings.Join(m.HopByHop, ", "))
		}
	}
	if len(out.Messages) == 0 && out.Error == nil && !out.Truncated {
		fmt.Fprintln(w, "no message")
	}
	if out.Truncated && (len(out.Messages) == 0 || !out.Messages[len(out.Messages)-1].truncated) {
		fmt.Fprintln(w, "the stream ended inside a header section: no message (RFC 9112 §8)")
	}
	if left, _ := base64.StdEncoding.DecodeString(out.LeftoverB64); len(left) > 0 {
		fmt.Fprintf(w, "leftover: %d bytes not parsed as HTTP/1.x: %q\n", len(left), clip(left))
	}
	if out.Error != nil {
		fmt.Fprintf(w, "error: %s\n", *out.Error)
	}
}

func clip(b []byte) []byte {
	if len(b) > 64 {
		return append(b[:64:64], "..."...)
	}
	return b
}

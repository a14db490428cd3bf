// Package httpwire is a strict HTTP/1.x codec over any io.Reader and io.Writer.
//
// It reads requests and responses from a byte stream that may hold several
// pipelined messages, decides how each body is delimited with the ordered
// rules of RFC 9112 §6.3, decides whether the connection persists with the
// rules of RFC 9112 §9.3, and writes messages back byte for byte.
//
// The reader is strict where RFC 9112 and RFC 9110 allow a recipient a choice
// (each rejection is a *ProtocolError naming the rule) and lenient only where
// listed: one CRLF before a request line (§2.2), HTTP/1.x minor versions above
// 1 (treated as HTTP/1.1, RFC 9110 §6.2), lower-case and extension methods,
// BWS before ";" in chunk extensions (§7.1.1), obs-fold in responses (unfolded
// to one SP, §5.2) and a response Transfer-Encoding whose final coding is not
// chunked (close-delimited, §6.3 rule 4).
//
// Storage: a Request or Response passed to ReadRequest or ReadResponse is
// reused. Its strings, Header, Trailer and Body point into storage owned by
// that value and are overwritten by the next read into the same value. Keep a
// message across reads with Clone, or read into a fresh value.
//
// The package imports the standard library only and no network code: the
// same codec runs over a TCP connection, a pipe or a string.
package httpwire

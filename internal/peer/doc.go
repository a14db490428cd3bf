// Package peer holds the programs at each end of tcplab's HTTP experiments:
// a Client with a connection pool and the loading strategies of the
// chapter's §4.3–4.6 (serial, parallel, persistent, persistent+parallel,
// pipelined), a Server with HTTP/1.0 and HTTP/1.1 persistence rules and
// scripted misbehaviour, and two proxies, a DumbProxy that forwards
// everything blindly and a SmartProxy that manages connections per hop.
//
// Everything is built on package httpwire (no net/http) and sockopt. Every
// program keeps exact records for the experiments' verdicts, to be checked
// against the packet capture:
//
//   - ConnRecord per TCP connection: addresses, open and close times,
//     requests and responses, who closed first (ByLocal, ByPeer), why, and
//     how (graceful half-close, bytes left unread at close(2) — Linux then
//     sends RST — or SO_LINGER {1, 0});
//   - Timing per client attempt: queued, dial start, connected, request
//     written, first response byte, done, connection, reuse, pipelining,
//     attempt number — the rows of a waterfall;
//   - Event per server step, and execution counters per method and target,
//     so that a replayed POST is visible;
//   - Forward per proxied request: the header exactly as sent upstream.
//
// Times come from time.Now and carry Go's monotonic clock: compare them
// within one process.
package peer

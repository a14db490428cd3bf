// Package experiment turns the claims of chapter 4 of "HTTP: The Definitive
// Guide" into runs: each experiment is a Plan (printable, deterministic) that
// sets up a lab (internal/netlab), drives real sockets and the HTTP codec
// through it, observes what happened through two witnesses — the wire
// (internal/capture, decoded by internal/analyze) and the kernel (TCP_INFO,
// sysctls, the TIME_WAIT census) — and returns a Result whose checks compare
// the measurement with a model. Experiments never print; internal/report
// renders their results.
package experiment

package sockopt

// Shutdown directions for Shutdown, as shutdown(2) numbers them on Linux.
const (
	ShutRead  = 0 // SHUT_RD: no more receptions; nothing is sent on the wire
	ShutWrite = 1 // SHUT_WR: half-close, sends FIN
	ShutBoth  = 2 // SHUT_RDWR
)

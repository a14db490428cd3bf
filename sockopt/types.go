package sockopt

import "syscall"

// Short local names for the two interfaces every setter and getter takes.
type (
	conn    = syscall.Conn
	rawConn = syscall.RawConn
)

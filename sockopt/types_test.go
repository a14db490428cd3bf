package sockopt_test

import "syscall"

type rawConn = syscall.RawConn

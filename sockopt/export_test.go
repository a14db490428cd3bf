package sockopt

// Internals for the external tests.

// FieldSpan returns where f sits in the raw struct.
func FieldSpan(f TCPInfoField) (off, size int) {
	s := tcpInfoLayout[f]
	return s.off, s.size
}

// NumTCPInfoFields is the number of fields the decoder knows.
const NumTCPInfoFields = numTCPInfoFields

// SysctlPath is sysctlPath.
var SysctlPath = sysctlPath

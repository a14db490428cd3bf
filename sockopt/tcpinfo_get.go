package sockopt

import "syscall"

// tcpInfoBuf is the buffer offered to the kernel: larger than any struct
// tcp_info so far, so the returned length tells which fields exist.
const tcpInfoBuf = 512

// GetTCPInfo wraps getsockopt(2) with TCP_INFO and decodes the answer with
// DecodeTCPInfo. It works on connected sockets and on listeners (where
// Unacked and Sacked are the accept queue and its limit).
func GetTCPInfo(c syscall.Conn) (*TCPInfo, error) {
	b, err := getBytes(c, optTCPInfo, tcpInfoBuf)
	if err != nil {
		return nil, err
	}
	return DecodeTCPInfo(b)
}

// GetTCPInfoRaw wraps getsockopt(2) with TCP_INFO and returns the bytes the
// kernel wrote, for recording or for fields this package does not know.
func GetTCPInfoRaw(c syscall.Conn) ([]byte, error) { return getBytes(c, optTCPInfo, tcpInfoBuf) }

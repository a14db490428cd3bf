//go:build linux

package bench

import (
	"bufio"
	"flag"
	"io"
	"net/http"
	"runtime"
	"syscall"
	"testing"

	"github.com/tcplab/tcplab/httpwire"
	"github.com/valyala/fasthttp"
)

var cpuTime = flag.Bool("cputime", false, "run TestCPUTimePerMessage")

// TestCPUTimePerMessage measures the CPU time of the benchmark's own thread
// per message (getrusage RUSAGE_THREAD, best of 5 rounds), which stays
// meaningful on a machine busy with other work, where ns/op measures the
// wall clock. Opt-in:
//
//	go test -run TestCPUTimePerMessage -cputime -v
func TestCPUTimePerMessage(t *testing.T) {
	if !*cpuTime {
		t.Skip("opt-in: -cputime")
	}
	for _, in := range requestInputs {
		rd := httpwire.NewReader(&loopReader{data: []byte(in.msg)})
		var req httpwire.Request
		hw := cpuPerMessage(t, 300000, func() error { return rd.ReadRequest(&req) })
		br := bufio.NewReader(&loopReader{data: []byte(in.msg)})
		var fh fasthttp.RequestHeader
		fa := cpuPerMessage(t, 300000, func() error { return fh.Read(br) })
		br2 := bufio.NewReader(&loopReader{data: []byte(in.msg)})
		nh := cpuPerMessage(t, 50000, func() error {
			r, err := http.ReadRequest(br2)
			if err == nil {
				err = r.Body.Close()
			}
			return err
		})
		t.Logf("ReadRequest/%-12s httpwire %5.0f  fasthttp %5.0f  nethttp %5.0f ns/message CPU (nethttp/httpwire %.1fx)",
			in.name, hw, fa, nh, nh/hw)
	}
	for _, in := range responseInputs {
		rd := httpwire.NewReader(&loopReader{data: []byte(in.msg)})
		var resp httpwire.Response
		hw := cpuPerMessage(t, 300000, func() error { return rd.ReadResponse(&resp, "GET") })
		br := bufio.NewReader(&loopReader{data: []byte(in.msg)})
		var fr fasthttp.Response
		fa := cpuPerMessage(t, 300000, func() error { return fr.Read(br) })
		br2 := bufio.NewReader(&loopReader{data: []byte(in.msg)})
		get := &http.Request{Method: "GET"}
		nh := cpuPerMessage(t, 50000, func() error {
			r, err := http.ReadResponse(br2, get)
			if err == nil {
				_, err = io.Copy(io.Discard, r.Body)
			}
			return err
		})
		t.Logf("ReadResponse/%-11s httpwire %5.0f  fasthttp %5.0f  nethttp %5.0f ns/message CPU (nethttp/httpwire %.1fx)",
			in.name, hw, fa, nh, nh/hw)
	}
}

func threadCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		panic(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func cpuPerMessage(t *testing.T, n int, read func() error) float64 {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for range n / 10 {
		if err := read(); err != nil {
			t.Fatal(err)
		}
	}
	best := 1e18
	for range 5 {
		start := threadCPU()
		for range n {
			if err := read(); err != nil {
				t.Fatal(err)
			}
		}
		best = min(best, float64(threadCPU()-start)/float64(n))
	}
	return best
}

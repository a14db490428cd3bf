package capture

import (
	"context"
	"io"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/tcplab/tcplab/internal/labtest"
	"github.com/tcplab/tcplab/internal/netlab"
)

// BenchmarkCaptureAtTopRate captures both directions of a bulk TCP transfer
// over the emulated link at zero delay and no rate limit — the fastest the
// lab ever sends — and reports the kernel's drops (PACKET_STATISTICS), the
// packets captured against the link's own count, and the throughput. The
// target is 0 drops and every frame the link carried.
func BenchmarkCaptureAtTopRate(b *testing.B) {
	labtest.RequirePriv(b)
	l, err := netlab.New(context.Background(), netlab.Config{Name: "capbench"})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	var ln net.Listener
	addr := netip.AddrPortFrom(l.ServerAddr, 9000).String()
	if err := l.Server.Do(func() error { ln, err = net.Listen("tcp4", addr); return err }); err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(io.Discard, c); c.Close() }()
		}
	}()
	var c *Capture
	if err := l.Client.Do(func() error { c, err = Open(l.ClientIf, Options{}); return err }); err != nil {
		b.Fatal(err)
	}
	var conn net.Conn
	if err := l.Client.Do(func() error { conn, err = net.Dial("tcp4", addr); return err }); err != nil {
		b.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	b.SetBytes(int64(len(chunk)))
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := conn.Write(chunk); err != nil {
			b.Fatal(err)
		}
	}
	conn.Close()
	elapsed := time.Since(start)
	time.Sleep(50 * time.Millisecond) // the last segments and the FIN exchange
	b.StopTimer()
	pkts, st, err := c.Stop()
	if err != nil {
		b.Fatal(err)
	}
	link := l.Links[0].Stats()
	onLink := link.Forward.Offered + link.Reverse.Forwarded
	b.ReportMetric(float64(st.KernelDrops), "drops")
	b.ReportMetric(float64(len(pkts)), "captured")
	b.ReportMetric(float64(onLink), "link-packets")
	b.ReportMetric(float64(b.N*len(chunk))*8/elapsed.Seconds()/1e6, "Mbit/s")
	if len(pkts) != int(onLink) {
		b.Errorf("captured %d frames, the link carried %d", len(pkts), onLink)
	}
	if st.KernelDrops != 0 {
		b.Errorf("capture dropped %d of %d frames at %.0f Mbit/s", st.KernelDrops, onLink, float64(b.N*len(chunk))*8/elapsed.Seconds()/1e6)
	}
}

package experiment

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// checkKernel compares the kernel's witness with the wire: the client's
// data segment counters, the server's delayed-ACK timeout, and TCP_NODELAY
// read back.
func (n *Nagle) checkKernel(r *Result, runs *nagleRuns, w *nagleWire, times map[nagleMode]nagleModeTimes, ato, srtt, d, lo, hi time.Duration) {
	var parts []string
	ok := true
	for _, c := range runs.conns {
		wc := w.conns[c.mode]
		if c.client == nil || wc == nil || !wc.found {
			ok = false
			continue
		}
		if int(c.client.DataSegsOut) != wc.dataSegs || int(c.client.SegsOut) != wc.segsBefore {
			ok = false
		}
		parts = append(parts, fmt.Sprintf("%s %d/%d (all %d/%d)", c.mode, c.client.DataSegsOut, wc.dataSegs, c.client.SegsOut, wc.segsBefore))
	}
	for _, b := range runs.bursts {
		wb := w.bursts[b.nagle]
		if b.client == nil || wb == nil || !wb.found {
			ok = false
			continue
		}
		if int(b.client.DataSegsOut) != wb.cost.segments || int(b.client.SegsOut) != wb.segsBefore {
			ok = false
		}
		parts = append(parts, fmt.Sprintf("burst-nagle=%v %d/%d (all %d/%d)", b.nagle, b.client.DataSegsOut, wb.cost.segments, b.client.SegsOut, wb.segsBefore))
	}
	r.Check("kernel-counts-segments",
		"C8: the client's kernel counts the same segments as the capture (TCP_INFO tcpi_data_segs_out, tcpi_segs_out)",
		"tcpi_data_segs_out = client data segments on the wire, and tcpi_segs_out = client segments captured before TCP_INFO was read, every connection",
		"kernel/wire: "+strings.Join(parts, ", "),
		ok && len(parts) == len(runs.conns)+len(runs.bursts))

	var srvAto []float64
	for _, c := range runs.conns {
		if c.mode == nagleModeOn {
			for _, a := range c.serverAto {
				srvAto = append(srvAto, ms(a))
			}
		}
	}
	r.Metric("server_ato_ms", ms(ato))
	r.Metric("server_srtt_ms", ms(srtt))
	held := median(times[nagleModeOn].held)
	r.Check("kernel-delack-timer",
		"C9 (Linux): the server's delayed-ACK timeout (TCP_INFO tcpi_ato) is 40–200 ms and matches the stall on the wire",
		fmt.Sprintf("40 ≤ tcpi_ato ≤ 200 ms; armed D = %.0f ms (ato %.0f, srtt %.1f); wire stall in %.0f…%.0f ms", ms(d), ms(ato), ms(srtt), ms(lo), ms(hi)),
		fmt.Sprintf("tcpi_ato after the last reply %.0f ms (per request: %s); wire stall %s", ms(ato), nagleList(srvAto), fmtMs(held)),
		ato >= nagleDelackMin && ato <= nagleDelackMax && held >= ms(lo) && held <= ms(hi))

	goDefault := 0
	var got []string
	readOK := true
	for _, c := range runs.conns {
		if c.goNoDelay {
			goDefault++
		}
		if c.noDelay != (c.mode == nagleModeNoDelay) {
			readOK = false
		}
		got = append(got, fmt.Sprintf("%s=%d", c.mode, nagleB2I(c.noDelay)))
	}
	for _, b := range runs.bursts {
		if b.noDelay == b.nagle {
			readOK = false
		}
		got = append(got, fmt.Sprintf("burst-nagle=%v:%d", b.nagle, nagleB2I(b.noDelay)))
	}
	r.Check("nagle-really-on",
		"C8: Nagle was on where the experiment says: TCP_NODELAY read back from the kernel after Go's dial",
		"TCP_NODELAY = 0 on the Nagle, CORK and QUICKACK connections and the Nagle burst, 1 on the others",
		"getsockopt TCP_NODELAY: "+strings.Join(got, ", "),
		readOK)
	if goDefault > 0 {
		r.Finding("Go sets TCP_NODELAY=1 on every connection (%d of %d dialled connections read 1 before the experiment set it): a Go program never sees Nagle unless it calls SetNoDelay(false) after the connection exists", goDefault, len(runs.conns))
	}
}

func nagleB2I(b bool) int {
	if b {
		return 1
	}
	return 0
}

// nagleList prints a short list of milliseconds.
func nagleList(xs []float64) string {
	if len(xs) == 0 {
		return "none"
	}
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf("%.2f", x)
	}
	if len(parts) > 8 {
		parts = append(parts[:8], "…")
	}
	return "[" + strings.Join(parts, " ") + "] ms"
}

// nagleLens prints header-length histograms: "52×202".
func nagleLens(ms ...map[int]int) string {
	sum := map[int]int{}
	for _, m := range ms {
		for k, v := range m {
			sum[k] += v
		}
	}
	keys := make([]int, 0, len(sum))
	for k := range sum {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d B×%d", k, sum[k])
	}
	return strings.Join(parts, ", ")
}

// nagleQuantile is the q-quantile of xs (nearest rank); NaN for none.
func nagleQuantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

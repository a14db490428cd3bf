package experiment

import (
	"fmt"
	"strconv"
	"strings"
)

// parseNetstat reads the text of /proc/net/netstat (or snmp): pairs of
// lines "Prefix: Name1 Name2 …" and "Prefix: v1 v2 …". It returns the
// counters as "Prefix.Name" → value, e.g. "TcpExt.TCPAbortOnClose".
func parseNetstatText(text string) (map[string]int64, error) {
	out := map[string]int64{}
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	for i := 0; i+1 < len(lines); i += 2 {
		hp, hnames, ok1 := strings.Cut(lines[i], ":")
		vp, hvals, ok2 := strings.Cut(lines[i+1], ":")
		if !ok1 || !ok2 || hp != vp {
			return nil, fmt.Errorf("netstat: line %d: header %q and values %q do not pair", i+1, hp, vp)
		}
		names, vals := strings.Fields(hnames), strings.Fields(hvals)
		if len(names) != len(vals) {
			return nil, fmt.Errorf("netstat: %s: %d names but %d values", hp, len(names), len(vals))
		}
		for j, name := range names {
			v, err := strconv.ParseInt(vals[j], 10, 64)
			if err != nil {
				return nil, fmt.Errorf("netstat: %s.%s: %w", hp, name, err)
			}
			out[hp+"."+name] = v
		}
	}
	return out, nil
}

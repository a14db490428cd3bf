package report

import (
	"encoding/json"
	"io"

	"github.com/tcplab/tcplab/internal/experiment"
)

// JSON writes one result as an indented JSON object.
func JSON(w io.Writer, r *experiment.Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// JSONAll writes several results as one JSON array (what `tcplab all --json`
// prints).
func JSONAll(w io.Writer, rs []*experiment.Result) error {
	if rs == nil {
		rs = []*experiment.Result{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rs)
}

package analyze

import (
	"path/filepath"
	"testing"

	"github.com/tcplab/tcplab/internal/capture"
)

// golden decodes testdata/name and groups it into flows.
func golden(t *testing.T, name string) ([]Segment, []*Flow) {
	t.Helper()
	pkts, err := capture.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	frames := make([]Frame, len(pkts))
	for i, p := range pkts {
		frames[i] = Frame{Time: p.Time, LinkType: p.LinkType, Data: p.Data}
	}
	segs, err := Decode(frames)
	if err != nil {
		t.Fatal(err)
	}
	return segs, Flows(segs)
}

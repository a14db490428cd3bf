package netlab

import (
	"math"
	"testing"
	"time"
)

func TestLinkConfigDefaults(t *testing.T) {
	c, err := LinkConfig{Delay: 20 * time.Millisecond}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if c.Kind != KindTUN || c.DelayReverse != 20*time.Millisecond || c.QueuePackets != DefaultQueuePackets || c.MTU != DefaultMTU {
		t.Errorf("defaults: %+v", c)
	}
	c, _ = LinkConfig{Delay: time.Millisecond, DelayReverse: 3 * time.Millisecond, Seed: 9}.withDefaults()
	fwd, rev := c.pipeConfig(1, 0), c.pipeConfig(1, 1)
	if fwd.Delay != time.Millisecond || rev.Delay != 3*time.Millisecond || fwd.Stream != 2 || rev.Stream != 3 || fwd.Seed != 9 {
		t.Errorf("pipe configs %+v %+v", fwd, rev)
	}
	for _, bad := range []LinkConfig{
		{Kind: "wire"}, {Delay: -1}, {DelayReverse: -1}, {RateBps: -1}, {Loss: -0.1}, {Loss: 1.1},
		{Loss: math.NaN()}, {QueuePackets: -1}, {MTU: 500}, {MTU: 70000},
	} {
		if _, err := bad.withDefaults(); err == nil {
			t.Errorf("withDefaults accepted %+v", bad)
		}
	}
}

func TestTopologyString(t *testing.T) {
	if ClientServer.String() != "client-server" || ClientProxyServer.String() != "client-proxy-server" || Topology(9).String() != "topology(9)" {
		t.Error("Topology.String")
	}
}

package netlab

import "testing"

func TestIdleVerdict(t *testing.T) {
	for _, tc := range []struct {
		driver string
		vm     bool
		late   bool
	}{
		{"none", true, true},
		{"haltpoll", true, false},
		{"intel_idle", false, false},
		{"none", false, false},
	} {
		desc, late := idleVerdict(tc.driver, tc.vm)
		if late != tc.late || desc == "" {
			t.Errorf("idleVerdict(%q, %v) = %q, %v; want late %v", tc.driver, tc.vm, desc, late, tc.late)
		}
	}
}

func TestCPUFlag(t *testing.T) {
	const cpuinfo = "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu vme de pse tsc msr hypervisor lahf_lm\nbugs\t\t: spectre_v1\n\nprocessor\t: 1\nflags\t\t: fpu\n"
	for _, tc := range []struct {
		text, flag string
		want       bool
	}{
		{cpuinfo, "hypervisor", true},
		{cpuinfo, "tsc", true},
		{cpuinfo, "hyper", false},
		{cpuinfo, "spectre_v1", false}, // a bug, not a flag
		{"", "hypervisor", false},
		{"flags: hypervisor", "hypervisor", true},
	} {
		if got := cpuFlag(tc.text, tc.flag); got != tc.want {
			t.Errorf("cpuFlag(…, %q) = %v, want %v", tc.flag, got, tc.want)
		}
	}
}

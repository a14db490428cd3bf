package netlab

import (
	"slices"
	"strings"
)

// idleVerdict describes idle CPUs given the cpuidle driver ("none" when
// there is none) and whether the machine is virtual, and reports whether a
// wake-up from idle is likely to be late: on a virtual machine without a
// cpuidle driver (such as haltpoll) an idle CPU executes HLT, and the
// hypervisor must run it again before a timer interrupt reaches it.
func idleVerdict(driver string, vm bool) (desc string, late bool) {
	switch {
	case vm && driver == "none":
		return "virtual machine, no cpuidle driver: an idle CPU halts (HLT) and the hypervisor wakes it 0.1–2 ms late", true
	case vm:
		return "virtual machine, cpuidle driver " + driver, false
	default:
		return "cpuidle driver " + driver, false
	}
}

// cpuFlag reports whether the first "flags" line of /proc/cpuinfo text
// lists flag.
func cpuFlag(cpuinfo, flag string) bool {
	for _, line := range strings.Split(cpuinfo, "\n") {
		name, value, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(name) == "flags" {
			return slices.Contains(strings.Fields(value), flag)
		}
	}
	return false
}

package netlab

import (
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// BenchmarkWakeLatency measures what the CPU warmer is for: how late a
// SCHED_FIFO thread with a 1 ns timer slack, pinned to the relay's CPU,
// wakes from a 1 ms clock_nanosleep(2) (TIMER_ABSTIME) — with that CPU
// idle, with the CPU warmer keeping it awake, and with a SCHED_IDLE spinner
// on every CPU. Each iteration is one sleep; run it with -benchtime 10000x.
func BenchmarkWakeLatency(b *testing.B) {
	cpu, err := warmCPU()
	if err != nil {
		b.Fatal(err)
	}
	b.Run("cpu-idle", func(b *testing.B) { benchWake(b, cpu) })
	b.Run("cpu-kept-awake", func(b *testing.B) {
		got, release, err := holdCPUAwake()
		if err != nil {
			b.Fatal(err)
		}
		defer release()
		waitForSpinners(b, cpuWarmerPid(), 1)
		benchWake(b, got)
	})
	b.Run("every-cpu-busy", func(b *testing.B) {
		var set unix.CPUSet
		if err := unix.SchedGetaffinity(0, &set); err != nil {
			b.Fatal(err)
		}
		for c := range len(set) * 64 {
			if set.IsSet(c) {
				startSpinner(b, c)
			}
		}
		benchWake(b, cpu)
	})
}

// startSpinner starts a helper that spins at SCHED_IDLE on cpu until the
// benchmark ends (the same helper the relay holds, started directly).
func startSpinner(b *testing.B, cpu int) {
	cmd := exec.Command("/proc/self/exe")
	cmd.Env = append(withoutEnv(os.Environ(), EnvCPUWarmer), EnvCPUWarmer+"="+strconv.Itoa(cpu))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	waitForSpinners(b, cmd.Process.Pid, 1)
}

// waitForSpinners waits until pid runs n SCHED_IDLE threads pinned to one
// CPU each.
func waitForSpinners(b *testing.B, pid, n int) {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		got := 0
		for _, k := range idleSpinners(b, pid) {
			got += k
		}
		if got >= n {
			return
		}
	}
	b.Fatalf("helper %d did not start spinning", pid)
}

// benchWake runs b.N sleeps of 1 ms on a thread pinned to cpu and reports
// the lateness quantiles and the number of wake-ups later than 5 ms.
func benchWake(b *testing.B, cpu int) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread() // the thread's settings go back below
	var old unix.CPUSet
	if err := unix.SchedGetaffinity(0, &old); err != nil {
		b.Fatal(err)
	}
	var one unix.CPUSet
	one.Set(cpu)
	if err := unix.SchedSetaffinity(0, &one); err != nil {
		b.Fatal(err)
	}
	defer unix.SchedSetaffinity(0, &old)
	_ = unix.Prctl(unix.PR_SET_TIMERSLACK, 1, 0, 0, 0)
	defer unix.Prctl(unix.PR_SET_TIMERSLACK, 0, 0, 0, 0)
	rt := unix.SchedSetAttr(0, &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_FIFO, Priority: relayPriority}, 0) == nil
	if rt {
		defer unix.SchedSetAttr(0, &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_NORMAL}, 0)
	}

	late := make([]time.Duration, 0, b.N)
	stalls := 0
	b.ResetTimer()
	for range b.N {
		var now unix.Timespec
		unix.ClockGettime(unix.CLOCK_MONOTONIC, &now)
		due := now.Nano() + int64(time.Millisecond)
		ts := unix.NsecToTimespec(due)
		for unix.ClockNanosleep(unix.CLOCK_MONOTONIC, unix.TIMER_ABSTIME, &ts, nil) == unix.EINTR {
		}
		unix.ClockGettime(unix.CLOCK_MONOTONIC, &now)
		l := time.Duration(now.Nano() - due)
		late = append(late, l)
		if l > 5*time.Millisecond {
			stalls++
		}
	}
	b.StopTimer()
	slices.Sort(late)
	q := func(f float64) float64 { return float64(late[int(f*float64(len(late)-1))]) / 1e3 }
	b.ReportMetric(q(0.5), "p50-µs")
	b.ReportMetric(q(0.99), "p99-µs")
	b.ReportMetric(q(0.999), "p99.9-µs")
	b.ReportMetric(q(1), "max-µs")
	b.ReportMetric(float64(stalls), "stalls>5ms")
	if !rt {
		b.Log("no SCHED_FIFO (not root): the thread ran at normal priority")
	}
}

package netlab

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Relay timing. Go's timers wake 0.3–1 ms late, a sleeping virtual CPU takes
// 0.1–0.3 ms to wake, and on a busy machine an ordinary thread waits for the
// scheduler for milliseconds, so each direction of the relay runs on its own
// locked OS thread with
//
//   - SCHED_FIFO priority relayPriority where the process may have it
//     (sched_setattr(2); root may), so a due packet preempts ordinary work;
//   - a timer slack of 1 ns (prctl PR_SET_TIMERSLACK), and sleeps of at most
//     maxSleep, since poll(2) adds a slack of 0.1 % of the timeout for
//     ordinary threads;
//   - ppoll(2) on its input until a margin before the head packet is due,
//     then a spin on the clock (still reading its input) until it is due.
//
// The margin adapts to how late ppoll's timeouts actually wake, with the
// estimator RFC 6298 uses for the RTO: margin = mean + 4·deviation, clamped
// to [minMargin, maxMargin]. Spinning is rationed, because a real-time
// thread that never sleeps takes a CPU from the experiment and is then
// throttled by the kernel (sched_rt_runtime_us) for tens of milliseconds: at
// most maxSpinners threads spin at once (half the CPUs, at least one), and a
// thread spins for at most spinBudget of every spinWindow. A thread that may
// not spin sleeps until the due time itself.
const (
	relayPriority = 10
	minMargin     = 20 * time.Microsecond
	maxMargin     = 300 * time.Microsecond
	initMargin    = 300 * time.Microsecond
	maxSleep      = 20 * time.Millisecond
	spinWindow    = 10 * time.Millisecond
	spinBudget    = 4 * time.Millisecond
	readBatch     = 64 // packets read per pass before the due ones are delivered again
	maxBackdate   = time.Second

	schedFlagResetOnFork = 0x01 // SCHED_FLAG_RESET_ON_FORK, linux/sched.h
)

var (
	maxSpinners = int32(max(1, runtime.NumCPU()/2))
	spinners    atomic.Int32
)

// epoch anchors the relay's monotonic clock.
var epoch = time.Now()

// mono is nanoseconds on the monotonic clock (runtime nanotime, vDSO
// clock_gettime(CLOCK_MONOTONIC)).
func mono() int64 { return int64(time.Since(epoch)) }

// relay joins two packet ends with one direction each way.
type relay struct {
	dirs       [2]*direction // 0: a→b, 1: b→a
	running    bool
	releaseCPU func() // drops the hold on the CPU warmer, if it has one
}

// startRelay starts both directions of the link numbered index between a
// and b. It takes no ownership of a and b.
func startRelay(a, b PacketIO, cfg LinkConfig, index int) (*relay, error) {
	r := &relay{}
	bufSize := max(cfg.MTU, DefaultMTU) + 256
	for dir, ends := range [2][2]PacketIO{{a, b}, {b, a}} {
		efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
		if err != nil {
			r.stop()
			return nil, fmt.Errorf("netlab: relay: %w", os.NewSyscallError("eventfd", err))
		}
		r.dirs[dir] = &direction{
			in: ends[0], out: ends[1],
			pipe:    NewPipe(cfg.pipeConfig(index, dir)),
			bufSize: bufSize,
			stopFd:  efd,
			cpu:     -1,
			done:    make(chan struct{}),
			margin:  int64(initMargin),
			wakeAvg: int64(initMargin) / 2,
			wakeDev: int64(initMargin) / 8,
		}
	}
	if cfg.timesPackets() && !cfg.LetCPUsIdle {
		// Without the warmer the link still works, only less precisely;
		// DirectionStats.CPUKeptAwake tells which it was.
		if cpu, release, err := holdCPUAwake(); err == nil {
			r.releaseCPU = release
			for _, d := range r.dirs {
				d.cpu = cpu
			}
		}
	}
	reserveProcs(len(r.dirs))
	r.running = true
	for _, d := range r.dirs {
		go d.run()
	}
	return r, nil
}

// stop ends both directions and waits for their threads; packets still held
// are dropped.
func (r *relay) stop() error {
	if r.running {
		var one [8]byte
		binary.NativeEndian.PutUint64(one[:], 1)
		for _, d := range r.dirs {
			d.stopping.Store(true)
			_, _ = unix.Write(d.stopFd, one[:]) // wakes ppoll
		}
		for _, d := range r.dirs {
			<-d.done
		}
		releaseProcs(len(r.dirs))
		r.running = false
	}
	if r.releaseCPU != nil {
		r.releaseCPU()
		r.releaseCPU = nil
	}
	var errs []error
	for _, d := range r.dirs {
		if d != nil && d.stopFd >= 0 {
			if err := unix.Close(d.stopFd); err != nil {
				errs = append(errs, os.NewSyscallError("close eventfd", err))
			}
			d.stopFd = -1
		}
	}
	return errors.Join(errs...)
}

// stats returns the counters of direction dir.
func (r *relay) stats(dir int) DirectionStats {
	d := r.dirs[dir]
	ps := d.pipe.Stats()
	q := d.late.quantiles(0.5, 0.99)
	werr := d.writeErrs.Load()
	return DirectionStats{
		Offered:      ps.Offered,
		Forwarded:    ps.Forwarded - min(werr, ps.Forwarded),
		Bytes:        ps.Bytes - d.writeErrBytes.Load(),
		DroppedLoss:  ps.DroppedLoss,
		DroppedQueue: ps.DroppedQueue,
		WriteErrors:  werr,
		MaxQueue:     ps.MaxQueue,
		LateP50:      q[0],
		LateP99:      q[1],
		LateMax:      time.Duration(d.late.max.Load()),
		Realtime:     d.realtime.Load(),
		CPUKeptAwake: d.pinned.Load(),
	}
}

// direction is one way of a relay: it reads in, schedules through pipe and
// writes out, all on one locked OS thread.
type direction struct {
	in, out PacketIO
	pipe    *Pipe
	bufSize int
	free    [][]byte // buffer pool; only the direction's thread touches it

	stopping atomic.Bool
	stopFd   int // eventfd that wakes ppoll when stopping
	done     chan struct{}

	late          lateHist
	writeErrs     atomic.Uint64
	writeErrBytes atomic.Uint64
	readErr       atomic.Value // first read error, which also stops reading

	margin, wakeAvg, wakeDev int64 // ns; see minMargin
	spinning                 bool  // holds a spin slot
	spinSince                int64 // when it took the slot
	winStart, winSpent       int64 // current spin window and time spun in it
	realtime                 atomic.Bool
	cpu                      int         // the CPU kept awake for the relay, -1 for none
	pinned                   atomic.Bool // the thread runs on cpu alone
}

func (d *direction) run() {
	defer close(d.done)
	runtime.LockOSThread()
	restore := d.tuneThread()
	defer func() {
		d.dropSpin(mono())
		if restore() {
			runtime.UnlockOSThread()
		} // else stay locked: the runtime ends a thread it cannot trust
	}()

	pfds := []unix.PollFd{
		{Fd: int32(d.in.Fd()), Events: unix.POLLIN},
		{Fd: int32(d.stopFd), Events: unix.POLLIN},
	}
	for !d.stopping.Load() {
		d.deliver()
		if pfds[0].Fd >= 0 {
			n, err := d.receive()
			if err != nil {
				d.readErr.Store(err)
				pfds[0].Fd = -1 // a broken input is not polled again
			}
			if n > 0 {
				continue
			}
		}
		var timeout *unix.Timespec
		var wakeAt int64
		if due, ok := d.pipe.Next(); ok {
			now := mono()
			wait := due - now
			if wait <= 0 {
				continue
			}
			if wait <= d.margin && d.maySpin(now) {
				continue // spin: deliver when due, read what arrives meanwhile
			}
			d.dropSpin(now)
			if wait > d.margin {
				wait -= d.margin // wake early, then spin
			}
			wait = min(wait, int64(maxSleep))
			ts := unix.NsecToTimespec(wait)
			timeout, wakeAt = &ts, now+wait
		} else {
			d.dropSpin(mono())
		}
		n, err := unix.Ppoll(pfds, timeout, nil)
		if err == nil && n == 0 && timeout != nil {
			d.learn(mono() - wakeAt)
		}
		if pfds[0].Revents&(unix.POLLERR|unix.POLLHUP|unix.POLLNVAL) != 0 {
			d.readErr.Store(fmt.Errorf("netlab: relay input: poll events %#x", pfds[0].Revents))
			pfds[0].Fd = -1
		}
	}
}

// tuneThread gives the calling (locked) thread a 1 ns timer slack, where
// allowed SCHED_FIFO, and with a CPU kept awake (d.cpu) an affinity to that
// CPU alone. The returned function puts all back and reports whether it
// could.
func (d *direction) tuneThread() (restore func() bool) {
	tid := unix.Gettid()
	_ = unix.Prctl(unix.PR_SET_TIMERSLACK, 1, 0, 0, 0)
	var oldSet unix.CPUSet
	if d.cpu >= 0 && unix.SchedGetaffinity(0, &oldSet) == nil {
		var one unix.CPUSet
		one.Set(d.cpu)
		d.pinned.Store(unix.SchedSetaffinity(0, &one) == nil)
	}
	rt := unix.SchedSetAttr(tid, &unix.SchedAttr{
		Size:     unix.SizeofSchedAttr,
		Policy:   unix.SCHED_FIFO,
		Flags:    schedFlagResetOnFork, // threads cloned from it start ordinary
		Priority: relayPriority,
	}, 0) == nil
	d.realtime.Store(rt)
	return func() bool {
		ok := unix.Prctl(unix.PR_SET_TIMERSLACK, 0, 0, 0, 0) == nil // 0: back to the default
		if d.pinned.Load() {
			ok = ok && unix.SchedSetaffinity(0, &oldSet) == nil
		}
		if rt {
			ok = ok && unix.SchedSetAttr(tid, &unix.SchedAttr{
				Size:   unix.SizeofSchedAttr,
				Policy: unix.SCHED_NORMAL,
			}, 0) == nil
		}
		return ok
	}
}

// maySpin reports whether the thread may spin at now: it holds or can take
// one of the maxSpinners slots, and has spun for less than spinBudget in the
// current spinWindow.
func (d *direction) maySpin(now int64) bool {
	if now-d.winStart >= int64(spinWindow) {
		d.winStart, d.winSpent = now, 0
		if d.spinning {
			d.spinSince = now
		}
	}
	if d.spinning {
		if d.winSpent+now-d.spinSince > int64(spinBudget) {
			d.dropSpin(now)
			return false
		}
		return true
	}
	if d.winSpent >= int64(spinBudget) {
		return false
	}
	for {
		n := spinners.Load()
		if n >= maxSpinners {
			return false
		}
		if spinners.CompareAndSwap(n, n+1) {
			d.spinning, d.spinSince = true, now
			return true
		}
	}
}

// dropSpin gives up the spin slot, if the thread holds one, at now.
func (d *direction) dropSpin(now int64) {
	if d.spinning {
		d.winSpent += now - d.spinSince
		spinners.Add(-1)
		d.spinning = false
	}
}

// receive reads up to readBatch waiting packets and offers each to the pipe,
// stamped with the time it entered the link where the transport knows it and
// with the time it was read otherwise. A packet due at once (no delay, no
// rate) is written out straight away.
func (d *direction) receive() (int, error) {
	wall := time.Now()
	offset := wall.UnixNano() - int64(wall.Sub(epoch)) // CLOCK_REALTIME − relay clock
	for n := range readBatch {
		b := d.alloc()
		size, at, err := d.in.ReadPacket(b)
		if err != nil {
			d.release(b)
			if err == ErrNoPacket {
				err = nil
			}
			return n, err
		}
		now := mono()
		arrived := now
		if at != 0 {
			// Trust the stamp only if it is plausible: not in the future and
			// not older than maxBackdate (a clock step would break it).
			if t := at - offset; t <= now && t > now-int64(maxBackdate) {
				arrived = t
			}
		}
		v, due := d.pipe.Offer(arrived, b[:size])
		if v != Accepted {
			d.release(b)
			continue
		}
		if due <= now {
			d.deliver()
		}
	}
	return readBatch, nil
}

// deliver writes out every packet that is due.
func (d *direction) deliver() {
	for {
		due, ok := d.pipe.Next()
		if !ok {
			return
		}
		now := mono()
		if due > now {
			return
		}
		pkt, _, _ := d.pipe.Pop()
		d.late.add(now - due)
		if err := d.out.WritePacket(pkt); err != nil {
			d.writeErrs.Add(1)
			d.writeErrBytes.Add(uint64(len(pkt)))
		}
		d.release(pkt)
	}
}

// learn updates the wake-up margin with how late a ppoll timeout returned.
func (d *direction) learn(late int64) {
	diff := late - d.wakeAvg
	if diff < 0 {
		diff = -diff
	}
	d.wakeDev += (diff - d.wakeDev) / 4
	d.wakeAvg += (late - d.wakeAvg) / 8
	d.margin = min(max(d.wakeAvg+4*d.wakeDev, int64(minMargin)), int64(maxMargin))
}

func (d *direction) alloc() []byte {
	if n := len(d.free); n > 0 {
		b := d.free[n-1]
		d.free = d.free[:n-1]
		return b
	}
	return make([]byte, d.bufSize)
}

func (d *direction) release(b []byte) { d.free = append(d.free, b[:cap(b)]) }

// The relay's threads spend their time in Go code (spinning before a due
// time, moving packets), so each needs a P of its own or the goroutines of
// the experiment starve, and a relay thread returning from ppoll waits for a
// P. While relays run, GOMAXPROCS is raised by one per relay thread.
var procs struct {
	sync.Mutex
	base, extra int
}

func reserveProcs(n int) {
	procs.Lock()
	defer procs.Unlock()
	if procs.extra == 0 {
		procs.base = runtime.GOMAXPROCS(0)
	}
	procs.extra += n
	runtime.GOMAXPROCS(procs.base + procs.extra)
}

func releaseProcs(n int) {
	procs.Lock()
	defer procs.Unlock()
	procs.extra -= n
	runtime.GOMAXPROCS(procs.base + procs.extra)
}

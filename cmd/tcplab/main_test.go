package main

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tcplab/tcplab/internal/labtest"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(append([]string{"tcplab"}, args...), strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestUsageErrorsExitTwo(t *testing.T) {
	for _, args := range [][]string{
		{"handshake", "--rtt", "banana"},
		{"handshake", "--cc", "vegas"},
		{"handshake", "--loss", "1.5"},
		{"handshake", "--rate", "fast"},
		{"handshake", "--sizes", "1,-2"},
		{"handshake", "extra-argument"},
		{"no-such-command"},
		{"analyze"},
		{"analyze", "/nonexistent.pcapng"},
		{"lab", "down"},
	} {
		code, _, stderr := runCLI(t, args...)
		if code != exitCannotRun {
			t.Errorf("tcplab %v: exit %d, want %d (stderr %q)", args, code, exitCannotRun, stderr)
		}
		if strings.TrimSpace(stderr) == "" && args[0] != "no-such-command" {
			t.Errorf("tcplab %v: no reason on stderr", args)
		}
	}
}

// An experiment's own parameter checks reach the command line as usage
// errors that name the flag, before any lab is built.
func TestExperimentFlagErrorsNameTheFlag(t *testing.T) {
	for _, args := range [][]string{
		{"keepalive", "--max", "1"},
		{"retry", "--close-after", "9"},
		{"pageload", "--bw-rate", "10kbit"},
		{"nagle", "--body", "0"},
		{"timewait", "--reuse-delay", "1500us"},
		{"tfo", "--qlen", "0"},
	} {
		code, _, stderr := runCLI(t, args...)
		if code != exitCannotRun || !strings.Contains(stderr, args[1]) {
			t.Errorf("tcplab %v: exit %d, stderr %q; want %d naming %s", args, code, stderr, exitCannotRun, args[1])
		}
	}
}

func TestParseRate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"10mbit", 10_000_000, true}, {"1.5gbit", 1_500_000_000, true},
		{"800kbit", 800_000, true}, {"12345", 12345, true}, {"-1mbit", 0, false}, {"x", 0, false},
	} {
		got, err := parseRate(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseRate(%q) = %d, %v; want %d ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// TestHandshakeJSONContract runs the handshake experiment from the CLI and
// checks the JSON result against DESIGN.md's contract.
func TestHandshakeJSONContract(t *testing.T) {
	labtest.RequirePriv(t)
	dir := t.TempDir()
	pcap := filepath.Join(dir, "hs.pcapng")
	code, stdout, stderr := runCLI(t, "handshake", "--rtt", "30ms", "--repeats", "2", "--json", "--pcap", pcap, "--out", dir)
	if code != exitPass && code != exitFail {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, stdout)
	}
	for _, key := range []string{"experiment", "section", "pass", "plan", "env", "metrics", "checks", "artifacts"} {
		if _, ok := res[key]; !ok {
			t.Errorf("JSON lacks %q", key)
		}
	}
	if res["experiment"] != "handshake" || res["section"] != "4.2" {
		t.Errorf("experiment/section = %v/%v", res["experiment"], res["section"])
	}
	if pass, _ := res["pass"].(bool); pass != (code == exitPass) {
		t.Errorf("pass %v disagrees with exit status %d", res["pass"], code)
	}
	metrics, _ := res["metrics"].(map[string]any)
	for _, m := range []string{"connect_ms", "ttfb_ms", "total_ms", "wire_rtt_ms", "tcpinfo_rtt_ms"} {
		if _, ok := metrics[m].(float64); !ok {
			t.Errorf("metric %s missing", m)
		}
	}
	checks, _ := res["checks"].([]any)
	if len(checks) == 0 {
		t.Fatal("no checks")
	}
	for _, c := range checks {
		cm := c.(map[string]any)
		if claim, _ := cm["claim"].(string); !strings.HasPrefix(claim, "C") || !strings.Contains(claim, ":") {
			t.Errorf("check %v: claim %q does not start with a claim id", cm["name"], claim)
		}
	}
	if art, _ := res["artifacts"].(map[string]any); art["pcap"] != pcap {
		t.Errorf("artifacts.pcap = %v, want %s", art["pcap"], pcap)
	}
	labtest.RequireReadablePcap(t, pcap, "SYN/ACK")
}

// TestInterruptRemovesTheLab sends SIGINT to a running experiment: the
// process must end promptly with status 2, saying it was interrupted, and
// leave no process, namespace or named lab behind.
func TestInterruptRemovesTheLab(t *testing.T) {
	labtest.RequirePriv(t)
	bin := filepath.Join(t.TempDir(), "tcplab")
	if out, err := exec.Command(goTool(), "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	before := netnsList(t)
	cmd := exec.Command(bin, "handshake", "--rtt", "300ms", "--repeats", "5", "--out", t.TempDir())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second) // the lab is up and transactions run
	cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		t.Fatal("tcplab did not end within 15 s of SIGINT")
	}
	if code := cmd.ProcessState.ExitCode(); code != exitCannotRun {
		t.Errorf("exit %d after SIGINT, want %d; stderr: %s", code, exitCannotRun, stderr.String())
	}
	if !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("stderr does not say the run was interrupted: %q", stderr.String())
	}
	if after := netnsList(t); after != before {
		t.Errorf("ip netns list changed: before %q, after %q", before, after)
	}
	// Namespaces held by file descriptors die with the process: none of its
	// threads or children may survive it.
	if out, _ := exec.Command("pgrep", "-f", bin).Output(); len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("processes of the run survive: %s", out)
	}
}

func netnsList(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("ip", "netns", "list").CombinedOutput()
	if err != nil {
		t.Fatalf("ip netns list: %v\n%s", err, out)
	}
	return string(out)
}

// goTool finds the go command even under sudo, which resets PATH.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

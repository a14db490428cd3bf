package labtest

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// RequireReadablePcap checks that tshark reads path cleanly and that one of
// its packet comments contains comment (when comment is not empty). tshark is
// the independent reader: a file only tcplab can read proves nothing.
func RequireReadablePcap(t testing.TB, path, comment string) {
	t.Helper()
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		RequireTool(t, "tshark")
		return
	}
	out, err := exec.Command(tshark, "-r", path, "-T", "fields", "-e", "frame.number", "-e", "frame.comment").CombinedOutput()
	if err != nil {
		t.Fatalf("tshark cannot read %s: %v\n%s", path, err, out)
	}
	if strings.Contains(string(out), "appears to have been cut short") || strings.Contains(string(out), "isn't a capture file") {
		t.Fatalf("tshark: %s is damaged:\n%s", path, out)
	}
	if comment != "" && !strings.Contains(string(out), comment) {
		t.Errorf("tshark shows no packet comment containing %q in %s", comment, path)
	}
}

// RequireTool skips t when the program name is not installed, or fails it
// when TCPLAB_REQUIRE_PRIV=1 (CI installs every tool the tests use).
func RequireTool(t testing.TB, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err == nil {
		return
	}
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf("%s is not installed (scripts/install-deps.sh installs it)", name)
	}
	t.Skipf("skipping: %s is not installed (scripts/install-deps.sh installs it)", name)
}

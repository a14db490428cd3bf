package netlab

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Registry keeps named labs that outlive the process that built them, for
// tcplab lab up|down|list: each namespace is bind-mounted at
// NetnsDir/tcplab-<name>-<role>, where ip-netns(8) finds it, and the lab is
// described in StateDir/<name>.json with the pid of the process that runs its
// relay. The relay lives in that process, so the lab's links carry traffic
// only while it runs; when it dies its TUN devices go with it, and
// ReclaimStale removes what is left.
type Registry struct {
	NetnsDir string // DefaultNetnsDir unless testing
	StateDir string // DefaultStateDir unless testing

	mu   sync.Mutex
	live map[string]*Lab // labs this process runs
}

// Where a Registry keeps its mounts and state by default.
const (
	DefaultNetnsDir = "/run/netns"
	DefaultStateDir = "/run/tcplab"
)

// NewRegistry returns the registry at the default places.
func NewRegistry() *Registry {
	return &Registry{NetnsDir: DefaultNetnsDir, StateDir: DefaultStateDir}
}

// LabState is what a registry records about a named lab.
type LabState struct {
	Name     string     `json:"name"`
	PID      int        `json:"pid"`       // the process that runs the relay
	PIDStart uint64     `json:"pid_start"` // its start time (clock ticks after boot), so a reused pid is not taken for it
	Created  time.Time  `json:"created"`
	Topology string     `json:"topology"`
	Link     LinkConfig `json:"link"`
	// Namespaces maps a role ("client", "server", "proxy") to the name
	// ip netns exec takes.
	Namespaces map[string]string `json:"namespaces"`
	// Addrs and Interfaces map a role, or "proxy-client"/"proxy-server" for
	// the proxy's two sides, to its address and interface name.
	Addrs      map[string]string `json:"addrs"`
	Interfaces map[string]string `json:"interfaces"`

	Alive bool `json:"-"` // set by List: the process still runs
}

var labName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,30}$`)

// checkLabName accepts names that make safe file and namespace names.
func checkLabName(name string) error {
	if !labName.MatchString(name) {
		return fmt.Errorf("netlab: lab name %q: want 1–31 of a-z, 0-9, '-', '_', starting with a letter or digit", name)
	}
	return nil
}

// netnsName is the ip-netns name of a registered lab's namespace.
func netnsName(lab, role string) string { return "tcplab-" + lab + "-" + role }

func (r *Registry) netnsPath(lab, role string) string {
	return filepath.Join(r.NetnsDir, netnsName(lab, role))
}

func (r *Registry) statePath(lab string) string {
	return filepath.Join(r.StateDir, lab+".json")
}

// parseState decodes a state file and checks that it describes the lab it
// is named after, with only known roles: mount paths are derived from the
// name and roles, never taken from the file.
func parseState(b []byte, name string) (*LabState, error) {
	var st LabState
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("netlab: state of lab %s: %w", name, err)
	}
	if st.Name != name {
		return nil, fmt.Errorf("netlab: state of lab %s names lab %q", name, st.Name)
	}
	if err := checkLabName(st.Name); err != nil {
		return nil, err
	}
	if st.PID <= 0 {
		return nil, fmt.Errorf("netlab: state of lab %s: bad pid %d", name, st.PID)
	}
	for role := range st.Namespaces {
		switch role {
		case "client", "server", "proxy":
		default:
			return nil, fmt.Errorf("netlab: state of lab %s: unknown role %q", name, role)
		}
	}
	return &st, nil
}

// procState returns the state letter (field 3: R, S, D, Z, X, …) from the
// text of /proc/<pid>/stat, or "" when it cannot be found.
func procState(stat string) string {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return ""
	}
	f := strings.Fields(stat[i+1:])
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// procStartTime extracts the start time (field 22, clock ticks after boot)
// from the text of /proc/<pid>/stat. The command name (field 2) is in
// parentheses and may itself contain spaces and parentheses, so fields are
// counted from the last ')'.
func procStartTime(stat string) (uint64, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("netlab: /proc stat without a command name")
	}
	f := strings.Fields(stat[i+1:])
	// f[0] is field 3 (state), so field 22 is f[19].
	if len(f) < 20 {
		return 0, fmt.Errorf("netlab: /proc stat has %d fields after the command name, want at least 20", len(f))
	}
	return strconv.ParseUint(f[19], 10, 64)
}

package labtest

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

const mod = "github.com/tcplab/tcplab/"

// allowed lists, per package (or package tree ending in "/..."), the import
// paths it may use besides the standard library, as in DESIGN.md. An entry
// ending in "/..." allows a whole tree.
var allowed = map[string][]string{
	"sockopt":             {"golang.org/x/sys/..."},
	"handshake":           {"golang.org/x/sys/...", mod + "sockopt"},
	"tfo":                 {"golang.org/x/sys/...", mod + "sockopt"},
	"linger":              {"golang.org/x/sys/...", mod + "sockopt"},
	"timewait":            {"golang.org/x/sys/...", mod + "sockopt"},
	"httpwire":            {},
	"internal/netlab":     {"golang.org/x/sys/...", "github.com/vishvananda/...", mod + "sockopt"},
	"internal/capture":    {"github.com/gopacket/gopacket/...", "golang.org/x/sys/..."},
	"internal/analyze":    {"github.com/gopacket/gopacket", "github.com/gopacket/gopacket/layers"},
	"internal/plot":       {"gonum.org/v1/plot/..."},
	"internal/peer":       {mod + "httpwire", mod + "sockopt", mod + "linger", mod + "tfo", mod + "timewait", mod + "handshake", "golang.org/x/sys/..."},
	"internal/experiment": {"...everything but report and cmd"},
	"internal/report":     {mod + "internal/experiment"},
}

// forbiddenStd are standard packages a package must not use even though
// they are standard: httpwire is a codec over io.Reader and io.Writer.
var forbiddenStd = map[string][]string{
	"httpwire": {"net", "net/http"},
}

type listed struct {
	ImportPath string
	Imports    []string
	Standard   bool
}

// TestDependencyDirection enforces DESIGN.md's table of what each folder may
// import: no package reaches upward, the library packages stay free of
// gopacket, urfave/cli, internal/ and testing.
func TestDependencyDirection(t *testing.T) {
	out, err := exec.Command(goTool(), "list", "-json", mod+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	std := stdPackages(t)
	seen := 0
	for dec.More() {
		var p listed
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		rel := strings.TrimPrefix(p.ImportPath, mod)
		for _, imp := range p.Imports {
			if imp == "testing" || strings.HasPrefix(imp, "testing/") {
				if !strings.HasPrefix(rel, "internal/labtest") {
					t.Errorf("%s imports %s outside tests", rel, imp)
				}
			}
			if strings.HasPrefix(imp, mod+"cmd") {
				t.Errorf("%s imports the command %s", rel, imp)
			}
			if strings.HasPrefix(imp, mod+"internal/labtest") {
				t.Errorf("%s imports labtest outside tests", rel)
			}
		}
		rules, ok := allowed[rel]
		if !ok {
			continue
		}
		seen++
		if len(rules) == 1 && strings.HasPrefix(rules[0], "...everything") {
			for _, imp := range p.Imports {
				if strings.HasPrefix(imp, mod+"internal/report") {
					t.Errorf("%s imports %s: experiments never render", rel, imp)
				}
			}
			continue
		}
		for _, imp := range p.Imports {
			if std[imp] {
				for _, bad := range forbiddenStd[rel] {
					if imp == bad {
						t.Errorf("%s imports %s: it must work over io.Reader/io.Writer only", rel, imp)
					}
				}
				continue
			}
			if !permitted(imp, rules) {
				t.Errorf("%s imports %s; DESIGN.md allows only the standard library and %v", rel, imp, rules)
			}
		}
	}
	if seen == 0 {
		t.Fatal("go list found none of the packages the table names")
	}
}

func permitted(imp string, rules []string) bool {
	for _, r := range rules {
		if tree, ok := strings.CutSuffix(r, "/..."); ok {
			if imp == tree || strings.HasPrefix(imp, tree+"/") {
				return true
			}
		} else if imp == r {
			return true
		}
	}
	return false
}

func stdPackages(t *testing.T) map[string]bool {
	out, err := exec.Command(goTool(), "list", "std").Output()
	if err != nil {
		t.Fatalf("go list std: %v", err)
	}
	m := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		m[l] = true
	}
	return m
}

// goTool finds the go command even when the test binary runs under sudo,
// which resets PATH.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

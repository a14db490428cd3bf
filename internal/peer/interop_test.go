package peer

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tcplab/tcplab/internal/labtest"
)

// requireBinary returns the path of a program the interop tests run. It
// skips when the program is missing, unless TCPLAB_REQUIRE_PRIV=1 demands
// the full suite.
func requireBinary(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv(labtest.RequireEnv) == "1" {
		t.Fatalf("%s not found (%s=1 forbids skipping): %v", name, labtest.RequireEnv, err)
	}
	t.Skipf("skipping interop test: %s not installed (apt-get install curl nginx-light)", name)
	return ""
}

// curl, a client no one here wrote, reuses a connection to the server when
// the server's response keeps it: one accepted connection, two requests.
func TestInteropCurlClient(t *testing.T) {
	curl := requireBinary(t, "curl")
	cases := []struct {
		name string
		args []string
		conn string // the response's Connection field
	}{
		{"HTTP/1.1", []string{"--http1.1"}, ""},
		{"HTTP/1.0 keep-alive", []string{"--http1.0", "-H", "Connection: keep-alive"}, "keep-alive"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, addr := startServer(t, ServerConfig{IdleTimeout: 5 * time.Second})
			u1 := "http://" + addr + "/obj/1?size=2000"
			u2 := "http://" + addr + "/obj/2?size=3000"
			ctx := testCtx(t, 10*time.Second)
			args := append([]string{"-sS", "-v", "--max-time", "5", "-o", "/dev/null", "-o", "/dev/null"}, tc.args...)
			cmd := exec.CommandContext(ctx, curl, append(args, u1, u2)...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("curl: %v\n%s", err, stderr.String())
			}
			log := stderr.String()
			if !strings.Contains(log, "Re-using existing connection") {
				t.Errorf("curl did not reuse the connection:\n%s", log)
			}
			if n := strings.Count(log, "Connected to"); n != 1 {
				t.Errorf("curl connected %d times", n)
			}
			if tc.conn != "" && !strings.Contains(strings.ToLower(log), "< connection: "+tc.conn) {
				t.Errorf("no Connection: %s in the responses:\n%s", tc.conn, log)
			}
			waitFor(t, "curl's close", 3*time.Second, func() bool { return closedConns(s.Conns()) >= 1 })
			conns := s.Conns()
			if len(conns) != 1 || conns[0].Requests != 2 || conns[0].Responses != 2 || conns[0].ClosedBy != ByPeer {
				t.Errorf("server records %+v, want one connection with two requests, closed by curl", conns)
			}
		})
	}
}

// startNginx runs nginx, a server no one here wrote, on a loopback port
// with a minimal configuration in a temporary directory, serving files of
// the given sizes as /f<size>.bin, and stops it when the test ends.
func startNginx(t *testing.T, keepaliveRequests int, sizes ...int) string {
	t.Helper()
	bin := requireBinary(t, "nginx")
	dir := t.TempDir()
	www := filepath.Join(dir, "www")
	if err := os.MkdirAll(www, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range sizes {
		if err := os.WriteFile(filepath.Join(www, fmt.Sprintf("f%d.bin", n)), ObjectBody(n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;" // workers must read the 0700 temporary directory
	}
	conf := fmt.Sprintf(`%s
worker_processes 1;
pid %[2]s/nginx.pid;
error_log %[2]s/error.log;
events { worker_connections 64; }
http {
    access_log %[2]s/access.log;
    client_body_temp_path %[2]s/body;
    proxy_temp_path %[2]s/proxy;
    fastcgi_temp_path %[2]s/fastcgi;
    uwsgi_temp_path %[2]s/uwsgi;
    scgi_temp_path %[2]s/scgi;
    keepalive_timeout 5s;
    keepalive_requests %[3]d;
    server {
        listen %[4]s;
        root %[5]s;
    }
}
`, user, dir, keepaliveRequests, addr, www)
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(filepath.Join(dir, "stdout.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd := exec.Command(bin, "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", confPath, "-g", "daemon off;")
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // master and worker in one group
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		// SIGTERM: the master stops its worker and exits (fast shutdown).
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
			return
		case <-time.After(5 * time.Second):
		}
		t.Errorf("nginx (pid %d) ignored SIGTERM; killing its process group", cmd.Process.Pid)
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	})
	deadline := time.Now().Add(5 * time.Second)
	for {
		select {
		case err := <-exited:
			elog, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			olog, _ := os.ReadFile(out.Name())
			t.Fatalf("nginx exited: %v\n%s\n%s", err, olog, elog)
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond); err == nil {
			c.Close()
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx did not listen on %s", addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The client against nginx: persistent connections reused up to nginx's
// keepalive_requests, HTTP/1.0 keep-alive echoed, and a pipeline whose
// connection nginx closes midway completed on a new connection.
func TestInteropNginxServer(t *testing.T) {
	sizes := []int{1000, 2000, 3000, 70000, 5}
	addr := startNginx(t, 3, sizes...)
	var reqs []Request
	for _, n := range sizes {
		reqs = append(reqs, Request{Target: fmt.Sprintf("/f%d.bin", n)})
	}
	check := func(t *testing.T, res []Result) {
		t.Helper()
		for i, r := range res {
			if r.Err != nil || r.Response.Status != 200 || !bytes.Equal(r.Response.Body, ObjectBody(sizes[i])) {
				t.Errorf("request %d: err %v, response %+v", i, r.Err, r.Response)
			}
		}
	}
	cases := []struct {
		name  string
		cfg   ClientConfig
		s     Strategy
		conns int
	}{
		{"persistent", ClientConfig{}, Strategy{Mode: PersistentSerial}, 2},
		{"http10-keepalive", ClientConfig{Version: HTTP10}, Strategy{Mode: PersistentSerial}, 2},
		{"http10", ClientConfig{Version: HTTP10, NoKeepAlive: true}, Strategy{Mode: PersistentSerial}, 5},
		{"pipelined", ClientConfig{}, Strategy{Mode: Pipelined}, 2},
		{"parallel", ClientConfig{}, Strategy{Mode: ParallelNew, Conns: 3}, 5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.Addr = addr
			c := &Client{Config: cfg}
			res, err := c.Fetch(testCtx(t, 10*time.Second), reqs, tc.s)
			if err != nil {
				t.Fatal(err)
			}
			c.Close()
			check(t, res)
			conns := c.Conns()
			if len(conns) != tc.conns {
				t.Errorf("%d connections, want %d", len(conns), tc.conns)
			}
			if tc.conns == 2 {
				if conns[0].Responses != 3 || conns[0].ClosedBy != ByPeer {
					t.Errorf("first connection %+v, want 3 responses and closed by nginx", conns[0])
				}
				if tc.cfg.Version == HTTP10 && res[0].Response.Header.Get("Connection") != "keep-alive" {
					t.Errorf("nginx did not echo keep-alive: %v", res[0].Response.Header)
				}
			}
			if tc.s.Mode == Pipelined {
				piped := 0
				for _, r := range res {
					for _, a := range r.Attempts {
						if a.Pipelined {
							piped++
						}
					}
				}
				if piped == 0 {
					t.Error("nothing was pipelined")
				}
			}
		})
	}
}

package testutil

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// GregorBinary builds cmd/gregor once per test process and returns its path.
func GregorBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gregor-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "gregor")
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/gregor")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// Process is `gregor serve` running as a child process, for tests that kill
// a broker with SIGKILL.
type Process struct {
	t       testing.TB
	Addr    string
	DataDir string
	args    []string
	cmd     *exec.Cmd
	logPath string
}

// StartProcess runs `gregor serve` on a free port with dataDir.
func StartProcess(t testing.TB, dataDir string, extra ...string) *Process {
	t.Helper()
	p := &Process{t: t, Addr: FreeAddr(t), DataDir: dataDir, logPath: filepath.Join(t.TempDir(), "gregor.log")}
	p.args = append([]string{"serve", "--listen", p.Addr, "--advertise", p.Addr, "--http", "", "--controller-listen", "127.0.0.1:0", "--data-dir", dataDir}, extra...)
	p.Start()
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			if b, err := os.ReadFile(p.logPath); err == nil {
				t.Logf("broker log:\n%s", b)
			}
		}
	})
	return p
}

// Start (re)starts the process on the same address and data directory and
// waits until it accepts connections.
func (p *Process) Start() {
	p.t.Helper()
	logf, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		p.t.Fatal(err)
	}
	defer logf.Close()
	p.cmd = exec.Command(GregorBinary(p.t), p.args...)
	p.cmd.Stdout = logf
	p.cmd.Stderr = logf
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	Eventually(p.t, 30*time.Second, func() error {
		c, err := net.DialTimeout("tcp", p.Addr, time.Second)
		if err != nil {
			return err
		}
		c.Close()
		return nil
	})
}

// Kill sends SIGKILL and waits for the process to die.
func (p *Process) Kill() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.cmd.Wait()
	p.cmd = nil
}

// Stop sends SIGTERM and waits for a clean exit.
func (p *Process) Stop() error {
	if p.cmd == nil {
		return nil
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	err := p.cmd.Wait()
	p.cmd = nil
	return err
}

package journal

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// The lock and crash tests re-execute the test binary as a child process;
// TestMain hands it to runChild when childEnv is set.
const (
	childEnv      = "JOURNAL_TEST_CHILD"
	childPathEnv  = "JOURNAL_TEST_PATH"  // the state to open
	childStoreEnv = "JOURNAL_TEST_STORE" // its store
)

// childWriters is how many goroutines the "write" child runs, so at most
// this many attempts can be in flight when it is killed.
const childWriters = 8

// runChild is the child's main. Modes:
//
//	hold:  begin a run, print "run ID", then wait (until killed or stdin closes)
//	write: begin a run, print "run ID", then declare and call back in a loop
//	       from childWriters goroutines; print "ready" after 300 finished pairs
func runChild(mode, path, store string) int {
	ctx := context.Background()
	j, err := Open(ctx, path, WithStore(store))
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	id, err := j.BeginRun(ctx, RunStart{From: "2026-11-20", To: "2026-11-20", ReportPath: "child.xlsx"})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	fmt.Printf("run %d\n", id)
	switch mode {
	case "hold":
		io.Copy(io.Discard, os.Stdin)
		return 0
	case "write":
		var done atomic.Int64
		var once sync.Once
		var wg sync.WaitGroup
		for g := range childWriters {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					order := fmt.Sprintf("o-%d-%d", g, i%50) // each order is tried again and again
					n, err := j.BeginDeclaration(ctx, id, Declaration{OrderID: order, TransactionID: "tx-" + order, Customs: "HANGZHOU",
						OrderFee: 1000, ProductFee: 900, TransportFee: 100})
					if err != nil {
						fmt.Fprintln(os.Stderr, "child:", err)
						os.Exit(1)
					}
					state := DeclarationFailed
					if i%3 == 2 {
						state = DeclarationAccepted
					}
					if err := j.FinishDeclaration(ctx, id, order, n, DeclarationOutcome{State: state, ErrorCode: "isp.timeout"}); err != nil {
						fmt.Fprintln(os.Stderr, "child:", err)
						os.Exit(1)
					}
					key := CallbackKey{Idempotent: "idem-" + order, Status: i % 2}
					n, err = j.BeginCallback(ctx, id, Callback{Key: key, OrderID: order})
					if err != nil {
						fmt.Fprintln(os.Stderr, "child:", err)
						os.Exit(1)
					}
					if err := j.FinishCallback(ctx, id, key, n, CallbackOutcome{State: CallbackSent}); err != nil {
						fmt.Fprintln(os.Stderr, "child:", err)
						os.Exit(1)
					}
					if done.Add(1) == 300 {
						once.Do(func() { fmt.Println("ready") })
					}
				}
			}()
		}
		wg.Wait()
		return 0
	}
	fmt.Fprintln(os.Stderr, "child: unknown mode", mode)
	return 2
}

// child is a running child process.
type child struct {
	cmd   *exec.Cmd
	lines *bufio.Scanner
	stdin io.WriteCloser
	runID int64
}

// startChild starts the test binary in mode on the journal at path and
// waits for the run id it prints.
func startChild(t *testing.T, mode string, path loc) *child {
	t.Helper()
	cmd := childCmd(mode, path)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, lines: bufio.NewScanner(stdout), stdin: stdin}
	t.Cleanup(func() {
		if c.cmd.ProcessState == nil {
			c.cmd.Process.Kill()
			c.cmd.Wait()
		}
	})
	line := c.waitFor(t, "run ")
	if _, err := fmt.Sscanf(line, "run %d", &c.runID); err != nil {
		t.Fatalf("child said %q, want \"run ID\"", line)
	}
	return c
}

// waitFor reads the child's output until a line starting with prefix.
func (c *child) waitFor(t *testing.T, prefix string) string {
	t.Helper()
	for c.lines.Scan() {
		if line := c.lines.Text(); strings.HasPrefix(line, prefix) {
			return line
		}
	}
	t.Fatalf("child ended before printing %q: %v", prefix, c.lines.Err())
	return ""
}

// kill kills the child with SIGKILL and reaps it.
func (c *child) kill(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	c.cmd.Wait()
	if ws := c.cmd.ProcessState; ws == nil || ws.Success() {
		t.Fatalf("child state after SIGKILL: %v", ws)
	}
}

// childCmd returns a command running the test binary as a child in mode on
// the journal at path.
func childCmd(mode string, path loc) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+mode, childPathEnv+"="+path.state, childStoreEnv+"="+path.store)
	return cmd
}

package batch

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/crossborder/reconcile/internal/top/sandbox"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestProgressOnATerminal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, sandbox.Config{Latency: 30 * time.Millisecond}, testOrders(30))
		var term syncBuffer
		eng := fastEngine
		eng.Concurrency = 2
		_, err := Run(context.Background(), Config{Window: e.window, Inputs: e.inputs, DefaultCustoms: "NINGBO", Engine: eng, Progress: &term},
			Deps{Platform: e.client, Journal: e.journal})
		if err != nil {
			t.Fatal(err)
		}
		out := term.String()
		// Redrawn lines, then the final line of each phase.
		for _, want := range []string{"\r\033[K", "reading      [████████████████████] 100%", "60 records",
			"declarations [████████████████████] 100%  30/30", "callbacks    [████████████████████] 100%  30/30", "0 exceptions  ETA 0s\n"} {
			if !strings.Contains(out, want) {
				t.Errorf("terminal output lacks %q:\n%q", want, out)
			}
		}
	})
}

func TestProgressInTheLog(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, sandbox.Config{Latency: 30 * time.Millisecond}, testOrders(30))
		var logs syncBuffer
		eng := fastEngine
		eng.Concurrency = 2
		_, err := Run(context.Background(), Config{Window: e.window, Inputs: e.inputs, DefaultCustoms: "NINGBO", Engine: eng,
			Logger: slog.New(slog.NewJSONHandler(&logs, nil)), ProgressEvery: 50 * time.Millisecond},
			Deps{Platform: e.client, Journal: e.journal})
		if err != nil {
			t.Fatal(err)
		}
		var progress, done int
		for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
			var rec map[string]any
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatalf("not a JSON log line: %q", line)
			}
			switch rec["msg"] {
			case "progress":
				progress++
				if rec["phase"] == "reading" {
					break
				}
				if rec["total"] != float64(30) || rec["phase"] == nil || rec["eta"] == nil || rec["per_second"] == nil {
					t.Errorf("progress line lacks fields: %v", rec)
				}
			case "phase done":
				done++
				switch {
				case rec["phase"] == "reading" && (rec["records"] != float64(60) || rec["bytes"] != rec["total_bytes"]):
					t.Errorf("reading done with %v records, %v of %v bytes; want 60, all", rec["records"], rec["bytes"], rec["total_bytes"])
				case rec["phase"] != "reading" && rec["done"] != float64(30):
					t.Errorf("phase done with %v of 30", rec["done"])
				}
			}
		}
		if progress == 0 || done != 3 {
			t.Errorf("%d progress lines and %d phase-done lines, want some and 3 (reading, declarations, callbacks)", progress, done)
		}
	})
}

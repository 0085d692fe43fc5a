package sandbox

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/crossborder/reconcile/internal/top"
)

// try sends a signed declaration and returns the transport error, if any.
func (e *env) try(ctx context.Context, app map[string]string) (*http.Response, []byte, error) {
	v := e.sysParams(MethodDeclare, app)
	signValues(e.t, v, "")
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.url(), strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=UTF-8")
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

func TestFaultKinds(t *testing.T) {
	tests := []struct {
		kind       Fault
		wantErr    bool // a transport error at the client
		wantStatus int
		wantCode   int // error_response code, -1 for none
		wantHeld   bool
	}{
		{FaultISP, false, 200, 15, false}, // or 50, checked below
		{FaultHTTP502, false, 502, -1, false},
		{FaultDrop, true, 0, -1, false},
		{FaultLost, true, 0, -1, true},
		{FaultBan, false, 200, 7, false},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			e := newEnv(t, Config{FaultRate: 1, Faults: []Fault{tt.kind}, BanSeconds: 30})
			resp, body, err := e.try(context.Background(), map[string]string{declareParam: docDeclare})
			if (err != nil) != tt.wantErr {
				t.Fatalf("transport error %v, want one: %v", err, tt.wantErr)
			}
			if err == nil && resp.StatusCode != tt.wantStatus {
				t.Fatalf("HTTP %d, want %d: %s", resp.StatusCode, tt.wantStatus, body)
			}
			switch tt.kind {
			case FaultHTTP502:
				if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") || !strings.Contains(string(body), "502 Bad Gateway") {
					t.Errorf("502 answer %q %s, want an HTML page", ct, body)
				}
			case FaultISP, FaultBan:
				r := reply{status: resp.StatusCode, ctype: resp.Header.Get("Content-Type"), body: body, m: decodeJSON(t, body)}
				code, sub, msg := r.errorOf(t)
				switch {
				case tt.kind == FaultBan && (code != 7 || sub != top.SubCodeAPIAccessLimited || banSeconds(t, msg) != 30):
					t.Errorf("ban fault: %s, want code 7 for 30 seconds", body)
				case tt.kind == FaultISP && !(code == 15 && sub == "isp.top-remote-connection-timeout" || code == 50 && sub == "isp.remote-service-error"):
					t.Errorf("isp fault: %s, want 15 or 50 isp.*", body)
				}
				if cls := (&top.Error{Code: code, SubCode: sub}).Class(); tt.kind == FaultISP && cls != top.Retry {
					t.Errorf("isp fault classified %v by package top, want retry", cls)
				}
			}
			d, ok := e.g.Declaration(docOrder)
			if ok != tt.wantHeld || d.Held != tt.wantHeld {
				t.Errorf("Declaration held %v (%+v), want %v", ok, d, tt.wantHeld)
			}
			c := e.g.Counters()
			if c.Faults[tt.kind] != 1 || len(c.Faults) != 1 {
				t.Errorf("Faults = %v, want %s: 1", c.Faults, tt.kind)
			}
			wantEffects := map[bool]int{true: 1, false: 0}[tt.wantHeld]
			if c.Declarations.Effects[docOrder] != wantEffects || c.Declarations.New != wantEffects {
				t.Errorf("Effects %d New %d, want %d", c.Declarations.Effects[docOrder], c.Declarations.New, wantEffects)
			}
			answers := 0
			for _, n := range c.Answers {
				answers += n
			}
			if wantAnswers := map[bool]int{true: 1, false: 0}[tt.wantCode >= 0]; answers != wantAnswers {
				t.Errorf("Answers %v, want %d answer(s)", c.Answers, wantAnswers)
			}
			if tt.kind == FaultBan {
				// The ban holds: the next call is refused by flow control,
				// before any fault is drawn.
				e.clock.Add(10 * time.Second)
				code, _, msg := e.declare(docDeclare).errorOf(t)
				if code != 7 || banSeconds(t, msg) != 20 {
					t.Errorf("during the ban: code %d %s, want 7 for 20 more seconds", code, msg)
				}
				if c := e.g.Counters(); c.Faults[FaultBan] != 1 || c.BansStarted != 1 {
					t.Errorf("Faults %v BansStarted %d, want 1 and 1", c.Faults, c.BansStarted)
				}
			}
		})
	}
}

// TestLostCallback: a lost callback is recorded though the client saw an
// error.
func TestLostCallback(t *testing.T) {
	e := newEnv(t, Config{FaultRate: 1, Faults: []Fault{FaultLost}})
	v := e.sysParams(MethodCallback, map[string]string{callbackParam: docCallback})
	signValues(t, v, "")
	if _, err := e.srv.Client().PostForm(e.url(), v); err == nil {
		t.Fatalf("lost answer: no transport error")
	}
	if _, ok := e.g.Callback("xxe3444k9k9", 1); !ok {
		t.Errorf("the lost callback was not recorded")
	}
}

func TestFaultsOnlyOnValidCalls(t *testing.T) {
	e := newEnv(t, Config{FaultRate: 1, SpareMaterials: true})
	v := e.sysParams(MethodDeclare, map[string]string{declareParam: docDeclare})
	signValues(t, v, "wrong")
	if code, _, _ := e.post(nil, v).errorOf(t); code != 25 {
		t.Errorf("bad signature with faults on: code %d, want 25", code)
	}
	for i := 0; i < 20; i++ {
		if code, _, _ := e.mat(); code != 0 {
			t.Fatalf("materials with SpareMaterials: code %d, want 0", code)
		}
	}
	if c := e.g.Counters(); len(c.Faults) != 0 {
		t.Errorf("Faults = %v, want none", c.Faults)
	}
}

// TestFaultsSeeded: the same seed draws the same faults; the rate is
// roughly honoured and every kind is drawn.
func TestFaultsSeeded(t *testing.T) {
	run := func(seed uint64) ([]int, Counters) {
		e := newEnv(t, Config{FaultRate: 0.3, Faults: []Fault{FaultISP, FaultHTTP502}, Seed: seed})
		var seq []int
		for i := 0; i < 200; i++ {
			v := e.sysParams(MethodMaterials, map[string]string{"order_id": "1"})
			signValues(t, v, "")
			resp, err := e.srv.Client().PostForm(e.url(), v)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			code := resp.StatusCode
			if code == 200 && strings.Contains(string(b), "error_response") {
				code = 1
			}
			seq = append(seq, code)
		}
		return seq, e.g.Counters()
	}
	a, ca := run(7)
	b, _ := run(7)
	c, _ := run(8)
	if !equalInts(a, b) {
		t.Errorf("seed 7 twice gave different fault sequences")
	}
	if equalInts(a, c) {
		t.Errorf("seeds 7 and 8 gave the same fault sequence")
	}
	n := ca.Faults[FaultISP] + ca.Faults[FaultHTTP502]
	if n < 30 || n > 90 || ca.Faults[FaultISP] == 0 || ca.Faults[FaultHTTP502] == 0 {
		t.Errorf("faults %v in 200 calls at rate 0.3, want about 60 of both kinds", ca.Faults)
	}
	if ca.Answers[0]+ca.Answers[15]+ca.Answers[50]+ca.Faults[FaultHTTP502] != 200 {
		t.Errorf("answers %v and faults %v do not add up to 200 calls", ca.Answers, ca.Faults)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestLatencyEffectFirst: the effect happens on arrival, before the
// latency; a client that gives up during it has still declared.
func TestLatencyEffectFirst(t *testing.T) {
	e := newEnv(t, Config{Latency: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		_, _, err := e.try(ctx, map[string]string{declareParam: docDeclare})
		errc <- err
	}()
	// The declaration is held while the client still waits for its answer.
	for {
		if d, ok := e.g.Declaration(docOrder); ok && d.Held {
			break
		}
		select {
		case err := <-errc:
			t.Fatalf("the call ended (%v) before the declaration was held", err)
		case <-time.After(time.Millisecond):
		}
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want the client's cancellation", err)
	}
}

func TestParseFaults(t *testing.T) {
	got, err := ParseFaults(" isp, drop,,lost ")
	if err != nil || len(got) != 3 || got[0] != FaultISP || got[1] != FaultDrop || got[2] != FaultLost {
		t.Errorf("ParseFaults = %v, %v", got, err)
	}
	if _, err := ParseFaults("isp,timeout"); err == nil || !strings.Contains(err.Error(), `"timeout"`) {
		t.Errorf("ParseFaults(timeout) error %v", err)
	}
	if all := AllFaults(); len(all) != 5 {
		t.Errorf("AllFaults = %v", all)
	}
}

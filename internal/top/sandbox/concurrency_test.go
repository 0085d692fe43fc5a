package sandbox

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestConcurrentLoad runs a mixed load through 32 workers with faults on,
// reading counters meanwhile, and checks that everything adds up. Run it
// with -race.
func TestConcurrentLoad(t *testing.T) {
	e := newEnv(t, Config{
		FaultRate: 0.1, Faults: []Fault{FaultISP, FaultHTTP502, FaultDrop, FaultLost}, Seed: 3,
		RateLimit: 1_000_000, Now: time.Now, // the real clock: the fake one stands still
	})
	const orders, workers = 60, 32
	type job struct {
		method string
		app    map[string]string
	}
	var jobs []job
	for i := 0; i < orders; i++ {
		id := fmt.Sprint(4000000000000000000 + i)
		for rep := 0; rep < 3; rep++ {
			jobs = append(jobs, job{MethodDeclare, map[string]string{declareParam: declareJSON(id, 400, 300, 100, "HANGZHOU_ZS")}})
		}
		jobs = append(jobs, job{MethodDeclare, map[string]string{declareParam: declareJSON(id, 500, 400, 100, "HANGZHOU_ZS")}})
		cb := strings.Replace(docCallback, "xxe3444k9k9", "key"+id, 1)
		jobs = append(jobs, job{MethodCallback, map[string]string{callbackParam: cb}}, job{MethodCallback, map[string]string{callbackParam: cb}})
		jobs = append(jobs, job{MethodMaterials, map[string]string{"order_id": id}})
	}

	type result struct {
		job
		status int
		body   []byte
		err    error
	}
	results := make(chan result, len(jobs))
	work := make(chan job)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				v := e.sysParams(j.method, j.app)
				v.Set("timestamp", time.Now().In(t0.Location()).Format("2006-01-02 15:04:05"))
				signValues(t, v, "")
				req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, e.url(), strings.NewReader(v.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=UTF-8")
				resp, err := e.srv.Client().Do(req)
				r := result{job: j, err: err}
				if err == nil {
					r.status = resp.StatusCode
					r.body, r.err = io.ReadAll(resp.Body)
					resp.Body.Close()
				}
				results <- r
				_ = e.g.Counters()
				_ = e.g.Arrivals()
			}
		}()
	}
	for _, j := range jobs {
		work <- j
	}
	close(work)
	wg.Wait()
	close(results)

	transportErrors, okDeclares := 0, map[string]bool{}
	for r := range results {
		if r.err != nil {
			transportErrors++
			continue
		}
		if r.method == MethodDeclare && r.status == 200 && strings.Contains(string(r.body), `"request_success":true`) {
			okDeclares[r.app[declareParam]] = true
		}
	}
	c := e.g.Counters()
	total := 0
	for _, n := range c.Requests {
		total += n
	}
	answers := 0
	for _, n := range c.Answers {
		answers += n
	}
	if total != len(jobs) || len(e.g.Arrivals()) != len(jobs) {
		t.Errorf("Requests %v, Arrivals %d, want %d", c.Requests, len(e.g.Arrivals()), len(jobs))
	}
	if answers+c.Faults[FaultHTTP502]+c.Faults[FaultDrop]+c.Faults[FaultLost] != len(jobs) {
		t.Errorf("answers %v + faults %v != %d requests", c.Answers, c.Faults, len(jobs))
	}
	if transportErrors != c.Faults[FaultDrop]+c.Faults[FaultLost] {
		t.Errorf("client saw %d transport errors, gateway injected %v", transportErrors, c.Faults)
	}
	d := c.Declarations
	effects := 0
	for _, n := range d.Effects {
		effects += n
	}
	if d.New+d.Repeated+d.Conflicting+d.Failed != effects {
		t.Errorf("declarations %+v do not add up to %d effects", d, effects)
	}
	if d.New > orders || d.Failed != 0 {
		t.Errorf("declarations New %d Failed %d, want at most %d new and none failed", d.New, d.Failed, orders)
	}
	for req := range okDeclares {
		var p struct {
			OrderID  string `json:"order_id"`
			OrderFee int64  `json:"order_fee"`
		}
		_ = json.Unmarshal([]byte(req), &p)
		if rec, ok := e.g.Declaration(p.OrderID); !ok || !rec.Held || rec.OrderFee != p.OrderFee {
			t.Errorf("a declaration answered success is not held as sent: %+v", rec)
		}
	}
	if c.Callbacks.New > orders || c.Callbacks.Invalid != 0 {
		t.Errorf("callbacks %+v", c.Callbacks)
	}
}

// FuzzAPIArguments feeds arbitrary argument values to the three APIs: no
// panic, a well-formed answer in JSON and XML, and an accepted declaration
// is held exactly as sent.
func FuzzAPIArguments(f *testing.F) {
	for _, s := range []string{docDeclare, docCallback, "", "{}", "null", "[1]", `{"order_id":1e400}`,
		`{"order_id":"1","transaction_id":"2","customs":"<&>","order_fee":1,"product_fee":1,"transport_fee":0}`,
		"2531111111111111111", "-1", "\x00\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		g := New(Config{Now: func() time.Time { return t0 }})
		for _, c := range []struct {
			method string
			p      map[string]string
		}{
			{MethodDeclare, map[string]string{declareParam: s}},
			{MethodCallback, map[string]string{callbackParam: s}},
			{MethodMaterials, map[string]string{"order_id": s, "need_image": "true"}},
		} {
			req := &request{p: c.p, at: t0}
			out := &outcome{method: c.method}
			g.mu.Lock()
			switch c.method {
			case MethodDeclare:
				out.body, out.err = g.declare(req)
			case MethodCallback:
				out.body, out.err = g.callback(req)
			case MethodMaterials:
				out.body, out.err = g.distribution(req)
			}
			g.mu.Unlock()
			out.json = true
			if b, _ := out.encode("0123456789abc"); !json.Valid(b) {
				t.Fatalf("%s: invalid JSON answer %q", c.method, b)
			}
			out.json = false
			b, _ := out.encode("0123456789abc")
			dec := xml.NewDecoder(strings.NewReader(string(b)))
			for {
				if _, err := dec.Token(); err == io.EOF {
					break
				} else if err != nil {
					t.Fatalf("%s: malformed XML answer %q: %v", c.method, b, err)
				}
			}
		}
		if c := g.Counters().Declarations; c.New == 1 {
			var p struct {
				OrderID  string `json:"order_id"`
				OrderFee int64  `json:"order_fee"`
			}
			if err := json.Unmarshal([]byte(s), &p); err != nil {
				t.Fatalf("accepted a declaration encoding/json cannot read: %v", err)
			}
			if d, ok := g.Declaration(p.OrderID); !ok || !d.Held || d.OrderFee != p.OrderFee {
				t.Fatalf("accepted %q but holds %+v", s, d)
			}
		}
	})
}

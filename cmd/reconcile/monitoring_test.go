package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// The binary writes its metrics for node_exporter and sends its digest to
// a robot; a robot that fails does not fail the run.
func TestMetricsAndDigest(t *testing.T) {
	bin := reconcileBinary(t)
	url := startSandbox(t, bin)
	var mu sync.Mutex
	var digests []string
	robot := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		digests = append(digests, string(b))
		mu.Unlock()
		io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
	}))
	defer robot.Close()
	// A robot whose key is no longer valid: refused at once, not retried.
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"errcode":93000,"errmsg":"invalid webhook url"}`)
	}))
	defer broken.Close()

	dir := t.TempDir()
	orders, payments := writeNight(t, dir, 5)
	prom := filepath.Join(dir, "metrics", "reconcile.prom")
	os.MkdirAll(filepath.Dir(prom), 0o755)
	code, stdout, stderr := runBinary(t, bin, "run", "--date", "2026-11-20", "--orders", orders, "--payments", payments, "--gateway", url,
		"--report", dir+"/out/", "--metrics-file", prom,
		"--notify", "wecom:"+robot.URL+"/cgi-bin/webhook/send?key=ROBOTKEY1", "--notify", "wecom:"+broken.URL+"/cgi-bin/webhook/send?key=ROBOTKEY2")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	f, err := os.Open(prom)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(f)
	if err != nil {
		t.Fatalf("the metrics file does not parse: %v", err)
	}
	for name, want := range map[string]float64{"reconcile_exit_status": 0, "reconcile_orders_in_window": 5} {
		fam := fams[name]
		if fam == nil || fam.GetMetric()[0].GetGauge().GetValue() != want {
			t.Errorf("%s = %v, want %v", name, fam, want)
		}
	}
	if fams["reconcile_last_success_timestamp_seconds"].GetMetric()[0].GetGauge().GetValue() == 0 {
		t.Error("a successful run left no last success")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(digests) != 1 || !strings.Contains(digests[0], "对账") {
		t.Errorf("digests received: %q", digests)
	}
	if strings.Contains(stderr, "ROBOTKEY") || !strings.Contains(stderr, "the digest could not be sent") {
		t.Errorf("the log shows a robot's key, or not the failed robot:\n%s", stderr)
	}
}

package notify

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/crossborder/reconcile/internal/reconcile"
)

// A Notifier sends the digest to every robot and counts those that did
// not take it; the failure is logged, masked, and nothing more.
func TestNotifierCountsWhatFailed(t *testing.T) {
	var got []string
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = append(got, string(b))
		io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
	}))
	defer ok.Close()
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"errcode":93000,"errmsg":"invalid webhook url"}`)
	}))
	defer bad.Close()
	var targets []Target
	for _, u := range []string{"wecom:" + ok.URL + "/cgi-bin/webhook/send?key=GOODKEY123", "wecom:" + bad.URL + "/cgi-bin/webhook/send?key=BADKEY456"} {
		tg, err := ParseTarget(u)
		if err != nil {
			t.Fatal(err)
		}
		targets = append(targets, tg)
	}
	var logs bytes.Buffer
	n := &Notifier{Client: NewClient(WithBackoff(1)), Targets: targets, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // an interrupted run still sends
	sent, failed := n.Notify(ctx, &reconcile.Result{Status: reconcile.StatusInterrupted, ByCode: map[reconcile.Code]int{}})
	if sent != 1 || failed != 1 || len(got) != 1 || !strings.Contains(got[0], "对账") {
		t.Errorf("sent %d, failed %d, received %q; want 1, 1 and the digest", sent, failed, got)
	}
	if out := logs.String(); strings.Contains(out, "GOODKEY123") || strings.Contains(out, "BADKEY456") || !strings.Contains(out, "93000") {
		t.Errorf("the log shows a key or not the failure:\n%s", out)
	}
	if s, f := (*Notifier)(nil).Notify(ctx, nil); s != 0 || f != 0 {
		t.Errorf("no notifier: %d, %d", s, f)
	}
}

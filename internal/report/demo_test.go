package report

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/crossborder/reconcile/internal/reconcile"
)

var demoDir = flag.String("demo", "", "also write the demo workbooks into this directory, to render and look at")

// TestDemoWorkbooks writes the realistic demo run, the night whose bills
// do not tie out, the small interrupted run and a failed dry run, checks their totals, and with -demo DIR keeps
// copies to render (LibreOffice → PDF → PNG) and judge by eye.
func TestDemoWorkbooks(t *testing.T) {
	dry := demoResult()
	dry.DryRun, dry.RunID, dry.Status = true, 0, reconcile.StatusFailed
	dry.Reason = "签名错误（isv.invalid-signature）：请检查 TOP_APP_SECRET 与 --sign-method 是否与开放平台应用一致；本次未调用平台，也未写入日志。"
	dry.Exceptions = dry.Exceptions[:6]
	dry.Declarations, dry.Callbacks = nil, nil
	// A dry run knows no history: the notes it read back, nothing else.
	for i := range dry.Exceptions {
		dry.Exceptions[i].Tracking = reconcile.Tracking{Handling: dry.Exceptions[i].Tracking.Handling}
	}
	dry.Tracked, dry.History, dry.Resolved = reconcile.Tracked{}, nil, nil
	dry.Failure = reconcile.Failure{Reason: "签名错误：平台不接受请求的签名", Advice: "请技术人员核对应用密钥和签名方式后重跑"}
	for _, tc := range []struct {
		name  string
		r     *reconcile.Result
		total string
	}{
		{"demo", demoResult(), "35"},
		{"money", moneyResult(), "31"},
		{"small", smallResult(), "6"},
		{"dryrun", dry, "6"},
		{"failed", demoFailed(), "1223"},
	} {
		p := writeBook(t, tc.r)
		at, rows := summaryRows(t, openBook(t, p))
		if got := rows[at["合计"]-1][2]; got != tc.total {
			t.Errorf("%s: total = %q, want %s", tc.name, got, tc.total)
		}
		if *demoDir == "" {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(*demoDir, tc.name+".xlsx"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

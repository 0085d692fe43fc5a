package batch

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/crossborder/reconcile/internal/dispatch"
	"github.com/crossborder/reconcile/internal/journal"
	"github.com/crossborder/reconcile/internal/reconcile"
	"github.com/crossborder/reconcile/internal/top"
)

// Each way a run can fail gets its own words and its own advice: an
// expired session is re-authorised, never "the next run will retry".
func TestFailuresAreExplainedInChinese(t *testing.T) {
	platform := func(code int) error {
		return &dispatch.FatalError{Err: &top.Error{Method: "tmall.hk.clearance.declare.wechat", Code: code, Msg: top.CodeMsg(code)}, Advice: "x"}
	}
	tests := []struct {
		name       string
		err        error
		reason     string // in Reason
		advice     string // in Advice
		notAdvised string // never in Advice
	}{
		{"completed", nil, "", "", ""},
		{"interrupted", fmt.Errorf("%w after the checks", ErrInterrupted), "中断", "重跑同一日期", ""},
		{"expired session", platform(top.CodeInvalidSession), "授权", "重新授权", "自动重试"},
		{"bad signature", platform(top.CodeInvalidSignature), "签名", "应用密钥", "自动重试"},
		{"no permission", platform(top.CodeInsufficientISVPerm), "tmall.hk.clearance.declare.wechat 的权限", "开通该接口", ""},
		{"daily quota", platform(top.CodeAppCallLimited), "额度", "重跑", ""},
		{"clock", platform(top.CodeInvalidTimestamp), "时钟", "NTP", ""},
		{"unreachable", &dispatch.FatalError{Err: &top.Error{Err: errors.New("connection refused")}, Advice: "x"}, "无法连接", "网络", ""},
		{"ban budget", &dispatch.FatalError{Err: fmt.Errorf("%w: 15m of bans", dispatch.ErrBanBudget)}, "限流", "稍后", ""},
		{"journal", journalFailure(errors.New("disk full")), "日志", "磁盘", "网络"},
		{"journal's connection lost", journalFailure(fmt.Errorf("%w: broken pipe", journal.ErrLockLost)), "连接断开", "数据库", "磁盘"},
		{"bill mismatch", fmt.Errorf("%w: bill.csv section 1", ErrBillMismatch), "账单", "--allow-bill-mismatch", ""},
		{"locked", &journal.LockedError{Path: "r.db", RunID: 3}, "另一次运行", "等另一次运行结束", ""},
		{"preflight", &PreflightError{Err: errors.New("read-only")}, "运行前检查", "修正", ""},
		{"no inputs", reconcile.ErrNoInputs, "没有给出任何导出文件", "路径", ""},
		{"unreadable input", errors.New("orders.csv: no 订单编号 column"), "orders.csv", "重新导出", ""},
	}
	for _, tt := range tests {
		f := explain(tt.err)
		switch {
		case tt.err == nil && f != (reconcile.Failure{}):
			t.Errorf("%s: %+v, want nothing", tt.name, f)
		case !strings.Contains(f.Reason, tt.reason) || !strings.Contains(f.Advice, tt.advice):
			t.Errorf("%s: %+v; want the reason to say %q and the advice %q", tt.name, f, tt.reason, tt.advice)
		case tt.notAdvised != "" && strings.Contains(f.Advice, tt.notAdvised):
			t.Errorf("%s: advice %q must not say %q", tt.name, f.Advice, tt.notAdvised)
		}
	}
}

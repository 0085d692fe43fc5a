package batch

import (
	"errors"
	"fmt"
	"time"

	"github.com/crossborder/reconcile/internal/dispatch"
	"github.com/crossborder/reconcile/internal/journal"
	"github.com/crossborder/reconcile/internal/reconcile"
	"github.com/crossborder/reconcile/internal/top"
)

// errJournalWrite is wrapped by the error of a run the journal stopped:
// it could not record an attempt.
var errJournalWrite = errors.New("the journal could not record an attempt")

// explain says in Chinese, for the finance team, why a run did not
// complete and what to do: the workbook's banner. Each cause gets its own
// advice: an expired session is re-authorised, never "the next run will
// retry".
func explain(err error) reconcile.Failure {
	var (
		fe     *dispatch.FatalError
		te     *top.Error
		locked *journal.LockedError
		pe     *PreflightError
		panicE *reconcile.PanicError
	)
	switch {
	case err == nil:
		return reconcile.Failure{}
	case errors.Is(err, ErrInterrupted):
		return reconcile.Failure{Reason: "运行被中断（收到停止信号）",
			Advice: "已申报和已回传的记录不会重复：重跑同一日期即可继续未完成的部分"}
	case errors.Is(err, ErrBillMismatch):
		return reconcile.Failure{Reason: "微信账单的汇总与明细不符（见 BILL_MISMATCH），本次未申报任何订单",
			Advice: "重新下载原始账单后重跑；如已人工核对无误，请技术人员加 --allow-bill-mismatch 重跑"}
	case errors.As(err, &locked):
		return reconcile.Failure{Reason: "另一次运行正在使用同一日志（journal），本次未运行",
			Advice: "等另一次运行结束后再重跑；如确认没有其他运行，请联系技术人员"}
	case errors.As(err, &pe):
		return reconcile.Failure{Reason: "运行前检查未通过：报告或汇总文件无法写入，或配置有误",
			Advice: "请技术人员按日志中的错误修正路径或配置后重跑"}
	case errors.As(err, &panicE):
		return reconcile.Failure{Reason: "程序内部错误", Advice: "请把日志发给技术支持；已申报的记录不会重复，修复后重跑"}
	case errors.Is(err, dispatch.ErrBanBudget):
		return reconcile.Failure{Reason: "平台限流：本次运行等待限流的时间已用完",
			Advice: "未完成的申报和回传已记录，稍后（或降低调用频率后）重跑即可继续"}
	case errors.Is(err, journal.ErrLockLost):
		return reconcile.Failure{Reason: "与日志数据库（journal）的连接断开，运行锁随之失去，本次停止了申报和回传",
			Advice: "请技术人员检查数据库及网络后重跑；已做的都已记录，最多重复断开时正在进行的几笔调用（平台对相同申报是幂等的）"}
	case errors.Is(err, errJournalWrite):
		return reconcile.Failure{Reason: "日志（journal）无法写入，本次停止了申报和回传",
			Advice: "请技术人员检查日志（--state：文件所在的磁盘，或数据库及其连接）后重跑；已做的都已记录，不会重复"}
	case errors.As(err, &fe) && errors.As(err, &te) && !te.Transport():
		return explainPlatform(te)
	case errors.As(err, &fe):
		return reconcile.Failure{Reason: "无法连接开放平台（网络或网关地址问题）",
			Advice: "请技术人员检查网络和网关地址；未完成的部分已记录，恢复后重跑即可"}
	case errors.Is(err, reconcile.ErrNoInputs):
		return reconcile.Failure{Reason: "没有给出任何导出文件", Advice: "请技术人员检查订单、支付和清关文件的路径后重跑"}
	}
	return reconcile.Failure{Reason: "运行未完成：" + err.Error(),
		Advice: "如是导出文件无法读取，请按提示修正或重新导出后重跑；其他情况请联系技术人员"}
}

// explainPlatform explains a fatal answer of the platform.
func explainPlatform(te *top.Error) reconcile.Failure {
	switch te.Code {
	case top.CodeInvalidSession, top.CodeMissingSession:
		return reconcile.Failure{Reason: "店铺授权（session）已失效或缺失，平台拒绝了调用",
			Advice: "请店铺主账号在淘宝开放平台重新授权，并把新的授权码交给技术人员更新后重跑；重跑前不会自动恢复"}
	case top.CodeInvalidSignature, top.CodeMissingSignature:
		return reconcile.Failure{Reason: "平台拒绝了签名：应用密钥（app secret）或签名方式不对",
			Advice: "请技术人员核对应用密钥和签名方式后重跑"}
	case top.CodeInvalidAppKey, top.CodeMissingAppKey:
		return reconcile.Failure{Reason: "平台不认识应用的 app key", Advice: "请技术人员核对 app key 和网关地址后重跑"}
	case top.CodeInvalidTimestamp, top.CodeMissingTimestamp:
		return reconcile.Failure{Reason: "平台拒绝了请求时间：服务器时钟偏差超过 10 分钟", Advice: "请技术人员校准服务器时间（NTP）后重跑"}
	case top.CodeInsufficientISVPerm, top.CodeInsufficientUserPerm, top.CodeInsufficientSessPerm:
		return reconcile.Failure{Reason: "应用没有调用 " + te.Method + " 的权限",
			Advice: "请在开放平台为应用开通该接口（或把服务器 IP 加入白名单），再重跑"}
	case top.CodeAppCallLimited:
		return reconcile.Failure{Reason: "应用当日的调用额度已用完",
			Advice: fmt.Sprintf("额度约 %s 后恢复，届时重跑即可；未完成的部分已记录", te.RetryAfter().Round(time.Minute))}
	}
	return reconcile.Failure{Reason: fmt.Sprintf("平台拒绝了请求（错误码 %d %s）", te.Code, te.Msg),
		Advice: "请技术人员核对网关地址；持续出现请带上请求编号（request id）联系平台支持"}
}

// checkJournal is what to check when the journal fails, for either of its
// backends; the error before it names the file or the database's store.
const checkJournal = "check --state (the file and its disk, or the database and the connection to it)"

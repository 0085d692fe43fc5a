package gen

import (
	"strings"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// The text of the exports. Every string is encoded once, up front, in the
// Spec's encoding (see texts); the writers splice the bytes.

// tmallHeader is the classic Tmall order export header, 40 columns, with
// the trailing spaces the real export has in some names.
var tmallHeader = []string{"订单编号", "买家会员名", "买家支付宝账号", "买家应付货款", "买家应付邮费", "买家支付积分", "总金额", "返点积分",
	"买家实际支付金额", "买家实际支付积分", "订单状态", "买家留言", "收货人姓名", "收货地址 ", "运送方式", "联系电话 ", "联系手机",
	"订单创建时间", "订单付款时间 ", "宝贝标题 ", "宝贝种类 ", "物流单号 ", "物流公司", "订单备注", "宝贝总数量", "店铺Id", "店铺名称",
	"订单关闭原因", "卖家服务费", "买家服务费", "发票抬头", "是否手机订单", "分阶段订单信息", "特权订金订单id", "是否上传合同照片",
	"是否上传小票", "是否代付", "定金排名", "修改后的sku", "修改后的收货地址"}

// customsHeader is the column added when Spec.Customs is set.
const customsHeader = "申报海关"

// wechatHeader is the header of the WeChat Pay "ALL" trade bill, 27 columns.
const wechatHeader = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注"

// wechatSummaryHeader starts the summary section of the bill.
const wechatSummaryHeader = "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"

// The clearance headers: canonical and Chinese.
const (
	clearanceHeaderEN = "order_id,idempotent,clearance_status,clearance_result_code,clearance_port_no,clearance_time,customs_pass_no,customs_return_receipt"
	clearanceHeaderZH = "订单号,幂等键,清关状态,清关结果编码,清关口岸代码,清关时间,清单编号,海关回执"
)

// Order statuses.
const (
	stPaid = iota // 买家已付款，等待卖家发货
	stShipped
	stDone
	stWaitPay
	stClosed
	numStatuses
)

var statuses = [numStatuses]string{"买家已付款，等待卖家发货", "卖家已发货，等待买家确认", "交易成功", "等待买家付款", "交易关闭"}

// products are what the store sells: the Tmall title (free text, some with
// commas and quotes), the short WeChat goods name, and a typical price in
// fen.
var products = []struct {
	title, goods string
	price        int64
}{
	{"【保税仓直发】澳洲a2 Platinum白金版婴儿配方奶粉3段 900g", "a2奶粉 900g, 3段", 23800},
	{"Swisse 钙+维生素D 迷你钙片 150粒/瓶", "Swisse 钙片", 12900},
	{"Dyson戴森 Supersonic HD15 吹风机 紫红色", "Dyson 吹风机", 299000},
	{"日本 MINON 氨基酸保湿面膜 4片装*3盒", "面膜 4片*3", 8900},
	{"Blackmores 澳佳宝 深海鱼油软胶囊 1000mg 400粒", "鱼油 400粒", 19900},
	{"雅诗兰黛 特润修护肌活精华露 小棕瓶 50ml", "精华液 50ml", 45800},
	{"德国 Elevit 爱乐维 孕妇复合维生素 100粒", "爱乐维 100粒", 33800},
	{"韩国 Sulwhasoo 雪花秀 滋盈肌本润颜水乳套装, 2件套", "雪花秀 水乳", 52000},
	{"新西兰 Comvita 康维他 UMF10+ 麦卢卡蜂蜜 500g", "麦卢卡蜂蜜 500g", 39900},
	{"日本 花王 Merries 妙而舒 纸尿裤 L54片*4包", "纸尿裤 L54*4", 45600},
	{"美国 Move Free 益节 氨糖软骨素 绿瓶 120粒", "氨糖 120粒", 16800},
	{"法国 La Roche-Posay 理肤泉 B5 修复霜 40ml", "理肤泉 B5", 12800},
	{`资生堂 "红腰子" 精华 50ml, 赠小样`, `资生堂 "红腰子" 50ml`, 69000},
	{"Jellycat 邦尼兔 经典害羞款 31cm", "Jellycat 31cm", 32900},
	{"瑞士 Lindt 瑞士莲 软心巧克力球 600g 礼盒", "瑞士莲 600g", 15900},
	{"澳洲 Bio Island 儿童乳钙软胶囊 90粒", "乳钙 90粒", 13900},
	{"SK-II 神仙水 护肤精华露 230ml", "SK-II 230ml", 149000},
	{"日本 小林制药 退热贴 儿童款 12片*2盒", "退热贴", 5990},
	{"荷兰 Nutrilon 诺优能 牛栏 婴儿奶粉 2段 800g*2罐", "牛栏 2段*2", 39800},
	{"德国 Weleda 维蕾德 金盏花 婴儿护臀膏 75ml", "护臀膏", 8800},
	{"美国 Centrum 善存 男士复合维生素 250粒, 大瓶装", "善存 250粒", 21900},
	{"Apple AirPods Pro（第二代）海外版", "AirPods Pro", 159900},
	{"日本 DHC 蝶翠诗 橄榄卸妆油 200ml", "DHC 卸妆油", 9900},
	{"新西兰 a2 成人高钙奶粉 1kg", "a2 成人奶粉", 15800},
}

// The buyer columns' filler.
var (
	nickHeads = []string{"tb", "小红", "阿狸", "甜甜圈", "大白", "快乐的鱼", "星星", "momo", "暖阳", "柠檬茶", "lucky", "可乐加冰"}
	surnames  = []string{"张", "王", "李", "赵", "陈", "刘", "杨", "黄", "周", "吴", "徐", "孙"}
	addresses = []string{
		"上海市 浦东新区, 张江路 ***号", "北京 北京市 朝阳区 望京街道, 阜通东大街 **号院", "浙江省 杭州市 西湖区, 文三路 ***号",
		"广东省 深圳市 南山区 粤海街道, 科技园 **栋", "江苏省 南京市 鼓楼区, 中山北路 ***号", "四川省 成都市 武侯区, 天府大道 ***号",
		"湖北省 武汉市 洪山区, 珞喻路 ***号", "天津 天津市 和平区, 南京路 **号",
	}
	notes   = []string{"请尽快发货", "送人的，不要放发票", "不要发顺丰，谢谢", "请核对地址, 周末不在家", "宝宝急用, 麻烦快点"}
	closeBy = []string{"买家不想买了", "超时未付款，交易自动关闭", "买家信息填写错误，重新拍"}
	attachs = []string{"", "", "store=天猫国际,channel=app", "tmall", "a=1,b=2"}
)

// The other Chinese cells of the Tmall export.
const (
	txtExpress  = "快递"
	txtMobile   = "手机订单"
	txtNo       = "否"
	txtShop     = "某某海外旗舰店"
	noteNewline = "请尽快发货\r\n谢谢" // a buyer's note with a line break inside the quotes
)

// Clearance receipts.
var receipts = []string{"订单已放行", `"订单已放行, 请留意"`, "申报要素不符", "海关查验中"}

// texts are the strings above, encoded once in the Spec's encoding (and
// quoted for CSV where they hold a comma or a quote).
type texts struct {
	tmallHeader     []byte // with the line break
	wechatHeader    []byte
	globalHeader    []byte
	wechatSummary   []byte
	statuses        [numStatuses][]byte
	titles          [][]byte // CSV-quoted where needed
	goods           [][]byte // bill text: never quoted, backtick-separated
	nickHeads       [][]byte
	surnames        [][]byte // with the mask: 张*
	addresses       [][]byte // CSV-quoted
	notes           [][]byte // CSV-quoted where needed
	noteNewline     []byte
	closeBy         [][]byte
	carriers        [][]byte
	attachs         [][]byte
	express, mobile []byte
	no, shop        []byte
}

// newTexts encodes the texts in GB18030 when gbk is set, else UTF-8. The
// line break of the header is crlf for the Tmall export; the bill's is eol.
func newTexts(gbk bool, customs string, eol string) *texts {
	enc := func(s string) []byte { return []byte(s) }
	if gbk {
		e := simplifiedchinese.GB18030.NewEncoder()
		enc = func(s string) []byte {
			b, err := e.Bytes([]byte(s))
			if err != nil {
				panic("gen: GB18030 cannot encode " + s) // the texts above are all encodable
			}
			return b
		}
	}
	list := func(ss []string, f func(string) string) [][]byte {
		out := make([][]byte, len(ss))
		for i, s := range ss {
			out[i] = enc(f(s))
		}
		return out
	}
	same := func(s string) string { return s }
	header := strings.Join(tmallHeader, ",")
	if customs != "" {
		header += "," + customsHeader
	}
	t := &texts{
		tmallHeader:   enc(header + "\r\n"),
		wechatHeader:  enc(wechatHeader + eol),
		globalHeader:  enc(globalHeader + eol),
		wechatSummary: enc(wechatSummaryHeader + eol),
		nickHeads:     list(nickHeads, same),
		surnames:      list(surnames, func(s string) string { return s + "*" }),
		addresses:     list(addresses, csvQuote),
		notes:         list(notes, csvQuote),
		noteNewline:   enc(csvQuote(noteNewline)),
		closeBy:       list(closeBy, csvQuote),
		carriers:      carrierNames(enc),
		attachs:       list(attachs, same),
		express:       enc(txtExpress), mobile: enc(txtMobile), no: enc(txtNo), shop: enc(txtShop),
	}
	for i, s := range statuses {
		t.statuses[i] = enc(csvQuote(s))
	}
	for _, p := range products {
		t.titles = append(t.titles, enc(csvQuote(p.title)))
		t.goods = append(t.goods, enc(p.goods))
	}
	return t
}

// csvQuote quotes a CSV field that holds a comma, a quote or a line break.
func csvQuote(s string) string {
	if !strings.ContainsAny(s, ",\"\r\n") {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

func carrierNames(enc func(string) []byte) [][]byte {
	out := make([][]byte, len(carriers))
	for i, c := range carriers {
		out[i] = enc(c.name)
	}
	return out
}

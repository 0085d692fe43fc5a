package gen

import "strconv"

// The classic Tmall order export: 40 columns (41 with 申报海关), ids as
// ="…", CRLF, quoted amounts with thousands separators now and then, three
// time forms, and the filler of a real export in the other columns.

// phonePrefixes start the masked mobile numbers.
var phonePrefixes = []string{"138", "139", "186", "135", "177", "151", "187", "159"}

// carriers and their tracking number prefixes, for shipped orders.
var carriers = []struct{ name, prefix string }{{"顺丰速运", "SF"}, {"圆通速递", "YT"}, {"中通快递", "ZT"}, {"中国邮政", "EMS"}}

// appendTmallRow appends copy c of slot s as a row of the Tmall export,
// with its line break. r is the slot's filler stream.
func (p *plan) appendTmallRow(b []byte, s *slot, c *orderRow, r *rng, t *texts) []byte {
	form := formDash
	if q := r.intn(100); q >= 94 {
		form = formSlash
		if q >= 97 {
			form = formShortSlash
		}
	}
	grouped := r.intn(2) == 0 // 1,234.50 for amounts of 1,000 yuan and more

	// 订单编号
	if c.invalid == invMangledID {
		b = appendMangledID(b, s.id)
	} else {
		b = append(b, '=', '"')
		b = strconv.AppendUint(b, s.id, 10)
		b = append(b, '"')
	}
	b = append(b, ',')
	// 买家会员名: tb1234567890 or a Chinese nickname with digits
	if h := r.intn(len(t.nickHeads)); h == 0 {
		b = append(b, 't', 'b')
		b = appendPadded(b, r.u64()%10_000_000_000, 10)
	} else {
		b = append(b, t.nickHeads[h]...)
		b = strconv.AppendInt(b, int64(r.intn(10000)), 10)
	}
	b = append(b, ',')
	// 买家支付宝账号: a masked phone
	phone := phonePrefixes[r.intn(len(phonePrefixes))]
	tail := uint64(r.intn(10000))
	b = append(b, phone...)
	b = append(b, "****"...)
	b = appendPadded(b, tail, 4)
	b = append(b, ',')
	amount := func(b []byte, fen int64) []byte {
		if grouped && fen >= 100_000 {
			b = append(b, '"')
			b = appendFenGrouped(b, fen)
			return append(b, '"')
		}
		return appendFen(b, fen)
	}
	// 买家应付货款, 买家应付邮费, 买家支付积分
	b = amount(b, s.product)
	b = append(b, ',')
	if c.transport%100 == 0 && r.intn(10) == 0 {
		b = strconv.AppendInt(b, c.transport/100, 10) // "10" for 10.00
	} else {
		b = appendFen(b, c.transport)
	}
	b = append(b, ",0,"...)
	// 总金额
	if c.invalid == invAmount {
		b = appendFen(b, c.fee)
		b = append(b, byte('1'+r.intn(9))) // a third decimal
	} else {
		b = amount(b, c.fee)
	}
	// 返点积分, 买家实际支付金额, 买家实际支付积分
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(r.intn(3))*c.fee/10000, 10)
	b = append(b, ',')
	if c.status == stWaitPay || c.status == stClosed && c.paid == timeNone {
		b = append(b, "0.00"...)
	} else {
		b = amount(b, c.fee)
	}
	b = append(b, ",0,"...)
	// 订单状态, 买家留言
	b = append(b, t.statuses[c.status]...)
	b = append(b, ',')
	if q := r.intn(1000); q < 30 {
		b = append(b, t.notes[q%len(t.notes)]...)
	} else if q == 999 {
		b = append(b, t.noteNewline...)
	}
	b = append(b, ',')
	// 收货人姓名, 收货地址, 运送方式, 联系电话, 联系手机
	b = append(b, t.surnames[r.intn(len(t.surnames))]...)
	b = append(b, ',')
	b = append(b, t.addresses[r.intn(len(t.addresses))]...)
	b = append(b, ',')
	b = append(b, t.express...)
	b = append(b, ",,'"...)
	b = append(b, phone...)
	b = append(b, "****"...)
	b = appendPadded(b, tail, 4)
	b = append(b, ',')
	// 订单创建时间, 订单付款时间
	created := c.paid - int32(r.between(5, 1800))
	if c.paid <= timeZero {
		created = int32(r.intn(secPerDay))
	}
	b = appendTime(b, &p.days, created, form)
	b = append(b, ',')
	switch {
	case c.paid == timeNone:
	case c.paid == timeZero:
		b = append(b, "0000-00-00 00:00:00"...)
	case c.invalid == invDate:
		b = append(b, p.days[1].bad[:]...)
		b = append(b, "10:00:00"...)
	default:
		b = appendTime(b, &p.days, c.paid, form)
	}
	b = append(b, ',')
	// 宝贝标题, 宝贝种类, 物流单号, 物流公司, 订单备注, 宝贝总数量
	b = append(b, t.titles[s.prod]...)
	b = append(b, ",1,"...)
	if c.status == stShipped || c.status == stDone {
		k := r.intn(len(carriers))
		b = append(b, '=', '"')
		b = append(b, carriers[k].prefix...)
		b = appendPadded(b, r.u64()%1_000_000_000_000, 12)
		b = append(b, '"', ',')
		b = append(b, t.carriers[k]...)
	} else {
		b = append(b, `="",`...)
	}
	b = append(b, ",,"...)
	b = strconv.AppendInt(b, int64(s.qty), 10)
	// 店铺Id, 店铺名称, 订单关闭原因, 卖家服务费, 买家服务费, 发票抬头
	b = append(b, ",62019876,"...)
	b = append(b, t.shop...)
	b = append(b, ',')
	if c.status == stClosed {
		b = append(b, t.closeBy[r.intn(len(t.closeBy))]...)
	}
	b = append(b, ",0,0,,"...)
	// 是否手机订单, 分阶段订单信息, 特权订金订单id
	if r.intn(10) != 0 {
		b = append(b, t.mobile...)
	}
	b = append(b, ",,,"...)
	// 是否上传合同照片, 是否上传小票, 是否代付, 定金排名, 修改后的sku, 修改后的收货地址
	b = append(b, t.no...)
	b = append(b, ',')
	b = append(b, t.no...)
	b = append(b, ',')
	b = append(b, t.no...)
	b = append(b, ",,,"...)
	if p.spec.Customs != "" {
		b = append(b, ',')
		if c.customs {
			b = append(b, p.spec.Customs...)
		}
	}
	return append(b, '\r', '\n')
}

// writeTmall writes the orders exports: every slot's first copy to o1 and
// the second copies (OrderDuplicate, IdenticalRepeat, PaidLater) to o2,
// newest first as the seller tools export them; it tallies the outcome of
// every slot into tal.
func (p *plan) writeTmall(o1, o2 *output, t *texts, tal *tally) {
	o1.w.Write(t.tmallHeader)
	if o2 != nil {
		o2.w.Write(t.tmallHeader)
	}
	var s slot
	buf := make([]byte, 0, 8<<10)
	for i := p.n - 1; i >= 0; i-- {
		p.slot(i, &s)
		tal.add(p.outcome(&s))
		for k := range s.copies {
			c := &s.copies[k]
			if !c.present {
				continue
			}
			r := s.r // both copies of an order have the same buyer
			buf = p.appendTmallRow(buf[:0], &s, c, &r, t)
			o := o1
			if k == 1 {
				o = o2
			}
			o.w.Write(buf)
			o.rows++
		}
	}
}

package gen

import (
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"
)

// The 千牛 seller-workbench export: an XLSX sheet with fewer columns,
// amounts as numeric cells, payment times as date cells, masked buyer
// columns. Written with excelize's stream writer; much slower than the CSV.

var workbenchHeader = []string{"主订单编号", "买家会员名", "商品名称", "商品金额", "运费", "订单金额", "订单状态", "付款时间", "订购人姓名", "订购人证件号", "收货地址"}

// xlsxAmount is an amount cell: a number, as the workbench writes it. The
// double nearest to fen/100 prints as the exact two-decimal amount (a few
// million yuan is far inside a double's 15 digits), and the reader rounds
// numeric cells to the fen.
func xlsxAmount(fen int64) any { return float64(fen) / 100 }

// xlsxTime is a date cell's value: the wall-clock time in UTC+8, given to
// excelize as UTC so that the serial number is that wall-clock time.
func (p *plan) xlsxTime(sec int32) time.Time {
	d := p.spec.Day
	return time.Date(d.Year, d.Month, d.Day, 0, 0, int(sec), 0, time.UTC)
}

// writeXLSX writes the orders exports as workbooks: first copies to
// paths[0], second copies to paths[1] (if any); it tallies every slot.
func (p *plan) writeXLSX(paths []string, tal *tally) (rows int, err error) {
	type book struct {
		f    *excelize.File
		sw   *excelize.StreamWriter
		row  int
		date int
	}
	books := make([]*book, len(paths))
	defer func() {
		for _, b := range books {
			if b != nil {
				b.f.Close()
			}
		}
	}()
	header := make([]any, 0, len(workbenchHeader)+1)
	for _, h := range workbenchHeader {
		header = append(header, h)
	}
	if p.spec.Customs != "" {
		header = append(header, customsHeader)
	}
	for k := range paths {
		f := excelize.NewFile()
		const sheet = "订单列表"
		if err := f.SetSheetName("Sheet1", sheet); err != nil {
			return 0, err
		}
		date, err := f.NewStyle(&excelize.Style{NumFmt: 22})
		if err != nil {
			return 0, err
		}
		sw, err := f.NewStreamWriter(sheet)
		if err != nil {
			return 0, err
		}
		if err := sw.SetColWidth(1, 1, 22); err != nil {
			return 0, err
		}
		if err := sw.SetRow("A1", header); err != nil {
			return 0, err
		}
		books[k] = &book{f: f, sw: sw, row: 1, date: date}
	}

	var s slot
	cells := make([]any, 0, len(header))
	for i := p.n - 1; i >= 0; i-- {
		p.slot(i, &s)
		tal.add(p.outcome(&s))
		for k := range s.copies {
			c := &s.copies[k]
			if !c.present {
				continue
			}
			b := books[k]
			r := s.r
			cells = p.workbenchRow(cells[:0], &s, c, &r, b.date)
			b.row++
			cell, _ := excelize.CoordinatesToCellName(1, b.row)
			if err := b.sw.SetRow(cell, cells); err != nil {
				return rows, err
			}
			rows++
		}
	}
	for k, b := range books {
		if err := b.sw.Flush(); err != nil {
			return rows, err
		}
		if err := b.f.SaveAs(paths[k]); err != nil {
			return rows, err
		}
	}
	return rows, nil
}

// workbenchRow appends the cells of copy c of slot s.
func (p *plan) workbenchRow(cells []any, s *slot, c *orderRow, r *rng, dateStyle int) []any {
	var id any = strconv.FormatUint(s.id, 10)
	if c.invalid == invMangledID {
		id = float64(s.id) // stored as a number: its last digits are gone
	}
	var fee any = xlsxAmount(c.fee)
	if c.invalid == invAmount {
		fee = string(appendFen(nil, c.fee)) + strconv.Itoa(1+r.intn(9)) // text with a third decimal
	}
	var paid any
	switch {
	case c.paid == timeNone:
		paid = nil
	case c.paid == timeZero:
		paid = "0000-00-00 00:00:00"
	case c.invalid == invDate:
		paid = string(p.days[1].bad[:]) + "10:00:00"
	default:
		paid = excelize.Cell{StyleID: dateStyle, Value: p.xlsxTime(c.paid)}
	}
	nick := nickHeads[r.intn(len(nickHeads))] + strconv.Itoa(r.intn(10000))
	surname := surnames[r.intn(len(surnames))] + "*"
	idNo := strconv.Itoa(110101+r.intn(500000)) + "**********" + strconv.Itoa(1000+r.intn(9000))
	cells = append(cells, id, nick, products[s.prod].title, xlsxAmount(s.product), xlsxAmount(c.transport), fee,
		statuses[c.status], paid, surname, idNo, addresses[r.intn(len(addresses))])
	if p.spec.Customs != "" {
		customs := ""
		if c.customs {
			customs = p.spec.Customs
		}
		cells = append(cells, customs)
	}
	return cells
}

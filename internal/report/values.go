package report

import (
	"math/big"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/reconcile"
)

// The cells. Each returns an excelize.Cell with its style; strings are
// always written as strings (inline or shared), never as formulas.

// text is an id, a code or other short text, kept exactly (cleaned only of
// what XML cannot hold).
func (b *book) text(s string) excelize.Cell {
	if s == "" {
		return b.blank()
	}
	return excelize.Cell{StyleID: b.st.text, Value: cleanText(s)}
}

// wrapText is text that may be long (ids joined with "; ", file names),
// kept exactly and wrapped.
func (b *book) wrapText(s string) excelize.Cell {
	if s == "" {
		return b.blank()
	}
	return excelize.Cell{StyleID: b.st.wrap, Value: cleanText(s)}
}

// free is free text: a message. ID numbers in it are masked.
func (b *book) free(s string) excelize.Cell {
	if s == "" {
		return b.blank()
	}
	return excelize.Cell{StyleID: b.st.wrap, Value: freeText(s, b.now)}
}

// blank is an empty cell: left out of a list row (it keeps its column's
// style), unset on the summary.
func (b *book) blank() excelize.Cell { return excelize.Cell{} }

// money is an amount in fen shown in yuan: a number when it is exact, its
// exact decimal as text beyond ±10^13 yuan.
func (b *book) money(fen int64) excelize.Cell {
	if v, ok := yuan(fen); ok {
		return excelize.Cell{StyleID: b.st.money, Value: v}
	}
	b.textAmounts++
	return excelize.Cell{StyleID: b.st.moneyText, Value: fenDecimal(fen)}
}

// difference is actual − expected in fen, exact even where the int64
// subtraction would overflow (then it is text, being far beyond the exact
// range anyway).
func (b *book) difference(actual, expected int64) excelize.Cell {
	d := actual - expected
	if (expected > 0 && d > actual) || (expected < 0 && d < actual) { // overflowed
		b.textAmounts++
		t := fenTotal{over: new(big.Int).Sub(big.NewInt(actual), big.NewInt(expected))}
		return excelize.Cell{StyleID: b.st.moneyText, Value: t.decimal()}
	}
	return b.money(d)
}

// count is a whole number.
func (b *book) count(n int) excelize.Cell {
	return excelize.Cell{StyleID: b.st.count, Value: n}
}

// attempts is a count of attempts, centred.
func (b *book) attempts(n int) excelize.Cell {
	return excelize.Cell{StyleID: b.st.attempts, Value: n}
}

// date is a time as a date cell showing its UTC+8 wall clock; the zero time
// is an empty cell; a time Excel cannot show is text.
func (b *book) date(t time.Time) excelize.Cell {
	if v, ok := serial(t); ok {
		return excelize.Cell{StyleID: b.st.date, Value: v}
	}
	if t.IsZero() {
		return b.blank()
	}
	return excelize.Cell{StyleID: b.st.text, Value: cst.Format(t)}
}

// day is a time as a date cell showing its UTC+8 date (yyyy-mm-dd); the
// zero time is an empty cell; a time Excel cannot show is text.
func (b *book) day(t time.Time) excelize.Cell {
	c := b.date(t)
	if c.StyleID == b.st.date {
		c.StyleID = b.st.day
	}
	return c
}

// outcome is an outcome in Chinese; an unknown outcome is shown as it is.
func (b *book) outcome(o reconcile.Outcome, words map[reconcile.Outcome]string) excelize.Cell {
	if w, ok := words[o]; ok {
		style := b.st.bad
		if o == reconcile.OutcomeDone || o == reconcile.OutcomeEarlier || o == reconcile.OutcomeFollowed {
			style = b.st.good
		}
		return excelize.Cell{StyleID: style, Value: w}
	}
	return b.text(string(o))
}

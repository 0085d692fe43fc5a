package report

import (
	"encoding/xml"
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/crossborder/reconcile/internal/ingest"
	"github.com/crossborder/reconcile/internal/reconcile"
)

// exactYuan returns fen as decimal yuan using only integer formatting: the
// digits of |fen| with a point before the last two, trailing fraction zeros
// dropped, the form FormatFloat(…, 'f', -1, 64) must produce.
func exactYuan(fen int64) string {
	neg := fen < 0
	digits := strconv.FormatUint(absU(fen), 10)
	for len(digits) < 3 {
		digits = "0" + digits
	}
	s := digits[:len(digits)-2] + "." + digits[len(digits)-2:]
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if neg {
		s = "-" + s
	}
	return s
}

func absU(v int64) uint64 {
	if v < 0 {
		return -uint64(v)
	}
	return uint64(v)
}

// moneySamples are edge values and random amounts of every magnitude below
// 10^15 fen.
func moneySamples(n int) []int64 {
	const top = maxExactFen - 1
	s := []int64{0, 1, -1, 5, 9, 10, 11, 49, 50, 51, 99, 100, 101, 105, 110, 999, 1000, 1001,
		12345, -12345, 1999, 2999, 10_00, 1_000_000_00, 123456789012345, -123456789012345,
		top, -top, top - 1, -(top - 1), top / 10, maxExactFen / 10, maxExactFen/100 + 1,
		1 << 49, -(1 << 49), 1<<49 - 1, 9007199254740, 900719925474099, 4503599627370495 % maxExactFen,
		33, 67, 1_0000_0003, 7_0000_0007, 9_9999_9999_9999, 99_9999_9999_9999, 999_9999_9999_9999 % maxExactFen}
	for p := int64(1); p < maxExactFen; p *= 10 { // powers of ten and their neighbours
		s = append(s, p, p-1, p+1, -p, -(p - 1), -(p + 1))
	}
	rng := rand.New(rand.NewPCG(2026, 1120))
	for i := 0; i < n; i++ {
		digits := 1 + rng.IntN(15)
		v := rng.Int64N(int64(math.Pow10(digits)))
		if rng.IntN(2) == 0 {
			v = -v
		}
		s = append(s, v)
	}
	return s
}

// TestYuanIsExactDecimal proves the money rule of the package
// documentation on edge and random values: the shortest text of
// float64(fen)/100 is the exact decimal, and that text parses back to the
// very same double.
func TestYuanIsExactDecimal(t *testing.T) {
	for _, fen := range moneySamples(300_000) {
		v, ok := yuan(fen)
		if !ok {
			t.Fatalf("yuan(%d) refused an amount below 10^15", fen)
		}
		got, want := strconv.FormatFloat(v, 'f', -1, 64), exactYuan(fen)
		if got != want {
			t.Fatalf("yuan(%d) is written as %s, want %s", fen, got, want)
		}
		if back, err := strconv.ParseFloat(want, 64); err != nil || back != v {
			t.Fatalf("%s parses to %v, want the written double %v", want, back, v)
		}
	}
}

func TestYuanRefusesBeyondTheExactRange(t *testing.T) {
	for _, fen := range []int64{maxExactFen, -maxExactFen, maxExactFen + 1, math.MaxInt64, math.MinInt64, 1 << 53, -(1 << 53)} {
		if _, ok := yuan(fen); ok {
			t.Errorf("yuan(%d) accepted an amount of 10^15 fen or more", fen)
		}
	}
	// Why the bound: just above it, a double no longer tells neighbours apart.
	a, b := float64(9007199254740993)/100, float64(9007199254740992)/100
	if a != b {
		t.Errorf("expected two amounts beyond 2^53 fen to collapse into one double")
	}
}

func TestFenDecimal(t *testing.T) {
	for _, tc := range []struct {
		fen  int64
		want string
	}{
		{0, "0.00"}, {1, "0.01"}, {-1, "-0.01"}, {10, "0.10"}, {99, "0.99"}, {100, "1.00"}, {-105, "-1.05"},
		{123456, "1234.56"}, {math.MaxInt64, "92233720368547758.07"}, {math.MinInt64, "-92233720368547758.08"},
	} {
		if got := fenDecimal(tc.fen); got != tc.want {
			t.Errorf("fenDecimal(%d) = %q, want %q", tc.fen, got, tc.want)
		}
	}
	for _, fen := range moneySamples(10_000) {
		got := strings.TrimRight(strings.TrimRight(fenDecimal(fen), "0"), ".")
		if got == "-0" || got == "" {
			got = "0"
		}
		if want := exactYuan(fen); got != want {
			t.Fatalf("fenDecimal(%d) = %q, want %q", fen, fenDecimal(fen), want)
		}
	}
}

func TestFenTotal(t *testing.T) {
	for _, tc := range []struct {
		name   string
		add    []int64
		want   string
		exact  bool
		wantFn int64
	}{
		{"empty", nil, "0.00", true, 0},
		{"small", []int64{1, 2, -3, 100}, "1.00", true, 100},
		{"max", []int64{math.MaxInt64}, "92233720368547758.07", true, math.MaxInt64},
		{"over max", []int64{math.MaxInt64, 1}, "92233720368547758.08", false, 0},
		{"under min", []int64{math.MinInt64, -1}, "-92233720368547758.09", false, 0},
		{"over and back", []int64{math.MaxInt64, math.MaxInt64, math.MinInt64, math.MinInt64}, "-0.02", false, 0},
		{"min", []int64{math.MinInt64}, "-92233720368547758.08", true, math.MinInt64},
	} {
		var s fenTotal
		for _, v := range tc.add {
			s.add(v)
		}
		if got := s.decimal(); got != tc.want || (s.over == nil) != tc.exact || (tc.exact && s.n != tc.wantFn) {
			t.Errorf("%s: sum = %q (int64 %v), want %q (int64 %v)", tc.name, got, s.over == nil, tc.want, tc.exact)
		}
	}
}

// sheetCells reads the cells of a worksheet part: ref → (type, text).
func sheetCells(t testing.TB, part []byte) map[string][2]string {
	t.Helper()
	var doc struct {
		Rows []struct {
			C []struct {
				R  string `xml:"r,attr"`
				T  string `xml:"t,attr"`
				V  string `xml:"v"`
				IS string `xml:"is>t"`
			} `xml:"c"`
		} `xml:"sheetData>row"`
	}
	if err := xml.Unmarshal(part, &doc); err != nil {
		t.Fatal(err)
	}
	cells := map[string][2]string{}
	for _, r := range doc.Rows {
		for _, c := range r.C {
			cells[c.R] = [2]string{c.T, c.V + c.IS}
		}
	}
	return cells
}

// TestMoneyInTheFile checks the text excelize actually writes for amounts:
// every one within range is a number whose text is the exact decimal;
// beyond it, the exact decimal as a string, and the summary says so.
func TestMoneyInTheFile(t *testing.T) {
	samples := append([]int64{maxExactFen, -maxExactFen, math.MaxInt64, math.MinInt64}, moneySamples(3_000)...)
	r := smallResult()
	r.Declarations = nil
	for i := 0; i+2 < len(samples); i += 3 {
		r.Declarations = append(r.Declarations, reconcile.Declaration{
			OrderID: strconv.Itoa(1_000_000 + i), OrderFee: samples[i], ProductFee: samples[i+1], TransportFee: samples[i+2],
		})
	}
	p := writeBook(t, r)
	parts := zipParts(t, p)
	cells := sheetCells(t, parts[sheetParts(t, parts)[sheetDeclarations]])
	huge := 0
	for i, d := range r.Declarations { // sorted by order id: the input order
		for j, fen := range []int64{d.OrderFee, d.ProductFee, d.TransportFee} {
			ref := ref(t, declarationColumns, []string{"订单金额（元）", "货款（元）", "运费（元）"}[j], i)
			got := cells[ref]
			if _, ok := yuan(fen); !ok {
				huge++
				if got != [2]string{"inlineStr", fenDecimal(fen)} {
					t.Errorf("%s (%d fen) = %q, want the exact text %q", ref, fen, got, fenDecimal(fen))
				}
				continue
			}
			if got != [2]string{"", exactYuan(fen)} {
				t.Errorf("%s (%d fen) = %q, want the number %s", ref, fen, got, exactYuan(fen))
			}
		}
	}
	if huge != 4 {
		t.Fatalf("%d huge amounts checked, want 4", huge)
	}
	f := openBook(t, p)
	at, _ := summaryRows(t, f)
	if _, ok := at["注：有 4 个金额超出 Excel 能精确表示的范围（±10 万亿元），以文本显示原值，不参与求和。"]; !ok {
		t.Errorf("the summary has no note on the 4 amounts written as text")
	}
}

func TestDifferenceNeverOverflows(t *testing.T) {
	r := smallResult()
	r.Exceptions = []reconcile.Exception{
		{Code: reconcile.FeeMismatch, OrderID: "1", Expected: -1, Actual: math.MaxInt64, HasAmounts: true},
		{Code: reconcile.FeeMismatch, OrderID: "2", Expected: 1, Actual: math.MinInt64, HasAmounts: true},
		{Code: reconcile.FeeMismatch, OrderID: "3", Expected: maxExactFen - 1, Actual: -(maxExactFen - 1), HasAmounts: true},
		{Code: reconcile.FeeMismatch, OrderID: "4", Expected: 123, Actual: 100, HasAmounts: true, Amount: math.MaxInt64},
		{Code: reconcile.FeeMismatch, OrderID: "5", Amount: math.MaxInt64},
	}
	p := writeBook(t, r)
	parts := zipParts(t, p)
	cells := sheetCells(t, parts[sheetParts(t, parts)[sheetExceptions]])
	diff := func(i int) string { return ref(t, exceptionColumns, "差额（元）", i) }
	for ref, want := range map[string][2]string{
		diff(0): {"inlineStr", "92233720368547758.08"},
		diff(1): {"inlineStr", "-92233720368547758.09"},
		diff(2): {"inlineStr", "-19999999999999.98"},
		diff(3): {"", "-0.23"},
	} {
		if got := cells[ref]; got != want {
			t.Errorf("%s = %q, want %q", ref, got, want)
		}
	}
	// The sum of FEE_MISMATCH overflows int64 and stays exact, as text.
	f := openBook(t, p)
	at, rows := summaryRows(t, f)
	if got := rows[at[string(reconcile.FeeMismatch)]-1][4]; got != "184467440737095516.14" {
		t.Errorf("FEE_MISMATCH sum = %q, want 184467440737095516.14", got)
	}
}

// exactScaled returns v × 10^-places using only integer formatting, trailing
// fraction zeros dropped: the text FormatFloat(…, 'f', -1, 64) must write.
func exactScaled(v int64, places int) string {
	digits := strconv.FormatUint(absU(v), 10)
	for len(digits) <= places {
		digits = "0" + digits
	}
	s := digits[:len(digits)-places] + "." + digits[len(digits)-places:]
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if v < 0 {
		s = "-" + s
	}
	return s
}

// TestFeeIsExactDecimal proves the rule of the package documentation for
// fees, at five places as for fen at two: the shortest text of
// float64(v)/100000 is the exact decimal of v 10⁻⁵ yuan, and reads back as
// the same double.
func TestFeeIsExactDecimal(t *testing.T) {
	samples := append(moneySamples(300_000), 6000, -600, 82800, 126300, 60006, 99999, 100001, 1, -1,
		ingest.MaxAmount*1000-1, -(ingest.MaxAmount*1000 - 1))
	for _, v := range samples {
		x, ok := exactNumber(v, feePlaces)
		if !ok {
			t.Fatalf("exactNumber(%d, 5) refused a value below 10^15", v)
		}
		got, want := strconv.FormatFloat(x, 'f', -1, 64), exactScaled(v, feePlaces)
		if got != want {
			t.Fatalf("a fee of %d × 10⁻⁵ is written as %s, want %s", v, got, want)
		}
		if back, err := strconv.ParseFloat(want, 64); err != nil || back != x {
			t.Fatalf("%s parses to %v, want the written double %v", want, back, x)
		}
		if fen, ok := exactNumber(v, fenPlaces); !ok || strconv.FormatFloat(fen, 'f', -1, 64) != exactScaled(v, fenPlaces) {
			t.Fatalf("exactNumber(%d, 2) is not yuan's rule", v)
		}
	}
	for _, v := range []int64{maxExactFen, -maxExactFen, math.MaxInt64, math.MinInt64} {
		if _, ok := exactNumber(v, feePlaces); ok {
			t.Errorf("exactNumber(%d, 5) accepted a value of 10^15 or more", v)
		}
	}
}

func TestTextOfAmounts(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{grouped("0.00"), "0.00"},
		{grouped("123.45"), "123.45"},
		{grouped("1234.5"), "1,234.5"},
		{grouped("-1234567.89"), "-1,234,567.89"},
		{grouped("100000"), "100,000"},
		{yuanText(&fenTotal{n: 345600}), "¥3,456.00"},
		{yuanText(&fenTotal{n: -5}), "-¥0.05"},
		{yuanText(&fenTotal{over: new(big.Int).Mul(big.NewInt(math.MaxInt64), big.NewInt(10))}), "¥922,337,203,685,477,580.70"},
		{feeText("¥", big.NewInt(59_259_000)), "¥592.59"},
		{feeText("¥", big.NewInt(82_800)), "¥0.828"},
		{feeText("¥", big.NewInt(-6)), "-¥0.00006"},
		{feeText("¥", big.NewInt(0)), "¥0.00"},
		{feeText("", big.NewInt(9_523_000)), "95.23"},
		{feeText("¥", big.NewInt(572_990_300)), "¥5,729.903"},
		{countText(3134), "3,134"},
		{scaledDecimal(big.NewInt(-600), feePlaces), "-0.00600"},
		{scaledDecimal(big.NewInt(1), fenPlaces), "0.01"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

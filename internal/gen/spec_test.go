package gen

import (
	"math"
	"strings"
	"testing"
)

func TestParseShares(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want map[Anomaly]float64
		err  string
	}{
		{"", map[Anomaly]float64{}, ""},
		{"fee=0.01,missing=0.005", map[Anomaly]float64{FeeMismatch: 0.01, PaymentMissing: 0.005}, ""},
		{" fee = 1% , callback=0.5", map[Anomaly]float64{FeeMismatch: 0.01, CallbackInvalid: 0.5}, ""},
		{"payment_duplicate=0.2", map[Anomaly]float64{PaymentDuplicate: 0.2}, ""},
		{"fee", nil, "want name=fraction"},
		{"fees=0.1", nil, `unknown anomaly "fees"`},
		{"fee=abc", nil, "want a fraction"},
		{"fee=1.5", nil, "want a fraction"},
		{"fee=-0.1", nil, "want a fraction"},
		{"fee=NaN", nil, "want a fraction"},
		{"fee=200%", nil, "want a fraction"},
	} {
		got, err := ParseShares(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseShares(%q) error %v, want one containing %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseShares(%q): %v", tc.in, err)
			continue
		}
		if len(got) != len(tc.want) {
			t.Errorf("ParseShares(%q) = %v, want %v", tc.in, got, tc.want)
		}
		for a, f := range tc.want {
			if math.Abs(got[a]-f) > 1e-12 {
				t.Errorf("ParseShares(%q)[%s] = %v, want %v", tc.in, a, got[a], f)
			}
		}
	}
}

func TestEveryAnomalyHasAShortName(t *testing.T) {
	named := map[Anomaly]bool{}
	for short, a := range shortNames {
		got, err := ParseAnomaly(short)
		if err != nil || got != a {
			t.Errorf("ParseAnomaly(%q) = %q, %v; want %q", short, got, err, a)
		}
		named[a] = true
	}
	for _, a := range Anomalies() {
		if !named[a] {
			t.Errorf("%s has no short name", a)
		}
		if got, err := ParseAnomaly(string(a)); err != nil || got != a {
			t.Errorf("ParseAnomaly(%q) = %q, %v", a, got, err)
		}
	}
}

func TestSpecCounts(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec Spec
		want map[Anomaly]int
		err  string
	}{
		{"rounded", Spec{Orders: 1000, Shares: map[Anomaly]float64{FeeMismatch: 0.0125, Orphan: 0.0004}}, map[Anomaly]int{FeeMismatch: 13, Orphan: 0}, ""},
		{"capped at the slots", Spec{Orders: 3, Shares: map[Anomaly]float64{FeeMismatch: 0.5, PaymentMissing: 0.5}}, map[Anomaly]int{FeeMismatch: 2, PaymentMissing: 1}, ""},
		{"callback share of clearance", Spec{Orders: 10, Clearance: 200, Shares: map[Anomaly]float64{CallbackInvalid: 0.1}}, map[Anomaly]int{CallbackInvalid: 20}, ""},
		{"every slot", Spec{Orders: 7, Shares: map[Anomaly]float64{Unpaid: 1}}, map[Anomaly]int{Unpaid: 7}, ""},
		{"too much", Spec{Orders: 10, Shares: map[Anomaly]float64{FeeMismatch: 0.6, Unpaid: 0.6}}, nil, "add up to 1.2"},
		{"negative orders", Spec{Orders: -1}, nil, "out of range"},
		{"too many orders", Spec{Orders: MaxOrders + 1}, nil, "out of range"},
		{"unknown", Spec{Orders: 1, Shares: map[Anomaly]float64{"nope": 0.1}}, nil, `unknown anomaly "nope"`},
		{"bad share", Spec{Orders: 1, Shares: map[Anomaly]float64{Orphan: math.NaN()}}, nil, "not a fraction"},
		{"no customs without customs", Spec{Orders: 1, Shares: map[Anomaly]float64{NoCustoms: 0.1}}, nil, "needs a customs code"},
		{"odd customs", Spec{Orders: 1, Customs: "杭州,1"}, nil, "want a code"},
		{"fee rate too high", Spec{Orders: 1, FeeRate: 1001}, nil, "out of range 1..1000"},
		{"negative fee rate", Spec{Orders: 1, FeeRate: -1}, nil, "out of range"},
		{"unknown currency", Spec{Orders: 1, Global: "hkd"}, nil, `settlement currency "hkd"`},
		{"global pasted", Spec{Orders: 1, Global: "HKD", PasteBills: true}, nil, "no summary line"},
		{"global", Spec{Orders: 10, Global: "USD", Shares: map[Anomaly]float64{FeeHalfDown: 0.5}}, map[Anomaly]int{FeeHalfDown: 5}, ""},
	} {
		got, err := tc.spec.counts()
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		for a, n := range tc.want {
			if got[a] != n {
				t.Errorf("%s: %s = %d, want %d", tc.name, a, got[a], n)
			}
		}
	}
}

// FuzzParseShares: never panics; what it accepts is a valid share of
// known anomalies.
func FuzzParseShares(f *testing.F) {
	for _, s := range []string{"", "fee=0.01", "fee=1%,missing=0.5", "callback=1", "x=", "=,=", "fee=1e-3", "fee=0x1p-3", "fee=Inf"} {
		f.Add(s)
	}
	known := map[Anomaly]bool{}
	for _, a := range Anomalies() {
		known[a] = true
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseShares(s)
		if err != nil {
			return
		}
		for a, v := range m {
			if !known[a] || math.IsNaN(v) || v < 0 || v > 1 {
				t.Errorf("ParseShares(%q) gave %s=%v", s, a, v)
			}
		}
	})
}

func TestParseFeeRate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
		err  bool
	}{
		{"0.60%", 60, false}, {"0.6%", 60, false}, {" 0.38% ", 38, false}, {"1%", 100, false}, {"10.00%", 1000, false}, {"0.01%", 1, false},
		{"0.6", 0, true}, {"0.605%", 0, true}, {"0%", 0, true}, {"10.01%", 0, true}, {"-1%", 0, true}, {".5%", 0, true}, {"1e-2%", 0, true}, {"%", 0, true},
	} {
		got, err := ParseFeeRate(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseFeeRate(%q) = %d, %v; want %d, error %v", tc.in, got, err, tc.want, tc.err)
		}
		if err == nil && rateText(got) != strings.TrimSpace(tc.in) && tc.in != "0.6%" && tc.in != "1%" {
			t.Errorf("rateText(%d) = %q, want %q", got, rateText(got), tc.in)
		}
	}
}

func TestHalfClass(t *testing.T) {
	for _, tc := range []struct {
		bp         int
		at, period int64
		ok         bool
	}{
		{60, 250, 500, true},     // 2.50 × 0.60% = 1.5 fen
		{100, 50, 100, true},     // 0.50 × 1% = 0.5 fen
		{38, 2500, 5000, true},   // 25.00 × 0.38% = 9.5 fen
		{37, 5000, 10_000, true}, // 50.00 × 0.37% = 18.5 fen
		{16, 0, 625, false},      // 16a ≡ 5000 (mod 10⁴) has no solution
		{25, 200, 400, true},
	} {
		at, period, ok := halfClass(tc.bp)
		if at != tc.at || period != tc.period || ok != tc.ok {
			t.Errorf("halfClass(%d) = %d, %d, %v; want %d, %d, %v", tc.bp, at, period, ok, tc.at, tc.period, tc.ok)
		}
		if ok && at*int64(tc.bp)*100%1_000_000 != 500_000 {
			t.Errorf("halfClass(%d): %d fen is no exact half", tc.bp, at)
		}
	}
	if _, err := (&Spec{Orders: 10, FeeRate: 16, Shares: map[Anomaly]float64{FeeHalfDown: 0.1}}).counts(); err == nil || !strings.Contains(err.Error(), "no amount in fen") {
		t.Errorf("fee_half_down at 0.16%%: error %v", err)
	}
}

// TestFeeAmounts: the amounts FeeHalfDown and LegacyFee give their slots
// settle to an exact half fen, or to a product off a whole fen, in every
// currency and at rates with long periods; at most the total when they can.
func TestFeeAmounts(t *testing.T) {
	for _, cur := range append([]string{""}, SettleCurrencies()...) {
		for _, bp := range []int{60, 38, 37, 100, 1} {
			p, err := newPlan(Spec{Orders: 1, Global: cur, FeeRate: bp})
			if err != nil {
				t.Fatal(err)
			}
			for _, total := range []int64{5990, 6000, 23800, 138000, 299000 + 2000, 500_000} {
				floor := int64(2100)
				a := p.halfAmount(total, floor)
				if s := p.settled(a); s*p.ppm%1_000_000 != 500_000 || a < floor {
					t.Errorf("%s %d bp: halfAmount(%d) = %d, settles %d: no exact half, or below %d", cur, bp, total, a, s, floor)
				}
				for c := floor; a > total && c <= total; c++ {
					if p.settled(c)*p.ppm%1_000_000 == 500_000 {
						t.Errorf("%s %d bp: halfAmount(%d) = %d, above it, but %d has an exact half", cur, bp, total, a, c)
						break
					}
				}
				if b := p.halfAmount(total, floor); b != a {
					t.Errorf("halfAmount is not a function of its arguments: %d, then %d", a, b)
				}
				u := p.unroundedAmount(total)
				if r := p.settled(u) * p.ppm % 1_000_000; u > total || total-u > 10 || r < 500 || r > 999_500 {
					t.Errorf("%s %d bp: unroundedAmount(%d) = %d, product %d off the fen", cur, bp, total, u, r)
				}
			}
		}
	}
}

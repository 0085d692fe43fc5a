package gen

import (
	"testing"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/ingest"
)

func TestAppendFen(t *testing.T) {
	for _, tc := range []struct {
		fen           int64
		plain, groupd string
	}{
		{0, "0.00", "0.00"},
		{5, "0.05", "0.05"},
		{12800, "128.00", "128.00"},
		{99999, "999.99", "999.99"},
		{100000, "1000.00", "1,000.00"},
		{122450, "1224.50", "1,224.50"},
		{100000001, "1000000.01", "1,000,000.01"},
		{123456789012, "1234567890.12", "1,234,567,890.12"},
		{-12345, "-123.45", "-123.45"},
	} {
		if got := string(appendFen(nil, tc.fen)); got != tc.plain {
			t.Errorf("appendFen(%d) = %q, want %q", tc.fen, got, tc.plain)
		}
		if tc.fen < 0 {
			continue
		}
		got := string(appendFenGrouped(nil, tc.fen))
		if got != tc.groupd {
			t.Errorf("appendFenGrouped(%d) = %q, want %q", tc.fen, got, tc.groupd)
		}
		// The job's parser reads both back to the same fen.
		for _, s := range []string{tc.plain, got} {
			if v, err := ingest.ParseAmount(s); err != nil || v != tc.fen {
				t.Errorf("ParseAmount(%q) = %d, %v; want %d", s, v, err, tc.fen)
			}
		}
	}
}

func TestAppendFee(t *testing.T) {
	for _, tc := range []struct {
		units int64
		want  string
	}{
		{0, "0.00000"}, {82800, "0.82800"}, {-22800, "-0.22800"}, {123456789, "1234.56789"}, {7, "0.00007"},
	} {
		if got := string(appendFee(nil, tc.units)); got != tc.want {
			t.Errorf("appendFee(%d) = %q, want %q", tc.units, got, tc.want)
		}
	}
}

func TestAppendMangledID(t *testing.T) {
	for _, tc := range []struct {
		id   uint64
		want string
	}{
		{5118609024991031607, "5.11861E+18"},
		{2531110000000000000, "2.53111E+18"},
		{5100000000000000000, "5.1E+18"},
		{9999996000000000000, "1E+19"},
		{1234567, "1.23457E+6"},
	} {
		got := string(appendMangledID(nil, tc.id))
		if got != tc.want {
			t.Errorf("appendMangledID(%d) = %q, want %q", tc.id, got, tc.want)
		}
		if err := ingest.CheckID(got); err == nil {
			t.Errorf("CheckID(%q) accepted a mangled id", got)
		}
	}
}

func TestAppendTime(t *testing.T) {
	p, err := newPlan(Spec{Day: cst.Date{Year: 2027, Month: 1, Day: 1}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		sec  int32
		form int
		want string
	}{
		{0, formDash, "2027-01-01 00:00:00"},
		{19*3600 + 48*60 + 33, formDash, "2027-01-01 19:48:33"},
		{19*3600 + 48*60 + 33, formSlash, "2027/01/01 19:48:33"},
		{19*3600 + 48*60 + 33, formShortSlash, "2027/1/1 19:48"},
		{-1, formDash, "2026-12-31 23:59:59"},
		{-secPerDay, formSlash, "2026/12/31 00:00:00"},
		{secPerDay + 12, formDash, "2027-01-02 00:00:12"},
		{2*secPerDay - 1, formShortSlash, "2027/1/2 23:59"},
	} {
		got := string(appendTime(nil, &p.days, tc.sec, tc.form))
		if got != tc.want {
			t.Errorf("appendTime(%d, %d) = %q, want %q", tc.sec, tc.form, got, tc.want)
		}
		if _, err := ingest.ParseTime(got); err != nil {
			t.Errorf("ParseTime(%q): %v", got, err)
		}
	}
	if bad := string(p.days[1].bad[:]) + "10:00:00"; bad != "2027-01-32 10:00:00" {
		t.Errorf("bad date %q", bad)
	} else if _, err := ingest.ParseTime(bad); err == nil {
		t.Errorf("ParseTime(%q) accepted a day that does not exist", bad)
	}
}

func TestAppendPadded(t *testing.T) {
	for _, tc := range []struct {
		n     uint64
		width int
		want  string
	}{{0, 4, "0000"}, {42, 4, "0042"}, {12345, 4, "12345"}, {7, 10, "0000000007"}, {0, 0, ""}} {
		if got := string(appendPadded(nil, tc.n, tc.width)); got != tc.want {
			t.Errorf("appendPadded(%d, %d) = %q, want %q", tc.n, tc.width, got, tc.want)
		}
	}
}

// TestTimesSpreadOverTheDay: slot times are in order, inside [0, 86340),
// and the evening is busier than the small hours.
func TestTimesSpreadOverTheDay(t *testing.T) {
	p, err := newPlan(Spec{Orders: 100_000, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	var perHour [24]int
	last := int32(-1)
	for i := 0; i < p.n; i++ {
		var r rng
		r.seed(1, uint64(i))
		sec := p.timeOf(i, &r)
		if sec < last || sec < 0 || sec >= secPerDay-60 {
			t.Fatalf("slot %d: time %d after %d, want non-decreasing in [0, 86340)", i, sec, last)
		}
		last = sec
		perHour[sec/3600]++
	}
	if perHour[21] < 5*perHour[4] {
		t.Errorf("orders per hour %v: want 21:00 far busier than 04:00", perHour)
	}
}

// TestIDsUnique: the order ids, transaction numbers and idempotency keys
// of a plan are permutations: no two slots share one.
func TestIDsUnique(t *testing.T) {
	p, err := newPlan(Spec{Orders: 200_000, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	ids := make(map[uint64]bool, p.n)
	txs := make(map[uint64]bool, 2*p.n)
	keys := make(map[string]bool, p.n)
	var s slot
	for i := 0; i < p.n; i++ {
		p.slot(i, &s)
		if ids[s.id/10_000] {
			t.Fatalf("slot %d: order id %d repeats an earlier one's middle digits", i, s.id)
		}
		ids[s.id/10_000] = true
		if s.id < 5_100_000_000_000_000_000 || s.id >= 5_200_000_000_000_000_000 {
			t.Fatalf("slot %d: order id %d, want 19 digits 51…", i, s.id)
		}
		for _, j := range []uint64{2 * uint64(i), 2*uint64(i) + 1} {
			x := p.txNumber(j)
			if txs[x] {
				t.Fatalf("transaction number %d repeats", j)
			}
			txs[x] = true
		}
		k := string(p.appendKey(nil, uint64(i)))
		if len(k) != 11 || keys[k] {
			t.Fatalf("key %d: %q, want 11 characters, unique", i, k)
		}
		keys[k] = true
	}
}

// TestPermIsABijection: every value below mod comes out exactly once.
func TestPermIsABijection(t *testing.T) {
	for _, mod := range []uint64{1, 2, 10, 1000, 36 * 36 * 36, 100_003} {
		p := newPerm(mod, mod*7)
		seen := make([]bool, mod)
		for x := uint64(0); x < mod; x++ {
			y := p.apply(x)
			if y >= mod || seen[y] {
				t.Fatalf("mod %d: apply(%d) = %d: out of range or repeated", mod, x, y)
			}
			seen[y] = true
		}
	}
}

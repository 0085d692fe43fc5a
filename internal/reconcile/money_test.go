package reconcile

import (
	"testing"
)

// WeChat does not document how it rounds the service fee: at an exact half
// either direction is accepted, and a legacy bill's exact unrounded product.
func TestFeeRounds(t *testing.T) {
	tests := []struct {
		name           string
		base, ppm, fee int64 // fen, millionths, 10⁻⁵ yuan
		want           int64
		ok             bool
	}{
		{"rounded down", 13800, 6000, 83000, 83000, true}, // 138.00 × 0.6% = 0.828 → 0.83
		{"rounded up", 12000, 6000, 72000, 72000, true},   // 0.72 exactly
		{"the fen below is wrong", 13800, 6000, 82000, 83000, false},
		{"an exact half, up", 12500, 3600, 45000, 45000, true},              // 125.00 × 0.36% = 0.45 exactly
		{"an exact half, rounded up", 2500, 6000, 15000, 15000, true},       // 25.00 × 0.6% = 0.15
		{"an exact half either way: up", 8750, 2000, 18000, 18000, true},    // 87.50 × 0.2% = 0.175
		{"an exact half either way: down", 8750, 2000, 17000, 18000, true},  // …or 0.17
		{"not a half: only the nearest", 8760, 2000, 17000, 18000, false},   // 0.1752 → 0.18
		{"the legacy unrounded product", 21050, 6000, 126300, 126000, true}, // 210.50 × 0.6% = 1.263
		{"the legacy product, to 10⁻⁵", 10001, 6000, 60006, 60000, true},    // 100.01 × 0.6% = 0.60006
		{"a product with more decimals, to 10⁻⁵", 10001, 6500, 65007, 65000, true},
		{"far off", 99990, 6000, 599000, 600000, false},
		{"zero", 0, 6000, 0, 0, true},
		{"a fee where none is due", 0, 6000, 1000, 0, false},
		{"the largest amount at 100%", 1_000_000_000_000, 1_000_000, 1_000_000_000_000_000, 1_000_000_000_000_000, true},
	}
	for _, tt := range tests {
		want, ok := feeRounds(tt.base, tt.ppm, tt.fee)
		if want != tt.want || ok != tt.ok {
			t.Errorf("%s: feeRounds(%d, %d, %d) = %d, %v; want %d, %v", tt.name, tt.base, tt.ppm, tt.fee, want, ok, tt.want, tt.ok)
		}
	}
}

func TestRateText(t *testing.T) {
	for ppm, want := range map[int64]string{6000: "0.6%", 3800: "0.38%", 10000: "1%", 1: "0.0001%", 1_000_000: "100%", 5450: "0.545%"} {
		if got := rateText(ppm); got != want {
			t.Errorf("rateText(%d) = %q, want %q", ppm, got, want)
		}
	}
}

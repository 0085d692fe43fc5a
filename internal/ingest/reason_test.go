package ingest

import (
	"os"
	"path/filepath"
	"testing"
)

// Each kind of unreadable row reports its Reason, which callers render in
// their own words.
func TestRowErrorReasons(t *testing.T) {
	header := "order_id,product_fee,transport_fee,order_fee,customs,paid_at,status\n"
	tests := []struct {
		name string
		row  string
		want Reason
	}{
		{"empty id", ",1.00,0,1.00,,2026-11-20 10:00:00,\n", ReasonMissing},
		{"letters in the id", "51186A,1.00,0,1.00,,2026-11-20 10:00:00,\n", ReasonID},
		{"an id Excel mangled", "5.11860902499103E+18,1.00,0,1.00,,2026-11-20 10:00:00,\n", ReasonIDMangled},
		{"three decimals", "5118609024991031601,1.005,0,1.00,,2026-11-20 10:00:00,\n", ReasonAmount},
		{"a negative amount", "5118609024991031601,-1.00,0,1.00,,2026-11-20 10:00:00,\n", ReasonAmount},
		{"an empty amount", "5118609024991031601,,0,1.00,,2026-11-20 10:00:00,\n", ReasonMissing},
		{"a bad time", "5118609024991031601,1.00,0,1.00,,2026-02-30 10:00:00,\n", ReasonTime},
		{"a shifted row", "5118609024991031601,1,000.00,0,1.00,,2026-11-20 10:00:00,\n", ReasonFields},
		{"bytes that are not UTF-8", "5118609024991031601,1.00,0,1.00,\xff\xfe,2026-11-20 10:00:00,\n", ReasonEncoding},
	}
	dir := t.TempDir()
	for i, tt := range tests {
		p := filepath.Join(dir, tt.name+".csv")
		// A long valid UTF-8 prefix keeps the file UTF-8 despite the bad bytes.
		if err := os.WriteFile(p, []byte(header+"5118609024991031699,1.00,0,1.00,,2026-11-20 10:00:00,交易成功\n"+tt.row), 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := Open(p, Orders)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var got []Reason
		for _, rerr := range f.Orders() {
			if rerr != nil {
				got = append(got, rerr.Reason)
			}
		}
		f.Close()
		if len(got) != 1 || got[0] != tt.want {
			t.Errorf("%d %s: reasons %q, want [%q]", i, tt.name, got, tt.want)
		}
	}

	p := filepath.Join(dir, "status.csv")
	os.WriteFile(p, []byte("transaction_id,order_id,amount,status\n4200000000000000000000000001,5118609024991031601,1.00,NOTPAY\n"), 0o644)
	f, err := Open(p, Payments)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, rerr := range f.Payments() {
		if rerr == nil || rerr.Reason != ReasonStatus {
			t.Errorf("unknown status: %+v, want ReasonStatus", rerr)
		}
	}
}

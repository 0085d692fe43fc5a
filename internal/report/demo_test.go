package report

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var demoPath = flag.String("demo", "", "also write the demo workbook to this path (for rendering by hand)")

func TestDemoWorkbook(t *testing.T) {
	path := filepath.Join(t.TempDir(), "demo.xlsx")
	w := Writer{Now: func() time.Time { return time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC) }}
	if err := w.Write(context.Background(), path, demoResult()); err != nil {
		t.Fatal(err)
	}
	if *demoPath != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(*demoPath, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

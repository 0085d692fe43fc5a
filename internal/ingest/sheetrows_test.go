package ingest

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

func TestSheetRows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.xlsx")
	f := excelize.NewFile()
	f.SetSheetName("Sheet1", "汇总")
	f.NewSheet("异常明细")
	f.SetCellValue("汇总", "A1", "not this one")
	f.SetCellValue("异常明细", "A2", "键")
	f.SetCellValue("异常明细", "C2", "处理状态")
	f.SetCellValue("异常明细", "A3", "FEE_MISMATCH|1|")
	f.SetCellValue("异常明细", "B3", 12.5)
	f.SetCellValue("异常明细", "C3", "已处理")
	f.SetCellRichText("异常明细", "C5", []excelize.RichTextRun{{Text: "处理"}, {Text: "中"}})
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	var got []string
	err := SheetRows(path, "异常明细", func(row int, cells []string) error {
		got = append(got, fmt.Sprintf("%d:%s", row, strings.Join(cells, "|")))
		return nil
	})
	want := []string{"2:键||处理状态", "3:FEE_MISMATCH|1||12.5|已处理", "5:||处理中"}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("SheetRows = %q, %v\nwant %q", got, err, want)
	}

	stop := errors.New("stop")
	n := 0
	if err := SheetRows(path, "异常明细", func(int, []string) error { n++; return stop }); err != stop || n != 1 {
		t.Errorf("an error from fn: got %v after %d rows, want it back after 1", err, n)
	}
	if err := SheetRows(path, "回传记录", func(int, []string) error { return nil }); err == nil || !strings.Contains(err.Error(), `"汇总", "异常明细"`) {
		t.Errorf("a missing sheet: %v, want the sheets named", err)
	}
	if err := SheetRows(filepath.Join(t.TempDir(), "none.xlsx"), "x", func(int, []string) error { return nil }); err == nil {
		t.Error("a missing file: no error")
	}
}

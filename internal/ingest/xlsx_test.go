package ingest

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"hash/crc32"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// buildXLSX writes a workbook with one sheet of rows (the first is the
// header) and returns its bytes.
func buildXLSX(t testing.TB, rows [][]any, date1904 bool) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if date1904 {
		yes := true
		if err := f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &yes}); err != nil {
			t.Fatal(err)
		}
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rezip rewrites a zip, passing each entry's content through edit.
func rezip(t testing.TB, data []byte, edit func(name string, content []byte) []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		content, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.Create(zf.Name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(edit(zf.Name, content))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestXLSXDates(t *testing.T) {
	header := []any{"订单编号", "商品金额", "运费", "总金额", "付款时间"}
	for _, tt := range []struct {
		name     string
		date1904 bool
		serial   float64
	}{
		{"1900 system", false, 46346.825381944446},
		{"1904 system", true, 44884.825381944446},
	} {
		t.Run(tt.name, func(t *testing.T) {
			data := buildXLSX(t, [][]any{header, {"1001", 1, 0, 1, tt.serial}}, tt.date1904)
			r := readOrders(t, writeFile(t, "d.xlsx", data))
			if len(r.orders) != 1 {
				t.Fatalf("orders %v errors %v", r.orders, r.errs)
			}
			if got := r.orders[0].PaidAt.Format(time.RFC3339); got != "2026-11-20T19:48:33+08:00" {
				t.Errorf("paid at %s, want 2026-11-20T19:48:33+08:00", got)
			}
		})
	}
}

func TestXLSXSheets(t *testing.T) {
	f, err := Open("testdata/orders_workbench.xlsx", Orders, WithSheet("订单"))
	if err != nil {
		t.Fatal(err)
	}
	if f.Info().Sheet != "订单" || f.Info().Encoding != "" || f.Info().Format != "xlsx" {
		t.Errorf("info %+v", f.Info())
	}
	f.Close()
	_, err = Open("testdata/orders_workbench.xlsx", Orders, WithSheet("nope"))
	if err == nil || !strings.Contains(err.Error(), `no worksheet named "nope"; the workbook has "订单", "说明"`) {
		t.Errorf("err = %v, want the sheets listed", err)
	}
	_, err = Open("testdata/orders_workbench.xlsx", Orders, WithSheet("说明"))
	if err == nil || !strings.Contains(err.Error(), "missing required columns") || !strings.Contains(err.Error(), "本表由卖家工作台导出") {
		t.Errorf("err = %v, want missing columns and the headers found", err)
	}
}

func TestXLSXDamagedXML(t *testing.T) {
	rows := [][]any{{"订单编号", "商品金额", "运费", "总金额"}}
	for i := 0; i < 10; i++ {
		rows = append(rows, []any{"100" + itoa(i), 1, 0, 1})
	}
	data := rezip(t, buildXLSX(t, rows, false), func(name string, c []byte) []byte {
		if strings.HasPrefix(name, "xl/worksheets/") {
			// Malformed XML in row 6: the zip is sound, the sheet is not.
			return bytes.Replace(c, []byte(`<row r="6"`), []byte(`<row r="6" <<`), 1)
		}
		return c
	})
	r := readOrders(t, writeFile(t, "damaged.xlsx", data))
	if len(r.orders) != 4 {
		t.Errorf("%d orders, want the 4 rows before the damage", len(r.orders))
	}
	if r.err == nil || !strings.Contains(r.err.Error(), `worksheet "Sheet1" is damaged after row 5 (xl/worksheets/sheet1.xml: a '<' inside a tag`) {
		t.Errorf("Err = %v, want the damage reported", r.err)
	}
}

func TestXLSXNumericCells(t *testing.T) {
	data := buildXLSX(t, [][]any{
		{"订单编号", "商品金额", "运费", "总金额"},
		{1234567890123, 0.1, 0.2, 0.1 + 0.2},                  // a short id as a number is exact
		{9007199254740993.0, 1, 0, 1},                         // beyond 2^53: digits lost
		{"1002", "123.45000000000002", 0, 123.45000000000002}, // noise in a text cell: refused
	}, false)
	r := readOrders(t, writeFile(t, "n.xlsx", data))
	if len(r.orders) != 1 || r.orders[0].OrderID != "1234567890123" || r.orders[0].OrderFee != 30 {
		t.Errorf("orders %+v", r.orders)
	}
	if len(r.errs) != 2 || !strings.Contains(r.errs[0].Message, "stored as a number") || r.errs[1].Column != "商品金额" {
		t.Errorf("errors %v", r.errs)
	}
}

// deflateBomb returns a raw deflate stream of n MiB of spaces, built from
// one compressed MiB repeated, and the CRC of what it inflates to.
func deflateBomb(t testing.TB, n int) ([]byte, uint32) {
	t.Helper()
	mib := bytes.Repeat([]byte(" "), 1<<20)
	var chunk bytes.Buffer
	fw, _ := flate.NewWriter(&chunk, flate.BestCompression)
	fw.Write(mib)
	fw.Flush()
	stream := bytes.Repeat(chunk.Bytes(), n)
	stream = append(stream, 0x03, 0x00) // an empty final block
	crc := uint32(0)
	for i := 0; i < n; i++ {
		crc = crc32.Update(crc, crc32.IEEETable, mib)
	}
	return stream, crc
}

// withSheet replaces the worksheet of a workbook with a raw deflate stream
// that claims to inflate to size bytes.
func withSheet(t testing.TB, data, stream []byte, crc uint32, size uint64) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, zf := range zr.File {
		if zf.Name == "xl/worksheets/sheet1.xml" {
			w, err := zw.CreateRaw(&zip.FileHeader{Name: zf.Name, Method: zip.Deflate, CRC32: crc,
				CompressedSize64: uint64(len(stream)), UncompressedSize64: size})
			if err != nil {
				t.Fatal(err)
			}
			w.Write(stream)
			continue
		}
		if err := zw.Copy(zf); err != nil {
			t.Fatal(err)
		}
	}
	zw.Close()
	return out.Bytes()
}

func TestXLSXZipBomb(t *testing.T) {
	base := buildXLSX(t, [][]any{{"订单编号", "商品金额", "运费", "总金额"}, {"1001", 1, 0, 1}}, false)
	stream, crc := deflateBomb(t, 1024) // 1 GiB of spaces in about 1 MB
	tests := []struct {
		name string
		size uint64
		want string
	}{
		{"honest size: the ratio gives it away", 1 << 30, "looks like a zip bomb"},
		{"declares more than the limit", 3 << 30, "more than 2048 MiB"},
		{"declares a small size and inflates to more", 4096, "damaged"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, "bomb.xlsx", withSheet(t, base, stream, crc, tt.size))
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			f, err := Open(p, Orders)
			runtime.ReadMemStats(&after)
			if err == nil {
				f.Close()
				t.Fatal("Open succeeded on a zip bomb")
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), p) {
				t.Errorf("err = %v, want one naming the file and %q", err, tt.want)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
				t.Errorf("Open allocated %d MiB on a zip bomb", alloc>>20)
			}
		})
	}
}

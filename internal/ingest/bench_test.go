package ingest

import (
	"archive/zip"
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// Benchmarks read whole generated files; each reports rows/s besides the
// MB/s that b.SetBytes gives. Run them on one core:
//
//	TZ=UTC go test -run '^$' -bench . -benchmem -cpu 1 ./internal/ingest
//
// The inputs are generated once per process into a temporary directory.

var (
	benchDir     string
	benchDirOnce sync.Once
	benchFiles   sync.Map // name → path
)

func benchFile(b *testing.B, name string, gen func(path string) error) string {
	b.Helper()
	benchDirOnce.Do(func() {
		var err error
		if benchDir, err = os.MkdirTemp("", "ingest-bench-"); err != nil {
			panic(err)
		}
	})
	if p, ok := benchFiles.Load(name); ok {
		return p.(string)
	}
	p := filepath.Join(benchDir, name)
	if err := gen(p); err != nil {
		b.Fatal(err)
	}
	benchFiles.Store(name, p)
	return p
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

// writeLines writes header and n generated lines through w's encoder.
func writeLines(path, header string, n int, line func(i int) string, gbk bool) error {
	fh, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(fh, 1<<20)
	put := func(s string) {
		if gbk {
			w.Write(encodeGBK(s))
		} else {
			w.WriteString(s)
		}
	}
	put(header + "\r\n")
	var chunk strings.Builder
	for i := 0; i < n; i++ {
		chunk.WriteString(line(i))
		chunk.WriteString("\r\n")
		if chunk.Len() > 256<<10 || i == n-1 {
			put(chunk.String())
			chunk.Reset()
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return fh.Close()
}

// benchTmallLine is a realistic Tmall export row: 40 columns, Chinese
// text, ="…" ids and a quoted address, about 400 bytes.
func benchTmallLine(i int) string {
	id := `="` + strconv.Itoa(5118609024991031607+i) + `"`
	product := strconv.Itoa(10+i%500) + "." + strconv.Itoa(10+i%90)
	total := strconv.Itoa(15+i%500) + "." + strconv.Itoa(10+i%90)
	status := [...]string{"买家已付款，等待卖家发货", "交易成功", "交易关闭", "等待买家付款"}[i%4]
	ts := fmt.Sprintf("2026-11-%02d %02d:%02d:%02d", 1+i%28, i%24, i%60, (i*7)%60)
	return tmallRow(id, product, "5.00", total, status, ts, ts, "")
}

// benchPlainLine is an order row without quotes: the CSV fast path.
func benchPlainLine(i int) string {
	return strconv.Itoa(5118609024991031607+i) + ",张三,12" + strconv.Itoa(i%10) + ".50,5.00,12" + strconv.Itoa(i%10+5) +
		".50,2026-11-20 19:48:33,买家已付款，等待卖家发货,上海市浦东新区张江路1号,澳洲奶粉 900g 2罐装,SHANGHAI_JG,备注" + strconv.Itoa(i)
}

const benchPlainHeader = "订单编号,买家姓名,商品金额,运费,应付金额,付款时间,订单状态,收货地址,宝贝标题,海关,备注"

func benchWeChatLine(i int) string {
	tx := "42000012342026112" + fmt.Sprintf("%011d", i)
	status, refund := "SUCCESS", "0.00"
	if i%10 == 9 {
		status, refund = "REFUND", "10.00"
	}
	return wechatAllRow("2026-11-20 19:48:35", tx, strconv.Itoa(5118609024991031607+i), status, "138.00", "0", refund,
		"澳洲奶粉 900g, 2罐装,包邮", "a=1,b=2", "138.00", refund)
}

// cpuTime is the process's user+system CPU time. On a shared machine
// wall-clock rates swing with the neighbours' load; rows per CPU-second
// (with -cpu 1, the one core the benchmark runs on, GC included) does not.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportRates(b *testing.B, rows int, cpu0 time.Duration) {
	total := float64(rows) * float64(b.N)
	b.ReportMetric(total/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(total/(cpuTime()-cpu0).Seconds(), "rows/cpu-s")
}

func benchRead(b *testing.B, path string, kind Kind, rows int) {
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		f, err := Open(path, kind)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		switch kind {
		case Orders:
			for _, e := range f.Orders() {
				if e != nil {
					b.Fatal(e)
				}
				n++
			}
		case Payments:
			for _, e := range f.Payments() {
				if e != nil {
					b.Fatal(e)
				}
				n++
			}
		}
		if err := f.Err(); err != nil {
			b.Fatal(err)
		}
		f.Close()
		if n != rows {
			b.Fatalf("read %d rows, want %d", n, rows)
		}
	}
	b.StopTimer()
	reportRates(b, rows, cpu0)
}

const benchRows = 100_000

func BenchmarkOrdersTmallUTF8(b *testing.B) {
	p := benchFile(b, "tmall-utf8.csv", func(p string) error {
		return writeLines(p, strings.Join(tmallHeader, ","), benchRows, benchTmallLine, false)
	})
	benchRead(b, p, Orders, benchRows)
}

func BenchmarkOrdersTmallGBK(b *testing.B) {
	p := benchFile(b, "tmall-gbk.csv", func(p string) error {
		return writeLines(p, strings.Join(tmallHeader, ","), benchRows, benchTmallLine, true)
	})
	benchRead(b, p, Orders, benchRows)
}

func BenchmarkOrdersPlainUTF8(b *testing.B) {
	p := benchFile(b, "plain-utf8.csv", func(p string) error {
		return writeLines(p, benchPlainHeader, benchRows, benchPlainLine, false)
	})
	benchRead(b, p, Orders, benchRows)
}

func BenchmarkPaymentsWeChatAll(b *testing.B) {
	p := benchFile(b, "wechat-all.csv", func(p string) error {
		return writeLines(p, "\ufeff"+wechatAllHeader, benchRows, benchWeChatLine, false)
	})
	benchRead(b, p, Payments, benchRows)
}

func BenchmarkPaymentsWeChatAllGBK(b *testing.B) {
	p := benchFile(b, "wechat-all-gbk.csv", func(p string) error {
		return writeLines(p, wechatAllHeader, benchRows, benchWeChatLine, true)
	})
	benchRead(b, p, Payments, benchRows)
}

const benchXLSXRows = 20_000

func BenchmarkOrdersXLSX(b *testing.B) {
	p := benchFile(b, "orders.xlsx", func(p string) error {
		f := excelize.NewFile()
		defer f.Close()
		sw, err := f.NewStreamWriter("Sheet1")
		if err != nil {
			return err
		}
		header := make([]any, len(tmallHeader))
		for i, h := range tmallHeader {
			header[i] = h
		}
		if err := sw.SetRow("A1", header); err != nil {
			return err
		}
		dateStyle, _ := f.NewStyle(&excelize.Style{NumFmt: 22})
		for i := 0; i < benchXLSXRows; i++ {
			row := make([]any, len(tmallHeader))
			for k := range row {
				row[k] = "填充" + strconv.Itoa(k)
			}
			row[0] = strconv.Itoa(5118609024991031607 + i)
			row[3], row[4], row[6] = float64(10+i%500)+0.5, 5.0, float64(15+i%500)+0.5
			row[10] = "交易成功"
			row[18] = excelize.Cell{StyleID: dateStyle, Value: 46346.825381944446 + float64(i%1000)/1000}
			cell, _ := excelize.CoordinatesToCellName(1, i+2)
			if err := sw.SetRow(cell, row); err != nil {
				return err
			}
		}
		if err := sw.Flush(); err != nil {
			return err
		}
		return f.SaveAs(p)
	})
	benchRead(b, p, Orders, benchXLSXRows)
}

// BenchmarkOrdersMemory reads files of 100k and 1M Tmall rows and reports
// the peak heap in use (sampled every 10,000 rows): it should not grow
// with the file.
func BenchmarkOrdersMemory(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			p := benchFile(b, fmt.Sprintf("tmall-%d.csv", n), func(p string) error {
				return writeLines(p, strings.Join(tmallHeader, ","), n, benchTmallLine, false)
			})
			st, _ := os.Stat(p)
			b.SetBytes(st.Size())
			var peak uint64
			var ms runtime.MemStats
			b.ResetTimer()
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				runtime.GC()
				f, err := Open(p, Orders)
				if err != nil {
					b.Fatal(err)
				}
				rows := 0
				var sum int64
				for o, e := range f.Orders() {
					if e != nil {
						b.Fatal(e)
					}
					sum += o.OrderFee
					if rows++; rows%10_000 == 0 {
						runtime.ReadMemStats(&ms)
						peak = max(peak, ms.HeapInuse)
					}
				}
				f.Close()
				if rows != n {
					b.Fatalf("read %d rows, want %d", rows, n)
				}
			}
			b.StopTimer()
			reportRates(b, n, cpu0)
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}

// writeSharedXLSX writes an order export of n rows the way Excel does:
// the 40 Tmall columns, text in shared strings (the ids inline, so that
// the table does not grow with the rows), amounts as numbers, the paid
// time as a date serial with a date format.
func writeSharedXLSX(p string, n int) error {
	fh, err := os.Create(p)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(fh)
	put := func(name, content string) {
		w, _ := zw.Create(name)
		w.Write([]byte(content))
	}
	put("[Content_Types].xml", `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`)
	put("xl/workbook.xml", `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="订单" sheetId="1" r:id="rId1"/></sheets></workbook>`)
	put("xl/_rels/workbook.xml.rels", `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`)
	put("xl/styles.xml", `<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="22"/></cellXfs></styleSheet>`)
	var sst strings.Builder
	sst.WriteString(`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`)
	for _, h := range tmallHeader {
		sst.WriteString("<si><t>" + h + "</t></si>")
	}
	for k := 0; k < 40; k++ {
		sst.WriteString("<si><t>填充" + strconv.Itoa(k) + "</t></si>")
	}
	sst.WriteString("<si><t>交易成功</t></si></sst>")
	put("xl/sharedStrings.xml", sst.String())
	w, _ := zw.Create("xl/worksheets/sheet1.xml")
	bw := bufio.NewWriterSize(w, 1<<20)
	bw.WriteString(`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">`)
	for k := range tmallHeader {
		fmt.Fprintf(bw, `<c r="%s1" t="s"><v>%d</v></c>`, columnName(k+1), k)
	}
	bw.WriteString("</row>")
	for i := 0; i < n; i++ {
		r := strconv.Itoa(i + 2)
		bw.WriteString(`<row r="` + r + `">`)
		for k := 0; k < 40; k++ {
			ref := columnName(k+1) + r
			switch k {
			case 0:
				bw.WriteString(`<c r="` + ref + `" t="inlineStr"><is><t>` + strconv.Itoa(5118609024991031607+i) + `</t></is></c>`)
			case 3:
				bw.WriteString(`<c r="` + ref + `"><v>` + strconv.Itoa(10+i%500) + `.5</v></c>`)
			case 4:
				bw.WriteString(`<c r="` + ref + `"><v>5</v></c>`)
			case 6:
				bw.WriteString(`<c r="` + ref + `"><v>` + strconv.Itoa(15+i%500) + `.5</v></c>`)
			case 10:
				bw.WriteString(`<c r="` + ref + `" t="s"><v>80</v></c>`)
			case 18:
				bw.WriteString(`<c r="` + ref + `" s="1"><v>46346.825381944446</v></c>`)
			default:
				bw.WriteString(`<c r="` + ref + `" t="s"><v>` + strconv.Itoa(40+k) + `</v></c>`)
			}
		}
		bw.WriteString("</row>")
	}
	bw.WriteString("</sheetData></worksheet>")
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return fh.Close()
}

// BenchmarkOrdersXLSXMemory reads Excel-like exports of 20k, 100k and 1M
// rows (shared strings, see writeSharedXLSX) and reports the peak heap in
// use, sampled every 10,000 rows: it should not grow with the rows.
func BenchmarkOrdersXLSXMemory(b *testing.B) {
	for _, n := range []int{20_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			p := benchFile(b, fmt.Sprintf("shared-%d.xlsx", n), func(p string) error { return writeSharedXLSX(p, n) })
			st, _ := os.Stat(p)
			b.SetBytes(st.Size())
			b.ReportAllocs()
			var peak uint64
			var ms runtime.MemStats
			b.ResetTimer()
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				runtime.GC()
				f, err := Open(p, Orders)
				if err != nil {
					b.Fatal(err)
				}
				rows := 0
				for _, e := range f.Orders() {
					if e != nil {
						b.Fatal(e)
					}
					if rows++; rows%10_000 == 0 {
						runtime.ReadMemStats(&ms)
						peak = max(peak, ms.HeapInuse)
					}
				}
				if err := f.Err(); err != nil {
					b.Fatal(err)
				}
				f.Close()
				if rows != n {
					b.Fatalf("read %d rows, want %d", rows, n)
				}
			}
			b.StopTimer()
			reportRates(b, n, cpu0)
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}

package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/crossborder/reconcile/internal/ingest"
)

// sheet reads a sheet of a workbook with the job's own streaming reader
// (not excelize's) as rows of named cells: the row that starts with 订单号
// is the header.
func sheet(t *testing.T, path, name string) []map[string]string {
	t.Helper()
	var head []string
	var out []map[string]string
	err := ingest.SheetRows(path, name, func(_ int, cells []string) error {
		if head == nil {
			if len(cells) > 0 && cells[0] == "订单号" {
				head = slices.Clone(cells)
			}
			return nil
		}
		row := map[string]string{}
		for i, h := range head {
			if i < len(cells) {
				row[h] = cells[i]
			}
		}
		out = append(out, row)
		return nil
	})
	if err != nil || head == nil {
		t.Fatalf("%s %s: %v (header found: %v)", path, name, err, head != nil)
	}
	return out
}

// TestThreeNights runs the binary three times on one window, as finance
// lives it: the night; the same window again after the team wrote its
// notes in the workbook; and a third time with the late payment export,
// which resolves an exception. A dry run beside it never touches the real
// workbook.
func TestThreeNights(t *testing.T) {
	bin := reconcileBinary(t)
	url := startSandbox(t, bin)
	dir := t.TempDir()
	orders, payments := writeNight(t, dir, 6)
	// Order …001 has no payment yet; …002 a fee that does not add up.
	b, _ := os.ReadFile(payments)
	os.WriteFile(payments, []byte(dropLines(string(b), "5118609024991000001")), 0o644)
	b, _ = os.ReadFile(orders)
	os.WriteFile(orders, []byte(strings.Replace(string(b), "5118609024991000002,12.00,1.00,13.00", "5118609024991000002,12.00,1.00,14.00", 1)), 0o644)
	state, out := filepath.Join(dir, "reconcile.db"), filepath.Join(dir, "out")+"/"
	run := func(extra ...string) {
		t.Helper()
		args := append([]string{"run", "--date", "2026-11-20", "--customs", "NINGBO", "--orders", orders, "--payments", payments,
			"--gateway", url, "--state", state, "--report", out, "--follow-up-days", "0"}, extra...)
		if code, stdout, stderr := runBinary(t, bin, args...); code != 0 {
			t.Fatalf("run %q: exit %d\n%s\n%s", extra, code, stdout, stderr)
		}
	}
	book := filepath.Join(dir, "out", "reconcile_2026-11-20.xlsx")
	byKey := func(rows []map[string]string) map[string]map[string]string {
		m := map[string]map[string]string{}
		for _, r := range rows {
			m[r["异常键"]] = r
		}
		return m
	}
	missing, fee := "PAYMENT_MISSING|5118609024991000001|", "FEE_MISMATCH|5118609024991000002|"

	// Night 1: two new exceptions, four declarations of this run.
	run()
	ex := byKey(sheet(t, book, "异常明细"))
	if ex[missing]["状态"] != "新增" || ex[fee]["状态"] != "新增" || len(ex) != 2 {
		t.Fatalf("night 1: %v", ex)
	}
	if d := sheet(t, book, "申报记录"); len(d) != 4 || d[0]["申报结果"] == "此前已申报" {
		t.Fatalf("night 1: 申报记录 %v", d)
	}

	// The team writes in the workbook, as in Excel.
	f, err := excelize.OpenFile(book)
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := f.GetRows("异常明细")
	var head []string
	for r, row := range rows {
		if len(row) > 0 && row[0] == "订单号" {
			head = row
			continue
		}
		if head == nil || len(row) < len(head) || row[slices.Index(head, "异常键")] != fee {
			continue
		}
		for col, v := range map[string]string{"处理状态": "处理中", "处理人": "王会计", "备注": "已联系买家 110105194912310021 补差价"} {
			cell, _ := excelize.CoordinatesToCellName(slices.Index(head, col)+1, r+1)
			f.SetCellValue("异常明细", cell, v)
		}
	}
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
	f.Close()

	// Night 2: the same window again: still open, the notes carried (the
	// ID number masked), the declarations listed as earlier ones.
	run()
	ex = byKey(sheet(t, book, "异常明细"))
	if r := ex[fee]; r["状态"] != "未解决" || r["处理状态"] != "处理中" || r["处理人"] != "王会计" ||
		!strings.Contains(r["备注"], "已联系买家") || strings.Contains(r["备注"], "110105194912310021") {
		t.Errorf("night 2: the fee mismatch's row %v; want it open with the team's notes, the ID number masked", r)
	}
	d := sheet(t, book, "申报记录")
	earlier := 0
	for _, r := range d {
		if r["申报结果"] == "此前已申报" && r["运行编号"] == "1" && r["请求编号"] != "" {
			earlier++
		}
	}
	if len(d) != 4 || earlier != 4 {
		t.Errorf("night 2: 申报记录 %v; want the 4 of night 1, 此前已申报 in run 1 with their request ids", d)
	}

	// A dry run beside the real workbook leaves it alone.
	before, _ := os.ReadFile(book)
	run("--dry-run")
	after, _ := os.ReadFile(book)
	if !bytes.Equal(before, after) {
		t.Error("a dry run changed the real workbook")
	}
	if _, err := os.Stat(filepath.Join(dir, "out", "reconcile_2026-11-20_dryrun.xlsx")); err != nil {
		t.Errorf("the dry run's own workbook: %v", err)
	}

	// Night 3: the late payment export resolves the missing payment.
	late := filepath.Join(dir, "late.csv")
	os.WriteFile(late, []byte("transaction_id,order_id,amount,status,refund_amount,paid_at\n"+
		"42000000002026112"+fmt.Sprintf("%011d", 1)+",5118609024991000001,12.00,SUCCESS,,2026-11-20 00:00:01\n"), 0o644)
	run("--payments", late)
	ex = byKey(sheet(t, book, "异常明细"))
	res := sheet(t, book, "已解决")
	if _, still := ex[missing]; still || len(res) != 1 || res[0]["异常代码"] != "PAYMENT_MISSING" || res[0]["首次发现"] == "" {
		t.Errorf("night 3: exceptions %v, resolved %v; want the missing payment on 已解决 with when it was first seen", ex, res)
	}
	if r := ex[fee]; r["处理人"] != "王会计" {
		t.Errorf("night 3: the notes did not survive: %v", r)
	}
}

func dropLines(s, sub string) string {
	var out []string
	for _, l := range strings.SplitAfter(s, "\n") {
		if !strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "")
}

package ingest

import (
	"fmt"
	"strconv"
	"strings"
)

// SheetRows reads the worksheet named sheet of the XLSX workbook at path
// as a stream and calls fn with each row that has a cell: its 1-based
// number and its cells' text by column (cells[0] is column A; a column
// without a cell is ""). Shared and inline strings are their text; every
// other cell is its value as written in the file (a number unformatted, a
// date its serial). fn must not keep cells: the slice is reused. An error
// from fn stops the reading and is returned as it is.
//
// It refuses what the export reader refuses: a damaged or oversized
// workbook, rows out of order; a row with a broken cell is passed to fn
// with that cell empty, and its error is returned once the sheet is read.
func SheetRows(path, sheet string, fn func(row int, cells []string) error) error {
	wb, err := openWorkbook(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer wb.zr.Close()
	var ref sheetRef
	var names []string
	for _, sh := range wb.sheets {
		names = append(names, strconv.Quote(sh.name))
		if sh.name == sheet && ref.name == "" {
			ref = sh
		}
	}
	switch {
	case ref.name == "":
		return fmt.Errorf("%s: no worksheet named %q; the workbook has %s", path, sheet, strings.Join(names, ", "))
	case ref.part == "":
		return fmt.Errorf("%s: sheet %q is not a worksheet", path, sheet)
	}
	s := &xlsxSource{wb: wb}
	if err := s.open(ref); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer s.closeSheet()
	var cells []string
	var rowErr error
	for s.readRow() {
		cells = cells[:0]
		for _, f := range s.fieldv {
			cells = append(cells, string(f))
		}
		if s.cellErr != nil && rowErr == nil {
			rowErr = fmt.Errorf("%s[%s]:%d: %w", path, sheet, s.row, s.cellErr)
		}
		if err := fn(s.row, cells); err != nil {
			return err
		}
	}
	if s.failed != nil {
		return fmt.Errorf("%s: %w", path, s.failed)
	}
	return rowErr
}

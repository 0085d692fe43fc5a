package report

import (
	"fmt"
	"regexp"
	"strconv"
)

// The list sheets write the texts that repeat from row to row (codes and
// their labels, advice, customs, file names, outcomes: columns marked
// shared) once, in the workbook's shared string table, and refer to them
// by index; every other text is an inline string. The table is excelize's
// (the summary and money sheets' texts) with the lists' texts put first:
// as the package is saved, the lists' entries are inserted at the start
// of xl/sharedStrings.xml and the indices in excelize's own sheets are
// shifted past them. A shorter sheet is quicker to write and to compress;
// the table is bounded, and a text that does not fit stays inline.
type sharedStrings struct {
	index map[string]int
	list  []string
	bytes int
}

// The bounds of the lists' shared strings: beyond them, texts are inline.
const (
	maxShared      = 1 << 16
	maxSharedBytes = 8 << 20
)

// id returns the index of s in the table, adding it when there is room.
func (t *sharedStrings) id(s string) (int, bool) {
	if i, ok := t.index[s]; ok {
		return i, true
	}
	if len(t.list) >= maxShared || t.bytes+len(s) > maxSharedBytes {
		return 0, false
	}
	if t.index == nil {
		t.index = map[string]int{}
	}
	i := len(t.list)
	t.index[s] = i
	t.list = append(t.list, s)
	t.bytes += len(s)
	return i, true
}

var sstHead = regexp.MustCompile(`<sst\b[^>]*?\bcount="(\d+)"\s+uniqueCount="(\d+)"[^>]*>`)

// patchTable puts the lists' strings first in excelize's shared string
// table (the part xl/sharedStrings.xml).
func (t *sharedStrings) patchTable(part []byte) ([]byte, error) {
	m := sstHead.FindSubmatchIndex(part)
	if m == nil {
		return nil, fmt.Errorf("report: the shared string table has no <sst count uniqueCount>")
	}
	count, _ := strconv.Atoi(string(part[m[2]:m[3]]))
	unique, _ := strconv.Atoi(string(part[m[4]:m[5]]))
	n := len(t.list)
	out := make([]byte, 0, len(part)+t.bytes+n*16)
	out = append(out, part[:m[2]]...)
	out = strconv.AppendInt(out, int64(count+n), 10)
	out = append(out, part[m[3]:m[4]]...)
	out = strconv.AppendInt(out, int64(unique+n), 10)
	out = append(out, part[m[5]:m[1]]...)
	for _, s := range t.list {
		out = append(out, `<si><t`...)
		if k := len(s); k > 0 && (isXMLSpace(s[0]) || isXMLSpace(s[k-1])) {
			out = append(out, ` xml:space="preserve"`...)
		}
		out = append(out, '>')
		out = appendCellText(out, s)
		out = append(out, `</t></si>`...)
	}
	return append(out, part[m[1]:]...), nil
}

var sharedCell = regexp.MustCompile(`(<c\b[^>]*\bt="s"[^>]*><v>)(\d+)(</v>)`)

// patchSheet shifts the shared string indices of one of excelize's own
// sheets past the lists' strings.
func (t *sharedStrings) patchSheet(part []byte) ([]byte, error) {
	n := len(t.list)
	var err error
	out := sharedCell.ReplaceAllFunc(part, func(c []byte) []byte {
		m := sharedCell.FindSubmatch(c)
		i, e := strconv.Atoi(string(m[2]))
		if e != nil && err == nil {
			err = e
		}
		b := append([]byte{}, m[1]...)
		b = strconv.AppendInt(b, int64(i+n), 10)
		return append(b, m[3]...)
	})
	return out, err
}

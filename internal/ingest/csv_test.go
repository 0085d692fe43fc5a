package ingest

import (
	"encoding/csv"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

type csvRec struct {
	line   int
	fields []string
}

// readCSV reads every record of in, with the given buffer size and with
// the input served one byte per Read when slow is set.
func readCSV(in string, bufSize int, slow, backtick bool) ([]csvRec, error) {
	var src io.Reader = strings.NewReader(in)
	if slow {
		src = iotest.OneByteReader(src)
	}
	c := newCSVReaderSize(src, bufSize)
	c.backtick = backtick
	var out []csvRec
	for c.next() {
		rec := csvRec{line: c.recLine}
		for _, f := range c.fields {
			rec.fields = append(rec.fields, string(f))
		}
		out = append(out, rec)
	}
	return out, c.Err()
}

func TestCSVReader(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		backtick bool
		want     []csvRec
	}{
		{"LF", "a,b\n1,2\n", false, []csvRec{{1, []string{"a", "b"}}, {2, []string{"1", "2"}}}},
		{"CRLF", "a,b\r\n1,2\r\n", false, []csvRec{{1, []string{"a", "b"}}, {2, []string{"1", "2"}}}},
		{"no final newline", "a,b\n1,2", false, []csvRec{{1, []string{"a", "b"}}, {2, []string{"1", "2"}}}},
		{"final CR dropped", "a,b\r", false, []csvRec{{1, []string{"a", "b"}}}},
		{"empty lines skipped, lines counted", "\n\r\na\n\n\nb\n\n", false, []csvRec{{3, []string{"a"}}, {6, []string{"b"}}}},
		{"empty fields", ",a,,\n", false, []csvRec{{1, []string{"", "a", "", ""}}}},
		{"quoted comma", `"a,b",c` + "\n", false, []csvRec{{1, []string{"a,b", "c"}}}},
		{"escaped quote", `"say ""hi""",x` + "\n", false, []csvRec{{1, []string{`say "hi"`, "x"}}}},
		{"quoted empty", `"",""` + "\n", false, []csvRec{{1, []string{"", ""}}}},
		{"newline in quotes keeps start line", "h\n\"a\nb\",c\nd\n", false, []csvRec{{1, []string{"h"}}, {2, []string{"a\nb", "c"}}, {4, []string{"d"}}}},
		{"CRLF in quotes becomes LF", "\"a\r\nb\"\r\nz\r\n", false, []csvRec{{1, []string{"a\nb"}}, {3, []string{"z"}}}},
		{"Tmall =\"…\" wrapper is data", `="5118609024991031607",12.00` + "\n", false, []csvRec{{1, []string{`="5118609024991031607"`, "12.00"}}}},
		{"quote inside unquoted field", `5" screen,1` + "\n", false, []csvRec{{1, []string{`5" screen`, "1"}}}},
		{"text after the closing quote", `"a"b,c` + "\n", false, []csvRec{{1, []string{"ab", "c"}}}},
		{"text after the closing quote at the end", `x,"a"b c` + "\n", false, []csvRec{{1, []string{"x", "ab c"}}}},
		{"quoted then unquoted", `"x",y,"z"` + "\n", false, []csvRec{{1, []string{"x", "y", "z"}}}},
		{"trailing comma after quoted", `"x",` + "\n", false, []csvRec{{1, []string{"x", ""}}}},
		{"multi-line field at EOF without newline", "\"a\n\nb\"", false, []csvRec{{1, []string{"a\n\nb"}}}},
		{"backtick line splits on comma-backtick", "h1,h2,h3\n`1,`衣服, 红色,大号,`x\n", true,
			[]csvRec{{1, []string{"h1", "h2", "h3"}}, {2, []string{"`1", "`衣服, 红色,大号", "`x"}}}},
		{"backtick line ignores quotes", "`a\",`b\"\n", true, []csvRec{{1, []string{"`a\"", "`b\""}}}},
		{"backtick off: plain split", "`a,`b,c\n", false, []csvRec{{1, []string{"`a", "`b", "c"}}}},
		{"backtick empty fields", "`,`,`\n", true, []csvRec{{1, []string{"`", "`", "`"}}}},
		{"whitespace line is a record", "  \n", false, []csvRec{{1, []string{"  "}}}},
		{"CR alone (CSV for Macintosh)", "a,b\r1,2\r3,4", false, []csvRec{{1, []string{"a", "b"}}, {2, []string{"1", "2"}}, {3, []string{"3", "4"}}}},
		{"CR alone, empty lines counted", "a\r\r\rb\r", false, []csvRec{{1, []string{"a"}}, {4, []string{"b"}}}},
		{"CR alone with a CRLF among them", "a\rb\r\nc\r", false, []csvRec{{1, []string{"a"}}, {2, []string{"b"}}, {3, []string{"c"}}}},
		{"CR alone in quotes becomes LF", "h\r\"x\ry\",z\rw\r", false, []csvRec{{1, []string{"h"}}, {2, []string{"x\ny", "z"}}, {4, []string{"w"}}}},
		{"CR alone, WeChat backticks", "h1,h2\r`1,`a, b\r`2,`c\r", true, []csvRec{{1, []string{"h1", "h2"}}, {2, []string{"`1", "`a, b"}}, {3, []string{"`2", "`c"}}}},
		{"CR alone, GB18030 bytes", "\xb6\xa9\xb5\xa5,\xbd\xf0\xb6\xee\r1,2\r", false,
			[]csvRec{{1, []string{"\xb6\xa9\xb5\xa5", "\xbd\xf0\xb6\xee"}}, {2, []string{"1", "2"}}}},
	}
	for _, tt := range tests {
		for _, size := range []int{4, 7, 64, csvBufSize} {
			for _, slow := range []bool{false, true} {
				got, err := readCSV(tt.in, size, slow, tt.backtick)
				if err != nil {
					t.Errorf("%s (buf %d, slow %v): error %v", tt.name, size, slow, err)
					continue
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("%s (buf %d, slow %v):\n got %q\nwant %q", tt.name, size, slow, got, tt.want)
				}
			}
		}
	}
}

func TestCSVReaderLimit(t *testing.T) {
	c := newCSVReader(strings.NewReader("a,b,c,d,e\n1,2,3\n\"q\",2,3,\"4,5\",6\nx,y\n\"m\",\"n\",o,\"p\"\"\"\n"))
	c.limit = 3
	type rec struct {
		fields []string
		n      int
		all    []string
	}
	var got []rec
	for c.next() {
		var r rec
		for _, f := range c.fields {
			r.fields = append(r.fields, string(f))
		}
		r.n = c.nfields
		for _, f := range c.allFields() {
			r.all = append(r.all, string(f))
		}
		got = append(got, r)
	}
	want := []rec{
		{[]string{"a", "b", "c"}, 5, []string{"a", "b", "c", "d", "e"}},
		{[]string{"1", "2", "3"}, 3, []string{"1", "2", "3"}},
		{[]string{"q", "2", "3"}, 5, []string{"q", "2", "3", "4,5", "6"}},
		{[]string{"x", "y"}, 2, []string{"x", "y"}},
		{[]string{"m", "n", "o", `p"`}, 4, []string{"m", "n", "o", `p"`}}, // an escaped quote: split in full
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q,\nwant %q", got, want)
	}
}

func TestCSVReaderErrors(t *testing.T) {
	t.Run("unterminated quote names the line it opened on", func(t *testing.T) {
		got, err := readCSV("h\nok\n\"open,\nmore\nlines\n", 16, false, false)
		var uq *unterminatedQuoteError
		if !errors.As(err, &uq) || uq.line != 3 {
			t.Fatalf("err = %v, want an unterminated quote on line 3", err)
		}
		if !strings.Contains(err.Error(), "line 3") || !strings.Contains(err.Error(), "never closed") {
			t.Errorf("message %q does not name the line and the problem", err)
		}
		if len(got) != 2 {
			t.Errorf("read %d records before the error, want 2", len(got))
		}
	})
	t.Run("1 MB field is fine", func(t *testing.T) {
		big := strings.Repeat("x", 1<<20)
		got, err := readCSV("a,b\n"+big+",\""+big+"\"\nz\n", csvBufSize, false, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 || len(got[1].fields[0]) != 1<<20 || len(got[1].fields[1]) != 1<<20 || got[2].line != 3 {
			t.Errorf("got %d records, want 3 with two 1 MB fields", len(got))
		}
	})
	t.Run("record over the limit", func(t *testing.T) {
		_, err := readCSV("a\n\""+strings.Repeat("y", maxRecordSize), csvBufSize, false, false)
		var tl *recordTooLongError
		if !errors.As(err, &tl) || tl.line != 2 {
			t.Fatalf("err = %v, want a record too long on line 2", err)
		}
	})
	t.Run("line over the limit", func(t *testing.T) {
		_, err := readCSV(strings.Repeat("y", maxRecordSize+10), csvBufSize, false, false)
		var tl *recordTooLongError
		if !errors.As(err, &tl) || tl.line != 1 {
			t.Fatalf("err = %v, want a record too long on line 1", err)
		}
	})
	t.Run("read error", func(t *testing.T) {
		boom := errors.New("boom")
		c := newCSVReader(io.MultiReader(strings.NewReader("a\nb"), iotest.ErrReader(boom)))
		n := 0
		for c.next() {
			n++
		}
		if !errors.Is(c.Err(), boom) || n != 1 {
			t.Errorf("read %d records, err %v; want 1 and boom", n, c.Err())
		}
	})
}

// FuzzCSVRecords checks that the reader never panics and agrees with
// encoding/csv on every input both accept. (The reader is more lenient
// about stray quotes; encoding/csv refuses those, so they are not compared.)
func FuzzCSVRecords(f *testing.F) {
	for _, s := range []string{
		"a,b\n1,2\n", "\"a,b\",c\r\n", "\"a\"\"b\"\n", "\"a\nb\",c\n", "=\"123\",x\n", "\n\n,\n",
		"`1,`2,3,`4\n", "\"unterminated\n", "a\r\rb\n", "\"\"\n", "x\r",
	} {
		f.Add(s, false)
	}
	f.Add("`a,`b\n`c,d,`e\n", true)
	f.Fuzz(func(t *testing.T, in string, backtick bool) {
		got, err := readCSV(in, 8, false, backtick)
		got2, err2 := readCSV(in, csvBufSize, true, backtick)
		if (err == nil) != (err2 == nil) || !reflect.DeepEqual(got, got2) {
			t.Fatalf("buffer size changes the result: %q %v vs %q %v", got, err, got2, err2)
		}
		for _, r := range got {
			if r.line < 1 || r.line > strings.Count(in, "\n")+strings.Count(in, "\r")+1 {
				t.Fatalf("line %d out of range", r.line)
			}
		}
		// With a limit: the same first fields, the same count, and allFields
		// gives them all.
		lc := newCSVReaderSize(strings.NewReader(in), 16)
		lc.backtick, lc.limit = backtick, 2
		for k := 0; lc.next(); k++ {
			if k >= len(got) {
				t.Fatalf("more records with a limit")
			}
			full := got[k].fields
			if lc.nfields != len(full) || len(lc.fields) > len(full) {
				t.Fatalf("record %d: %d fields (%d split) with a limit, %d without", k, lc.nfields, len(lc.fields), len(full))
			}
			for i, f := range lc.allFields() {
				if string(f) != full[i] {
					t.Fatalf("record %d field %d: %q with a limit, %q without", k, i, f, full[i])
				}
			}
		}
		if err != nil || backtick || crBreaks(in) {
			return // encoding/csv knows no CR breaks
		}
		cr := csv.NewReader(strings.NewReader(in))
		cr.FieldsPerRecord = -1
		var want []csvRec
		for {
			rec, err := cr.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				return
			}
			line, _ := cr.FieldPos(0)
			want = append(want, csvRec{line, rec})
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("input %q:\n got %q\nwant %q (encoding/csv)", in, got, want)
		}
	})
}

// crBreaks reports whether the reader takes in for a file of CR breaks.
func crBreaks(in string) bool {
	c := newCSVReader(strings.NewReader(in))
	c.next()
	_, ok := c.src.(*crToLF)
	return ok
}

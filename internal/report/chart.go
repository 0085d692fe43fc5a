package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// The summary's chart: the exceptions new and resolved on each of the last
// nights (Result.History), from the table above it.
//
// excelize writes a chart's references but not their cached values, and
// a file preview (the Finder's, Explorer's, a mail client's), which draws
// the chart from the file without calculating, then shows an empty chart.
// The chart's part is therefore patched as the package is saved (see
// splicer): each series gets its name, categories and values cached.

// chartPart is the part of the workbook's one chart.
const chartPart = "xl/charts/chart1.xml"

// chartSeries is a series of the chart with its cached values.
type chartSeries struct {
	name   string
	values []float64
}

// chartHeight returns the height in pixels of the chart.
func chartHeight() float64 { return 280 }

// chartWidth returns the width in pixels of the summary's columns A to E,
// so that the chart lines up with the history table (and leaves room to
// its right for nothing else).
func chartWidth() uint {
	px := 0.0
	for _, w := range summaryWidths[:5] {
		px += math.Trunc((w*7+5)/7*256)/256*7 + 5 // Excel's width-to-pixel rule for a 7-pixel digit
	}
	return uint(px) - 8
}

// addHistoryChart adds, at row, a column chart of the history table's new
// (column C) and resolved (column D) counts per night (column A), rows
// first to last under the header row.
func (s *summary) addHistoryChart(row, header, first, last int) error {
	ref := func(col string) string {
		return "'" + sheetSummary + "'!$" + col + "$" + strconv.Itoa(first) + ":$" + col + "$" + strconv.Itoa(last)
	}
	name := func(col string) string { return "'" + sheetSummary + "'!$" + col + "$" + strconv.Itoa(header) }
	var cats []float64 // the nights as date serials: the axis shows them as dates
	fresh, resolved := chartSeries{name: "新增"}, chartSeries{name: "已解决"}
	for _, n := range s.r.History {
		v, _ := serial(n.Date.Start())
		cats = append(cats, v)
		fresh.values = append(fresh.values, float64(n.New))
		resolved.values = append(resolved.values, float64(n.Resolved))
	}
	noVary := false
	if err := s.f.AddChart(sheetSummary, "A"+strconv.Itoa(row), &excelize.Chart{
		Type: excelize.Col,
		Series: []excelize.ChartSeries{
			{Name: name("C"), Categories: ref("A"), Values: ref("C"), Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"C55A11"}}},
			{Name: name("D"), Categories: ref("A"), Values: ref("D"), Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"70AD47"}}},
		},
		VaryColors: &noVary,
		Title:      excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: "近 14 晚：新增与已解决的异常（笔）", Font: &excelize.Font{Family: fontFamily, Size: 12, Bold: true}}}},
		Legend:     excelize.ChartLegend{Position: "top"},
		XAxis:      excelize.ChartAxis{NumFmt: excelize.ChartNumFmt{CustomNumFmt: chartDayFormat}, Font: excelize.Font{Family: fontFamily, Color: "262626", Size: 9}},
		YAxis:      excelize.ChartAxis{MajorGridLines: true, NumFmt: excelize.ChartNumFmt{CustomNumFmt: "0"}, Font: excelize.Font{Family: fontFamily, Color: "595959", Size: 9}},
		PlotArea:   excelize.ChartPlotArea{ShowVal: true},
		Dimension:  excelize.ChartDimension{Width: chartWidth(), Height: uint(chartHeight())},
		Format:     excelize.GraphicOptions{OffsetX: 4, OffsetY: 6},
	}); err != nil {
		return err
	}
	series := []chartSeries{fresh, resolved}
	if s.patch == nil {
		s.patch = map[string]func([]byte) ([]byte, error){}
	}
	s.patch[chartPart] = func(part []byte) ([]byte, error) { return chartCaches(part, series, cats) }
	return nil
}

// chartDayFormat shows the nights on the chart's axis.
const chartDayFormat = "mm-dd"

// chartCaches puts into excelize's chart part, series by series, the
// cached values of each series' name (tx), categories (cat) and values
// (val), where excelize leaves them out. The categories are the nights'
// date cells: a number reference (excelize writes a string reference),
// shown as dates.
func chartCaches(part []byte, series []chartSeries, cats []float64) ([]byte, error) {
	chunks := bytes.Split(part, []byte("<ser>"))
	if len(chunks)-1 != len(series) {
		return nil, fmt.Errorf("report: the chart has %d series, want %d", len(chunks)-1, len(series))
	}
	var out bytes.Buffer
	out.Write(chunks[0])
	for i, c := range chunks[1:] {
		s := series[i]
		for _, r := range []struct{ old, new string }{
			{"</f></strRef></tx>", "</f>" + strCache([]string{s.name}) + "</strRef></tx>"},
			{"<cat><strRef>", "<cat><numRef>"},
			{"</f></strRef></cat>", "</f>" + numCache(cats, chartDayFormat) + "</numRef></cat>"},
			{"<numCache><formatCode></formatCode></numCache>", numCache(s.values, "General")},
		} {
			if !bytes.Contains(c, []byte(r.old)) {
				return nil, fmt.Errorf("report: the chart's series %d has no %s", i+1, r.old)
			}
			c = bytes.Replace(c, []byte(r.old), []byte(r.new), 1)
		}
		out.WriteString("<ser>")
		out.Write(c)
	}
	return out.Bytes(), nil
}

func strCache(values []string) string {
	var b bytes.Buffer
	b.WriteString(`<strCache><ptCount val="` + strconv.Itoa(len(values)) + `"></ptCount>`)
	for i, v := range values {
		b.WriteString(`<pt idx="` + strconv.Itoa(i) + `"><v>`)
		_ = xml.EscapeText(&b, []byte(v))
		b.WriteString(`</v></pt>`)
	}
	b.WriteString(`</strCache>`)
	return b.String()
}

func numCache(values []float64, format string) string {
	var b bytes.Buffer
	b.WriteString(`<numCache><formatCode>` + format + `</formatCode><ptCount val="` + strconv.Itoa(len(values)) + `"></ptCount>`)
	for i, v := range values {
		b.WriteString(`<pt idx="` + strconv.Itoa(i) + `"><v>` + strconv.FormatFloat(v, 'f', -1, 64) + `</v></pt>`)
	}
	b.WriteString(`</numCache>`)
	return b.String()
}

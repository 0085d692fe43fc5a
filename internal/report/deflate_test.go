package report

import (
	"bytes"
	"compress/flate"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"testing"
)

func TestCRC32Combine(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range [][2]int{{0, 0}, {0, 5}, {5, 0}, {1, 1}, {3, 1000}, {70000, 3}, {12345, 678901}} {
		a, b := make([]byte, n[0]), make([]byte, n[1])
		for i := range a {
			a[i] = byte(rng.Uint32())
		}
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		want := crc32.ChecksumIEEE(append(append([]byte{}, a...), b...))
		if got := crc32Combine(crc32.ChecksumIEEE(a), crc32.ChecksumIEEE(b), int64(len(b))); got != want {
			t.Errorf("%v: combined %08x, want %08x", n, got, want)
		}
	}
}

// Pieces deflated apart and laid end to end are one stream: what the
// splicer writes for a list sheet's part.
func TestDeflatedPiecesConcatenate(t *testing.T) {
	var rows bytes.Buffer
	d := newDeflater(&rows)
	var plain bytes.Buffer
	for i := 0; i < 50_000; i++ {
		line := []byte(`<row r="` + string(rune('0'+i%10)) + `"><c t="inlineStr"><is><t>订单 2087654321098765432</t></is></c></row>`)
		plain.Write(line)
		if _, err := d.Write(line); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.close(); err != nil {
		t.Fatal(err)
	}
	if d.size != int64(plain.Len()) || d.crc != crc32.ChecksumIEEE(plain.Bytes()) || d.dst.n != int64(rows.Len()) {
		t.Fatalf("deflater counted %d bytes (crc %08x, %d compressed), want %d (%08x, %d)", d.size, d.crc, d.dst.n,
			plain.Len(), crc32.ChecksumIEEE(plain.Bytes()), rows.Len())
	}
	var p pieces
	head, crcHead, err := p.deflated([]byte("<worksheet><sheetData>"), false)
	if err != nil {
		t.Fatal(err)
	}
	tail, crcTail, err := p.deflated([]byte("</sheetData></worksheet>"), true)
	if err != nil {
		t.Fatal(err)
	}
	stream := append(append(append([]byte{}, head...), rows.Bytes()...), tail...)
	got, err := io.ReadAll(flate.NewReader(bytes.NewReader(stream)))
	if err != nil {
		t.Fatal(err)
	}
	want := "<worksheet><sheetData>" + plain.String() + "</sheetData></worksheet>"
	if string(got) != want {
		t.Fatalf("the stream inflates to %d bytes, want %d", len(got), len(want))
	}
	crc := crc32Combine(crc32Combine(crcHead, d.crc, d.size), crcTail, int64(len("</sheetData></worksheet>")))
	if crc != crc32.ChecksumIEEE([]byte(want)) {
		t.Errorf("combined CRC %08x, want %08x", crc, crc32.ChecksumIEEE([]byte(want)))
	}
}

package ingest

import (
	"archive/zip"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
)

// The custom document property by which the job marks its own workbook
// (package report writes it), so that the workbook is never taken for an
// export nor an export overwritten by a workbook.
const (
	GeneratorProperty = "ReconcileGenerator"
	Generator         = "reconcile"
)

// customPropsPart is where an XLSX keeps its custom document properties.
const customPropsPart = "docProps/custom.xml"

// maxPropsSize bounds how much of a custom properties part is read; the
// job writes a few hundred bytes.
const maxPropsSize = 1 << 20

// ErrNotWorkbook is wrapped by CustomProperties's error for a file that is
// not an XLSX workbook (not a zip).
var ErrNotWorkbook = errors.New("not an xlsx workbook")

// CustomProperties returns the string-valued custom document properties of
// the XLSX workbook at path; none for a workbook without them. It reads the
// zip directory and one small part only, so a large workbook costs no more
// than a small one. A file that is no zip is ErrNotWorkbook.
func CustomProperties(path string) (map[string]string, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		if errors.Is(err, zip.ErrFormat) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: %w", path, ErrNotWorkbook)
		}
		return nil, err
	}
	defer zr.Close()
	var part *zip.File
	for _, f := range zr.File {
		if f.Name == customPropsPart {
			part = f
			break
		}
	}
	if part == nil || part.UncompressedSize64 > maxPropsSize {
		return map[string]string{}, nil
	}
	rc, err := part.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: unreadable properties: %w", path, err)
	}
	defer rc.Close()
	var doc struct {
		Property []struct {
			Name   string `xml:"name,attr"`
			Lpwstr string `xml:"lpwstr"`
		} `xml:"property"`
	}
	if err := xml.NewDecoder(io.LimitReader(rc, maxPropsSize)).Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: unreadable properties: %w", path, err)
	}
	props := make(map[string]string, len(doc.Property))
	for _, p := range doc.Property {
		props[p.Name] = p.Lpwstr
	}
	return props, nil
}

// IsOwnWorkbook reports whether path is a workbook this job wrote.
func IsOwnWorkbook(path string) bool {
	props, err := CustomProperties(path)
	return err == nil && props[GeneratorProperty] == Generator
}

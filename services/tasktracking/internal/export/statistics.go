// Package export writes task statistics as files people open in a spreadsheet: CSV (UTF-8
// with a byte-order mark, which Excel needs to read Vietnamese) and XLSX.
package export

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"

	"github.com/xuri/excelize/v2"

	"github.com/parindex/platform/services/tasktracking/internal/app"
)

// Media types of the files.
const (
	MediaTypeCSV  = "text/csv; charset=utf-8"
	MediaTypeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)

// bom is the UTF-8 byte-order mark: without it Excel reads a CSV in the machine's code page
// and the diacritics come out garbled.
const bom = "\uFEFF"

// table returns the statistics as rows of cells: the heading, one row per group, the total.
// Numbers stay numbers so a spreadsheet can sum them.
func table(rep app.StatisticsReport, by app.Grouping) [][]any {
	first := map[app.Grouping]string{app.GroupByUnit: "Đơn vị chủ trì", app.GroupByDocument: "Văn bản", app.GroupByPeriod: "Kỳ"}[by]
	if first == "" {
		first = "Đơn vị chủ trì"
	}
	out := [][]any{{
		"STT", first, "Tổng số nhiệm vụ", "Hoàn thành đúng hạn", "Hoàn thành quá hạn",
		"Đang thực hiện trong hạn", "Đang thực hiện quá hạn", "Tỷ lệ hoàn thành (%)", "Tỷ lệ quá hạn (%)",
		fmt.Sprintf("Đạt chỉ tiêu hoàn thành ≥ %s %%", strconv.FormatFloat(rep.TargetPercent, 'f', -1, 64)),
	}}
	line := func(no any, r app.StatisticsRow) []any {
		met := "Không đạt"
		if r.MeetsTarget {
			met = "Đạt"
		}
		c := r.Counts
		return []any{no, r.Label, c.Total(), c.DoneOnTime, c.DoneLate, c.OpenWithinDeadline, c.OpenOverdue,
			r.CompletionRate, r.OverdueShare, met}
	}
	for i, r := range rep.Rows {
		out = append(out, line(i+1, r))
	}
	return append(out, line("", rep.Total))
}

// CSV writes the statistics as a comma-separated file, UTF-8 with a byte-order mark.
func CSV(rep app.StatisticsReport, by app.Grouping) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(bom)
	w := csv.NewWriter(&buf)
	for _, row := range table(rep, by) {
		rec := make([]string, len(row))
		for i, v := range row {
			switch v := v.(type) {
			case float64:
				rec[i] = strconv.FormatFloat(v, 'f', 2, 64)
			default:
				rec[i] = fmt.Sprint(v)
			}
		}
		if err := w.Write(rec); err != nil {
			return nil, fmt.Errorf("write csv: %w", err)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, fmt.Errorf("write csv: %w", err)
	}
	return buf.Bytes(), nil
}

// sheet is the name of the workbook's one sheet.
const sheet = "Thống kê nhiệm vụ"

// XLSX writes the statistics as a workbook with one sheet, the heading in bold.
func XLSX(rep app.StatisticsReport, by app.Grouping) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, fmt.Errorf("write xlsx: %w", err)
	}
	for i, row := range table(rep, by) {
		cell, err := excelize.CoordinatesToCellName(1, i+1)
		if err != nil {
			return nil, fmt.Errorf("write xlsx: %w", err)
		}
		if err := f.SetSheetRow(sheet, cell, &row); err != nil {
			return nil, fmt.Errorf("write xlsx row %d: %w", i+1, err)
		}
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return nil, fmt.Errorf("write xlsx: %w", err)
	}
	if err := f.SetRowStyle(sheet, 1, 1, bold); err != nil {
		return nil, fmt.Errorf("write xlsx: %w", err)
	}
	if err := f.SetColWidth(sheet, "B", "B", 60); err != nil {
		return nil, fmt.Errorf("write xlsx: %w", err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, fmt.Errorf("write xlsx: %w", err)
	}
	return buf.Bytes(), nil
}

// Package export writes task statistics as files people open in a spreadsheet: CSV (UTF-8
// with a byte-order mark, which Excel needs to read Vietnamese) and XLSX.
package export

import (
	"fmt"
	"strconv"

	"github.com/parindex/platform/services/kit/tabular"
	"github.com/parindex/platform/services/tasktracking/internal/app"
)

// Media types of the files.
const (
	MediaTypeCSV  = "text/csv; charset=utf-8"
	MediaTypeXLSX = tabular.MediaTypeXLSX
)

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
	rows := table(rep, by)
	records := make([][]string, len(rows))
	for r, row := range rows {
		records[r] = make([]string, len(row))
		for i, v := range row {
			switch v := v.(type) {
			case float64:
				records[r][i] = strconv.FormatFloat(v, 'f', 2, 64)
			default:
				records[r][i] = fmt.Sprint(v)
			}
		}
	}
	b, err := tabular.CSV(records)
	if err != nil {
		return nil, fmt.Errorf("write csv: %w", err)
	}
	return b, nil
}

// sheet is the name of the workbook's one sheet.
const sheet = "Thống kê nhiệm vụ"

// XLSX writes the statistics as a workbook with one sheet, the heading in bold.
func XLSX(rep app.StatisticsReport, by app.Grouping) ([]byte, error) {
	b, err := tabular.XLSX(tabular.Sheet{Name: sheet, Rows: table(rep, by),
		SheetOptions: tabular.SheetOptions{BoldHeader: true, Widths: map[int]float64{2: 60}}})
	if err != nil {
		return nil, fmt.Errorf("write xlsx: %w", err)
	}
	return b, nil
}

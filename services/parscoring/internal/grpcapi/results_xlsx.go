package grpcapi

import (
	"fmt"

	parscoringv1 "github.com/parindex/platform/proto/gen/go/par/parscoring/v1"
	"github.com/parindex/platform/services/kit/tabular"
)

// xlsxContentType is the media type of the exported workbooks.
const xlsxContentType = tabular.MediaTypeXLSX

// writeSheet writes a header and rows to a one-sheet workbook. Figures stay text with their
// two decimals, as published, so a spreadsheet never shows 88.6 for 88.60.
func writeSheet(sheet string, header []string, rows [][]any) ([]byte, error) {
	w := tabular.NewXLSXWriter()
	defer func() { _ = w.Close() }()
	if err := w.AddSheet(sheet, tabular.SheetOptions{}); err != nil {
		return nil, fmt.Errorf("xlsx: %w", err)
	}
	head := make([]any, len(header))
	for i, h := range header {
		head[i] = h
	}
	if err := w.WriteRow(head); err != nil {
		return nil, fmt.Errorf("xlsx: %w", err)
	}
	for _, row := range rows {
		if err := w.WriteRow(row); err != nil {
			return nil, fmt.Errorf("xlsx: %w", err)
		}
	}
	b, err := w.Bytes()
	if err != nil {
		return nil, fmt.Errorf("xlsx: %w", err)
	}
	return b, nil
}

// scorecardXLSX is a scorecard as a sheet: one row per node, Vietnamese headers.
func scorecardXLSX(c *parscoringv1.Scorecard) ([]byte, error) {
	header := []string{"Mã", "Tên lĩnh vực / tiêu chí", "Điểm", "Điểm tối đa", "Chỉ số (%)", "Điểm năm trước", "Tăng/giảm", "Xếp hạng", "Xếp hạng năm trước", "Tăng/giảm bậc", "Trung bình nhóm"}
	rows := [][]any{{"", "Tổng điểm — " + c.GetSubjectName(), c.GetTotal(), c.GetMaxPoints(), c.GetIndexPercent(), c.GetPreviousTotal(), c.GetTotalChange(), c.GetRank(), c.GetPreviousRank(), c.GetRankChange(), ""}}
	for _, n := range c.GetNodes() {
		rows = append(rows, []any{n.GetCode(), n.GetName(), n.GetScore(), n.GetMaxPoints(), n.GetIndexPercent(), n.GetPreviousScore(), n.GetScoreChange(), n.GetRank(), n.GetPreviousRank(), n.GetRankChange(), n.GetPeerMean()})
	}
	return writeSheet(fmt.Sprintf("Kết quả %d", c.GetSnapshot().GetYear()), header, rows)
}

// rankingXLSX is a ranking as a sheet.
func rankingXLSX(s *parscoringv1.ResultSnapshot, es []*parscoringv1.RankingEntry) ([]byte, error) {
	header := []string{"Nhóm", "Xếp hạng", "Đơn vị", "Điểm", "Điểm tối đa", "Chỉ số (%)", "Xếp loại", "Điểm năm trước", "Tăng/giảm", "Xếp hạng năm trước", "Tăng/giảm bậc"}
	rows := make([][]any, len(es))
	for i, e := range es {
		rows[i] = []any{e.GetPeerGroup(), e.GetRank(), e.GetSubjectName(), e.GetScore(), e.GetMaxPoints(), e.GetIndexPercent(), e.GetGrade(), e.GetPreviousScore(), e.GetScoreChange(), e.GetPreviousRank(), e.GetRankChange()}
	}
	return writeSheet(fmt.Sprintf("Xếp hạng %d", s.GetYear()), header, rows)
}

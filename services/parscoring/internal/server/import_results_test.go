package server_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/xuri/excelize/v2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/testing/protocmp"

	parscoringv1 "github.com/parindex/platform/proto/gen/go/par/parscoring/v1"
	"github.com/parindex/platform/services/kit/auth"
)

// The figures below are test data on the QĐ 2948 field maxima, not published results.
const goodCSV = `subject_code,subject_name,node_code,score,rank,rank_of
TQ,Tuyên Quang,,80.01,20,63
TQ,Tuyên Quang,1,8.00,,
TQ,Tuyên Quang,2,8.00,,
TQ,Tuyên Quang,3,12.00,5,63
TQ,Tuyên Quang,4,9.00,,
TQ,Tuyên Quang,5,13.00,,
TQ,Tuyên Quang,6,5.00,,
TQ,Tuyên Quang,7,13.00,,
TQ,Tuyên Quang,8,12.00,,
QN,Quảng Ninh,,90.10,1,63
`

// startImport starts the service with the QĐ 2948 set and returns the results client, the
// set's id and a fresh unit id for Tuyên Quang.
func startImport(t *testing.T) (h *harness, results parscoringv1.ResultsServiceClient, setID, tq string) {
	t.Helper()
	h = start(t)
	// The tests import 2016 and 2017 on the QĐ 2948 maxima: the set is dated 2016 so that
	// both years may use it.
	cs := qd2948(t)
	cs.Year = 2016
	set, err := h.client.CreateCriteriaSet(h.as(t, auth.RoleSecretariat), &parscoringv1.CreateCriteriaSetRequest{CriteriaSet: cs}, grpc.WaitForReady(true))
	if err != nil {
		t.Fatal(err)
	}
	return h, parscoringv1.NewResultsServiceClient(h.conn), set.GetCriteriaSet().GetId(), uuid.NewString()
}

func TestImportResults(t *testing.T) {
	h, results, setID, tq := startImport(t)
	req := func(year int32, format parscoringv1.FileFormat, content []byte, dry bool) *parscoringv1.ImportResultsRequest {
		return &parscoringv1.ImportResultsRequest{Year: year, CriteriaSetId: setID, Decision: "thử nghiệm", UnitId: tq,
			SubjectCode: "TQ", Format: format, Content: content, DryRun: dry}
	}

	t.Run("only the secretariat imports", func(t *testing.T) {
		_, err := results.ImportResults(h.asUnit(t, tq), req(2017, parscoringv1.FileFormat_FILE_FORMAT_CSV, []byte(goodCSV), true))
		if code(err) != codes.PermissionDenied {
			t.Errorf("err = %v, want PermissionDenied", err)
		}
	})

	t.Run("a file with bad rows is rejected whole, every problem listed", func(t *testing.T) {
		bad := `subject_code,subject_name,node_code,score,rank,rank_of
TQ,Tuyên Quang,1,8.005,,
TQ,Tuyên Quang,9,1.00,,
TQ,Tuyên Quang,3,15.00,,
TQ,Tuyên Quang,1,8.00,,
QN,Quảng Ninh,1,9.00,,
QN,Quảng Ninh,,90.10,64,63
,,,1,,
`
		for _, dry := range []bool{true, false} {
			res, err := results.ImportResults(h.as(t, auth.RoleSecretariat), req(2017, parscoringv1.FileFormat_FILE_FORMAT_CSV, []byte(bad), dry))
			if err != nil {
				t.Fatal(err)
			}
			want := []*parscoringv1.ImportProblem{
				{Row: 2, Column: "score", Message: "điểm phải là số có tối đa hai chữ số thập phân, ví dụ 14.50"},
				{Row: 3, Column: "node_code", Message: `bộ tiêu chí không có mục "9"`},
				{Row: 4, Column: "score", Message: "điểm 15.00 nằm ngoài khoảng 0 đến 14.50"},
				{Row: 5, Column: "node_code", Message: "trùng với dòng 2 (cùng đơn vị và mục)"},
				{Row: 6, Column: "node_code", Message: "chỉ nhập điểm từng mục cho đơn vị TQ; với đơn vị khác chỉ nhập tổng điểm (để trống mã mục)"},
				{Row: 7, Column: "rank_of", Message: "xếp hạng 64 lớn hơn tổng số 63"},
				{Row: 8, Column: "subject_code", Message: "cần mã đơn vị"},
				{Row: 0, Column: "subject_code", Message: "không có dòng tổng điểm (mã mục để trống) của đơn vị TQ"},
			}
			if diff := cmp.Diff(want, res.GetProblems(), protocmp.Transform()); diff != "" {
				t.Errorf("dry run %v: problems (-want +got):\n%s", dry, diff)
			}
			if res.GetSnapshot() != nil || res.GetRowCount() != 7 {
				t.Errorf("dry run %v: snapshot %v rows %d", dry, res.GetSnapshot(), res.GetRowCount())
			}
		}
		list, err := results.ListResultSnapshots(h.as(t, auth.RoleLeadership), &parscoringv1.ListResultSnapshotsRequest{})
		if err != nil || len(list.GetSnapshots()) != 0 {
			t.Errorf("nothing may be stored: %v %v", list, err)
		}
	})

	t.Run("a dry run of a good file stores nothing", func(t *testing.T) {
		res, err := results.ImportResults(h.as(t, auth.RoleSecretariat), req(2017, parscoringv1.FileFormat_FILE_FORMAT_CSV, []byte(goodCSV), true))
		if err != nil || len(res.GetProblems()) != 0 || res.GetSnapshot() != nil || res.GetRowCount() != 10 {
			t.Fatalf("dry run: %v %v", res, err)
		}
	})

	// 2016 from XLSX with Vietnamese headers, then 2017 from CSV.
	xlsx := excelize.NewFile()
	rows := [][]any{
		{"Mã đơn vị", "Tên đơn vị", "Mã mục", "Điểm", "Xếp hạng", "Trên tổng số"},
		{"TQ", "Tuyên Quang", "", "78.50", 30, 63},
		{"TQ", "Tuyên Quang", "3", "13.00", 2, 63},
		{"QN", "Quảng Ninh", "", "88.00", 3, 63},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := xlsx.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := xlsx.Write(&buf); err != nil {
		t.Fatal(err)
	}
	res, err := results.ImportResults(h.as(t, auth.RoleSecretariat), req(2016, parscoringv1.FileFormat_FILE_FORMAT_XLSX, buf.Bytes(), false))
	if err != nil || len(res.GetProblems()) != 0 || res.GetSnapshot() == nil {
		t.Fatalf("import 2016 xlsx: %v %v", res, err)
	}
	res, err = results.ImportResults(h.as(t, auth.RoleSecretariat), req(2017, parscoringv1.FileFormat_FILE_FORMAT_CSV, []byte(goodCSV), false))
	if err != nil || len(res.GetProblems()) != 0 || res.GetSnapshot().GetSource() != parscoringv1.ResultSource_RESULT_SOURCE_IMPORTED {
		t.Fatalf("import 2017: %v %v", res, err)
	}

	t.Run("figures are stored as published and compared with last year", func(t *testing.T) {
		card, err := results.GetPublishedScorecard(h.as(t), &parscoringv1.GetPublishedScorecardRequest{UnitId: tq, Year: 2017})
		if err != nil {
			t.Fatal(err)
		}
		sc := card.GetScorecard()
		// The parts add up to 80.00; the published total 80.01 is kept.
		if sc.GetTotal() != "80.01" || sc.GetRank() != 20 || sc.GetRankOf() != 63 || sc.GetPreviousRank() != 30 || sc.GetRankChange() != 10 ||
			sc.GetTotalChange() != "1.51" || sc.GetSubjectName() != "Tuyên Quang" {
			t.Errorf("scorecard: %v", sc)
		}
		n3 := sc.GetNodes()[2]
		if n3.GetScore() != "12.00" || n3.GetPreviousScore() != "13.00" || n3.GetRank() != 5 || n3.GetPreviousRank() != 2 || n3.GetRankChange() != -3 {
			t.Errorf("field 3: %v", n3)
		}
		ev := subjectEvents(t, h.js, 2017, 1)[tq]
		if ev.GetSource() != parscoringv1.ResultSource_RESULT_SOURCE_IMPORTED || ev.GetTotal() != "80.01" ||
			ev.GetNodeFigures().GetScores()[2] != 1200 || ev.GetNodeFigures().GetPreviousScores()[2] != 1300 {
			t.Errorf("event: %v", ev)
		}
		rk, err := results.ListPublishedRankings(h.as(t), &parscoringv1.ListPublishedRankingsRequest{Year: 2017, SubjectKind: "province"})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range rk.GetEntries() {
			got = append(got, strings.Join([]string{e.GetSubjectCode(), e.GetScore()}, ":"))
		}
		if diff := cmp.Diff([]string{"QN:90.10", "TQ:80.01"}, got); diff != "" {
			t.Errorf("ranking with context (-want +got):\n%s", diff)
		}
	})
}

// ministryWorkbook lays out results as the Ministry's published tables do: a title merged
// across the sheet, a header over two rows with "Kết quả" merged over "Điểm" and "Xếp hạng",
// a row numbering the columns, the province's name merged down over its rows, field codes
// as Roman numerals, comma decimals, a double stored with 17 digits, ranks written "20/63",
// and the national average after the data. score7 is the cell of field II.
func ministryWorkbook(t *testing.T, score7 any) []byte {
	t.Helper()
	f := excelize.NewFile()
	const sh = "Sheet1"
	set := func(cell string, v any) {
		if err := f.SetCellValue(sh, cell, v); err != nil {
			t.Fatal(err)
		}
	}
	merge := func(a, b string) {
		if err := f.MergeCell(sh, a, b); err != nil {
			t.Fatal(err)
		}
	}
	set("A1", "KẾT QUẢ CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM 2017 CỦA CÁC TỈNH, THÀNH PHỐ")
	merge("A1", "F1")
	for cell, v := range map[string]string{"A2": "STT", "B2": "Tỉnh, thành phố", "C2": "Lĩnh vực/tiêu chí", "D2": "Kết quả", "F2": "Ghi chú", "D3": "Điểm", "E3": "Xếp hạng"} {
		set(cell, v)
	}
	merge("A2", "A3")
	merge("B2", "B3")
	merge("C2", "C3")
	merge("D2", "E2")
	merge("F2", "F3")
	for i, c := range []string{"A4", "B4", "C4", "D4", "E4", "F4"} {
		set(c, fmt.Sprintf("(%d)", i+1))
	}
	set("A5", 1)
	set("B5", "Tuyên Quang")
	merge("B5", "B8")
	set("C5", "Tổng điểm")
	set("D5", "80,01")
	set("E5", "20/63")
	set("C6", "Lĩnh vực I")
	set("D6", 8)
	set("C7", "Lĩnh vực II")
	if v, ok := score7.(float64); ok {
		if err := f.SetCellFloat(sh, "D7", v, 17, 64); err != nil {
			t.Fatal(err)
		}
	} else {
		set("D7", score7)
	}
	set("C8", "Lĩnh vực III")
	set("D8", "12,00")
	set("E8", "05")
	set("A9", 2)
	set("B9", "Quảng Ninh")
	set("C9", "Tổng điểm")
	set("D9", 90.1)
	set("E9", "1/63")
	set("A10", "Trung bình cả nước")
	merge("A10", "C10")
	set("D10", "84,79")
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestImportResultsReadsTheMinistryWorkbook(t *testing.T) {
	h, results, setID, tq := startImport(t)
	req := func(content []byte, dry bool) *parscoringv1.ImportResultsRequest {
		return &parscoringv1.ImportResultsRequest{Year: 2017, CriteriaSetId: setID, Decision: "thử nghiệm", UnitId: tq,
			SubjectCode: "Tuyên Quang", Format: parscoringv1.FileFormat_FILE_FORMAT_XLSX, Content: content, DryRun: dry}
	}

	// 7,855 has three digits after the comma: decimals or thousands? Refused, row and
	// column named as the sheet shows them, and nothing stored even on a real import.
	res, err := results.ImportResults(h.as(t, auth.RoleSecretariat), req(ministryWorkbook(t, "7,855"), false))
	if err != nil {
		t.Fatal(err)
	}
	want := []*parscoringv1.ImportProblem{{Row: 7, Column: "Điểm", Message: `số "7,855" có ba chữ số sau dấu phẩy: không rõ là phần thập phân hay dấu phân cách hàng nghìn`}}
	if diff := cmp.Diff(want, res.GetProblems(), protocmp.Transform()); diff != "" || res.GetSnapshot() != nil {
		t.Errorf("ambiguous cell (-want +got):\n%s\nsnapshot %v", diff, res.GetSnapshot())
	}
	if list, err := results.ListResultSnapshots(h.as(t, auth.RoleLeadership), &parscoringv1.ListResultSnapshotsRequest{}); err != nil || len(list.GetSnapshots()) != 0 {
		t.Fatalf("nothing may be stored: %v %v", list, err)
	}

	good := ministryWorkbook(t, 7.85)
	res, err = results.ImportResults(h.as(t, auth.RoleSecretariat), req(good, true))
	if err != nil || len(res.GetProblems()) != 0 || res.GetRowCount() != 5 || res.GetSnapshot() != nil {
		t.Fatalf("dry run: %v %v", res, err)
	}
	if res, err = results.ImportResults(h.as(t, auth.RoleSecretariat), req(good, false)); err != nil || len(res.GetProblems()) != 0 {
		t.Fatalf("import: %v %v", res, err)
	}
	card, err := results.GetPublishedScorecard(h.as(t), &parscoringv1.GetPublishedScorecardRequest{UnitId: tq, Year: 2017})
	if err != nil {
		t.Fatal(err)
	}
	sc := card.GetScorecard()
	if sc.GetTotal() != "80.01" || sc.GetRank() != 20 || sc.GetRankOf() != 63 || sc.GetSubjectName() != "Tuyên Quang" {
		t.Errorf("scorecard: %v", sc)
	}
	var scores []string
	for _, n := range sc.GetNodes()[:3] {
		scores = append(scores, n.GetScore())
	}
	if diff := cmp.Diff([]string{"8.00", "7.85", "12.00"}, scores); diff != "" || sc.GetNodes()[2].GetRank() != 5 {
		t.Errorf("fields (-want +got):\n%s\nfield III: %v", diff, sc.GetNodes()[2])
	}
	got := provinceRanking2017(t, h, results)
	// The national average is no province.
	if diff := cmp.Diff([]string{"1:Quảng Ninh:90.10", "20:Tuyên Quang:80.01"}, got); diff != "" {
		t.Errorf("ranking (-want +got):\n%s", diff)
	}
}

// The Ministry publishes the index as percent-formatted cells (stored 0.8001, shown
// "80,01%") and a workbook may keep a sheet hidden in front of the table. The import reads
// the first visible sheet and the index as shown: checked against the points where both
// are given, taken as the points where only the index is (the maximum is 100).
func TestImportResultsReadsPercentCellsOnTheFirstVisibleSheet(t *testing.T) {
	h, results, setID, tq := startImport(t)
	f := excelize.NewFile()
	defer f.Close()
	const hidden, sh = "Sheet1", "Chỉ số PAR INDEX"
	idx, err := f.NewSheet(sh)
	if err != nil {
		t.Fatal(err)
	}
	f.SetActiveSheet(idx) // excelize keeps the active sheet visible
	// Read, the hidden sheet would be a file without the needed columns.
	if err := f.SetCellValue(hidden, "A1", "dữ liệu làm việc"); err != nil {
		t.Fatal(err)
	}
	if err := f.SetSheetVisible(hidden, false); err != nil {
		t.Fatal(err)
	}
	style := func(s *excelize.Style) int {
		id, err := f.NewStyle(s)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	custom := "0.00%"
	rows := []struct {
		values []any
		style  int // of the index cell D
	}{
		{[]any{"Mã tỉnh", "Tỉnh, thành phố", "Điểm", "Chỉ số (%)", "Xếp hạng", "Tổng số"}, 0},
		{[]any{"TQ", "Tuyên Quang", 80.01, 0.8001, 20, 63}, style(&excelize.Style{NumFmt: 10})},
		// Shown "90%" by built-in format 9; the stored 90.10% is what was published.
		{[]any{"QN", "Quảng Ninh", nil, 0.901, 1, 63}, style(&excelize.Style{NumFmt: 9})},
		{[]any{"HN", "Hà Nội", nil, 0.8532, 5, 63}, style(&excelize.Style{CustomNumFmt: &custom})},
	}
	for i, r := range rows {
		if err := f.SetSheetRow(sh, fmt.Sprintf("A%d", i+1), &r.values); err != nil {
			t.Fatal(err)
		}
		if cell := fmt.Sprintf("D%d", i+1); r.style != 0 {
			if err := f.SetCellStyle(sh, cell, cell, r.style); err != nil {
				t.Fatal(err)
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	req := func(dry bool) *parscoringv1.ImportResultsRequest {
		return &parscoringv1.ImportResultsRequest{Year: 2017, CriteriaSetId: setID, Decision: "thử nghiệm", UnitId: tq,
			SubjectCode: "TQ", Format: parscoringv1.FileFormat_FILE_FORMAT_XLSX, Content: buf.Bytes(), DryRun: dry}
	}
	res, err := results.ImportResults(h.as(t, auth.RoleSecretariat), req(true))
	if err != nil || len(res.GetProblems()) != 0 || res.GetRowCount() != 3 || res.GetSnapshot() != nil {
		t.Fatalf("dry run: %v %v", res, err)
	}
	if res, err = results.ImportResults(h.as(t, auth.RoleSecretariat), req(false)); err != nil || len(res.GetProblems()) != 0 {
		t.Fatalf("import: %v %v", res, err)
	}
	got := provinceRanking2017(t, h, results)
	if diff := cmp.Diff([]string{"1:Quảng Ninh:90.10", "5:Hà Nội:85.32", "20:Tuyên Quang:80.01"}, got); diff != "" {
		t.Errorf("ranking (-want +got):\n%s", diff)
	}
}

// provinceRanking2017 lists the published 2017 province ranking as "rank:name:score".
func provinceRanking2017(t *testing.T, h *harness, results parscoringv1.ResultsServiceClient) []string {
	t.Helper()
	rk, err := results.ListPublishedRankings(h.as(t), &parscoringv1.ListPublishedRankingsRequest{Year: 2017, SubjectKind: "province"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range rk.GetEntries() {
		got = append(got, fmt.Sprintf("%d:%s:%s", e.GetRank(), e.GetSubjectName(), e.GetScore()))
	}
	return got
}

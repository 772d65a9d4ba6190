package server_test

import (
	"bytes"
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

func TestImportResults(t *testing.T) {
	h := start(t)
	results := parscoringv1.NewResultsServiceClient(h.conn)
	set, err := h.client.CreateCriteriaSet(h.as(t, auth.RoleSecretariat), &parscoringv1.CreateCriteriaSetRequest{CriteriaSet: qd2948(t)}, grpc.WaitForReady(true))
	if err != nil {
		t.Fatal(err)
	}
	tq := uuid.NewString()
	req := func(year int32, format parscoringv1.FileFormat, content []byte, dry bool) *parscoringv1.ImportResultsRequest {
		return &parscoringv1.ImportResultsRequest{Year: year, CriteriaSetId: set.GetCriteriaSet().GetId(), Decision: "thử nghiệm", UnitId: tq,
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

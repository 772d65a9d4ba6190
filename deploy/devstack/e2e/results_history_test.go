package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/parindex/platform/deploy/devstack/demo"
)

// The Ministry's published PAR INDEX of 2022 and 2023 (DOMAIN.md "Reference facts"), each
// year in a shape a province would receive it: 2022 as a ranking with a title, the index
// in percent with comma decimals, ranks written "3/63" and the national average as a last
// row; 2023 with a byte-order mark, a "Tổng điểm" node column, a non-breaking space after a
// figure and the group size in its own column. Provinces are named, not coded, in both.
const (
	published2022 = "\"KẾT QUẢ CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM 2022 CỦA CÁC TỈNH, THÀNH PHỐ TRỰC THUỘC TRUNG ƯƠNG\",,,\n" +
		"STT,\"Tỉnh, thành phố\",Chỉ số (%),Xếp hạng\n" +
		"1,Quảng Ninh,\"90,10\",1/63\n" +
		"2,Hải Phòng,\"90,09\",2/63\n" +
		"3,Hà Nội,\"89,58\",3/63\n" +
		"4,Sơn La,\"86,78\",13/63\n" +
		"5,Đồng Nai,\"82,92\",51/63\n" +
		"6,Lạng Sơn,\"81,45\",54/63\n" +
		",Trung bình cả nước,\"84,79\",\n"
	published2023 = "\ufeffTT,Tỉnh/thành phố,Lĩnh vực/tiêu chí,Điểm đạt được,Thứ hạng,Trên tổng số\n" +
		"1,Quảng Ninh,Tổng điểm,92.18,1,63\n" +
		"2,Hà Nội,Tổng điểm,91.43\u00a0,3,63\n" +
		"3,Bắc Giang,Tổng điểm,91.16,4,63\n" +
		"4,Bà Rịa - Vũng Tàu,Tổng điểm,91.03,5,63\n" +
		"5,Ninh Bình,Tổng điểm,88.72,11,63\n" +
		"6,Nam Định,Tổng điểm,87.32,29,63\n" +
		"7,Đồng Nai,Tổng điểm,87.04,32,63\n" +
		",Trung bình,,86.98,,\n"
)

// TestPublishedResultsAcrossYears imports two years of the Ministry's published results
// over REST, as the secretariat would, and reads the province's scorecard, history and the
// rankings back: every figure must be the published one, and every year-on-year change the
// difference of two published figures.
func TestPublishedResultsAcrossYears(t *testing.T) {
	p := startPlatform(t)
	setID, err := demo.LoadMethodologies(t.Context(), discard, p.loaderConn(t, "parscoring"))
	if err != nil || setID == "" {
		t.Fatalf("methodologies: %q %v", setID, err)
	}
	var unit unitJSON
	if st := p.do(t, http.MethodPost, "/v1/units", p.token, map[string]any{
		"code": "HN", "name": "Ủy ban nhân dân thành phố Hà Nội", "short_name": "UBND thành phố Hà Nội", "kind": "province", "level": "province",
	}, nil, &unit); st != http.StatusOK {
		t.Fatalf("create Hà Nội: HTTP %d", st)
	}
	hanoi := unit.Unit.ID

	type problem struct {
		Row     int    `json:"row"`
		Column  string `json:"column"`
		Message string `json:"message"`
	}
	type importOut struct {
		Problems []problem `json:"problems"`
		RowCount int       `json:"row_count"`
		Snapshot *struct {
			ID string `json:"id"`
		} `json:"snapshot"`
	}
	importYear := func(year int, content string, dry bool) importOut {
		t.Helper()
		var out importOut
		if st := p.do(t, http.MethodPost, "/v1/result-snapshots:import", p.token, map[string]any{
			"year": year, "criteria_set_id": setID, "unit_id": hanoi, "subject_code": "Hà Nội",
			"decision": "Công bố Chỉ số CCHC năm " + fmt.Sprint(year), "format": "FILE_FORMAT_CSV", "content": []byte(content), "dry_run": dry,
		}, nil, &out); st != http.StatusOK {
			t.Fatalf("import %d: HTTP %d", year, st)
		}
		return out
	}

	// A dry run reads the published shape: six provinces, the national average is no row.
	if out := importYear(2022, published2022, true); len(out.Problems) > 0 || out.RowCount != 6 || out.Snapshot != nil {
		t.Fatalf("dry run 2022: %+v", out)
	}
	// A figure with two readings is refused, named by the row and header the file shows,
	// and nothing is stored.
	bad := strings.Replace(published2023, "91.43\u00a0", "\"91,430\"", 1)
	want := []problem{{Row: 3, Column: "Điểm đạt được", Message: `số "91,430" có ba chữ số sau dấu phẩy: không rõ là phần thập phân hay dấu phân cách hàng nghìn`}}
	if out := importYear(2023, bad, false); !cmp.Equal(want, out.Problems) || out.Snapshot != nil {
		t.Fatalf("ambiguous 2023: %+v", out)
	}
	for year, content := range map[int]string{2022: published2022, 2023: published2023} {
		if out := importYear(year, content, false); len(out.Problems) > 0 || out.Snapshot == nil {
			t.Fatalf("import %d: %+v", year, out)
		}
	}

	var card struct {
		Scorecard struct {
			Total         string `json:"total"`
			MaxPoints     string `json:"max_points"`
			IndexPercent  string `json:"index_percent"`
			Grade         string `json:"grade"`
			Rank          int    `json:"rank"`
			RankOf        int    `json:"rank_of"`
			PreviousTotal string `json:"previous_total"`
			TotalChange   string `json:"total_change"`
			PreviousRank  int    `json:"previous_rank"`
			RankChange    int    `json:"rank_change"`
		} `json:"scorecard"`
	}
	if st := p.do(t, http.MethodGet, "/v1/units/"+hanoi+"/scorecards/2023", p.token, nil, nil, &card); st != http.StatusOK {
		t.Fatalf("scorecard: HTTP %d", st)
	}
	// Hà Nội: 89.58, 3rd of 63 in 2022 → 91.43, 3rd in 2023.
	c := card.Scorecard
	if c.Total != "91.43" || c.MaxPoints != "100.00" || c.IndexPercent != "91.43" || c.Grade != "A" || c.Rank != 3 || c.RankOf != 63 ||
		c.PreviousTotal != "89.58" || c.TotalChange != "1.85" || c.PreviousRank != 3 || c.RankChange != 0 {
		t.Errorf("scorecard 2023 = %+v", c)
	}

	var hist struct {
		Points []struct {
			Year         int    `json:"year"`
			Score        string `json:"score"`
			IndexPercent string `json:"index_percent"`
			Rank         int    `json:"rank"`
			RankOf       int    `json:"rank_of"`
			Source       string `json:"source"`
		} `json:"points"`
	}
	if st := p.do(t, http.MethodGet, "/v1/units/"+hanoi+"/result-history", p.token, nil, nil, &hist); st != http.StatusOK {
		t.Fatalf("history: HTTP %d", st)
	}
	var series []string
	for _, pt := range hist.Points {
		series = append(series, fmt.Sprintf("%d %s %s%% %d/%d %s", pt.Year, pt.Score, pt.IndexPercent, pt.Rank, pt.RankOf, pt.Source))
	}
	if diff := cmp.Diff([]string{"2022 89.58 89.58% 3/63 RESULT_SOURCE_IMPORTED", "2023 91.43 91.43% 3/63 RESULT_SOURCE_IMPORTED"}, series); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}

	// The rankings keep every published province with its published rank, and compare each
	// with its own figure of the year before where it was published.
	ranking := func(year int) []string {
		t.Helper()
		var rk struct {
			Entries []struct {
				Rank          int    `json:"rank"`
				RankOf        int    `json:"rank_of"`
				SubjectName   string `json:"subject_name"`
				Score         string `json:"score"`
				PreviousScore string `json:"previous_score"`
				ScoreChange   string `json:"score_change"`
				RankChange    int    `json:"rank_change"`
			} `json:"entries"`
		}
		if st := p.do(t, http.MethodGet, fmt.Sprintf("/v1/published/rankings/%d/province", year), "", nil, nil, &rk); st != http.StatusOK {
			t.Fatalf("ranking %d: HTTP %d", year, st)
		}
		var out []string
		for _, e := range rk.Entries {
			out = append(out, fmt.Sprintf("%d/%d %s %s (%s, %+d)", e.Rank, e.RankOf, e.SubjectName, e.Score, e.ScoreChange, e.RankChange))
		}
		return out
	}
	want2023 := []string{
		"1/63 Quảng Ninh 92.18 (2.08, +0)",
		"3/63 Hà Nội 91.43 (1.85, +0)",
		"4/63 Bắc Giang 91.16 (, +0)",
		"5/63 Bà Rịa - Vũng Tàu 91.03 (, +0)",
		"11/63 Ninh Bình 88.72 (, +0)",
		"29/63 Nam Định 87.32 (, +0)",
		"32/63 Đồng Nai 87.04 (4.12, +19)", // 82.92, 51st in 2022
	}
	if diff := cmp.Diff(want2023, ranking(2023)); diff != "" {
		t.Errorf("ranking 2023 (-want +got):\n%s", diff)
	}
	want2022 := []string{
		"1/63 Quảng Ninh 90.10 (, +0)",
		"2/63 Hải Phòng 90.09 (, +0)",
		"3/63 Hà Nội 89.58 (, +0)",
		"13/63 Sơn La 86.78 (, +0)",
		"51/63 Đồng Nai 82.92 (, +0)",
		"54/63 Lạng Sơn 81.45 (, +0)",
	}
	if diff := cmp.Diff(want2022, ranking(2022)); diff != "" {
		t.Errorf("ranking 2022 (-want +got):\n%s", diff)
	}
}

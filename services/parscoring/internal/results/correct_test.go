package results

import (
	"errors"
	"slices"
	"testing"

	"github.com/parindex/platform/services/parscoring/internal/methodology"
)

func TestCorrect(t *testing.T) {
	p := methodology.MustParsePoints
	set := methodology.CriteriaSet{ID: "s", Year: 2024, SubjectKind: "district", MaxPoints: p("10"),
		Nodes: []methodology.Node{
			{Code: "1", Name: "Lĩnh vực 1", MaxPoints: p("10")},
			{Code: "1.1", ParentCode: "1", Name: "a", MaxPoints: p("5")},
			{Code: "1.2", ParentCode: "1", Name: "b", MaxPoints: p("5")},
			{Code: "K", Name: "Điểm khuyến khích", MaxPoints: p("1"), Bonus: true},
		}}
	old, err := Compute(set, []SubjectInput{
		{UnitID: "x", Name: "Huyện X", Scores: []ItemScore{{"1.1", p("5")}, {"1.2", p("4")}, {"K", p("0.5")}}},
		{UnitID: "y", Name: "Huyện Y", Scores: []ItemScore{{"1.1", p("4.5")}, {"1.2", p("4")}}},
		{UnitID: "z", Name: "Huyện Z", Scores: []ItemScore{{"1.1", p("4")}, {"1.2", p("3.5")}}},
	}, []Grade{{"Tốt", 9000}, {"Khá", 0}})
	if err != nil {
		t.Fatal(err)
	}
	old.ID, old.Year, old.Decision = "v1", 2024, "10/QĐ-UBND"

	// y's 1.2 was mis-entered (4 instead of 5): y now ties x at 9.50 (x counts its bonus).
	c := Correction{Reason: "Đính chính theo Quyết định 35/QĐ-UBND", Actor: "snv.cv01",
		Subjects: []CorrectedSubject{{UnitID: "y", Scores: []ItemScore{{"1.2", p("5")}, {"1.1", p("4.5")}}}}}
	got, err := Correct(&old, set, c)
	if err != nil {
		t.Fatal(err)
	}
	x, y, z := got.Subjects[0], got.Subjects[1], got.Subjects[2]
	if y.Total != p("9.5") || y.Scores[2] != p("5") || x.Total != p("9.5") || x.Rank != 1 || y.Rank != 1 || z.Rank != 3 {
		t.Errorf("totals x %s y %s, ranks x %d y %d z %d", x.Total, y.Total, x.Rank, y.Rank, z.Rank)
	}
	// The snapshot's own grade groups are kept: 95 % is "Tốt".
	if y.Grade != "Tốt" || old.Subjects[1].Grade != "Khá" {
		t.Errorf("grades: new %q, old %q", y.Grade, old.Subjects[1].Grade)
	}
	if got.Version != 2 || got.SupersedesID != "v1" || got.Decision != "10/QĐ-UBND" || got.Year != 2024 ||
		got.CorrectedBy != "snv.cv01" || !slices.Equal(got.CorrectedUnits, []string{"y"}) {
		t.Errorf("version %d supersedes %q decision %q year %d by %q units %v", got.Version, got.SupersedesID, got.Decision, got.Year, got.CorrectedBy, got.CorrectedUnits)
	}
	// The old version is untouched.
	if old.Subjects[1].Total != p("8.5") || old.Subjects[1].Rank != 2 {
		t.Errorf("old y changed: %+v", old.Subjects[1])
	}

	t.Run("problems", func(t *testing.T) {
		_, err := Correct(&old, set, Correction{Subjects: []CorrectedSubject{
			{UnitID: "w", Scores: []ItemScore{{"1.1", p("1")}}},
			{UnitID: "x", Scores: []ItemScore{{"1", p("1")}, {"1.1", p("6")}}},
		}})
		var v methodology.ValidationErrors
		errors.As(err, &v)
		var fields []string
		for _, e := range v {
			fields = append(fields, e.Field)
		}
		want := []string{"reason", "subjects[0].unit_id", "subjects[1].scores[0].code", "subjects[1].scores[1].score"}
		if !slices.Equal(fields, want) {
			t.Errorf("fields = %v, want %v", fields, want)
		}
		_, err = Correct(&old, set, Correction{Reason: "x", Subjects: []CorrectedSubject{{UnitID: "x", Scores: []ItemScore{{"1.1", p("5")}}}}})
		if !errors.As(err, &v) || v[0].Field != "subjects" {
			t.Errorf("no change: %v", err)
		}
	})
	t.Run("only the latest computed version", func(t *testing.T) {
		superseded := old
		superseded.SupersededByID = "v2"
		if _, err := Correct(&superseded, set, c); !errors.Is(err, ErrSuperseded) {
			t.Errorf("superseded: %v", err)
		}
		imported := old
		imported.Source = SourceImported
		if _, err := Correct(&imported, set, c); !errors.Is(err, ErrNotCorrectable) {
			t.Errorf("imported: %v", err)
		}
	})
}

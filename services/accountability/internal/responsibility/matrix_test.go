package responsibility

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Directory ids of the units of the default matrix of 002 Art. 15, made up for the tests.
const (
	province   = "0190a000-0000-7000-8000-000000000001"
	homeAffair = "0190a000-0000-7000-8000-000000000010" // Sở Nội vụ
	justice    = "0190a000-0000-7000-8000-000000000011" // Sở Tư pháp
	ppcOffice  = "0190a000-0000-7000-8000-000000000012" // Văn phòng UBND tỉnh
	finance    = "0190a000-0000-7000-8000-000000000013" // Sở Tài chính
	infoComm   = "0190a000-0000-7000-8000-000000000014" // Sở Thông tin và Truyền thông
	planInvest = "0190a000-0000-7000-8000-000000000015" // Sở Kế hoạch và Đầu tư
	taxDept    = "0190a000-0000-7000-8000-000000000016" // Cục Thuế tỉnh
)

// defaultMatrix is Art. 15 laid on the fields of QĐ 2948 (1 direction, 2 legal documents,
// 3 procedures, 4 organisation, 5 civil servants, 6 public finance, 7 modernisation,
// 8 impact), plus one criterion the province gave to another owner.
func defaultMatrix() Matrix {
	return Matrix{
		ProvinceUnitID: province,
		Year:           2024,
		UnitsOwnIndex:  true,
		Entries: []Entry{
			{NodeCode: "1", OwnerUnitID: homeAffair},
			{NodeCode: "2", OwnerUnitID: justice},
			{NodeCode: "3", OwnerUnitID: ppcOffice},
			{NodeCode: "3.2", OwnerUnitID: justice, CooperatingUnitIDs: []string{ppcOffice}},
			{NodeCode: "4", OwnerUnitID: homeAffair},
			{NodeCode: "5", OwnerUnitID: homeAffair},
			{NodeCode: "6", OwnerUnitID: finance},
			{NodeCode: "7", OwnerUnitID: infoComm},
			{NodeCode: "8", OwnerUnitID: planInvest, CooperatingUnitIDs: []string{finance, taxDept}},
		},
	}
}

func TestResolve(t *testing.T) {
	m, err := NewMatrix(defaultMatrix())
	if err != nil {
		t.Fatalf("NewMatrix: %v", err)
	}
	tests := []struct {
		code string
		want Assignment
	}{
		{"3", Assignment{NodeCode: "3", ListedCode: "3", OwnerUnitID: ppcOffice}},
		{"3.1", Assignment{NodeCode: "3.1", ListedCode: "3", OwnerUnitID: ppcOffice}},
		{"3.1.2", Assignment{NodeCode: "3.1.2", ListedCode: "3", OwnerUnitID: ppcOffice}},
		{"3.2", Assignment{NodeCode: "3.2", ListedCode: "3.2", OwnerUnitID: justice, CooperatingUnitIDs: []string{ppcOffice}}},
		{"3.2.1", Assignment{NodeCode: "3.2.1", ListedCode: "3.2", OwnerUnitID: justice, CooperatingUnitIDs: []string{ppcOffice}}},
		{"8.1.a", Assignment{NodeCode: "8.1.a", ListedCode: "8", OwnerUnitID: planInvest, CooperatingUnitIDs: []string{finance, taxDept}}},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			got, err := m.Resolve(tt.code)
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Resolve(%q) (-want +got):\n%s", tt.code, diff)
			}
			if got.Inherited() != (tt.code != got.ListedCode) {
				t.Errorf("Inherited() = %v", got.Inherited())
			}
		})
	}
}

func TestResolveUnassigned(t *testing.T) {
	m, err := NewMatrix(defaultMatrix())
	if err != nil {
		t.Fatalf("NewMatrix: %v", err)
	}
	// "31" is not under "3": prefixes are whole dotted segments.
	for _, code := range []string{"9", "9.1", "31", "31.1", ""} {
		if got, err := m.Resolve(code); !errors.Is(err, ErrUnassigned) {
			t.Errorf("Resolve(%q) = %+v, %v; want ErrUnassigned", code, got, err)
		}
	}
}

func TestNewMatrixNormalises(t *testing.T) {
	draft := defaultMatrix()
	draft.ProvinceUnitID = " " + strings.ToUpper(province) + " "
	draft.Entries[0].NodeCode = " 1 "
	m, err := NewMatrix(draft)
	if err != nil {
		t.Fatalf("NewMatrix: %v", err)
	}
	if m.ProvinceUnitID != province || m.Entries[0].NodeCode != "1" {
		t.Errorf("not normalised: %q %q", m.ProvinceUnitID, m.Entries[0].NodeCode)
	}
	if draft.Entries[0].NodeCode != " 1 " {
		t.Error("NewMatrix modified the draft's entries")
	}
	want := []string{province, homeAffair, justice, ppcOffice, finance, infoComm, planInvest, taxDept}
	if diff := cmp.Diff(want, m.UnitIDs()); diff != "" {
		t.Errorf("UnitIDs (-want +got):\n%s", diff)
	}
}

func TestNewMatrixReportsEveryProblem(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Matrix)
		want []string
	}{
		{"header", func(m *Matrix) { m.ProvinceUnitID = "tinh"; m.Year = 1999 }, []string{"province_unit_id", "year"}},
		{"no entries", func(m *Matrix) { m.Entries = nil }, []string{"entries"}},
		{"codes", func(m *Matrix) {
			m.Entries[1].NodeCode = ""
			m.Entries[2].NodeCode = "3..1"
			m.Entries[4].NodeCode = "1"
		}, []string{"entries[1].node_code", "entries[2].node_code", "entries[4].node_code"}},
		{"owner", func(m *Matrix) { m.Entries[0].OwnerUnitID = "" }, []string{"entries[0].owner_unit_id"}},
		{"cooperating", func(m *Matrix) {
			m.Entries[8].CooperatingUnitIDs = []string{finance, planInvest, "x", finance}
		}, []string{"entries[8].cooperating_unit_ids[1]", "entries[8].cooperating_unit_ids[2]", "entries[8].cooperating_unit_ids[3]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			draft := defaultMatrix()
			tt.edit(&draft)
			_, err := NewMatrix(draft)
			if diff := cmp.Diff(tt.want, fields(t, err)); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewMatrixOwnerAmongCooperating(t *testing.T) {
	draft := defaultMatrix()
	draft.Entries[8].CooperatingUnitIDs = []string{finance, planInvest}
	_, err := NewMatrix(draft)
	var ve ValidationErrors
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v", err)
	}
	want := ValidationErrors{{Field: "entries[8].cooperating_unit_ids[1]", Reason: "đơn vị chủ trì không đồng thời là đơn vị phối hợp"}}
	if diff := cmp.Diff(want, ve); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestCheckUnitsExist(t *testing.T) {
	m, err := NewMatrix(defaultMatrix())
	if err != nil {
		t.Fatal(err)
	}
	if err := m.CheckUnitsExist(func(string) bool { return true }); err != nil {
		t.Errorf("all exist: %v", err)
	}
	// Finance is missing: it owns field 6 and cooperates on field 8.
	err = m.CheckUnitsExist(func(id string) bool { return id != finance && id != province })
	want := []string{"province_unit_id", "entries[6].owner_unit_id", "entries[8].cooperating_unit_ids[0]"}
	if diff := cmp.Diff(want, fields(t, err)); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
}

func fields(t *testing.T, err error) []string {
	t.Helper()
	var ve ValidationErrors
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want ValidationErrors", err)
	}
	got := make([]string, len(ve))
	for i, e := range ve {
		got[i] = e.Field
	}
	return got
}

package directory

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/parindex/platform/services/kit/vntime"
)

func day(t *testing.T, iso string) vntime.Date {
	t.Helper()
	d, err := vntime.ParseISO(iso)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// fields returns the fields named by a validation error, in order.
func fields(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	v, ok := AsValidation(err)
	if !ok {
		t.Fatalf("error %v is not a validation error", err)
	}
	out := make([]string, len(v))
	for i, e := range v {
		out[i] = e.Field
	}
	return out
}

func TestUnitValidate(t *testing.T) {
	valid := Unit{Code: "SNV", Name: "Sở Nội vụ", Kind: "department", Level: "province"}
	tests := []struct {
		name   string
		edit   func(u *Unit)
		fields []string
	}{
		{"valid", func(*Unit) {}, nil},
		{"every missing field reported at once", func(u *Unit) { *u = Unit{} }, []string{"code", "name", "kind", "level"}},
		{"code with a space", func(u *Unit) { u.Code = "S NV" }, []string{"code"}},
		{"code with diacritics", func(u *Unit) { u.Code = "SỞ" }, []string{"code"}},
		{"own parent", func(u *Unit) { u.ID, u.ParentID = "a", "a" }, []string{"parent_id"}},
		{"valid_to before valid_from", func(u *Unit) {
			u.ValidFrom, u.ValidTo = day(t, "2020-01-02"), day(t, "2020-01-01")
		}, []string{"valid_to"}},
		{"one-day unit", func(u *Unit) {
			u.ValidFrom, u.ValidTo = day(t, "2020-01-01"), day(t, "2020-01-01")
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := valid
			tt.edit(&u)
			if diff := cmp.Diff(tt.fields, fields(t, u.Validate())); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLevelAndKindValidate(t *testing.T) {
	if got := fields(t, Level{}.Validate()); !cmp.Equal(got, []string{"code", "name", "rank"}) {
		t.Errorf("empty level: %v", got)
	}
	if got := fields(t, Level{Code: "Ward", Name: "Cấp phường", Rank: 21}.Validate()); !cmp.Equal(got, []string{"code", "rank"}) {
		t.Errorf("bad level: %v", got)
	}
	if err := (Level{Code: "special_zone", Name: "Đặc khu", Rank: 3}).Validate(); err != nil {
		t.Errorf("valid level: %v", err)
	}
	if got := fields(t, Kind{Code: "1x"}.Validate()); !cmp.Equal(got, []string{"code", "name"}) {
		t.Errorf("bad kind: %v", got)
	}
}

func TestPlacementCheck(t *testing.T) {
	province := Level{Code: "province", Name: "Cấp tỉnh", Rank: 1}
	district := Level{Code: "district", Name: "Cấp huyện", Rank: 2}
	commune := Level{Code: "commune", Name: "Cấp xã", Rank: 3}
	parent := &Unit{ID: "p"}
	tests := []struct {
		name   string
		unit   Unit
		place  Placement
		fields []string
	}{
		{"root province", Unit{}, Placement{Level: province}, nil},
		{"department is province-level under the province", Unit{},
			Placement{Level: province, Parent: parent, ParentLevel: province}, nil},
		{"3-tier: district under province", Unit{}, Placement{Level: district, Parent: parent, ParentLevel: province}, nil},
		{"3-tier: commune under district", Unit{}, Placement{Level: commune, Parent: parent, ParentLevel: district}, nil},
		{"2-tier since 1/7/2025: commune under province", Unit{}, Placement{Level: commune, Parent: parent, ParentLevel: province}, nil},
		{"district under commune", Unit{}, Placement{Level: district, Parent: parent, ParentLevel: commune}, []string{"level"}},
		{"re-parent under own descendant", Unit{ID: "u"},
			Placement{Level: commune, Parent: parent, ParentLevel: commune, ParentAncestry: []string{"p", "u", "root"}}, []string{"parent_id"}},
		{"re-parent elsewhere", Unit{ID: "u"},
			Placement{Level: commune, Parent: parent, ParentLevel: district, ParentAncestry: []string{"p", "root"}}, nil},
		{"re-level above own children", Unit{ID: "u"}, Placement{Level: commune, ChildRanks: []int{3, 2}}, []string{"level"}},
		{"re-level with children below", Unit{ID: "u"}, Placement{Level: district, ChildRanks: []int{3, 2}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.fields, fields(t, tt.place.Check(tt.unit))); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUnitApply(t *testing.T) {
	u := Unit{ID: "u", Code: "SNV", Name: "Sở Nội vụ", ShortName: "SNV", Kind: "department", Level: "province"}
	name, to := "Sở Nội vụ tỉnh Tuyên Quang", day(t, "2025-06-30")
	got := u.Apply(UnitPatch{Name: &name, ValidTo: &to})
	want := u
	want.Name, want.ValidTo = name, to
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Apply (-want +got):\n%s", diff)
	}
	if (UnitPatch{Name: &name}).MovesInTree() || !(UnitPatch{ParentID: &name}).MovesInTree() {
		t.Error("MovesInTree is wrong")
	}
	if !(UnitPatch{}).Empty() {
		t.Error("empty patch not Empty")
	}
}

func tenure(t *testing.T, name string, acting bool, start, end string) HeadTenure {
	t.Helper()
	h := HeadTenure{ID: name, UnitID: "u", PersonName: name, Acting: acting, Start: day(t, start)}
	if end != "" {
		h.End = day(t, end)
	}
	return h
}

func TestAssign(t *testing.T) {
	closedA := tenure(t, "A", false, "2015-01-01", "2019-12-31")
	openB := tenure(t, "B", false, "2020-01-01", "")
	actingC := tenure(t, "C", true, "2023-03-01", "")
	history := []HeadTenure{closedA, openB, actingC}

	tests := []struct {
		name         string
		next         HeadTenure
		ended        *HeadTenure
		precondition bool
		fields       []string
	}{
		{
			name:  "new head ends the open substantive tenure the day before",
			next:  tenure(t, "D", false, "2024-07-01", ""),
			ended: ptr(tenure(t, "B", false, "2020-01-01", "2024-06-30")),
		},
		{
			name:  "new acting head ends the open acting tenure only",
			next:  tenure(t, "E", true, "2024-01-15", ""),
			ended: ptr(tenure(t, "C", true, "2023-03-01", "2024-01-14")),
		},
		{
			name: "acting head in parallel with the substantive head",
			next: tenure(t, "E", true, "2021-01-01", "2021-06-30"),
		},
		{
			name:         "start inside a closed tenure",
			next:         tenure(t, "D", false, "2019-06-01", "2019-08-01"),
			precondition: true,
		},
		{
			name:         "start on the open tenure's first day cannot end it",
			next:         tenure(t, "D", false, "2020-01-01", ""),
			precondition: true,
		},
		{
			name:         "open-ended backfill before the open tenure",
			next:         tenure(t, "D", false, "2014-01-01", ""),
			precondition: true,
		},
		{
			name: "closed backfill in a vacancy",
			next: tenure(t, "D", false, "2014-01-01", "2014-12-31"),
		},
		{
			name:         "auto-ended tenure still meets a later closed one",
			next:         tenure(t, "D", false, "2024-07-01", ""),
			precondition: true,
		},
		{
			name:   "end before start",
			next:   tenure(t, "", false, "2024-07-01", "2024-06-01"),
			fields: []string{"person_name", "end_date"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := history
			if tt.name == "auto-ended tenure still meets a later closed one" {
				h = append([]HeadTenure{tenure(t, "X", false, "2025-01-01", "2025-02-01")}, history...)
			}
			ended, err := Assign(h, tt.next)
			switch {
			case tt.precondition:
				var de *Error
				if !errors.Is(err, ErrFailedPrecondition) || !errors.As(err, &de) || de.Message == "" {
					t.Fatalf("err = %v, want a FailedPrecondition with a message", err)
				}
				return
			case tt.fields != nil:
				if diff := cmp.Diff(tt.fields, fields(t, err)); diff != "" {
					t.Fatalf("fields (-want +got):\n%s", diff)
				}
				return
			case err != nil:
				t.Fatalf("Assign: %v", err)
			}
			if diff := cmp.Diff(tt.ended, ended); diff != "" {
				t.Errorf("ended (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEndOn(t *testing.T) {
	open := tenure(t, "B", false, "2020-01-01", "")
	got, err := open.EndOn(day(t, "2020-01-01"))
	if err != nil || got.End != day(t, "2020-01-01") {
		t.Fatalf("EndOn first day = %v, %v", got, err)
	}
	if _, err := open.EndOn(day(t, "2019-12-31")); !cmp.Equal(fields(t, err), []string{"end_date"}) {
		t.Errorf("end before start: %v", err)
	}
	if _, err := got.EndOn(day(t, "2021-01-01")); !errors.Is(err, ErrFailedPrecondition) {
		t.Errorf("ending a closed tenure: %v", err)
	}
}

func TestHeadOn(t *testing.T) {
	// A held the post to the end of 2019; the post was vacant in January 2020 with C acting
	// from 15/01; B took office on 01/02/2020 and C kept acting until 29/02.
	tenures := []HeadTenure{
		tenure(t, "A", false, "2015-01-01", "2019-12-31"),
		tenure(t, "C", true, "2020-01-15", "2020-02-29"),
		tenure(t, "B", false, "2020-02-01", ""),
	}
	tests := []struct {
		date                      string
		head, acting, responsible string
	}{
		{"2014-12-31", "", "", ""},
		{"2015-01-01", "A", "", "A"},
		{"2019-12-31", "A", "", "A"},
		{"2020-01-10", "", "", ""},
		{"2020-01-15", "", "C", "C"},
		{"2020-02-01", "B", "C", "C"},
		{"2020-02-29", "B", "C", "C"},
		{"2020-03-01", "B", "", "B"},
		{"2030-01-01", "B", "", "B"},
	}
	name := func(h *HeadTenure) string {
		if h == nil {
			return ""
		}
		return h.PersonName
	}
	for _, tt := range tests {
		h := HeadOn(tenures, day(t, tt.date))
		got := [3]string{name(h.Head), name(h.Acting), name(h.Responsible())}
		if want := [3]string{tt.head, tt.acting, tt.responsible}; got != want {
			t.Errorf("HeadOn(%s) = %v, want %v", tt.date, got, want)
		}
	}
}

func TestUserValidate(t *testing.T) {
	valid := User{Subject: "binh", DisplayName: "Trần Thị Bình", UnitID: "u", Roles: []Role{RoleUnitStaff}, Email: "binh@tuyenquang.gov.vn"}
	tests := []struct {
		name   string
		edit   func(u *User)
		fields []string
	}{
		{"valid", func(*User) {}, nil},
		{"all missing", func(u *User) { *u = User{} }, []string{"subject", "display_name", "unit_id", "roles"}},
		{"bad email", func(u *User) { u.Email = "Bình <binh@x.vn>" }, []string{"email"}},
		{"unknown role", func(u *User) { u.Roles = []Role{"service"} }, []string{"roles"}},
		{"duplicate role", func(u *User) { u.Roles = []Role{RoleUnitHead, RoleUnitHead} }, []string{"roles"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := valid
			tt.edit(&u)
			if diff := cmp.Diff(tt.fields, fields(t, u.Validate())); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
	roles := []Role{RoleSecretariat}
	active := false
	got := valid.Apply(UserPatch{Roles: &roles, Active: &active})
	if diff := cmp.Diff(User{Subject: "binh", DisplayName: "Trần Thị Bình", UnitID: "u", Roles: roles, Email: valid.Email},
		got, cmpopts.EquateEmpty(), cmpopts.IgnoreTypes(time.Time{})); diff != "" {
		t.Errorf("Apply (-want +got):\n%s", diff)
	}
}

func ptr[T any](v T) *T { return &v }

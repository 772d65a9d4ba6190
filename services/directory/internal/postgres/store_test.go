package postgres_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	directoryv1 "github.com/parindex/platform/proto/gen/go/par/directory/v1"
	"github.com/parindex/platform/services/directory/internal/app"
	"github.com/parindex/platform/services/directory/internal/directory"
	"github.com/parindex/platform/services/directory/internal/postgres"
	"github.com/parindex/platform/services/kit/pg/pgtest"
	"github.com/parindex/platform/services/kit/vntime"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// now is the tests' clock: a day in the 2-tier era.
var now = time.Date(2025, time.September, 1, 9, 0, 0, 0, vntime.Location)

type fixture struct {
	svc  *app.Service
	pool *pgxpool.Pool
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	pool := pgtest.NewPool(t, postgres.Migrations())
	return fixture{svc: app.New(postgres.New(pool), app.WithClock(func() time.Time { return now })), pool: pool}
}

func day(t *testing.T, iso string) vntime.Date {
	t.Helper()
	d, err := vntime.ParseISO(iso)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (f fixture) unit(t *testing.T, code, name, kind, level, parentID string) directory.Unit {
	t.Helper()
	u, err := f.svc.CreateUnit(t.Context(), directory.Unit{Code: code, Name: name, Kind: kind, Level: level, ParentID: parentID})
	if err != nil {
		t.Fatalf("CreateUnit %s: %v", code, err)
	}
	return u
}

// events returns the payloads in the outbox on subject, oldest first.
func (f fixture) events(t *testing.T, subject string, msg proto.Message) []proto.Message {
	t.Helper()
	rows, err := f.pool.Query(t.Context(), `SELECT payload FROM outbox_events WHERE subject = $1 ORDER BY seq`, subject)
	if err != nil {
		t.Fatal(err)
	}
	payloads, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
	if err != nil {
		t.Fatal(err)
	}
	out := make([]proto.Message, len(payloads))
	for i, p := range payloads {
		m := proto.Clone(msg)
		proto.Reset(m)
		if err := proto.Unmarshal(p, m); err != nil {
			t.Fatal(err)
		}
		out[i] = m
	}
	return out
}

func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	v, ok := directory.AsValidation(err)
	if !ok {
		t.Fatalf("error %v is not a validation error", err)
	}
	var out []string
	for _, e := range v {
		out = append(out, e.Field)
	}
	return out
}

func TestUnitsCRUDAndEvents(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	province := f.unit(t, "TQ", "Tỉnh Tuyên Quang", "province", "province", "")
	from := day(t, "2020-01-01")
	snv, err := f.svc.CreateUnit(ctx, directory.Unit{
		Code: "SNV", Name: "  Sở Nội vụ ", ShortName: "SNV", Kind: "department", Level: "province",
		ParentID: province.ID, ValidFrom: from,
	})
	if err != nil {
		t.Fatal(err)
	}
	if snv.ID == "" || snv.Name != "Sở Nội vụ" || snv.ValidFrom != from || snv.CreateTime.IsZero() {
		t.Errorf("created unit = %+v", snv)
	}
	// Decomposed input (NFD, as typed on macOS) is stored composed.
	nfd := f.unit(t, "STP", "So\u031b\u0309 Tu\u031b pha\u0301p", "department", "province", province.ID)
	if nfd.Name != "Sở Tư pháp" {
		t.Errorf("name stored as %q, want NFC", nfd.Name)
	}

	got, err := f.svc.GetUnit(ctx, snv.ID)
	if err != nil || !cmp.Equal(got, snv) {
		t.Errorf("GetUnit = %+v, %v; want %+v", got, err, snv)
	}
	if got, err := f.svc.LookupUnit(ctx, "SNV"); err != nil || got.ID != snv.ID {
		t.Errorf("LookupUnit = %+v, %v", got, err)
	}
	for _, id := range []string{"00000000-0000-0000-0000-000000000000", "not-a-uuid"} {
		if _, err := f.svc.GetUnit(ctx, id); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("GetUnit(%s) err = %v, want not found", id, err)
		}
	}
	if _, err := f.svc.LookupUnit(ctx, "snv"); !errors.Is(err, directory.ErrUnitNotFound) {
		t.Errorf("LookupUnit is exact, got %v", err)
	}

	missing := "00000000-0000-0000-0000-000000000001"
	units, miss, err := f.svc.BatchGetUnits(ctx, []string{snv.ID, missing, province.ID})
	if err != nil {
		t.Fatal(err)
	}
	if ids := []string{units[0].ID, units[1].ID}; !cmp.Equal(ids, []string{snv.ID, province.ID}) || !cmp.Equal(miss, []string{missing}) {
		t.Errorf("BatchGetUnits = %v, missing %v", ids, miss)
	}

	// A taken code is a conflict, and the failed change leaves no event behind.
	_, err = f.svc.CreateUnit(ctx, directory.Unit{Code: "SNV", Name: "Sở khác", Kind: "department", Level: "province", ParentID: province.ID})
	if !errors.Is(err, directory.ErrConflict) {
		t.Fatalf("duplicate code err = %v, want conflict", err)
	}
	created := f.events(t, app.SubjectUnitCreated, &directoryv1.UnitCreated{})
	if len(created) != 3 {
		t.Fatalf("%d UnitCreated events, want 3", len(created))
	}
	if diff := cmp.Diff(&directoryv1.UnitCreated{Unit: &directoryv1.Unit{
		Id: snv.ID, Code: "SNV", Name: "Sở Nội vụ", ShortName: "SNV", Kind: "department", Level: "province",
		ParentId: province.ID, ValidFrom: "2020-01-01",
	}}, created[1], protocmp.Transform(), protocmp.IgnoreFields(&directoryv1.Unit{}, "create_time", "update_time")); diff != "" {
		t.Errorf("UnitCreated (-want +got):\n%s", diff)
	}

	name := "Sở Nội vụ tỉnh Tuyên Quang"
	updated, err := f.svc.UpdateUnit(ctx, snv.ID, directory.UnitPatch{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	if updated.Name != name || updated.Code != "SNV" || updated.UpdateTime.Before(snv.UpdateTime) {
		t.Errorf("updated = %+v", updated)
	}
	// Patching to the same values is not a change: no event.
	if _, err := f.svc.UpdateUnit(ctx, snv.ID, directory.UnitPatch{Name: &name}); err != nil {
		t.Fatal(err)
	}
	upd := f.events(t, app.SubjectUnitUpdated, &directoryv1.UnitUpdated{})
	if len(upd) != 1 {
		t.Fatalf("%d UnitUpdated events, want 1", len(upd))
	}
	if e := upd[0].(*directoryv1.UnitUpdated); e.GetUnit().GetName() != name || e.GetPrevious().GetName() != "Sở Nội vụ" {
		t.Errorf("UnitUpdated = %v", e)
	}
	if _, err := f.svc.UpdateUnit(ctx, missing, directory.UnitPatch{Name: &name}); !errors.Is(err, directory.ErrUnitNotFound) {
		t.Errorf("update missing unit: %v", err)
	}
	// Dissolving: valid_to before valid_from is refused, a proper one hides the unit from
	// default lists.
	early, late := day(t, "2019-12-31"), day(t, "2025-06-30")
	if _, err := f.svc.UpdateUnit(ctx, snv.ID, directory.UnitPatch{ValidTo: &early}); !cmp.Equal(fieldsOf(t, err), []string{"valid_to"}) {
		t.Errorf("valid_to before valid_from: %v", err)
	}
	if _, err := f.svc.UpdateUnit(ctx, snv.ID, directory.UnitPatch{ValidTo: &late}); err != nil {
		t.Fatal(err)
	}
	list, _, err := f.svc.ListUnits(ctx, app.UnitFilter{ParentID: province.ID}, app.Page{Size: 50})
	if err != nil || len(list) != 1 || list[0].Code != "STP" {
		t.Errorf("current children = %v, %v; want STP only", codes(list), err)
	}
	list, _, _ = f.svc.ListUnits(ctx, app.UnitFilter{ParentID: province.ID, IncludeDissolved: true}, app.Page{Size: 50})
	if !cmp.Equal(codes(list), []string{"SNV", "STP"}) {
		t.Errorf("all children = %v", codes(list))
	}
}

func codes(units []directory.Unit) []string {
	out := make([]string, len(units))
	for i, u := range units {
		out[i] = u.Code
	}
	return out
}

func TestTrees(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()

	// 3-tier history: province → district → commune, departments at province level.
	tq := f.unit(t, "TQ", "Tỉnh Tuyên Quang", "province", "province", "")
	snv := f.unit(t, "TQ-SNV", "Sở Nội vụ", "department", "province", tq.ID)
	sd := f.unit(t, "TQ-SONDUONG", "Huyện Sơn Dương", "district", "district", tq.ID)
	f.unit(t, "TQ-SONDUONG-PHPHONG", "Phòng Nội vụ huyện Sơn Dương", "district_office", "district", sd.ID)
	xa := f.unit(t, "TQ-XA-HOPTHANH", "Xã Hợp Thành", "commune", "commune", sd.ID)
	// 2-tier since 1/7/2025: a commune straight under the province.
	f.unit(t, "TQ-XA-SONDUONG", "Xã Sơn Dương", "commune", "commune", tq.ID)

	tests := []struct {
		name   string
		unit   directory.Unit
		fields []string
	}{
		{"district under a commune", directory.Unit{Code: "X1", Name: "Huyện X", Kind: "district", Level: "district", ParentID: xa.ID}, []string{"level"}},
		{"unknown level, kind and parent at once", directory.Unit{Code: "X2", Name: "X", Kind: "hamlet", Level: "hamlet", ParentID: "00000000-0000-0000-0000-000000000009"},
			[]string{"level", "kind", "parent_id"}},
		{"every missing field at once", directory.Unit{}, []string{"code", "name", "kind", "level"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.CreateUnit(ctx, tt.unit)
			if diff := cmp.Diff(tt.fields, fieldsOf(t, err)); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}

	// Re-parenting the province under one of its communes would make a cycle.
	if _, err := f.svc.UpdateUnit(ctx, tq.ID, directory.UnitPatch{ParentID: &xa.ID}); !slices.Contains(fieldsOf(t, err), "parent_id") {
		t.Errorf("cycle: %v", err)
	}
	// Moving a commune from its district to the province (the 2025 reform) is fine.
	if _, err := f.svc.UpdateUnit(ctx, xa.ID, directory.UnitPatch{ParentID: &tq.ID}); err != nil {
		t.Errorf("re-parent commune under province: %v", err)
	}
	// A commune cannot be raised above its parent's level.
	prov := "province"
	dist := "district"
	if _, err := f.svc.UpdateUnit(ctx, f.mustLookup(t, "TQ-SONDUONG-PHPHONG").ID, directory.UnitPatch{Level: &prov}); !cmp.Equal(fieldsOf(t, err), []string{"level"}) {
		t.Errorf("raise above parent: %v", err)
	}
	// Levels are data: a new tier below the commune, and a unit cannot sink below its children.
	if _, err := f.svc.CreateUnitLevel(ctx, directory.Level{Code: "hamlet", Name: "Thôn, tổ dân phố", Rank: 4}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.CreateUnitLevel(ctx, directory.Level{Code: "hamlet", Name: "Thôn", Rank: 4}); !errors.Is(err, directory.ErrConflict) {
		t.Errorf("duplicate level: %v", err)
	}
	hamlet := "hamlet"
	if _, err := f.svc.UpdateUnit(ctx, sd.ID, directory.UnitPatch{Level: &hamlet}); !cmp.Equal(fieldsOf(t, err), []string{"level"}) {
		t.Errorf("sink below children: %v", err)
	}
	if _, err := f.svc.UpdateUnit(ctx, sd.ID, directory.UnitPatch{Level: &dist}); err != nil {
		t.Errorf("no-op level: %v", err)
	}
	levels, err := f.svc.ListUnitLevels(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []directory.Level{
		{Code: "province", Name: "Cấp tỉnh", Rank: 1},
		{Code: "district", Name: "Cấp huyện", Rank: 2},
		{Code: "commune", Name: "Cấp xã", Rank: 3},
		{Code: "hamlet", Name: "Thôn, tổ dân phố", Rank: 4},
	}
	if diff := cmp.Diff(want, levels); diff != "" {
		t.Errorf("levels (-want +got):\n%s", diff)
	}
	if _, err := f.svc.CreateUnitKind(ctx, directory.Kind{Code: "special_zone", Name: "Đặc khu"}); err != nil {
		t.Fatal(err)
	}
	kinds, _ := f.svc.ListUnitKinds(ctx)
	if len(kinds) != 9 || kinds[0].Code != "central_agency" {
		t.Errorf("kinds = %v", kinds)
	}

	// Listing by level and by kind, ordered by level rank then code.
	all, _, err := f.svc.ListUnits(ctx, app.UnitFilter{}, app.Page{Size: 50})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"TQ", "TQ-SNV", "TQ-SONDUONG", "TQ-SONDUONG-PHPHONG", "TQ-XA-HOPTHANH", "TQ-XA-SONDUONG"}, codes(all)); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	communes, _, _ := f.svc.ListUnits(ctx, app.UnitFilter{Level: "commune"}, app.Page{Size: 50})
	depts, _, _ := f.svc.ListUnits(ctx, app.UnitFilter{Kind: "department"}, app.Page{Size: 50})
	if len(communes) != 2 || len(depts) != 1 || depts[0].ID != snv.ID {
		t.Errorf("communes %v, departments %v", codes(communes), codes(depts))
	}
}

func (f fixture) mustLookup(t *testing.T, code string) directory.Unit {
	t.Helper()
	u, err := f.svc.LookupUnit(t.Context(), code)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestSearch(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	dn := f.unit(t, "DNAI", "Tỉnh Đồng Nai", "province", "province", "")
	if _, err := f.svc.CreateUnit(ctx, directory.Unit{Code: "DN-SNV", Name: "Sở Nội vụ", ShortName: "SNV", Kind: "department", Level: "province", ParentID: dn.ID}); err != nil {
		t.Fatal(err)
	}
	f.unit(t, "DN-STTTT", "Sở Thông tin và Truyền thông", "department", "province", dn.ID)
	f.unit(t, "DN-UBND", "Văn phòng Ủy ban nhân dân tỉnh", "department", "province", dn.ID)
	f.unit(t, "DN_100", "Ban chỉ đạo 100% trực tuyến", "other", "province", dn.ID)

	tests := []struct {
		query string
		want  []string
	}{
		{"so noi vu", []string{"DN-SNV"}},
		{"SỞ   NỘI VỤ", []string{"DN-SNV"}},
		{"dong nai", []string{"DNAI"}},
		{"Đồng", []string{"DNAI"}},
		{"snv", []string{"DN-SNV"}},
		{"uy ban", []string{"DN-UBND"}},
		{"Uỷ ban", []string{"DN-UBND"}},
		{"sở", []string{"DN-SNV", "DN-STTTT"}},
		{"100%", []string{"DN_100"}},
		{"%", []string{"DN_100"}},
		{"_", []string{"DN_100"}},
		{"xyz", nil},
	}
	for _, tt := range tests {
		got, _, err := f.svc.ListUnits(ctx, app.UnitFilter{Query: tt.query}, app.Page{Size: 50})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, codes(got), cmp.Comparer(func(a, b []string) bool { return len(a) == 0 && len(b) == 0 || slices.Equal(a, b) })); diff != "" {
			t.Errorf("query %q (-want +got):\n%s", tt.query, diff)
		}
	}
}

func TestPagination(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	root := f.unit(t, "HN", "Thành phố Hà Nội", "province", "province", "")
	var want []string
	for i := range 23 {
		level, kind := "commune", "commune"
		if i%3 == 0 {
			level, kind = "province", "department"
		}
		u := f.unit(t, fmt.Sprintf("HN-%02d", 30-i), fmt.Sprintf("Đơn vị %d", i), kind, level, root.ID)
		_ = u
	}
	all, next, err := f.svc.ListUnits(ctx, app.UnitFilter{ParentID: root.ID}, app.Page{Size: 500})
	if err != nil || next != "" || len(all) != 23 {
		t.Fatalf("one page: %d units, next %q, %v", len(all), next, err)
	}
	want = codes(all)
	// Province-level departments first, then communes, each by code.
	if want[0] != "HN-09" || want[7] != "HN-30" || want[8] != "HN-08" {
		t.Errorf("order = %v", want)
	}

	for _, size := range []int{1, 5, 22, 23} {
		var got []string
		tok := ""
		for pages := 0; ; pages++ {
			if pages > 30 {
				t.Fatal("too many pages")
			}
			units, next, err := f.svc.ListUnits(ctx, app.UnitFilter{ParentID: root.ID}, app.Page{Size: size, Token: tok})
			if err != nil {
				t.Fatal(err)
			}
			if len(units) > size {
				t.Fatalf("page of %d for size %d", len(units), size)
			}
			got = append(got, codes(units)...)
			if next == "" {
				break
			}
			tok = next
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("size %d: pages differ from the full list (-want +got):\n%s", size, diff)
		}
	}

	for _, tok := range []string{"garbage!", "eyJ4IjoxfQ"} { // not base64url JSON; {"x":1}
		_, _, err := f.svc.ListUnits(ctx, app.UnitFilter{}, app.Page{Size: 5, Token: tok})
		if !cmp.Equal(fieldsOf(t, err), []string{"page_token"}) {
			t.Errorf("token %q: %v", tok, err)
		}
	}
}

func TestHeadTenures(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	tq := f.unit(t, "TQ", "Tỉnh Tuyên Quang", "province", "province", "")
	snv := f.unit(t, "SNV", "Sở Nội vụ", "department", "province", tq.ID)

	assign := func(name string, acting bool, start, end string) (directory.HeadTenure, *directory.HeadTenure, error) {
		t.Helper()
		h := directory.HeadTenure{UnitID: snv.ID, PersonName: name, Title: "Giám đốc", Acting: acting, Start: day(t, start)}
		if end != "" {
			h.End = day(t, end)
		}
		return f.svc.AssignHead(ctx, h)
	}
	a, ended, err := assign("Nguyễn Văn An", false, "2016-01-01", "")
	if err != nil || ended != nil {
		t.Fatalf("assign A: %v, ended %v", err, ended)
	}
	// B succeeds A on 01/07/2020: A's tenure ends 30/06/2020 on its own.
	b, ended, err := assign("Trần Văn Bình", false, "2020-07-01", "")
	if err != nil {
		t.Fatal(err)
	}
	if ended == nil || ended.ID != a.ID || ended.End != day(t, "2020-06-30") {
		t.Fatalf("ended = %+v, want A ending 2020-06-30", ended)
	}
	// B leaves on 31/12/2023; the post is vacant until C acts from 15/01/2024.
	if _, err := f.svc.EndHeadTenure(ctx, snv.ID, b.ID, day(t, "2023-12-31")); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.EndHeadTenure(ctx, snv.ID, b.ID, day(t, "2024-01-31")); !errors.Is(err, directory.ErrFailedPrecondition) {
		t.Errorf("ending a closed tenure: %v", err)
	}
	c, _, err := assign("Lê Thị Cúc", true, "2024-01-15", "")
	if err != nil {
		t.Fatal(err)
	}
	// D is appointed on 01/04/2024 while C keeps acting until 30/04/2024.
	if _, _, err := assign("Phạm Văn Dũng", false, "2024-04-01", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.EndHeadTenure(ctx, snv.ID, c.ID, day(t, "2024-04-30")); err != nil {
		t.Fatal(err)
	}
	// Overlapping a closed tenure is refused with a sentence naming it.
	_, _, err = assign("Hoàng Văn Em", false, "2023-06-01", "2023-08-01")
	var de *directory.Error
	if !errors.As(err, &de) || !errors.Is(err, directory.ErrFailedPrecondition) {
		t.Fatalf("overlap: %v", err)
	}
	t.Logf("overlap message: %s", de.Message)
	if _, err := f.svc.EndHeadTenure(ctx, snv.ID, c.ID, day(t, "2024-05-30")); !errors.Is(err, directory.ErrFailedPrecondition) {
		t.Errorf("re-ending: %v", err)
	}
	if _, err := f.svc.EndHeadTenure(ctx, tq.ID, c.ID, day(t, "2024-05-30")); !errors.Is(err, directory.ErrTenureNotFound) {
		t.Errorf("tenure of another unit: %v", err)
	}

	tests := []struct {
		date                      string
		head, acting, responsible string
	}{
		{"2015-12-31", "", "", ""},
		{"2016-01-01", "Nguyễn Văn An", "", "Nguyễn Văn An"},
		{"2020-06-30", "Nguyễn Văn An", "", "Nguyễn Văn An"},
		{"2020-07-01", "Trần Văn Bình", "", "Trần Văn Bình"},
		{"2024-01-10", "", "", ""}, // vacancy
		{"2024-01-15", "", "Lê Thị Cúc", "Lê Thị Cúc"},
		{"2024-04-15", "Phạm Văn Dũng", "Lê Thị Cúc", "Lê Thị Cúc"},
		{"2024-05-01", "Phạm Văn Dũng", "", "Phạm Văn Dũng"},
	}
	name := func(h *directory.HeadTenure) string {
		if h == nil {
			return ""
		}
		return h.PersonName
	}
	for _, tt := range tests {
		h, err := f.svc.HeadOnDate(ctx, snv.ID, day(t, tt.date))
		if err != nil {
			t.Fatal(err)
		}
		got := [3]string{name(h.Head), name(h.Acting), name(h.Responsible())}
		if want := [3]string{tt.head, tt.acting, tt.responsible}; got != want {
			t.Errorf("HeadOnDate(%s) = %q, want %q", tt.date, got, want)
		}
	}
	if _, err := f.svc.HeadOnDate(ctx, "00000000-0000-0000-0000-000000000000", day(t, "2024-01-01")); !errors.Is(err, directory.ErrUnitNotFound) {
		t.Errorf("unknown unit: %v", err)
	}

	// Newest first, across pages.
	var got []string
	tok := ""
	for {
		page, next, err := f.svc.ListHeadTenures(ctx, snv.ID, app.Page{Size: 2, Token: tok})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range page {
			got = append(got, h.PersonName)
		}
		if tok = next; tok == "" {
			break
		}
	}
	if diff := cmp.Diff([]string{"Phạm Văn Dũng", "Lê Thị Cúc", "Trần Văn Bình", "Nguyễn Văn An"}, got); diff != "" {
		t.Errorf("tenures (-want +got):\n%s", diff)
	}

	if n := len(f.events(t, app.SubjectHeadAssigned, &directoryv1.HeadAssigned{})); n != 4 {
		t.Errorf("%d HeadAssigned events, want 4", n)
	}
	if n := len(f.events(t, app.SubjectHeadEnded, &directoryv1.HeadTenureEnded{})); n != 2 {
		t.Errorf("%d HeadTenureEnded events, want 2", n)
	}
	second := f.events(t, app.SubjectHeadAssigned, &directoryv1.HeadAssigned{})[1].(*directoryv1.HeadAssigned)
	if second.GetEndedTenure().GetEndDate() != "2020-06-30" || second.GetTenure().GetStartDate() != "2020-07-01" {
		t.Errorf("second HeadAssigned = %v", second)
	}
}

func TestConcurrentAssignments(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	u := f.unit(t, "TQ", "Tỉnh Tuyên Quang", "province", "province", "")
	// Two secretaries record a head from the same day at once: the unit lock lets exactly
	// one win; the other sees the first and is refused.
	errs := make(chan error, 2)
	for _, name := range []string{"Người thứ nhất", "Người thứ hai"} {
		go func() {
			_, _, err := f.svc.AssignHead(ctx, directory.HeadTenure{UnitID: u.ID, PersonName: name, Start: day(t, "2024-01-01")})
			errs <- err
		}()
	}
	var failed int
	for range 2 {
		if err := <-errs; err != nil {
			if !errors.Is(err, directory.ErrFailedPrecondition) {
				t.Errorf("unexpected error: %v", err)
			}
			failed++
		}
	}
	if failed != 1 {
		t.Errorf("%d assignments failed, want 1", failed)
	}
}

func TestUsers(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	tq := f.unit(t, "TQ", "Tỉnh Tuyên Quang", "province", "province", "")
	snv := f.unit(t, "SNV", "Sở Nội vụ", "department", "province", tq.ID)
	stp := f.unit(t, "STP", "Sở Tư pháp", "department", "province", tq.ID)

	mk := func(sub, name, unit string, roles ...directory.Role) directory.User {
		t.Helper()
		u, err := f.svc.CreateUser(ctx, directory.User{Subject: sub, DisplayName: name, UnitID: unit, Roles: roles})
		if err != nil {
			t.Fatalf("CreateUser %s: %v", sub, err)
		}
		return u
	}
	binh := mk("binh", "Trần Thị Bình", snv.ID, directory.RoleSecretariat)
	mk("dang", "Đặng Văn Đức", stp.ID, directory.RoleUnitHead)
	mk("anh", "Nguyễn Thị Ánh", stp.ID, directory.RoleUnitStaff)
	mk("an", "Nguyễn Văn An", snv.ID, directory.RoleUnitStaff, directory.RoleAppraiser)
	mk("dung", "Dương Văn Dũng", snv.ID, directory.RoleUnitStaff)

	if !binh.Active || binh.ID == "" {
		t.Errorf("created user = %+v", binh)
	}
	if got, err := f.svc.GetUser(ctx, binh.ID); err != nil || !cmp.Equal(got, binh) {
		t.Errorf("GetUser = %+v, %v", got, err)
	}
	if _, err := f.svc.CreateUser(ctx, directory.User{Subject: "binh", DisplayName: "Khác", UnitID: snv.ID, Roles: []directory.Role{directory.RoleUnitStaff}}); !errors.Is(err, directory.ErrConflict) {
		t.Errorf("duplicate subject: %v", err)
	}
	_, err := f.svc.CreateUser(ctx, directory.User{Subject: "x", DisplayName: "X", UnitID: "00000000-0000-0000-0000-000000000000", Roles: []directory.Role{directory.RoleUnitStaff}})
	if !cmp.Equal(fieldsOf(t, err), []string{"unit_id"}) {
		t.Errorf("unknown unit: %v", err)
	}

	list := func(filter app.UserFilter, size int) []string {
		t.Helper()
		var names []string
		tok := ""
		for {
			users, next, err := f.svc.ListUsers(ctx, filter, app.Page{Size: size, Token: tok})
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range users {
				names = append(names, u.DisplayName)
			}
			if tok = next; tok == "" {
				return names
			}
		}
	}
	// Vietnamese order: D before Đ, and across pages of two.
	if diff := cmp.Diff([]string{"Dương Văn Dũng", "Đặng Văn Đức", "Nguyễn Thị Ánh", "Nguyễn Văn An", "Trần Thị Bình"}, list(app.UserFilter{}, 2)); diff != "" {
		t.Errorf("all users (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Dương Văn Dũng", "Nguyễn Văn An"}, list(app.UserFilter{UnitID: snv.ID, Role: directory.RoleUnitStaff}, 50)); diff != "" {
		t.Errorf("staff of SNV (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Trần Thị Bình"}, list(app.UserFilter{Query: "tran thi binh"}, 50)); diff != "" {
		t.Errorf("search (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Nguyễn Thị Ánh", "Nguyễn Văn An"}, list(app.UserFilter{Query: "NGUYEN"}, 1)); diff != "" {
		t.Errorf("search across pages (-want +got):\n%s", diff)
	}

	roles := []directory.Role{directory.RoleUnitHead}
	inactive := false
	moved, err := f.svc.UpdateUser(ctx, binh.ID, directory.UserPatch{UnitID: &stp.ID, Roles: &roles, Active: &inactive})
	if err != nil {
		t.Fatal(err)
	}
	if moved.UnitID != stp.ID || moved.Active || !cmp.Equal(moved.Roles, roles) || moved.Subject != "binh" {
		t.Errorf("moved = %+v", moved)
	}
	bad := "00000000-0000-0000-0000-000000000000"
	if _, err := f.svc.UpdateUser(ctx, binh.ID, directory.UserPatch{UnitID: &bad}); !cmp.Equal(fieldsOf(t, err), []string{"unit_id"}) {
		t.Errorf("move to unknown unit: %v", err)
	}
	if _, err := f.svc.UpdateUser(ctx, bad, directory.UserPatch{Active: &inactive}); !errors.Is(err, directory.ErrUserNotFound) {
		t.Errorf("update unknown user: %v", err)
	}
	if n := len(f.events(t, app.SubjectUserChanged, &directoryv1.UserChanged{})); n != 6 {
		t.Errorf("%d UserChanged events, want 6", n)
	}
	// A head may be linked to their user; an unknown user is a field problem.
	if _, _, err := f.svc.AssignHead(ctx, directory.HeadTenure{UnitID: stp.ID, PersonName: "Trần Thị Bình", Start: day(t, "2025-01-01"), UserID: binh.ID}); err != nil {
		t.Error(err)
	}
	if _, _, err := f.svc.AssignHead(ctx, directory.HeadTenure{UnitID: snv.ID, PersonName: "X", Start: day(t, "2025-01-01"), UserID: bad}); !cmp.Equal(fieldsOf(t, err), []string{"user_id"}) {
		t.Errorf("unknown head user: %v", err)
	}
}

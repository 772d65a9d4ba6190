package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	tasktrackingv1 "github.com/parindex/platform/proto/gen/go/par/tasktracking/v1"
	"github.com/parindex/platform/services/kit/page"
	"github.com/parindex/platform/services/kit/pg/pgtest"
	"github.com/parindex/platform/services/kit/vntime"
	"github.com/parindex/platform/services/tasktracking/internal/app"
	"github.com/parindex/platform/services/tasktracking/internal/postgres"
	"github.com/parindex/platform/services/tasktracking/internal/protoconv"
	"github.com/parindex/platform/services/tasktracking/internal/tracking"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// Units of the fixtures.
var (
	unitUBND = uuid.NewString() // provincial people's committee: issues documents
	unitSNV  = uuid.NewString() // Department of Home Affairs
	unitSTP  = uuid.NewString() // Department of Justice
	unitSTC  = uuid.NewString() // Department of Finance
)

func newStore(t *testing.T) (*postgres.Store, *pgxpool.Pool) {
	t.Helper()
	pool := pgtest.NewPool(t, postgres.Migrations())
	return postgres.New(pool), pool
}

// newDocument returns a valid document numbered number, signed on signed, with the given
// tasks (each a code and its lead and cooperating units).
func newDocument(t *testing.T, number, title, signed string, tasks ...tracking.Task) tracking.Document {
	t.Helper()
	d, err := vntime.ParseISO(signed)
	if err != nil {
		t.Fatal(err)
	}
	draft := tracking.Document{
		Number: number, Kind: tracking.KindPlan, IssuerUnitID: unitUBND, SignedOn: d,
		Title: title, PeriodStartYear: d.Year, PeriodEndYear: d.Year,
		Tasks: tasks,
	}
	// Postgres keeps microseconds; a truncated clock makes round trips compare equal.
	now := time.Now().Truncate(time.Microsecond)
	doc, err := tracking.NewDocument(draft, "user-1", now, func() string { return uuid.Must(uuid.NewV7()).String() })
	if err != nil {
		t.Fatalf("NewDocument: %v", err)
	}
	return doc
}

func task(code string, leads []string, coops ...string) tracking.Task {
	return tracking.Task{
		Code: code, Group: tracking.GroupProcedures, Content: "Nội dung nhiệm vụ " + code,
		LeadUnitIDs: leads, CooperatingUnitIDs: coops,
		Deadline: tracking.Timing{Kind: tracking.TimingQuarter, Quarter: 4, Year: 2018, Text: "Quý IV/2018"},
	}
}

// cmpDocs compares documents whose times came back from Postgres in another zone.
var cmpDocs = cmp.Options{cmpopts.EquateEmpty(), cmpopts.EquateApproxTime(0)}

func TestCreateAndGetDocument(t *testing.T) {
	store, pool := newStore(t)
	ctx := t.Context()
	d := newDocument(t, "56/KH-UBND", "Kế hoạch cải cách hành chính năm 2020", "2020-05-20",
		task("III.3", []string{unitSNV}, unitSTP, unitSTC),
		tracking.Task{
			Code: "1.1.d", Content: "Báo cáo", LeadUnitIDs: []string{unitSTP, unitSNV},
			Start:         tracking.Timing{Kind: tracking.TimingDate, Date: vntime.Date{Year: 2020, Month: 6, Day: 1}, Text: "01/6/2020"},
			Deadline:      tracking.Timing{Kind: tracking.TimingConditional, Text: "Theo hướng dẫn của Bộ Nội vụ"},
			CriteriaCodes: []string{"3.1.2", "5.1"},
		},
	)
	if err := store.CreateDocument(ctx, d, occurrences(d)); err != nil {
		t.Fatalf("CreateDocument: %v", err)
	}

	got, err := store.Document(ctx, d.ID)
	if err != nil {
		t.Fatalf("Document: %v", err)
	}
	if diff := cmp.Diff(d, got, cmpDocs); diff != "" {
		t.Errorf("Document round trip (-want +got):\n%s", diff)
	}

	gotTask, err := store.Task(ctx, d.Tasks[1].ID)
	if err != nil {
		t.Fatalf("Task: %v", err)
	}
	if diff := cmp.Diff(d.Tasks[1], gotTask, cmpDocs); diff != "" {
		t.Errorf("Task round trip (-want +got):\n%s", diff)
	}

	// One TaskAssigned per task, in the document's order, in the outbox.
	rows, err := pool.Query(ctx, `SELECT subject, event_type, payload FROM outbox_events ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	type event struct {
		Subject, Type string
		Payload       []byte
	}
	events, err := pgx.CollectRows(rows, pgx.RowToStructByPos[event])
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != len(d.Tasks) {
		t.Fatalf("%d outbox events, want %d", len(events), len(d.Tasks))
	}
	for i, ev := range events {
		if ev.Subject != postgres.SubjectTaskAssigned || ev.Type != "par.tasktracking.v1.TaskAssigned" {
			t.Errorf("event %d: subject %q, type %q", i, ev.Subject, ev.Type)
		}
		var msg tasktrackingv1.TaskAssigned
		if err := proto.Unmarshal(ev.Payload, &msg); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if diff := cmp.Diff(protoconv.TaskAssigned(d, d.Tasks[i]), &msg, protocmp.Transform()); diff != "" {
			t.Errorf("event %d (-want +got):\n%s", i, diff)
		}
	}
}

func TestCreateDocumentDuplicateNumberWritesNothing(t *testing.T) {
	store, pool := newStore(t)
	ctx := t.Context()
	first := newDocument(t, "56/KH-UBND", "Kế hoạch", "2020-05-20", task("1", []string{unitSNV}))
	if err := store.CreateDocument(ctx, first, occurrences(first)); err != nil {
		t.Fatal(err)
	}
	again := newDocument(t, "56/KH-UBND", "Kế hoạch khác", "2020-06-01", task("1", []string{unitSTP}), task("2", []string{unitSTC}))
	err := store.CreateDocument(ctx, again, occurrences(again))
	if !errors.Is(err, tracking.ErrNumberTaken) || !errors.Is(err, tracking.ErrConflict) {
		t.Fatalf("CreateDocument with a taken number = %v, want ErrNumberTaken", err)
	}
	if _, err := store.Document(ctx, again.ID); !errors.Is(err, tracking.ErrDocumentNotFound) {
		t.Errorf("rolled-back document: Document = %v, want ErrDocumentNotFound", err)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM outbox_events`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("%d outbox events, want 1 (only the first document's)", n)
	}

	// Another issuer may use the same number.
	other := newDocument(t, "56/KH-UBND", "Kế hoạch", "2020-05-20", task("1", []string{unitSNV}))
	other.IssuerUnitID = unitSNV
	if err := store.CreateDocument(ctx, other, occurrences(other)); err != nil {
		t.Errorf("same number, other issuer: %v", err)
	}
}

func TestNotFound(t *testing.T) {
	store, _ := newStore(t)
	if _, err := store.Document(t.Context(), uuid.NewString()); !errors.Is(err, tracking.ErrNotFound) {
		t.Errorf("Document = %v, want ErrNotFound", err)
	}
	if _, err := store.Task(t.Context(), uuid.NewString()); !errors.Is(err, tracking.ErrNotFound) {
		t.Errorf("Task = %v, want ErrNotFound", err)
	}
}

func TestListDocuments(t *testing.T) {
	store, _ := newStore(t)
	ctx := t.Context()
	plan := newDocument(t, "56/KH-UBND", "Kế hoạch cải cách hành chính giai đoạn 2021 - 2025", "2020-05-20", task("1", []string{unitSNV}))
	plan.PeriodStartYear, plan.PeriodEndYear = 2021, 2025
	directive := newDocument(t, "13/CT-UBND", "Chỉ thị về nâng cao Chỉ số cải cách hành chính", "2018-09-04", task("1", []string{unitSNV}))
	directive.Kind = tracking.KindDirective
	letter := newDocument(t, "1722/UBND-TH", "Về việc nâng cao chỉ số PAR INDEX", "2022-08-05", task("1", []string{unitSNV}))
	letter.Kind = tracking.KindLetter
	letter.IssuerUnitID = unitSNV
	for _, d := range []tracking.Document{plan, directive, letter} {
		if err := store.CreateDocument(ctx, d, occurrences(d)); err != nil {
			t.Fatal(err)
		}
	}

	tests := []struct {
		name   string
		filter app.DocumentFilter
		want   []string // numbers, in order
	}{
		{name: "all, newest signing date first", want: []string{"1722/UBND-TH", "56/KH-UBND", "13/CT-UBND"}},
		{name: "year inside a period", filter: app.DocumentFilter{Year: 2023}, want: []string{"56/KH-UBND"}},
		{name: "kind", filter: app.DocumentFilter{Kind: tracking.KindDirective}, want: []string{"13/CT-UBND"}},
		{name: "issuer", filter: app.DocumentFilter{IssuerUnitID: unitSNV}, want: []string{"1722/UBND-TH"}},
		{name: "query without diacritics", filter: app.DocumentFilter{Query: "CAI CACH hanh  chinh"}, want: []string{"56/KH-UBND", "13/CT-UBND"}},
		{name: "query on number", filter: app.DocumentFilter{Query: "kh-ubnd"}, want: []string{"56/KH-UBND"}},
		{name: "query with đ and a wildcard character", filter: app.DocumentFilter{Query: "100%"}, want: nil},
		{name: "filters combine", filter: app.DocumentFilter{Query: "chỉ số", Kind: tracking.KindLetter}, want: []string{"1722/UBND-TH"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := store.ListDocuments(ctx, tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range p.Items {
				got = append(got, d.Number)
				if len(d.Tasks) != 0 {
					t.Errorf("%s: list includes tasks", d.Number)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("numbers (-want +got):\n%s", diff)
			}
			if p.NextPageToken != "" {
				t.Errorf("NextPageToken = %q on a single page", p.NextPageToken)
			}
		})
	}
}

func TestListDocumentsPages(t *testing.T) {
	store, _ := newStore(t)
	ctx := t.Context()
	var want []string
	// Five documents signed on three days: ties on the date are broken by id.
	for i, signed := range []string{"2021-01-03", "2021-01-03", "2021-01-02", "2021-01-02", "2021-01-01"} {
		d := newDocument(t, fmt.Sprintf("%d/KH-UBND", i), "Kế hoạch", signed, task("1", []string{unitSNV}))
		if err := store.CreateDocument(ctx, d, occurrences(d)); err != nil {
			t.Fatal(err)
		}
		want = append(want, d.ID)
	}
	all, err := store.ListDocuments(ctx, app.DocumentFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var ordered []string
	for _, d := range all.Items {
		ordered = append(ordered, d.ID)
	}

	var got []string
	f := app.DocumentFilter{PageSize: 2}
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		p, err := store.ListDocuments(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range p.Items {
			got = append(got, d.ID)
		}
		if p.NextPageToken == "" {
			break
		}
		f.PageToken = p.NextPageToken
	}
	if diff := cmp.Diff(ordered, got); diff != "" {
		t.Errorf("paged ids differ from one page (-want +got):\n%s", diff)
	}
	if len(got) != len(want) {
		t.Errorf("%d documents over all pages, want %d", len(got), len(want))
	}

	var invalid *page.InvalidTokenError
	if _, err := store.ListDocuments(ctx, app.DocumentFilter{PageToken: "not a token"}); !errors.As(err, &invalid) {
		t.Errorf("bad token: %v, want *page.InvalidTokenError", err)
	}
}

func TestListTasks(t *testing.T) {
	store, _ := newStore(t)
	ctx := t.Context()
	a := newDocument(t, "1/KH", "A", "2021-01-01",
		task("I.1", []string{unitSNV}, unitSTP),
		task("I.2", []string{unitSTP}),
		task("I.10", []string{unitSTC}, unitSNV),
	)
	b := newDocument(t, "2/KH", "B", "2021-01-02",
		task("1", []string{unitSNV}),
		task("2", []string{unitSTC}),
	)
	for _, d := range []tracking.Document{a, b} {
		if err := store.CreateDocument(ctx, d, occurrences(d)); err != nil {
			t.Fatal(err)
		}
	}

	all := app.Viewer{All: true}
	tests := []struct {
		name   string
		filter app.TaskFilter
		want   []string // document number / code
	}{
		{name: "document, in the document's order", filter: app.TaskFilter{DocumentID: a.ID, Viewer: all}, want: []string{"1/KH I.1", "1/KH I.2", "1/KH I.10"}},
		{name: "unit as lead or cooperating", filter: app.TaskFilter{UnitID: unitSNV, Viewer: all}, want: []string{"1/KH I.1", "1/KH I.10", "2/KH 1"}},
		{name: "unit and document", filter: app.TaskFilter{UnitID: unitSTC, DocumentID: b.ID, Viewer: all}, want: []string{"2/KH 2"}},
		{name: "unit with no task", filter: app.TaskFilter{UnitID: unitUBND, Viewer: all}, want: nil},
		{name: "paged by two", filter: app.TaskFilter{PageSize: 2, Viewer: all}, want: []string{"1/KH I.1", "1/KH I.2", "1/KH I.10", "2/KH 1", "2/KH 2"}},
		// A unit member sees only the tasks its unit takes part in; nobody sees nothing.
		{name: "viewer of a unit", filter: app.TaskFilter{Viewer: app.Viewer{UnitID: unitSNV}}, want: []string{"1/KH I.1", "1/KH I.10", "2/KH 1"}},
		{name: "viewer of nothing", filter: app.TaskFilter{}, want: nil},
	}
	numbers := map[string]string{a.ID: "1/KH", b.ID: "2/KH"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			f := tt.filter
			for pages := 0; ; pages++ {
				if pages > 5 {
					t.Fatal("paging does not end")
				}
				p, err := store.ListTasks(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				for _, task := range p.Items {
					got = append(got, numbers[task.DocumentID]+" "+task.Code)
				}
				if p.NextPageToken == "" {
					break
				}
				f.PageToken = p.NextPageToken
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("tasks (-want +got):\n%s", diff)
			}
		})
	}
}

// The context of a cancelled request must not leave a half-written document behind.
func TestCreateDocumentCancelled(t *testing.T) {
	store, _ := newStore(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	d := newDocument(t, "9/KH", "Kế hoạch", "2021-01-01", task("1", []string{unitSNV}))
	if err := store.CreateDocument(ctx, d, occurrences(d)); err == nil {
		t.Fatal("CreateDocument with a cancelled context succeeded")
	}
	if _, err := store.Document(t.Context(), d.ID); !errors.Is(err, tracking.ErrDocumentNotFound) {
		t.Errorf("Document = %v, want ErrDocumentNotFound", err)
	}
}

// occurrences returns the occurrences of a new document, as the app creates them.
func occurrences(d tracking.Document) []tracking.Occurrence {
	return tracking.NewOccurrences(d, d.CreateTime, func() string { return uuid.Must(uuid.NewV7()).String() })
}

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	parscoringv1 "github.com/parindex/platform/proto/gen/go/par/parscoring/v1"
	"github.com/parindex/platform/services/kit/auth"

	"github.com/parindex/platform/deploy/devstack/demo"
	"github.com/parindex/platform/deploy/devstack/stack"
)

// tqResults are the Ministry's provincial index of Tuyên Quang as this scenario imports it.
// The figures are test data (DOMAIN.md gives no published figure for Tuyên Quang): field 5
// (civil service, owned by the Director of Home Affairs, 002 Art. 15.1) falls three years
// running; field 2 (institutions, Director of Justice, Art. 15.2) rises two years running;
// field 3 (administrative procedures, Chief of the Provincial People's Committee Office,
// Art. 15.3; maximum 13) holds at 12.00; field 6 (public finance) holds too.
var tqResults = map[int]string{
	2022: "Mã đơn vị,Tên đơn vị,Mã mục,Điểm,Xếp hạng,Trên tổng số\nTQ,Tuyên Quang,,84.00,30,63\nTQ,Tuyên Quang,Lĩnh vực 2,\"8,00\",,\nTQ,Tuyên Quang,Lĩnh vực 5,\"14,00\",,\nTQ,Tuyên Quang,Lĩnh vực 6,\"5,00\",,\nTQ,Tuyên Quang,III,\"12,00\",,\n",
	2023: "Mã đơn vị,Tên đơn vị,Mã mục,Điểm,Xếp hạng,Trên tổng số\nTQ,Tuyên Quang,,84.50,29,63\nTQ,Tuyên Quang,Lĩnh vực 2,\"8,00\",,\nTQ,Tuyên Quang,Lĩnh vực 5,\"13,50\",,\nTQ,Tuyên Quang,Lĩnh vực 6,\"5,00\",,\nTQ,Tuyên Quang,III,\"12,00\",,\n",
	2024: "Mã đơn vị,Tên đơn vị,Mã mục,Điểm,Xếp hạng,Trên tổng số\nTQ,Tuyên Quang,,85.00,27,63\nTQ,Tuyên Quang,Lĩnh vực 2,\"8,50\",,\nTQ,Tuyên Quang,Lĩnh vực 5,\"13,00\",,\nTQ,Tuyên Quang,Lĩnh vực 6,\"5,00\",,\nTQ,Tuyên Quang,III,\"12,00\",,\n",
	2025: "Mã đơn vị,Tên đơn vị,Mã mục,Điểm,Xếp hạng,Trên tổng số\nTQ,Tuyên Quang,,86.00,25,63\nTQ,Tuyên Quang,Lĩnh vực 2,\"9,00\",,\nTQ,Tuyên Quang,Lĩnh vực 5,\"12,50\",,\nTQ,Tuyên Quang,Lĩnh vực 6,\"5,00\",,\nTQ,Tuyên Quang,III,\"12,00\",,\n",
}

// TestOwnedItemFallsYearAfterYear follows seed 002 over four years of published results on
// the whole platform: each fall of field 5 opens one explanation request to the head of Home
// Affairs in office when the results are published (directory tenure; a new head appointed
// before the 2025 results receives that year's request); the heads explain, the secretariat
// determines a subjective cause; a results event delivered again opens nothing new; the 2025
// evaluation names the head in office on 31/12/2025 and decides by Art. 17.1, the
// proposals follow Art. 18 and 19.1, and the report of Art. 20.2 gathers them.
func TestOwnedItemFallsYearAfterYear(t *testing.T) {
	p := startPlatform(t)
	log := discard
	sum, err := demo.Load(t.Context(), log, p.loaderConn(t, "directory"), p.loaderConn(t, "tasktracking"))
	if err != nil {
		t.Fatalf("demo directory: %v", err)
	}
	setID, err := demo.LoadMethodologies(t.Context(), log, p.loaderConn(t, "parscoring"))
	if err != nil || setID == "" {
		t.Fatalf("methodologies: %q %v", setID, err)
	}
	province, snv, stp, vp := sum.UnitIDs["TQ"], sum.UnitIDs["TQ-SNV"], sum.UnitIDs["TQ-STP"], sum.UnitIDs["TQ-VPUBND"]
	if st := p.do(t, http.MethodPost, "/v1/provinces/"+province+"/responsibility-matrices/2022:import", p.token,
		map[string]any{"use_default": true}, nil, nil); st != http.StatusOK {
		t.Fatalf("import the default matrix: HTTP %d", st)
	}

	type explanation struct {
		ID       string `json:"id"`
		Year     int    `json:"year"`
		NodeCode string `json:"node_code"`
		UnitID   string `json:"unit_id"`
		HeadName string `json:"head_name"`
		Status   string `json:"status"`
	}
	explanations := func(year int) []explanation {
		t.Helper()
		var out struct {
			Explanations []explanation `json:"explanations"`
		}
		q := url.Values{"province_unit_id": {province}, "year": {fmt.Sprint(year)}}
		if st := p.do(t, http.MethodGet, "/v1/explanations?"+q.Encode(), p.token, nil, nil, &out); st != http.StatusOK {
			t.Fatalf("explanations %d: HTTP %d", year, st)
		}
		return out.Explanations
	}
	head := func(unit string) string {
		tok, err := p.st.Signer().Mint(auth.Principal{Subject: "e2e.head." + unit[:8], UnitID: unit, Roles: []string{auth.RoleUnitHead}}, stack.Audience, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	// explainSubjective waits for the year's one request on field 5, checks who it names,
	// and takes it through the head's explanation to the secretariat's conclusion.
	explainSubjective := func(year int, headName string) {
		t.Helper()
		var got []explanation
		waitFor(t, time.Minute, fmt.Sprintf("the %d request on field 5", year), func() (bool, string) {
			got = explanations(year)
			return len(got) > 0, "none yet"
		})
		if len(got) != 1 || got[0].NodeCode != "5" || got[0].UnitID != snv || got[0].HeadName != headName {
			t.Fatalf("%d: explanations = %+v, want one on field 5 to %s of Home Affairs", year, got, headName)
		}
		id, owner := got[0].ID, head(snv)
		content := map[string]any{"content": map[string]any{
			"direction":    "Giám đốc Sở chỉ đạo rà soát công tác tuyển dụng, đánh giá công chức.",
			"shortcomings": []any{map[string]any{"node_code": "5", "description": "Điểm lĩnh vực cải cách chế độ công vụ giảm", "causes": []any{map[string]any{"kind": "CAUSE_KIND_SUBJECTIVE", "description": "Chưa kịp thời ban hành kế hoạch"}}}},
			"solutions":    []string{"Ban hành kế hoạch trong Quý I"},
		}}
		for _, step := range []struct {
			method, path, token string
			body                any
		}{
			{http.MethodPut, "/v1/explanations/" + id + "/content", owner, content},
			{http.MethodPost, "/v1/explanations/" + id + ":submit", owner, map[string]any{}},
			{http.MethodPost, "/v1/explanations/" + id + ":conclude", p.token, map[string]any{"conclusion": "Nguyên nhân chủ quan",
				"determined_causes": []any{map[string]any{"node_code": "5", "cause": "CAUSE_KIND_SUBJECTIVE"}}}},
		} {
			var out map[string]any
			if st := p.do(t, step.method, step.path, step.token, step.body, nil, &out); st != http.StatusOK {
				t.Fatalf("%d: %s %s: HTTP %d", year, step.method, step.path, st)
			}
		}
	}
	importYear := func(year int) {
		t.Helper()
		var out struct {
			Problems []map[string]any `json:"problems"`
		}
		st := p.do(t, http.MethodPost, "/v1/result-snapshots:import", p.token, map[string]any{
			"year": year, "criteria_set_id": setID, "unit_id": province, "subject_code": "TQ",
			"decision": "Công bố PAR INDEX", "format": "FILE_FORMAT_CSV", "content": []byte(tqResults[year]),
		}, nil, &out)
		if st != http.StatusOK || len(out.Problems) > 0 {
			t.Fatalf("import %d: HTTP %d, problems %v", year, st, out.Problems)
		}
	}

	importYear(2022)
	for _, year := range []int{2023, 2024} {
		importYear(year)
		explainSubjective(year, "Nguyễn Đức Thành")
	}
	// A new director of Home Affairs takes office today, before the 2025 results: the
	// request goes to whoever answers for the department when they are published.
	today := time.Now().In(time.FixedZone("ICT", 7*3600)).Format(time.DateOnly)
	if st := p.do(t, http.MethodPost, "/v1/units/"+snv+"/head-tenures", p.token, map[string]any{
		"person_name": "Hoàng Minh Tuấn", "title": "Giám đốc", "start_date": today,
	}, nil, &map[string]any{}); st != http.StatusOK {
		t.Fatalf("new head: HTTP %d", st)
	}
	importYear(2025)
	explainSubjective(2025, "Hoàng Minh Tuấn")

	// The 2025 results event delivered once more (an outbox relay re-sending after the
	// broker's duplicate window, so with a new message id): accountability must recognise
	// the event and open nothing.
	redeliver(t, p.st.NATSURL(), 2025, province)
	if got := explanations(2025); len(got) != 1 || got[0].Status != "EXPLANATION_STATUS_CONCLUDED" {
		t.Errorf("after redelivery: %+v, want the one concluded request", got)
	}
	for _, year := range []int{2023, 2024} {
		if got := explanations(year); len(got) != 1 {
			t.Errorf("%d after redelivery: %+v", year, got)
		}
	}

	// The departments' own indexes of 2025, published by the province (test data).
	var set struct {
		CriteriaSet struct {
			ID string `json:"id"`
		} `json:"criteria_set"`
	}
	if st := p.do(t, http.MethodPost, "/v1/criteria-sets", p.token, map[string]any{
		"year": 2025, "subject_kind": "department", "name": "Chỉ số CCHC sở, ban, ngành năm 2025 (dữ liệu thử)", "max_points": "100.00",
		"nodes": []any{map[string]any{"code": "1", "name": "Kết quả chung (dữ liệu thử)", "max_points": "100.00"}},
	}, nil, &set); st != http.StatusOK {
		t.Fatalf("department set: HTTP %d", st)
	}
	subject := func(unit, name, score string) map[string]any {
		return map[string]any{"unit_id": unit, "name": name, "scores": []any{map[string]any{"code": "1", "score": score}}}
	}
	if st := p.do(t, http.MethodPost, "/v1/result-snapshots:publish", p.token, map[string]any{
		"year": 2025, "criteria_set_id": set.CriteriaSet.ID, "decision": "Công bố Chỉ số CCHC sở, ngành năm 2025",
		"subjects": []any{subject(snv, "Sở Nội vụ", "85.00"), subject(stp, "Sở Tư pháp", "92.00"), subject(vp, "Văn phòng UBND tỉnh", "95.00")},
	}, nil, &map[string]any{}); st != http.StatusOK {
		t.Fatalf("publish department indexes: HTTP %d", st)
	}

	type evaluation struct {
		UnitID     string `json:"unit_id"`
		HeadName   string `json:"head_name"`
		Tier       string `json:"tier"`
		Rule       string `json:"rule"`
		LegalBasis string `json:"legal_basis"`
	}
	var evs []evaluation
	waitFor(t, time.Minute, "three evaluations", func() (bool, string) {
		var out struct {
			Evaluations []evaluation `json:"evaluations"`
		}
		if st := p.do(t, http.MethodPost, "/v1/provinces/"+province+"/evaluations/2025:evaluate", p.token, map[string]any{}, nil, &out); st != http.StatusOK {
			return false, "HTTP " + http.StatusText(st)
		}
		evs = out.Evaluations
		return len(evs) == 3, fmt.Sprintf("%d evaluations", len(evs))
	})
	got := map[string]string{}
	for _, e := range evs {
		got[e.UnitID] = fmt.Sprintf("%s by %s (%s)", e.Tier, e.Rule, e.HeadName)
	}
	want := map[string]string{
		// Index 85 (good range) but field 5 fell in 2024 and 2025 for a subjective cause:
		// Art. 17.1.d. The head in office on 31/12/2025 is evaluated, not today's.
		snv: "not_completed by art17.1.d (Nguyễn Đức Thành)",
		// Index 92 and field 2 rose two years running: Art. 17.1.a.
		stp: "excellent by art17.1.a (Trần Thị Mai Anh)",
		// Index 95, field 3 held below its maximum: no tier of Art. 17.1 fits (a: neither at
		// maximum nor rising; b needs 80 to < 90), so the province's policy decides and says so.
		vp: "completed by policy.fallback (Ma Thị Thanh Huyền)",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("evaluations 2025 (-want +got):\n%s", diff)
	}

	var pub struct {
		Proposals []struct {
			UnitID     string   `json:"unit_id"`
			HeadName   string   `json:"head_name"`
			Kind       string   `json:"kind"`
			LegalBasis string   `json:"legal_basis"`
			Evidence   []string `json:"evidence"`
			Status     string   `json:"status"`
		} `json:"proposals"`
	}
	if st := p.do(t, http.MethodPost, "/v1/provinces/"+province+"/evaluations/2025:publish", p.token, map[string]any{}, nil, &pub); st != http.StatusOK {
		t.Fatalf("publish evaluations: HTTP %d", st)
	}
	kinds := map[string][]string{}
	for _, pr := range pub.Proposals {
		kinds[pr.UnitID] = append(kinds[pr.UnitID], pr.Kind+" "+pr.LegalBasis)
		if pr.Status != "proposed" || len(pr.Evidence) == 0 {
			t.Errorf("proposal %+v", pr)
		}
		if pr.UnitID == snv && pr.HeadName != "Nguyễn Đức Thành" {
			t.Errorf("proposal on %s names %q", pr.Kind, pr.HeadName)
		}
	}
	for _, k := range kinds {
		slices.Sort(k)
	}
	wantKinds := map[string][]string{
		snv: {
			// Three years running, subjective (2023, 2024, 2025).
			"report_to_party_committee Điều 19 khoản 1 điểm c Quyết định 3373/QĐ-UBND",
			// Fell versus 2024, subjective.
			"written_criticism Điều 19 khoản 1 điểm a Quyết định 3373/QĐ-UBND",
			// Not completed (Art. 17.1.d).
			"written_notice Điều 19 khoản 1 điểm b Quyết định 3373/QĐ-UBND",
		},
		// Excellent heads are proposed for commendation (Art. 18, 20.4).
		stp: {"commendation Điều 18, Điều 20 khoản 4 Quyết định 3373/QĐ-UBND"},
	}
	if diff := cmp.Diff(wantKinds, kinds); diff != "" {
		t.Errorf("proposals 2025 (-want +got):\n%s", diff)
	}

	// The Department of Home Affairs' report of Art. 20.2: due 30 days after publication,
	// the rises and falls per field with their owners, the explanations, the evaluations and
	// the proposals.
	var rep struct {
		Report struct {
			PublishDate   string `json:"publish_date"`
			Deadline      string `json:"deadline"`
			Total         string `json:"total"`
			PreviousTotal string `json:"previous_total"`
			Changes       []struct {
				Code          string `json:"code"`
				PreviousScore string `json:"previous_score"`
				Score         string `json:"score"`
				Delta         string `json:"delta"`
				Direction     string `json:"direction"`
				OwnerUnitID   string `json:"owner_unit_id"`
			} `json:"changes"`
			Explanations []explanation    `json:"explanations"`
			Evaluations  []map[string]any `json:"evaluations"`
			Proposals    []map[string]any `json:"proposals"`
		} `json:"report"`
	}
	if st := p.do(t, http.MethodGet, "/v1/provinces/"+province+"/accountability-reports/2025", p.token, nil, nil, &rep); st != http.StatusOK {
		t.Fatalf("report: HTTP %d", st)
	}
	r := rep.Report
	published, err := time.Parse(time.DateOnly, r.PublishDate)
	if err != nil || r.Deadline != published.AddDate(0, 0, 30).Format(time.DateOnly) || r.Total != "86.00" || r.PreviousTotal != "85.00" {
		t.Errorf("report: published %s, deadline %s, total %s after %s", r.PublishDate, r.Deadline, r.Total, r.PreviousTotal)
	}
	changes := map[string]string{}
	for _, c := range r.Changes {
		if c.Score != "" {
			changes[c.Code] = fmt.Sprintf("%s→%s %s %s %v", c.PreviousScore, c.Score, c.Delta, c.Direction, c.OwnerUnitID == map[string]string{"2": stp, "3": vp, "5": snv}[c.Code])
		}
	}
	wantChanges := map[string]string{
		"2": "8.50→9.00 +0.50 tăng true",
		"3": "12.00→12.00 +0.00 giữ nguyên true",
		"5": "13.00→12.50 -0.50 giảm true",
		"6": "5.00→5.00 +0.00 giữ nguyên false", // owned by Finance, not checked here
	}
	if diff := cmp.Diff(wantChanges, changes); diff != "" {
		t.Errorf("report changes (-want +got):\n%s", diff)
	}
	if len(r.Explanations) != 1 || r.Explanations[0].NodeCode != "5" || len(r.Evaluations) != 3 || len(r.Proposals) != 4 {
		t.Errorf("report: %d explanations %+v, %d evaluations, %d proposals", len(r.Explanations), r.Explanations, len(r.Evaluations), len(r.Proposals))
	}
}

// redeliver publishes again the year's parscoring.v1.subject_result.published event of the
// unit, with a new message id, and waits until accountability's consumer has handled it.
func redeliver(t *testing.T, natsURL string, year int, unitID string) {
	t.Helper()
	const subject = "parscoring.v1.subject_result.published"
	nc, err := nats.Connect(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	name, err := js.StreamNameBySubject(ctx, subject)
	if err != nil {
		t.Fatal(err)
	}
	stream, err := js.Stream(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	cons, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}})
	if err != nil {
		t.Fatal(err)
	}
	var found *nats.Msg
	for found == nil {
		msg, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
		if err != nil {
			t.Fatalf("the %d results event of %s: %v", year, unitID, err)
		}
		var ev parscoringv1.SubjectResultPublished
		if err := proto.Unmarshal(msg.Data(), &ev); err != nil {
			t.Fatal(err)
		}
		if int(ev.GetYear()) == year && ev.GetUnitId() == unitID && ev.GetSubjectKind() == "province" {
			found = &nats.Msg{Subject: subject, Data: msg.Data(), Header: nats.Header{}}
			for k, v := range msg.Headers() {
				found.Header[k] = v
			}
		}
	}
	found.Header.Set(jetstream.MsgIDHeader, "redelivered-"+found.Header.Get(jetstream.MsgIDHeader))
	ack, err := js.PublishMsg(ctx, found)
	if err != nil || ack.Duplicate {
		t.Fatalf("republish: %+v %v", ack, err)
	}
	durable, err := stream.Consumer(ctx, "accountability-triggers")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, time.Minute, "accountability to handle the redelivered event", func() (bool, string) {
		info, err := durable.Info(ctx)
		if err != nil {
			return false, err.Error()
		}
		return info.AckFloor.Stream >= ack.Sequence && info.NumAckPending == 0, fmt.Sprintf("ack floor %d < %d", info.AckFloor.Stream, ack.Sequence)
	})
}

package e2e

import (
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/parindex/platform/deploy/devstack/demo"
	"github.com/parindex/platform/deploy/devstack/stack"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/grpcclient"
)

// TestDemoTargets loads the demo directory, documents and targets — Plan 56/KH-UBND (seed
// 001, section II), Directive 18/CT-UBND of Thanh Hóa (seed 000) and Letter 7761/UBND-HC of
// Đồng Nai (seed 004) — twice on the real stack, then reads them and a target's achievements
// over REST.
func TestDemoTargets(t *testing.T) {
	p := startPlatform(t)
	loader, err := p.st.Signer().Mint(auth.Principal{Subject: "service:demo-loader", Roles: []string{auth.RoleSecretariat, auth.RoleService}}, stack.Audience, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	creds := auth.PerRPCCredentials{ServiceToken: loader}
	dirConn, err := grpcclient.Dial(p.st.GRPCAddr("directory"), creds)
	if err != nil {
		t.Fatal(err)
	}
	defer dirConn.Close()
	taskConn, err := grpcclient.Dial(p.st.GRPCAddr("tasktracking"), creds)
	if err != nil {
		t.Fatal(err)
	}
	defer taskConn.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	sum, err := demo.Load(t.Context(), log, dirConn, taskConn)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := demo.LoadTargets(t.Context(), log, sum.UnitIDs, taskConn); err != nil || n != 34 {
		t.Fatalf("first load: %d targets, %v", n, err)
	}
	if n, err := demo.LoadTargets(t.Context(), log, sum.UnitIDs, taskConn); err != nil || n != 0 {
		t.Fatalf("second load: %d targets, %v", n, err)
	}

	type target struct {
		ID         string   `json:"id"`
		DocumentID string   `json:"document_id"`
		Code       string   `json:"code"`
		Comparator string   `json:"comparator"`
		Value      float64  `json:"value"`
		StartYear  int      `json:"start_year"`
		EndYear    int      `json:"end_year"`
		Deadline   string   `json:"deadline"`
		ScopeUnits []string `json:"scope_unit_ids"`
		Text       string   `json:"text"`
	}
	var list struct {
		Targets []target `json:"targets"`
	}
	// 2020: the seven of Plan 56 for 2020 and Thanh Hóa's yearly ISO target of 2018–2022.
	if st := p.do(t, http.MethodGet, "/v1/targets?year=2020", loader, nil, nil, &list); st != http.StatusOK || len(list.Targets) != 8 {
		t.Fatalf("targets of 2020: HTTP %d, %d targets", st, len(list.Targets))
	}
	targetsOf := func(number, issuer string) map[string]target {
		t.Helper()
		var docs struct {
			Documents []struct {
				ID     string `json:"id"`
				Number string `json:"number"`
			} `json:"documents"`
		}
		q := url.Values{"query": {number}, "issuer_unit_id": {sum.UnitIDs[issuer]}}
		if st := p.do(t, http.MethodGet, "/v1/documents?"+q.Encode(), loader, nil, nil, &docs); st != http.StatusOK || len(docs.Documents) != 1 || docs.Documents[0].Number != number {
			t.Fatalf("document %s: HTTP %d %+v", number, st, docs)
		}
		var l struct {
			Targets []target `json:"targets"`
		}
		if st := p.do(t, http.MethodGet, "/v1/targets?document_id="+docs.Documents[0].ID, loader, nil, nil, &l); st != http.StatusOK {
			t.Fatalf("targets of %s: HTTP %d", number, st)
		}
		out := map[string]target{}
		for _, tg := range l.Targets {
			out[tg.Code] = tg
		}
		return out
	}
	// Seed 000 item 1.2.b: "đảm bảo đến hết năm 2018, ... có phát sinh hồ sơ đạt 60% trở lên";
	// item 1.5.b: "đến năm 2022 có trên 70% đơn vị cấp xã" (trên: more than).
	th := targetsOf("18/CT-UBND", "TH")
	if len(th) != 10 {
		t.Errorf("18/CT-UBND: %d targets, want 10", len(th))
	}
	if g := th["1.2.b.1"]; g.Comparator != "COMPARATOR_AT_LEAST" || g.Value != 60 || g.EndYear != 2018 || g.Deadline != "2018-12-31" ||
		len(g.ScopeUnits) != 1 || g.ScopeUnits[0] != sum.UnitIDs["TH"] || !strings.Contains(g.Text, "có phát sinh hồ sơ đạt 60% trở lên") {
		t.Errorf("18/CT-UBND 1.2.b.1 = %+v", g)
	}
	if g := th["1.5.b.2"]; g.Comparator != "COMPARATOR_MORE_THAN" || g.Value != 70 || g.StartYear != 2022 || g.EndYear != 2022 {
		t.Errorf("18/CT-UBND 1.5.b.2 = %+v", g)
	}
	// Seed 004 item 2.b: "hàng năm kiểm tra trên 30%"; item 2.c: "ít nhất 80% tổng số cán bộ,
	// công chức được đào tạo, bồi dưỡng ... tối thiểu 01 tuần/1 năm". The letter numbers two
	// sections "2."; the Department of Justice's items carry its name.
	dn := targetsOf("7761/UBND-HC", "DN")
	if len(dn) != 11 {
		t.Errorf("7761/UBND-HC: %d targets, want 11", len(dn))
	}
	if g := dn["2.b"]; g.Comparator != "COMPARATOR_MORE_THAN" || g.Value != 30 || g.StartYear != 2015 || !strings.Contains(g.Text, "kiểm tra trên 30%") {
		t.Errorf("7761/UBND-HC 2.b = %+v", g)
	}
	if g := dn["2.c.2"]; g.Comparator != "COMPARATOR_AT_LEAST" || g.Value != 80 || !strings.Contains(g.Text, "tối thiểu 01 tuần/1 năm") {
		t.Errorf("7761/UBND-HC 2.c.2 = %+v", g)
	}
	if g := dn["1.c.1"]; g.Deadline != "2015-10-30" || g.Value != 100 {
		t.Errorf("7761/UBND-HC 1.c.1 = %+v", g)
	}
	if _, ok := dn["2.a (Sở Tư pháp)"]; !ok {
		t.Errorf("7761/UBND-HC: no target 2.a (Sở Tư pháp) in %v", dn)
	}
	var district string
	for _, tg := range list.Targets {
		if tg.Code == "II.1.d" {
			district = tg.ID
		}
	}
	var ach struct {
		UnitsInScope int `json:"units_in_scope"`
		Achievements []struct {
			UnitName string `json:"unit_name"`
		} `json:"achievements"`
	}
	if st := p.do(t, http.MethodGet, "/v1/targets/"+district+"/achievements", loader, nil, nil, &ach); st != http.StatusOK {
		t.Fatalf("achievements: HTTP %d", st)
	}
	// The demo province has seven districts.
	if ach.UnitsInScope != 7 || len(ach.Achievements) != 7 {
		t.Errorf("district target: %d units in scope, %v", ach.UnitsInScope, ach.Achievements)
	}
}

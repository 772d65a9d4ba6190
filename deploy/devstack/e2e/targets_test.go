package e2e

import (
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/parindex/platform/deploy/devstack/demo"
	"github.com/parindex/platform/deploy/devstack/stack"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/grpcclient"
)

// TestDemoTargets loads the demo directory, Plan 56/KH-UBND and its targets (seed 001,
// section II) twice on the real stack, then reads a target's achievements over REST.
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
	if n, err := demo.LoadTargets(t.Context(), log, sum.UnitIDs, taskConn); err != nil || n != 13 {
		t.Fatalf("first load: %d targets, %v", n, err)
	}
	if n, err := demo.LoadTargets(t.Context(), log, sum.UnitIDs, taskConn); err != nil || n != 0 {
		t.Fatalf("second load: %d targets, %v", n, err)
	}

	var list struct {
		Targets []struct {
			ID   string `json:"id"`
			Code string `json:"code"`
		} `json:"targets"`
	}
	if st := p.do(t, http.MethodGet, "/v1/targets?year=2020", loader, nil, nil, &list); st != http.StatusOK || len(list.Targets) != 7 {
		t.Fatalf("targets of 2020: HTTP %d, %d targets", st, len(list.Targets))
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

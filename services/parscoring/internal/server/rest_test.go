package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"

	parscoringv1 "github.com/parindex/platform/proto/gen/go/par/parscoring/v1"
	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/auth/authtest"
)

// restClient calls the REST API of an in-process PAR scoring server through the
// grpc-gateway handlers, with the JSON options of the platform's gateway (proto field names,
// which the OpenAPI document shows).
type restClient struct {
	t   *testing.T
	srv *httptest.Server
	h   *assessmentHarness
}

func newRESTClient(t *testing.T, h *assessmentHarness) *restClient {
	t.Helper()
	mux := runtime.NewServeMux(runtime.WithMarshalerOption(runtime.MIMEWildcard, &runtime.JSONPb{
		MarshalOptions: protojson.MarshalOptions{UseProtoNames: true},
	}))
	if err := parscoringv1.RegisterAssessmentServiceHandler(t.Context(), mux, h.conn); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &restClient{t: t, srv: srv, h: h}
}

// token returns a bearer token of a person of unitCode ("" for none) with roles.
func (c *restClient) token(unitCode string, roles ...string) string {
	c.t.Helper()
	p := auth.Principal{UserID: "u-" + roles[0], Name: "Lê Văn C", Roles: roles}
	if unitCode != "" {
		p.UserID, p.UnitID = "u-"+unitCode+"-"+roles[0], demoUnitID(unitCode)
	}
	return authtest.Token(c.t, c.h.signer, p)
}

// do sends body as JSON with the token (none when empty) and returns the status and the
// decoded JSON answer.
func (c *restClient) do(method, path, token string, body any) (int, map[string]any) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(c.t.Context(), method, c.srv.URL+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.srv.Client().Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		c.t.Fatalf("%s %s: HTTP %d, body not JSON: %v", method, path, resp.StatusCode, err)
	}
	return resp.StatusCode, out
}

// get walks a decoded JSON value along keys (strings) and indexes (ints).
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

// violations returns the fields of the BadRequest detail of an error answer.
func violations(body map[string]any) []string {
	var out []string
	for _, d := range body["details"].([]any) {
		for _, fv := range get(d, "field_violations").([]any) {
			out = append(out, get(fv, "field").(string))
		}
	}
	return out
}

// TestAppraisalFlowOverREST: self-assessment submit → appraiser adjusts with a reason → the
// unit answers → final review, over REST: the JSON field names are the proto names, and
// errors come back with grpc-gateway's standard HTTP status of their gRPC code.
func TestAppraisalFlowOverREST(t *testing.T) {
	h := startAssessments(t)
	c := newRESTClient(t, h)
	set, err := h.client.CreateCriteriaSet(h.as(t, auth.RoleSecretariat), &parscoringv1.CreateCriteriaSetRequest{CriteriaSet: roundSet()}, grpc.WaitForReady(true))
	if err != nil {
		t.Fatal(err)
	}
	sec, appraiser := c.token("", auth.RoleSecretariat), c.token("", auth.RoleAppraiser)
	staff, head, otherHead := c.token("TQ-STP", auth.RoleUnitStaff), c.token("TQ-STP", auth.RoleUnitHead), c.token("TQ-STC", auth.RoleUnitHead)
	now := time.Now().UTC()

	// Open the round: the body is the round, field names as in the proto.
	st, body := c.do(http.MethodPost, "/v1/assessment-rounds", sec, map[string]any{
		"year": 2025, "level": "province", "criteria_set_id": set.GetCriteriaSet().GetId(), "name": "Chấm điểm CCHC các sở năm 2025",
		"self_assessment_deadline": now.Add(24 * time.Hour).Format(time.RFC3339),
		"appraisal_deadline":       now.Add(48 * time.Hour).Format(time.RFC3339),
		"response_deadline":        now.Add(72 * time.Hour).Format(time.RFC3339),
	})
	if st != http.StatusOK || get(body, "round", "subject_kind") != "department" || get(body, "round", "appraisal_deadline") == nil ||
		get(body, "round", "subjects", 0, "state") != "ASSESSMENT_STATE_DRAFT" || get(body, "round", "subjects", 0, "unit_id") == nil {
		t.Fatalf("open round: HTTP %d %v", st, body)
	}
	round := get(body, "round", "id").(string)
	unit := "/v1/assessment-rounds/" + round + "/units/" + demoUnitID("TQ-STP")

	// Errors: no token 401, wrong role 403, another unit 404, bad score 400 with the field.
	items := []map[string]any{
		{"code": "1.1.1", "score": "2.5", "evidence": []string{"Kế hoạch số 05/KH-STP ngày 10/01/2025"}},
		{"code": "1.1.2", "score": "1.5", "declared_figures": "10/10 nhiệm vụ", "explanation": "Báo cáo tổng kết chưa ban hành"},
	}
	if st, body := c.do(http.MethodPost, unit+"/self-assessment", "", map[string]any{"items": items}); st != http.StatusUnauthorized || body["code"] != float64(16) {
		t.Errorf("no token: HTTP %d %v", st, body)
	}
	if st, _ := c.do(http.MethodPost, unit+"/self-assessment", appraiser, map[string]any{"items": items}); st != http.StatusForbidden {
		t.Errorf("appraiser saves: HTTP %d, want 403", st)
	}
	if st, body := c.do(http.MethodGet, unit, otherHead, nil); st != http.StatusNotFound || body["message"] != "đơn vị không thuộc đợt đánh giá này" {
		t.Errorf("other unit reads: HTTP %d %v, want 404", st, body)
	}
	st, body = c.do(http.MethodPost, unit+"/self-assessment", staff, map[string]any{"items": []map[string]any{{"code": "1.1.1", "score": "3"}}})
	if st != http.StatusBadRequest || body["code"] != float64(3) || !slices.Equal(violations(body), []string{"items[0].score"}) {
		t.Errorf("score above maximum: HTTP %d %v", st, body)
	}

	// Self-assessment: staff save, the head submits.
	st, body = c.do(http.MethodPost, unit+"/self-assessment", staff, map[string]any{"items": items})
	if st != http.StatusOK || get(body, "assessment", "items", 0, "self_score") != "2.50" || get(body, "assessment", "items", 1, "declared_figures") != "10/10 nhiệm vụ" ||
		get(body, "assessment", "items", 0, "max_points") != "2.50" || get(body, "assessment", "items", 2, "point_source") != "POINT_SOURCE_SURVEY" {
		t.Fatalf("save: HTTP %d %v", st, body)
	}
	if st, _ := c.do(http.MethodPost, unit+"/self-assessment:submit", staff, map[string]any{}); st != http.StatusForbidden {
		t.Errorf("staff submits: HTTP %d, want 403", st)
	}
	st, body = c.do(http.MethodPost, unit+"/self-assessment:submit", head, map[string]any{})
	if st != http.StatusOK || get(body, "assessment", "subject", "state") != "ASSESSMENT_STATE_SUBMITTED" || get(body, "assessment", "submit_time") == nil {
		t.Fatalf("submit: HTTP %d %v", st, body)
	}
	// Locked: a wrong state is FailedPrecondition, HTTP 400 in grpc-gateway's mapping.
	if st, body := c.do(http.MethodPost, unit+"/self-assessment", staff, map[string]any{"items": items}); st != http.StatusBadRequest || body["code"] != float64(9) {
		t.Errorf("save after submit: HTTP %d %v", st, body)
	}

	// Appraisal: an adjustment needs a reason; then accept one, adjust the other.
	adjust := map[string]any{"code": "1.1.2", "decision": "APPRAISAL_DECISION_ADJUSTED", "score": "1"}
	st, body = c.do(http.MethodPost, unit+"/appraisal", appraiser, map[string]any{"items": []any{adjust}})
	if st != http.StatusBadRequest || !slices.Equal(violations(body), []string{"items[0].reason"}) {
		t.Errorf("adjust without reason: HTTP %d %v", st, body)
	}
	adjust["reason"] = "Chưa có báo cáo tổng kết kiểm chứng nhiệm vụ thứ 10"
	st, body = c.do(http.MethodPost, unit+"/appraisal", appraiser, map[string]any{"items": []any{
		map[string]any{"code": "1.1.1", "decision": "APPRAISAL_DECISION_ACCEPTED"}, adjust}})
	if st != http.StatusOK || get(body, "assessment", "items", 1, "decision") != "APPRAISAL_DECISION_ADJUSTED" ||
		get(body, "assessment", "items", 1, "appraised_score") != "1.00" || get(body, "assessment", "items", 1, "appraisal_reason") != adjust["reason"] {
		t.Fatalf("appraise: HTTP %d %v", st, body)
	}
	if st, body := c.do(http.MethodPost, unit+"/appraisal:complete", appraiser, map[string]any{}); st != http.StatusOK ||
		get(body, "assessment", "subject", "state") != "ASSESSMENT_STATE_APPRAISED" {
		t.Fatalf("complete: HTTP %d %v", st, body)
	}

	// The unit answers the adjustment.
	answer := "Báo cáo tổng kết đã ban hành: Báo cáo số 30/BC-STP ngày 20/12/2025"
	st, body = c.do(http.MethodPost, unit+"/appraisal:respond", head, map[string]any{"items": []any{map[string]any{"code": "1.1.2", "response": answer}}})
	if st != http.StatusOK || get(body, "assessment", "items", 1, "unit_response") != answer {
		t.Fatalf("respond: HTTP %d %v", st, body)
	}
	if st, _ := c.do(http.MethodPost, unit+"/appraisal:respond", otherHead, map[string]any{"items": []any{map[string]any{"code": "1.1.2", "response": answer}}}); st != http.StatusNotFound {
		t.Errorf("other unit answers: HTTP %d, want 404", st)
	}

	// Final review: the answer is accepted, the survey item scored.
	st, body = c.do(http.MethodPost, unit+"/appraisal:finalise", appraiser, map[string]any{"adjustments": []any{
		map[string]any{"code": "1.1.2", "score": "1.5", "reason": "Chấp nhận giải trình của đơn vị"},
		map[string]any{"code": "1.2", "score": "5.25", "reason": "Điểm điều tra xã hội học"},
	}})
	if st != http.StatusOK || get(body, "assessment", "final_total") != "9.25" || get(body, "assessment", "subject", "state") != "ASSESSMENT_STATE_FINALISED" ||
		get(body, "assessment", "items", 1, "final_score") != "1.50" || get(body, "assessment", "finalise_time") == nil {
		t.Fatalf("finalise: HTTP %d %v", st, body)
	}
	if st, body := c.do(http.MethodPost, unit+"/appraisal:finalise", appraiser, map[string]any{}); st != http.StatusBadRequest || body["code"] != float64(9) {
		t.Errorf("finalise twice: HTTP %d %v", st, body)
	}

	// The history, as the unit reads it.
	st, body = c.do(http.MethodGet, unit+"/changes", head, nil)
	changes, _ := body["changes"].([]any)
	if st != http.StatusOK || len(changes) != 7 {
		t.Fatalf("changes: HTTP %d %v", st, body)
	}
	var adjusted map[string]any
	for _, ch := range changes {
		if m := ch.(map[string]any); m["stage"] == "appraisal" && m["code"] == "1.1.2" {
			adjusted = m
		}
	}
	if adjusted == nil || adjusted["old_score"] != "1.50" || adjusted["new_score"] != "1.00" || adjusted["actor"] != "u-appraiser" || adjusted["change_time"] == nil {
		t.Errorf("appraisal change = %v", adjusted)
	}
}

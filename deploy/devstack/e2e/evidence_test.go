package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"testing"
	"time"

	"github.com/parindex/platform/deploy/devstack/stack"
	"github.com/parindex/platform/services/kit/auth"
)

// TestEvidenceThroughGateway follows a unit's report over REST: the secretariat adds a task to
// a plan, the lead unit uploads an evidence file (multipart) and reports progress, the
// secretariat downloads the same bytes, and another unit is told the file does not exist.
func TestEvidenceThroughGateway(t *testing.T) {
	p := startPlatform(t)
	prov := p.createUnit(t, "E2E", "Ủy ban nhân dân tỉnh Thử Nghiệm", "province", "province", "")
	stp := p.createUnit(t, "E2E-STP", "Sở Tư pháp", "department", "province", prov)
	stc := p.createUnit(t, "E2E-STC", "Sở Tài chính", "department", "province", prov)
	mint := func(subject, unit string) string {
		tok, err := p.st.Signer().Mint(auth.Principal{Subject: subject, UnitID: unit, Roles: []string{auth.RoleUnitStaff}}, stack.Audience, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	stpStaff, stcStaff := mint("e2e.stp", stp), mint("e2e.stc", stc)

	var created struct {
		Document struct {
			ID string `json:"id"`
		} `json:"document"`
	}
	if st := p.do(t, http.MethodPost, "/v1/documents", p.token,
		document("57/KH-UBND", prov, task("I.1", "Rà soát văn bản quy phạm pháp luật", []string{stc}, nil)), nil, &created); st != http.StatusOK {
		t.Fatalf("create document: HTTP %d", st)
	}
	var added struct {
		Tasks []struct {
			ID string `json:"id"`
		} `json:"tasks"`
	}
	if st := p.do(t, http.MethodPost, "/v1/documents/"+created.Document.ID+"/tasks:add", p.token,
		map[string]any{"tasks": []any{task("I.2", "Kiểm tra công tác cải cách thủ tục hành chính", []string{stp}, nil)}}, nil, &added); st != http.StatusOK || len(added.Tasks) != 1 {
		t.Fatalf("add task: HTTP %d %+v", st, added)
	}
	var occs struct {
		Occurrences []struct {
			ID string `json:"id"`
		} `json:"occurrences"`
	}
	if st := p.do(t, http.MethodGet, "/v1/occurrences?task_id="+added.Tasks[0].ID, stpStaff, nil, nil, &occs); st != http.StatusOK || len(occs.Occurrences) != 1 {
		t.Fatalf("occurrences of the added task: HTTP %d %+v", st, occs)
	}
	occ := occs.Occurrences[0].ID

	// The upload: a multipart form with a PDF a little over one gateway chunk.
	content := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("Báo cáo kết quả kiểm tra. "), 12000)...)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("description", "Báo cáo kết quả kiểm tra năm 2020")
	fw, _ := mw.CreateFormFile("file", "Bao-cao-kiem-tra.pdf")
	_, _ = fw.Write(content)
	_ = mw.Close()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, p.st.GatewayURL()+"/v1/occurrences/"+occ+"/evidence", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+stpStaff)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var up struct {
		Evidence struct {
			ID        string `json:"id"`
			MediaType string `json:"media_type"`
			Sha256    string `json:"sha256"`
		} `json:"evidence"`
	}
	raw, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &up) != nil {
		t.Fatalf("upload: HTTP %d %s", resp.StatusCode, raw)
	}
	sum := sha256.Sum256(content)
	if up.Evidence.MediaType != "application/pdf" || up.Evidence.Sha256 != hex.EncodeToString(sum[:]) {
		t.Errorf("uploaded evidence = %+v", up.Evidence)
	}

	if st := p.do(t, http.MethodPost, "/v1/occurrences/"+occ+"/progress-reports", stpStaff, map[string]any{
		"period": map[string]any{"kind": "PERIOD_KIND_YEAR", "year": 2020}, "percent_done": 60,
		"narrative": "Đã kiểm tra 12 cơ quan", "evidence_ids": []string{up.Evidence.ID},
	}, nil, &map[string]any{}); st != http.StatusOK {
		t.Errorf("progress report: HTTP %d", st)
	}

	download := func(token string) (int, []byte) {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, p.st.GatewayURL()+"/v1/evidence/"+up.Evidence.ID+"/content", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	if st, b := download(p.token); st != http.StatusOK || !bytes.Equal(b, content) {
		t.Errorf("secretariat download: HTTP %d, %d bytes of %d", st, len(b), len(content))
	}
	if st, _ := download(stcStaff); st != http.StatusNotFound {
		t.Errorf("another unit's download: HTTP %d, want 404", st)
	}
}

// Package e2e runs the platform as `make run` does — a private PostgreSQL cluster, embedded
// NATS JetStream, every service and the gateway as separate processes — and drives it through
// the REST gateway.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/parindex/platform/services/kit/auth"
	"github.com/parindex/platform/services/kit/grpcclient"

	"github.com/parindex/platform/deploy/devstack/stack"
)

// platform is a running stack and a REST client for it.
type platform struct {
	st    *stack.Stack
	token string
}

// startPlatform builds every program and starts the stack in a temporary folder.
func startPlatform(t *testing.T) *platform {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	args := []string{"build", "-o", bin + "/"}
	for _, s := range stack.Services {
		args = append(args, "./services/"+s+"/cmd/"+s)
	}
	args = append(args, "./gateway/cmd/gateway")
	build := exec.CommandContext(t.Context(), "go", args...)
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	// Not t.TempDir: its parent is private (0700), and when the tests run as root the
	// PostgreSQL cluster runs as the postgres user, who must be able to reach its folder.
	data, err := os.MkdirTemp("", "par-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(data) })
	if err := os.Chmod(data, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	st, err := stack.Start(ctx, stack.Options{DataDir: data, BinDir: bin})
	if err != nil {
		t.Fatalf("start stack: %v", err)
	}
	t.Cleanup(func() {
		if err := st.Stop(context.Background()); err != nil {
			t.Errorf("stop stack: %v", err)
		}
		if t.Failed() {
			for _, name := range append(append([]string{}, stack.Services...), "gateway") {
				b, _ := os.ReadFile(st.LogFile(name))
				if len(b) > 4000 {
					b = b[len(b)-4000:]
				}
				t.Logf("--- log of %s (tail):\n%s", name, b)
			}
		}
	})
	tok, err := st.Signer().Mint(auth.Principal{Subject: "e2e.secretariat", Name: "Thư ký CCHC", Roles: []string{auth.RoleSecretariat}}, stack.Audience, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return &platform{st: st, token: tok}
}

// do sends a REST request and decodes the JSON answer into out (when not nil). It returns the
// HTTP status.
func (p *platform) do(t *testing.T, method, path, token string, body any, header http.Header, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, p.st.GatewayURL()+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
	if resp.StatusCode >= 300 && out != nil {
		t.Logf("%s %s → %d %s", method, path, resp.StatusCode, b)
	}
	return resp.StatusCode
}

// loaderConn dials a service as the demo loader does: a service token with the secretariat
// role. The connection closes when the test ends.
func (p *platform) loaderConn(t *testing.T, service string) *grpc.ClientConn {
	t.Helper()
	tok, err := p.st.Signer().Mint(auth.Principal{Subject: "service:demo-loader", Roles: []string{auth.RoleSecretariat, auth.RoleService}}, stack.Audience, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c, err := grpcclient.Dial(p.st.GRPCAddr(service), auth.PerRPCCredentials{ServiceToken: tok})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// discard is the logger handed to the demo loaders.
var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

type unitJSON struct {
	Unit struct {
		ID string `json:"id"`
	} `json:"unit"`
}

// createUnit creates a unit through REST and returns its id.
func (p *platform) createUnit(t *testing.T, code, name, kind, level, parent string) string {
	t.Helper()
	var out unitJSON
	body := map[string]any{"code": code, "name": name, "kind": kind, "level": level}
	if parent != "" {
		body["parent_id"] = parent
	}
	if st := p.do(t, http.MethodPost, "/v1/units", p.token, body, nil, &out); st != http.StatusOK {
		t.Fatalf("create unit %s: HTTP %d", code, st)
	}
	return out.Unit.ID
}

type inboxJSON struct {
	Items []struct {
		ID        string `json:"id"`
		EventID   string `json:"event_id"`
		Title     string `json:"title"`
		Body      string `json:"body"`
		Link      string `json:"link"`
		EventType string `json:"event_type"`
	} `json:"items"`
	NextPageToken string `json:"next_page_token"`
	UnreadCount   int    `json:"unread_count"`
}

// inbox reads a unit's whole inbox through REST, following pages.
func (p *platform) inbox(t *testing.T, unitID, token string) inboxJSON {
	t.Helper()
	var all inboxJSON
	tok := ""
	for {
		var page inboxJSON
		path := "/v1/units/" + unitID + "/inbox-items?page_size=200"
		if tok != "" {
			path += "&page_token=" + tok
		}
		if st := p.do(t, http.MethodGet, path, token, nil, nil, &page); st != http.StatusOK {
			t.Fatalf("inbox of %s: HTTP %d", unitID, st)
		}
		all.Items = append(all.Items, page.Items...)
		all.UnreadCount = page.UnreadCount
		if page.NextPageToken == "" {
			return all
		}
		tok = page.NextPageToken
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s; last state: %s", timeout, what, state)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func document(number, issuer string, tasks ...map[string]any) map[string]any {
	return map[string]any{
		"number":            number,
		"kind":              "DOCUMENT_KIND_PLAN",
		"issuer_unit_id":    issuer,
		"signed_on":         "2020-05-20",
		"title":             "Kế hoạch cải cách hành chính năm 2020 — thử nghiệm",
		"period_start_year": 2020,
		"period_end_year":   2025,
		"tasks":             tasks,
	}
}

func task(code, content string, lead []string, coop []string) map[string]any {
	return map[string]any{
		"code":                 code,
		"group":                "TASK_GROUP_PROCEDURES",
		"content":              content,
		"lead_unit_ids":        lead,
		"cooperating_unit_ids": coop,
		"deadline":             map[string]any{"kind": "TIMING_KIND_DATE", "date": "2020-11-30", "text": "trước ngày 30/11/2020"},
	}
}

// TestSlice walks the first vertical slice: a document with tasks created through REST reaches
// every assigned unit's inbox, readable through REST, with one trace id across the gateway,
// task tracking and notification logs.
func TestSlice(t *testing.T) {
	p := startPlatform(t)

	// Without a token: 401.
	if st := p.do(t, http.MethodGet, "/v1/units", "", nil, nil, nil); st != http.StatusUnauthorized {
		t.Fatalf("GET /v1/units without token: HTTP %d, want 401", st)
	}

	// An agency system gets a token by the OAuth2 client-credentials grant and reads with it.
	agencyToken := clientCredentialsToken(t, strings.TrimSuffix(p.st.JWKSURL(), "/.well-known/jwks.json")+"/oauth2/token")
	if st := p.do(t, http.MethodGet, "/v1/unit-levels", agencyToken, nil, nil, nil); st != http.StatusOK {
		t.Fatalf("GET /v1/unit-levels with a client-credentials token: HTTP %d, want 200", st)
	}

	prov := p.createUnit(t, "E2E", "Ủy ban nhân dân tỉnh Thử Nghiệm", "province", "province", "")
	snv := p.createUnit(t, "E2E-SNV", "Sở Nội vụ", "department", "province", prov)
	stp := p.createUnit(t, "E2E-STP", "Sở Tư pháp", "department", "province", prov)
	vp := p.createUnit(t, "E2E-VP", "Văn phòng Ủy ban nhân dân tỉnh", "department", "province", prov)

	// A known trace id, sent as W3C traceparent, must show up in three processes' logs.
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	hdr := http.Header{"Traceparent": {"00-" + traceID + "-00f067aa0ba902b7-01"}}
	var created struct {
		Document struct {
			ID    string `json:"id"`
			Tasks []struct {
				ID string `json:"id"`
			} `json:"tasks"`
		} `json:"document"`
	}
	doc := document("56/KH-UBND", prov,
		task("III.1", "Rà soát, đơn giản hóa thủ tục hành chính thuộc phạm vi quản lý", []string{vp}, []string{snv, stp}))
	if st := p.do(t, http.MethodPost, "/v1/documents", p.token, doc, hdr, &created); st != http.StatusOK {
		t.Fatalf("create document: HTTP %d", st)
	}
	if len(created.Document.Tasks) != 1 {
		t.Fatalf("created %d tasks, want 1", len(created.Document.Tasks))
	}
	taskID := created.Document.Tasks[0].ID

	// Each assigned unit — the lead and both cooperating units — gets one inbox item.
	for _, u := range []string{vp, snv, stp} {
		waitFor(t, 20*time.Second, "inbox item of "+u, func() (bool, string) {
			in := p.inbox(t, u, p.token)
			return len(in.Items) == 1, fmt.Sprintf("%d items", len(in.Items))
		})
		in := p.inbox(t, u, p.token)
		it := in.Items[0]
		if it.EventType != "tasktracking.v1.task.assigned" || !strings.Contains(it.Link, taskID) || !strings.Contains(it.Body, "30/11/2020") {
			t.Errorf("inbox item of %s = %+v; want a task-assigned item linking task %s with deadline 30/11/2020", u, it, taskID)
		}
		if in.UnreadCount != 1 {
			t.Errorf("unread count of %s = %d, want 1", u, in.UnreadCount)
		}
	}

	// A unit's user reads their own inbox but not another unit's.
	staff, err := p.st.Signer().Mint(auth.Principal{Subject: "e2e.staff", UnitID: stp, Roles: []string{auth.RoleUnitStaff}}, stack.Audience, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.inbox(t, stp, staff); len(got.Items) != 1 {
		t.Errorf("staff of STP sees %d items in own inbox, want 1", len(got.Items))
	}
	if st := p.do(t, http.MethodGet, "/v1/units/"+snv+"/inbox-items", staff, nil, nil, nil); st != http.StatusForbidden {
		t.Errorf("staff of STP reading SNV inbox: HTTP %d, want 403", st)
	}

	// The trace crosses gateway → task tracking → JetStream → notification.
	for _, name := range []string{"gateway", "tasktracking", "notification"} {
		name := name
		waitFor(t, 10*time.Second, "trace id in the "+name+" log", func() (bool, string) {
			b, err := os.ReadFile(p.st.LogFile(name))
			if err != nil {
				return false, err.Error()
			}
			return bytes.Contains(b, []byte(`"trace_id":"`+traceID+`"`)), "not found"
		})
	}
}

// TestNotificationRestart kills the notification service while documents are being created
// and starts it again: every assigned unit ends up with exactly one item per task — nothing
// lost, nothing doubled.
func TestNotificationRestart(t *testing.T) {
	p := startPlatform(t)
	prov := p.createUnit(t, "R", "Ủy ban nhân dân tỉnh Khởi Động Lại", "province", "province", "")
	lead := p.createUnit(t, "R-SNV", "Sở Nội vụ", "department", "province", prov)
	coop := p.createUnit(t, "R-STC", "Sở Tài chính", "department", "province", prov)

	const docs = 30
	created := make(chan int, docs)
	errs := make(chan error, docs)
	go func() {
		defer close(created)
		for i := range docs {
			d := document(fmt.Sprintf("%d/KH-UBND", 100+i), prov,
				task("1", fmt.Sprintf("Nhiệm vụ số %d", i), []string{lead}, []string{coop}))
			var out map[string]any
			if st := p.do(t, http.MethodPost, "/v1/documents", p.token, d, nil, &out); st != http.StatusOK {
				errs <- fmt.Errorf("document %d: HTTP %d", i, st)
			}
			created <- i
		}
	}()
	// Kill the notification service once a few documents are in, while the rest keep coming,
	// and start it again while documents are still being created.
	for range 5 {
		<-created
	}
	if err := p.st.Kill("notification"); err != nil {
		t.Fatalf("kill notification: %v", err)
	}
	for range 5 {
		<-created
	}
	if err := p.st.Restart(t.Context(), "notification"); err != nil {
		t.Fatalf("restart notification: %v", err)
	}
	for range created {
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	for _, u := range []string{lead, coop} {
		waitFor(t, 30*time.Second, "all items of "+u, func() (bool, string) {
			return len(p.inbox(t, u, p.token).Items) >= docs, fmt.Sprintf("%d items", len(p.inbox(t, u, p.token).Items))
		})
		in := p.inbox(t, u, p.token)
		seen := map[string]bool{}
		for _, it := range in.Items {
			if seen[it.EventID] {
				t.Errorf("unit %s has two items for event %s", u, it.EventID)
			}
			seen[it.EventID] = true
		}
		if len(in.Items) != docs {
			t.Errorf("unit %s has %d items, want %d", u, len(in.Items), docs)
		}
	}
}

// clientCredentialsToken asks the dev issuer's token endpoint for the demo agency's token.
func clientCredentialsToken(t *testing.T, tokenURL string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, tokenURL, strings.NewReader("grant_type=client_credentials"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(stack.DemoClientID, stack.DemoClientSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK || body.AccessToken == "" {
		t.Fatalf("token endpoint: HTTP %d, %v", resp.StatusCode, err)
	}
	return body.AccessToken
}

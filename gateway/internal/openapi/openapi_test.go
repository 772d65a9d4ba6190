package openapi

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

// TestDocumentHasCustomRoutes: the served document describes the gateway's own evidence
// routes beside every generated operation, and every reference in it resolves.
func TestDocumentHasCustomRoutes(t *testing.T) {
	var doc, gen struct {
		Paths       map[string]map[string]any `json:"paths"`
		Definitions map[string]any            `json:"definitions"`
	}
	if err := json.Unmarshal(Document, &doc); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(generated, &gen); err != nil {
		t.Fatal(err)
	}
	for _, op := range []struct{ path, method string }{
		{"/v1/occurrences/{occurrence_id}/evidence", "post"},
		{"/v1/evidence/{evidence_id}/content", "get"},
		{"/v1/occurrences/{occurrence_id}/evidence", "get"}, // generated, same path
	} {
		if doc.Paths[op.path][op.method] == nil {
			t.Errorf("%s %s missing from the document", op.method, op.path)
		}
	}
	for path, ops := range gen.Paths {
		for method := range ops {
			if doc.Paths[path][method] == nil {
				t.Errorf("generated %s %s lost in the merge", method, path)
			}
		}
	}
	for _, m := range regexp.MustCompile(`"#/definitions/([^"]+)"`).FindAllSubmatch(Document, -1) {
		if doc.Definitions[string(m[1])] == nil {
			t.Errorf("reference to missing definition %s", m[1])
		}
	}
}

// A custom route may not replace a generated operation.
func TestMergeRefusesShadowing(t *testing.T) {
	doc := []byte(`{"paths": {"/v1/x": {"get": {}}}}`)
	if _, err := merge(doc, []byte(`{"paths": {"/v1/x": {"get": {}}}}`)); err == nil {
		t.Error("merge accepted a custom GET /v1/x over the generated one")
	}
	b, err := merge(doc, []byte(`{"paths": {"/v1/x": {"post": {}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	var d struct{ Paths map[string]map[string]any }
	if err := json.Unmarshal(b, &d); err != nil || len(d.Paths["/v1/x"]) != 2 {
		t.Errorf("merged = %s, %v; want GET and POST of /v1/x", b, err)
	}
}

// TestQuickStartNamesRealRoutes: every route the quick start of the document's description
// tells a portal developer to call (`GET /v1/...`) is an operation of the document, so
// the guide cannot drift from the API it describes.
func TestQuickStartNamesRealRoutes(t *testing.T) {
	var doc struct {
		Info  struct{ Description string } `json:"info"`
		Paths map[string]map[string]any    `json:"paths"`
	}
	if err := json.Unmarshal(Document, &doc); err != nil {
		t.Fatal(err)
	}
	refs := regexp.MustCompile("`(GET|POST|PUT|PATCH|DELETE) (/v1/[^`?\\s]+)").FindAllStringSubmatch(doc.Info.Description, -1)
	if len(refs) < 5 {
		t.Fatalf("quick start names %d routes; want the walk-through (token, units, document, scorecard)", len(refs))
	}
	// A concrete path (`/v1/published/rankings/{year}/province`) matches a template
	// (`/v1/published/rankings/{year}/{subject_kind}`) segment by segment.
	matches := func(path, template string) bool {
		p, tp := strings.Split(path, "/"), strings.Split(template, "/")
		if len(p) != len(tp) {
			return false
		}
		for i := range p {
			if p[i] != tp[i] && !strings.HasPrefix(tp[i], "{") {
				return false
			}
		}
		return true
	}
	for _, r := range refs {
		method, path := strings.ToLower(r[1]), r[2]
		found := false
		for template, ops := range doc.Paths {
			if ops[method] != nil && matches(path, template) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("quick start names %s %s, which the document does not have", r[1], path)
		}
	}
}

// TestPathsAreKebabCase: collection names in REST paths are lower-case words joined by
// hyphens (`/v1/assessment-rounds`), the same in every service, so a portal developer never
// guesses between `dueReports` and `due-reports`; custom verbs after ':' keep lowerCamelCase
// (`:markRead`).
func TestPathsAreKebabCase(t *testing.T) {
	var doc struct {
		Paths map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(Document, &doc); err != nil {
		t.Fatal(err)
	}
	segment := regexp.MustCompile(`^([a-z0-9]+(-[a-z0-9]+)*|\{[a-z_.]+\})(:[a-z][A-Za-z]*)?$`)
	for path := range doc.Paths {
		for _, s := range strings.Split(strings.TrimPrefix(path, "/"), "/") {
			if !segment.MatchString(s) {
				t.Errorf("%s: segment %q is not kebab-case", path, s)
			}
		}
	}
}

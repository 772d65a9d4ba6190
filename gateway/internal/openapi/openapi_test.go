package openapi

import (
	"encoding/json"
	"regexp"
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

// Package openapi holds the merged OpenAPI document of every public RPC, generated from the
// proto comments by `make generate` and served by the gateway, together with the routes the
// gateway serves with its own handlers (custom_routes.json), which no proto HTTP rule
// describes.
package openapi

import (
	_ "embed"
	"encoding/json"
	"fmt"
)

//go:embed par.swagger.json
var generated []byte

// customRoutes holds, in the document's own shape, the operations of the gateway's own
// handlers (evidence upload as multipart/form-data, evidence download as the file itself):
// streams that grpc-gateway does not map. Edit it beside the handler when a route changes.
//
//go:embed custom_routes.json
var customRoutes []byte

// Document is the merged OpenAPI (v2) document, as JSON.
var Document = mustMerge(generated, customRoutes)

// mustMerge adds the paths and definitions of extra to doc; an operation or definition that
// doc already has is a programming error (a custom route shadowing a generated one).
func mustMerge(doc, extra []byte) []byte {
	b, err := merge(doc, extra)
	if err != nil {
		panic(fmt.Sprintf("openapi: %v", err))
	}
	return b
}

func merge(doc, extra []byte) ([]byte, error) {
	var d, x map[string]any
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, fmt.Errorf("generated document: %w", err)
	}
	if err := json.Unmarshal(extra, &x); err != nil {
		return nil, fmt.Errorf("custom routes: %w", err)
	}
	for _, section := range []string{"paths", "definitions"} {
		add, _ := x[section].(map[string]any)
		if len(add) == 0 {
			continue
		}
		into, _ := d[section].(map[string]any)
		if into == nil {
			into = map[string]any{}
			d[section] = into
		}
		for name, v := range add {
			if section == "definitions" {
				if _, ok := into[name]; ok {
					return nil, fmt.Errorf("definition %s is generated already", name)
				}
				into[name] = v
				continue
			}
			ops, _ := v.(map[string]any)
			item, _ := into[name].(map[string]any)
			if item == nil {
				item = map[string]any{}
				into[name] = item
			}
			for method, op := range ops {
				if _, ok := item[method]; ok {
					return nil, fmt.Errorf("%s %s is generated already", method, name)
				}
				item[method] = op
			}
		}
	}
	return json.MarshalIndent(d, "", "  ")
}

// Package openapi holds the merged OpenAPI document of every public RPC, generated from the
// proto comments by `make generate` and served by the gateway.
package openapi

import _ "embed"

// Document is the merged OpenAPI (v2) document, as JSON.
//
//go:embed par.swagger.json
var Document []byte

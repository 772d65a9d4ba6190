// Package docs serves the interactive API documentation at /docs/: Swagger UI from the npm
// package swagger-ui-dist, pinned to Version and vendored in ui/ (no network needed), on
// the gateway's own OpenAPI document.
//
// To update: `npm pack swagger-ui-dist@<version>`, copy swagger-ui-bundle.js,
// swagger-ui.css, their LICENSE files and favicon-32x32.png into ui/, and change Version.
package docs

import (
	"embed"
	"io/fs"
	"net/http"
)

// Version is the vendored swagger-ui-dist release.
const Version = "5.35.0"

//go:embed ui
var files embed.FS

// Handler serves the documentation page and its assets under prefix (e.g. "/docs/").
func Handler(prefix string) http.Handler {
	sub, err := fs.Sub(files, "ui")
	if err != nil {
		panic(err) // the embed pattern above guarantees the folder
	}
	fileServer := http.StripPrefix(prefix, http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fileServer.ServeHTTP(w, r)
	})
}

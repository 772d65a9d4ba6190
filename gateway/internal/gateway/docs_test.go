package gateway

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestDocsPageIsServedOfflineWithoutToken checks the page and its vendored assets come from
// the gateway itself, publicly, and point at the gateway's OpenAPI document.
func TestDocsPageIsServedOfflineWithoutToken(t *testing.T) {
	hs, _, _ := startGateway(t)
	fetch := func(path string) (int, string, string) {
		t.Helper()
		resp, err := http.DefaultClient.Do(newReq(t, http.MethodGet, hs.URL+path, "", ""))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
	}
	st, ct, page := fetch("/docs/")
	if st != http.StatusOK || !strings.HasPrefix(ct, "text/html") || !strings.Contains(page, `src="swagger-ui-bundle.js"`) || strings.Contains(page, "unpkg") {
		t.Fatalf("/docs/: HTTP %d %s\n%s", st, ct, page)
	}
	st, _, init := fetch("/docs/initializer.js")
	if st != http.StatusOK || !strings.Contains(init, `"../openapi.json"`) {
		t.Errorf("/docs/initializer.js: HTTP %d %s", st, init)
	}
	st, ct, bundle := fetch("/docs/swagger-ui-bundle.js")
	if st != http.StatusOK || !strings.Contains(ct, "javascript") || len(bundle) < 1<<20 {
		t.Errorf("/docs/swagger-ui-bundle.js: HTTP %d %s, %d bytes", st, ct, len(bundle))
	}
	if st, _, _ := fetch("/docs/swagger-ui.css"); st != http.StatusOK {
		t.Errorf("/docs/swagger-ui.css: HTTP %d", st)
	}
	if st, _, _ := fetch("/docs/nothing.js"); st != http.StatusNotFound {
		t.Errorf("/docs/nothing.js: HTTP %d, want 404", st)
	}
}

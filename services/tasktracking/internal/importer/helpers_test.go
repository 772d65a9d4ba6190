package importer_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/parindex/platform/services/tasktracking/internal/importer"
)

// demoUnits reads the devstack demo directory (Tuyên Quang, the province of seed 001, and
// the provinces of seeds 000 and 004, whose names demoMatcher must not confuse), with
// each unit's code standing in for its id (and its parent's code for the parent id).
func demoUnits(t testing.TB) []importer.Unit {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "deploy", "devstack", "demo", "data", "directory.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dir struct {
		Units []struct {
			Code      string `json:"code"`
			Name      string `json:"name"`
			ShortName string `json:"short_name"`
			Kind      string `json:"kind"`
			Level     string `json:"level"`
			Parent    string `json:"parent"`
		} `json:"units"`
	}
	if err := json.Unmarshal(data, &dir); err != nil {
		t.Fatal(err)
	}
	units := make([]importer.Unit, 0, len(dir.Units))
	for _, u := range dir.Units {
		units = append(units, importer.Unit{
			ID: u.Code, Code: u.Code, Name: u.Name, ShortName: u.ShortName,
			Kind: u.Kind, Level: u.Level, ParentID: u.Parent,
		})
	}
	if len(units) == 0 {
		t.Fatal("directory.json has no units")
	}
	return units
}

// demoMatcher matches names as an import of a plan issued by Tuyên Quang's committee does:
// among Tuyên Quang's units only (the demo directory holds other provinces too).
func demoMatcher(t testing.TB) *importer.Matcher {
	t.Helper()
	m, _ := importer.ForIssuer(demoUnits(t), "TQ")
	return m
}

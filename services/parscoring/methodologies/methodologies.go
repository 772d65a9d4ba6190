// Package methodologies ships PAR index methodologies as data (YAML, the format of
// MethodologyService.ImportCriteriaSet), embedded so that any deployment can load them.
//
// The figures come from DOMAIN.md, "Reference facts from public sources". Where a figure
// was not found it is not invented: the node is marked incomplete with a note, and such a
// set documents the methodology but cannot be scored against until completed.
package methodologies

import (
	"embed"
	"io/fs"
	"sort"
)

//go:embed *.yaml
var files embed.FS

// File is one shipped methodology.
type File struct {
	// Name is the file name, e.g. "qd2948_2017_province.yaml".
	Name string
	// Content is the YAML.
	Content []byte
}

// All returns every shipped methodology, ordered by file name (oldest decision first).
func All() []File {
	entries, err := fs.Glob(files, "*.yaml")
	if err != nil {
		panic(err) // the pattern is constant
	}
	sort.Strings(entries)
	out := make([]File, 0, len(entries))
	for _, name := range entries {
		b, err := files.ReadFile(name)
		if err != nil {
			panic(err) // listed by the embedded FS itself
		}
		out = append(out, File{Name: name, Content: b})
	}
	return out
}

package app

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/parindex/platform/services/parscoring/internal/methodology"
	"github.com/parindex/platform/services/parscoring/internal/setfile"
)

// SetFormat is the file format of an imported or exported criteria set.
type SetFormat int

// The criteria set formats.
const (
	SetYAML SetFormat = iota + 1
	SetCSV
	SetXLSX
)

// SetImport is what ImportCriteriaSet found and did.
type SetImport struct {
	// Problems lists every problem; when not empty nothing was stored.
	Problems []setfile.Problem
	// Set is the set as read; with an id when it was stored.
	Set methodology.CriteriaSet
	// Stored says whether the set was stored.
	Stored bool
}

// ImportCriteriaSet reads a set from a file and, unless it is a dry run or a problem was
// found, creates it with its event. Problems of the file are an outcome, not an error; a
// set that exists already is reported as a problem of the file too, so a dry run says so.
func (s *Service) ImportCriteriaSet(ctx context.Context, format SetFormat, content []byte, dryRun bool) (SetImport, error) {
	var (
		set      methodology.CriteriaSet
		problems []setfile.Problem
	)
	switch format {
	case SetYAML:
		set, problems = setfile.DecodeYAML(content)
	case SetCSV:
		set, problems = setfile.DecodeCSV(content)
	case SetXLSX:
		set, problems = setfile.DecodeXLSX(content)
	default:
		return SetImport{}, fmt.Errorf("import criteria set: %w", methodology.ValidationErrors{{Field: "format", Reason: "định dạng không được hỗ trợ"}})
	}
	out := SetImport{Problems: problems, Set: set}
	if len(problems) > 0 {
		return out, nil
	}
	exists, err := s.exists(ctx, set)
	if err != nil {
		return SetImport{}, fmt.Errorf("import criteria set: %w", err)
	}
	if exists {
		out.Problems = []setfile.Problem{{Message: methodology.ErrAlreadyExists.Error()}}
		return out, nil
	}
	if dryRun {
		return out, nil
	}
	created, err := s.CreateCriteriaSet(ctx, set)
	if err != nil {
		return SetImport{}, fmt.Errorf("import criteria set: %w", err)
	}
	return SetImport{Set: created, Stored: true}, nil
}

// exists reports whether a set with the same year, subject kind and decision is stored.
func (s *Service) exists(ctx context.Context, set methodology.CriteriaSet) (bool, error) {
	sets, err := s.store.ListCriteriaSets(ctx, ListQuery{Year: set.Year, SubjectKind: set.SubjectKind, Limit: 500})
	if err != nil {
		return false, err
	}
	for _, x := range sets {
		if x.Decision == set.Decision {
			return true, nil
		}
	}
	return false, nil
}

// SetExport is an exported criteria set.
type SetExport struct {
	Content     []byte
	FileName    string
	ContentType string
}

// ExportCriteriaSet writes a set as a file.
func (s *Service) ExportCriteriaSet(ctx context.Context, id string, format SetFormat) (SetExport, error) {
	set, err := s.GetCriteriaSet(ctx, id)
	if err != nil {
		return SetExport{}, err
	}
	base := fmt.Sprintf("bo-tieu-chi-%d-%s", set.Year, set.SubjectKind)
	var out SetExport
	switch format {
	case SetYAML:
		out.Content, err = setfile.EncodeYAML(set)
		out.FileName, out.ContentType = base+".yaml", "application/yaml"
	case SetCSV:
		out.Content, err = setfile.EncodeCSV(set)
		out.FileName, out.ContentType = base+".csv", "text/csv; charset=utf-8"
	case SetXLSX:
		out.Content, err = setfile.EncodeXLSX(set)
		out.FileName, out.ContentType = base+".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	default:
		return SetExport{}, methodology.ValidationErrors{{Field: "format", Reason: "định dạng không được hỗ trợ"}}
	}
	if err != nil {
		return SetExport{}, fmt.Errorf("export criteria set %s: %w", id, err)
	}
	return out, nil
}

// CloneCriteriaSet starts a new set for another year (or decision) with the tree of an
// existing one: last year's methodology is the draft of next year's. An empty name is the
// old name with its year replaced.
func (s *Service) CloneCriteriaSet(ctx context.Context, id string, year int, name, decision string) (methodology.CriteriaSet, error) {
	src, err := s.GetCriteriaSet(ctx, id)
	if err != nil {
		return methodology.CriteriaSet{}, err
	}
	draft := src
	draft.ID, draft.Year, draft.Decision = "", year, decision
	draft.Nodes = append([]methodology.Node(nil), src.Nodes...)
	draft.Name = name
	if strings.TrimSpace(name) == "" {
		draft.Name = strings.ReplaceAll(src.Name, strconv.Itoa(src.Year), strconv.Itoa(year))
	}
	return s.CreateCriteriaSet(ctx, draft)
}

package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/parindex/platform/services/accountability/internal/responsibility"
	"github.com/parindex/platform/services/accountability/internal/tabular"
)

// TableFormat is the file format of a matrix import or export.
type TableFormat int

// Formats of tables.
const (
	FormatCSV TableFormat = iota
	FormatXLSX
)

// MatrixImport is one import of a matrix: from the built-in default or from a table.
type MatrixImport struct {
	ProvinceUnitID string
	Year           int
	// UseDefault takes the Thái Bình matrix of QĐ 3373/QĐ-UBND Art. 15 (with Art. 15.7).
	UseDefault bool
	// Table and Format are the uploaded table when UseDefault is false.
	Table  []byte
	Format TableFormat
	// UnitsOwnIndex is Art. 15.7 for an uploaded table.
	UnitsOwnIndex bool
	// DryRun checks without storing.
	DryRun bool
}

// ImportResponsibilityMatrix builds a matrix from the default or a table, resolves unit
// codes through the directory, checks it as PutResponsibilityMatrix does, and stores it
// unless DryRun. Every bad row is reported together (ValidationErrors); nothing is stored
// unless every row is good.
func (s *Service) ImportResponsibilityMatrix(ctx context.Context, in MatrixImport) (responsibility.Matrix, error) {
	province := strings.ToLower(strings.TrimSpace(in.ProvinceUnitID))
	var rows []responsibility.Row
	unitsOwn := in.UnitsOwnIndex
	if in.UseDefault {
		code, err := s.dir.UnitCode(ctx, province)
		if errors.Is(err, ErrUnknownUnit) {
			return responsibility.Matrix{}, responsibility.ValidationErrors{{Field: "province_unit_id", Reason: "không có tỉnh này trong danh bạ"}}
		}
		if err != nil {
			return responsibility.Matrix{}, fmt.Errorf("import default matrix: province code: %w", err)
		}
		rows = responsibility.DefaultRows(code)
		unitsOwn = true // Art. 15.7 is part of the regulation
	} else {
		read := tabular.ReadCSV
		if in.Format == FormatXLSX {
			read = tabular.ReadXLSX
		}
		records, err := read(in.Table)
		if err != nil {
			return responsibility.Matrix{}, responsibility.ValidationErrors{{Field: "source", Reason: err.Error()}}
		}
		if rows, err = responsibility.ParseRows(records); err != nil {
			return responsibility.Matrix{}, fmt.Errorf("import matrix: %w", err)
		}
	}

	draft := responsibility.Matrix{ProvinceUnitID: province, Year: in.Year, UnitsOwnIndex: unitsOwn}
	var bad responsibility.ValidationErrors
	resolved := make(map[string]string) // code → id, one directory call per code
	resolve := func(ref, field string) string {
		if responsibility.IsUnitID(ref) {
			return ref
		}
		if id, ok := resolved[ref]; ok {
			return id
		}
		id, err := s.dir.UnitIDByCode(ctx, ref)
		switch {
		case errors.Is(err, ErrUnknownUnit):
			bad = append(bad, responsibility.ValidationError{Field: field, Reason: fmt.Sprintf("không có đơn vị mã %q trong danh bạ", ref)})
		case err != nil:
			bad = append(bad, responsibility.ValidationError{Field: field, Reason: ErrDirectoryUnavailable.Error()})
		}
		resolved[ref] = id
		return id
	}
	for _, r := range rows {
		e := responsibility.Entry{NodeCode: r.NodeCode, LegalBasis: r.LegalBasis,
			OwnerUnitID: resolve(r.Owner, fmt.Sprintf("rows[%d].owner_unit", r.Line))}
		for _, c := range r.Cooperating {
			e.CooperatingUnitIDs = append(e.CooperatingUnitIDs, resolve(c, fmt.Sprintf("rows[%d].cooperating_units", r.Line)))
		}
		draft.Entries = append(draft.Entries, e)
	}
	if len(bad) > 0 {
		return responsibility.Matrix{}, fmt.Errorf("import matrix: %w", bad)
	}
	if in.DryRun {
		m, err := responsibility.NewMatrix(draft)
		if err != nil {
			return responsibility.Matrix{}, fmt.Errorf("import matrix: %w", rowFields(err, rows))
		}
		return m, nil
	}
	m, err := s.PutResponsibilityMatrix(ctx, draft)
	if err != nil {
		return responsibility.Matrix{}, rowFields(err, rows)
	}
	return m, nil
}

// rowFields renames entries[i].x violations to the table's rows[<line>].x, so the person
// fixing the file sees line numbers.
func rowFields(err error, rows []responsibility.Row) error {
	var ve responsibility.ValidationErrors
	if !errors.As(err, &ve) {
		return err
	}
	out := make(responsibility.ValidationErrors, len(ve))
	for i, v := range ve {
		var idx int
		var rest string
		if n, _ := fmt.Sscanf(v.Field, "entries[%d]%s", &idx, &rest); n == 2 && idx < len(rows) {
			v.Field = fmt.Sprintf("rows[%d]%s", rows[idx].Line, rest)
		}
		out[i] = v
	}
	return out
}

// ExportResponsibilityMatrix returns the matrix of a province and year as a table file in
// the import's layout, with its suggested name and MIME type.
func (s *Service) ExportResponsibilityMatrix(ctx context.Context, provinceUnitID string, year int, format TableFormat) (name, contentType string, content []byte, err error) {
	m, err := s.GetResponsibilityMatrix(ctx, provinceUnitID, year)
	if err != nil {
		return "", "", nil, err
	}
	base := fmt.Sprintf("ma-tran-trach-nhiem-%d", year)
	if format == FormatXLSX {
		b, err := tabular.WriteXLSX(tabular.Sheet{Name: "Ma trận trách nhiệm", Records: m.Records()})
		return base + ".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b, err
	}
	b, err := tabular.WriteCSV(m.Records())
	return base + ".csv", "text/csv; charset=utf-8", b, err
}

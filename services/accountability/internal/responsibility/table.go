package responsibility

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"fmt"
	"strings"
)

// TableHeader is the header row of a matrix table, in import and export alike, so an
// exported table imports unchanged.
var TableHeader = []string{"node_code", "owner_unit", "cooperating_units", "legal_basis"}

// defaultTable is the Thái Bình matrix of QĐ 3373/QĐ-UBND Art. 15.1–15.6 laid on the eight
// fields of the provincial index (QĐ 876/QĐ-BNV numbering: 1 direction, 2 institutions,
// 3 procedures, 4 organisation, 5 civil service, 6 public finance, 7 digital government,
// 8 impact). Units are written as directory codes with {P} standing for the province's
// code; Art. 15.7 (each unit answers for its own index) is the matrix's UnitsOwnIndex flag.
//
//go:embed defaults/thai-binh.csv
var defaultTable []byte

// Row is one row of a matrix table with its units still unresolved: each is a directory id
// or a directory unit code.
type Row struct {
	// Line is the 1-based line of the row in the table (the header is line 1).
	Line int
	// NodeCode is the node.
	NodeCode string
	// Owner is the owning unit, id or code.
	Owner string
	// Cooperating are the cooperating units, ids or codes.
	Cooperating []string
	// LegalBasis is the article the row implements.
	LegalBasis string
}

// DefaultRows returns the Thái Bình default matrix for a province whose directory code is
// provinceCode (Art. 15).
func DefaultRows(provinceCode string) []Row {
	records, err := csv.NewReader(bytes.NewReader(defaultTable)).ReadAll()
	if err != nil {
		panic(err) // the embedded table is part of the build and tested
	}
	rows, err := ParseRows(records)
	if err != nil {
		panic(err)
	}
	sub := func(s string) string { return strings.ReplaceAll(s, "{P}", provinceCode) }
	for i := range rows {
		rows[i].Owner = sub(rows[i].Owner)
		for j := range rows[i].Cooperating {
			rows[i].Cooperating[j] = sub(rows[i].Cooperating[j])
		}
	}
	return rows
}

// ParseRows reads the records of a table (header first). Every problem is reported, by
// line, as ValidationErrors with fields "rows[<line>].<column>"; blank lines are skipped.
func ParseRows(records [][]string) ([]Row, error) {
	var v ValidationErrors
	if len(records) == 0 {
		v.Add("rows", "bảng trống: cần dòng tiêu đề "+strings.Join(TableHeader, ","))
		return nil, v
	}
	col := make(map[string]int)
	for i, h := range records[0] {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	for _, h := range TableHeader[:2] {
		if _, ok := col[h]; !ok {
			v.Add("rows[1]", fmt.Sprintf("thiếu cột %q trong dòng tiêu đề", h))
		}
	}
	if len(v) > 0 {
		return nil, v
	}
	cell := func(rec []string, name string) string {
		i, ok := col[name]
		if !ok || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	var rows []Row
	for n, rec := range records[1:] {
		line := n + 2
		if strings.TrimSpace(strings.Join(rec, "")) == "" {
			continue
		}
		r := Row{Line: line, NodeCode: cell(rec, "node_code"), Owner: cell(rec, "owner_unit"), LegalBasis: cell(rec, "legal_basis")}
		for _, c := range strings.Split(cell(rec, "cooperating_units"), ";") {
			if c = strings.TrimSpace(c); c != "" {
				r.Cooperating = append(r.Cooperating, c)
			}
		}
		if r.NodeCode == "" {
			v.Add(fmt.Sprintf("rows[%d].node_code", line), "cần mã mục của bộ chỉ số")
		}
		if r.Owner == "" {
			v.Add(fmt.Sprintf("rows[%d].owner_unit", line), "cần đơn vị chủ trì (mã định danh hoặc mã đơn vị)")
		}
		rows = append(rows, r)
	}
	if len(rows) == 0 {
		v.Add("rows", "bảng không có dòng dữ liệu nào")
	}
	return rows, v.Err()
}

// IsUnitID reports whether a table cell is a directory id rather than a unit code.
func IsUnitID(s string) bool { return isUUID(s) }

// Records returns the matrix as table records, header first, units as directory ids.
func (m Matrix) Records() [][]string {
	out := [][]string{append([]string(nil), TableHeader...)}
	for _, e := range m.Entries {
		out = append(out, []string{e.NodeCode, e.OwnerUnitID, strings.Join(e.CooperatingUnitIDs, ";"), e.LegalBasis})
	}
	return out
}

package responsibility

import (
	"bytes"
	"encoding/csv"
	"errors"
	"testing"
)

// FuzzParseRows feeds arbitrary CSV files through the responsibility-matrix importer (002
// Art. 15): every file either yields rows that each name an owner, or validation errors —
// never a panic and never an error of another kind.
func FuzzParseRows(f *testing.F) {
	f.Add([]byte("node_code,owner_unit,cooperating_units,legal_basis\n1,TB-SNV,,Điều 15 khoản 1\n8,TB-SKHDT,TB-STC;TB-CUCTHUE,Điều 15 khoản 6\n"))
	f.Add([]byte("node_code,owner_unit\n,\n1.1,x\n1.1,y\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := csv.NewReader(bytes.NewReader(data))
		r.FieldsPerRecord = -1
		records, err := r.ReadAll()
		if err != nil {
			return
		}
		rows, err := ParseRows(records)
		if err != nil {
			var v ValidationErrors
			if !errors.As(err, &v) {
				t.Fatalf("error of another kind: %v", err)
			}
			return
		}
		for _, row := range rows {
			if row.NodeCode == "" || row.Owner == "" {
				t.Fatalf("row without node or owner: %+v", row)
			}
		}
	})
}

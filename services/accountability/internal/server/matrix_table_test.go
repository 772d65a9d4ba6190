package server_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/testing/protocmp"

	accountabilityv1 "github.com/parindex/platform/proto/gen/go/par/accountability/v1"
	"github.com/parindex/platform/services/kit/auth"
)

// thaiBinhDirectory is a directory holding the units the default matrix names, under the
// codes of the demo data (<province code>-SNV …).
func thaiBinhDirectory() *fakeDirectory {
	dir := &fakeDirectory{units: map[string]bool{}, codes: map[string]string{
		"TB": province, "TB-SNV": homeAffair, "TB-STP": justice, "TB-VPUBND": ppcOffice, "TB-STC": finance,
		"TB-STTTT": infoComm, "TB-SKHDT": planInvest, "TB-CUCTHUE": taxDept,
	}}
	dir.parents = map[string]string{}
	for _, id := range dir.codes {
		dir.units[id] = true
		if id != province {
			dir.parents[id] = province
		}
	}
	return dir
}

func TestImportExportMatrix(t *testing.T) {
	h := start(t, startDirectory(t, thaiBinhDirectory()))
	secretariat := h.token(t, auth.RoleSecretariat)
	wait := grpc.WaitForReady(true)

	t.Run("default", func(t *testing.T) {
		res, err := h.client.ImportResponsibilityMatrix(ctx(t, secretariat), &accountabilityv1.ImportResponsibilityMatrixRequest{
			ProvinceUnitId: province, Year: 2024, Source: &accountabilityv1.ImportResponsibilityMatrixRequest_UseDefault{UseDefault: true},
		}, wait)
		if err != nil {
			t.Fatalf("import default: %v", err)
		}
		m := res.GetMatrix()
		if !m.GetUnitsOwnIndex() {
			t.Error("Art. 15.7 not set by the default")
		}
		want := map[string]string{"1": homeAffair, "2": justice, "3": ppcOffice, "4": homeAffair, "5": homeAffair, "6": finance, "7": infoComm, "8": planInvest}
		got := map[string]string{}
		for _, e := range m.GetEntries() {
			got[e.GetNodeCode()] = e.GetOwnerUnitId()
			if !strings.HasPrefix(e.GetLegalBasis(), "Điều 15 khoản") {
				t.Errorf("entry %s legal basis %q", e.GetNodeCode(), e.GetLegalBasis())
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("owners (-want +got):\n%s", diff)
		}
		if e := m.GetEntries()[7]; !cmp.Equal(e.GetCooperatingUnitIds(), []string{finance, taxDept}) || e.GetLegalBasis() != "Điều 15 khoản 6 Quyết định 3373/QĐ-UBND" {
			t.Errorf("field 8 = %v", e)
		}
	})

	t.Run("export round trip", func(t *testing.T) {
		for _, f := range []accountabilityv1.TableFormat{accountabilityv1.TableFormat_TABLE_FORMAT_CSV, accountabilityv1.TableFormat_TABLE_FORMAT_XLSX} {
			exp, err := h.client.ExportResponsibilityMatrix(ctx(t, h.token(t, auth.RoleUnitStaff)), &accountabilityv1.ExportResponsibilityMatrixRequest{ProvinceUnitId: province, Year: 2024, Format: f})
			if err != nil {
				t.Fatalf("export %v: %v", f, err)
			}
			req := &accountabilityv1.ImportResponsibilityMatrixRequest{ProvinceUnitId: province, Year: 2025, UnitsOwnIndex: true}
			if f == accountabilityv1.TableFormat_TABLE_FORMAT_XLSX {
				req.Source = &accountabilityv1.ImportResponsibilityMatrixRequest_Xlsx{Xlsx: exp.GetFile().GetContent()}
			} else {
				req.Source = &accountabilityv1.ImportResponsibilityMatrixRequest_Csv{Csv: exp.GetFile().GetContent()}
			}
			res, err := h.client.ImportResponsibilityMatrix(ctx(t, secretariat), req)
			if err != nil {
				t.Fatalf("re-import %v: %v", f, err)
			}
			orig, _ := h.client.GetResponsibilityMatrix(ctx(t, secretariat), &accountabilityv1.GetResponsibilityMatrixRequest{ProvinceUnitId: province, Year: 2024})
			if diff := cmp.Diff(orig.GetMatrix().GetEntries(), res.GetMatrix().GetEntries(), protocmp.Transform()); diff != "" {
				t.Errorf("%v round trip (-want +got):\n%s", f, diff)
			}
		}
	})

	t.Run("every bad row, nothing stored", func(t *testing.T) {
		csv := "node_code,owner_unit,cooperating_units,legal_basis\n" +
			"1,TB-SNV,,Điều 15 khoản 1\n" +
			"2,TB-KHONGCO,,\n" + // unknown code
			",TB-STP,,\n" + // no node
			"1,TB-STC,TB-STC,\n" // duplicate node, owner among cooperating
		_, err := h.client.ImportResponsibilityMatrix(ctx(t, secretariat), &accountabilityv1.ImportResponsibilityMatrixRequest{
			ProvinceUnitId: province, Year: 2026, Source: &accountabilityv1.ImportResponsibilityMatrixRequest_Csv{Csv: []byte(csv)},
		})
		if status.Code(err) != codes.InvalidArgument {
			t.Fatalf("err = %v", err)
		}
		if diff := cmp.Diff([]string{"rows[4].node_code"}, violationFields(err)); diff != "" {
			t.Errorf("parse violations (-want +got):\n%s", diff)
		}
		csv = strings.Replace(csv, ",TB-STP,,\n", "3,TB-STP,,\n", 1)
		_, err = h.client.ImportResponsibilityMatrix(ctx(t, secretariat), &accountabilityv1.ImportResponsibilityMatrixRequest{
			ProvinceUnitId: province, Year: 2026, Source: &accountabilityv1.ImportResponsibilityMatrixRequest_Csv{Csv: []byte(csv)},
		})
		if diff := cmp.Diff([]string{"rows[3].owner_unit"}, violationFields(err)); diff != "" {
			t.Errorf("unit violations (-want +got):\n%s", diff)
		}
		csv = strings.Replace(csv, "TB-KHONGCO", "TB-STP", 1)
		_, err = h.client.ImportResponsibilityMatrix(ctx(t, secretariat), &accountabilityv1.ImportResponsibilityMatrixRequest{
			ProvinceUnitId: province, Year: 2026, Source: &accountabilityv1.ImportResponsibilityMatrixRequest_Csv{Csv: []byte(csv)},
		})
		if diff := cmp.Diff([]string{"rows[5].node_code", "rows[5].cooperating_unit_ids[0]"}, violationFields(err)); diff != "" {
			t.Errorf("matrix violations (-want +got):\n%s", diff)
		}
		if _, err := h.client.GetResponsibilityMatrix(ctx(t, secretariat), &accountabilityv1.GetResponsibilityMatrixRequest{ProvinceUnitId: province, Year: 2026}); status.Code(err) != codes.NotFound {
			t.Errorf("a failed import stored something: %v", err)
		}
	})

	t.Run("audited", func(t *testing.T) {
		res, err := h.explanations.ListAuditRecords(ctx(t, secretariat), &accountabilityv1.ListAuditRecordsRequest{Entity: "responsibility_matrix", EntityId: province + "/2024"})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.GetRecords()) != 1 || res.GetRecords()[0].GetAction() != "matrix_replaced" || res.GetRecords()[0].GetBeforeJson() != "" || !strings.Contains(res.GetRecords()[0].GetAfterJson(), ppcOffice) {
			t.Errorf("audit = %v", res.GetRecords())
		}
	})

	t.Run("staff may not import", func(t *testing.T) {
		_, err := h.client.ImportResponsibilityMatrix(ctx(t, h.token(t, auth.RoleUnitHead)), &accountabilityv1.ImportResponsibilityMatrixRequest{
			ProvinceUnitId: province, Year: 2024, Source: &accountabilityv1.ImportResponsibilityMatrixRequest_UseDefault{UseDefault: true},
		})
		if status.Code(err) != codes.PermissionDenied {
			t.Errorf("err = %v", err)
		}
	})
}

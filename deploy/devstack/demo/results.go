package demo

import (
	"context"
	"fmt"
	"log/slog"
	"slices"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	directoryv1 "github.com/parindex/platform/proto/gen/go/par/directory/v1"
	parscoringv1 "github.com/parindex/platform/proto/gen/go/par/parscoring/v1"
	"github.com/parindex/platform/services/parscoring/methodologies"
)

// The Ministry-published provincial index used as demo results. The seeds and DOMAIN.md
// give no published figure for Tuyên Quang, and none is invented: the demo loads the real
// 2022 and 2023 figures of DOMAIN.md "Reference facts" — Đồng Nai (seed 004's province, in
// both years: 82.92, 51st → 87.04, 32nd of 63) as the scored unit and the other provinces
// listed there as rank context. Only totals were found, so the field rows stay empty.
const (
	resultsUnitCode = "DN"
	resultsKind     = "province"
	// The 2022 provincial methodology (QĐ 876/QĐ-BNV, used from 2022 on) as shipped by
	// services/parscoring/methodologies; its four unknown field maxima stay unknown.
	resultsDecision = "876/QĐ-BNV"
)

var resultFiles = []struct {
	year int32
	file string
}{{2022, "data/results_2022_province.csv"}, {2023, "data/results_2023_province.csv"}}

// ResultsSummary tells what LoadResults did.
type ResultsSummary struct {
	// UnitID is the directory id of the province whose scorecard the demo shows.
	UnitID string
	// Imported counts the snapshots imported (zero on a second load).
	Imported int
}

// LoadResults imports the demo results through ResultsService.ImportResults (as the
// secretariat would import the Ministry's files), creating the Đồng Nai province unit in the
// directory when missing. It needs the 2022 provincial criteria set to be loaded already
// (MethodologyService); without it nothing is imported and the reason is logged.
func LoadResults(ctx context.Context, log *slog.Logger, dirConn, scoringConn grpc.ClientConnInterface) (ResultsSummary, error) {
	var sum ResultsSummary
	dir := directoryv1.NewDirectoryServiceClient(dirConn)
	created, err := dir.CreateUnit(ctx, &directoryv1.CreateUnitRequest{Unit: &directoryv1.Unit{
		Code: resultsUnitCode, Name: "Ủy ban nhân dân tỉnh Đồng Nai", ShortName: "UBND tỉnh Đồng Nai", Kind: "province", Level: "province",
	}})
	switch status.Code(err) {
	case codes.OK:
		sum.UnitID = created.GetUnit().GetId()
	case codes.AlreadyExists:
		got, err := dir.LookupUnit(ctx, &directoryv1.LookupUnitRequest{Code: resultsUnitCode})
		if err != nil {
			return sum, fmt.Errorf("look up unit %s: %w", resultsUnitCode, err)
		}
		sum.UnitID = got.GetUnit().GetId()
	default:
		return sum, fmt.Errorf("create unit %s: %w", resultsUnitCode, err)
	}

	setID, err := LoadMethodologies(ctx, log, scoringConn)
	if err != nil {
		return sum, err
	}
	if setID == "" {
		log.WarnContext(ctx, "demo results not loaded: no provincial criteria set "+resultsDecision+" for 2022 yet")
		return sum, nil
	}
	res := parscoringv1.NewResultsServiceClient(scoringConn)
	for _, f := range resultFiles {
		content, err := files.ReadFile(f.file)
		if err != nil {
			return sum, fmt.Errorf("read %s: %w", f.file, err)
		}
		out, err := res.ImportResults(ctx, &parscoringv1.ImportResultsRequest{
			Year: f.year, CriteriaSetId: setID, UnitId: sum.UnitID, SubjectCode: resultsUnitCode,
			Format: parscoringv1.FileFormat_FILE_FORMAT_CSV, Content: content,
		})
		switch {
		case status.Code(err) == codes.FailedPrecondition: // already published on an earlier run
			continue
		case err != nil:
			return sum, fmt.Errorf("import %s: %w", f.file, err)
		case len(out.GetProblems()) > 0:
			return sum, fmt.Errorf("import %s: %v", f.file, out.GetProblems())
		}
		sum.Imported++
		log.InfoContext(ctx, "demo results loaded", slog.Int("year", int(f.year)), slog.String("snapshot", out.GetSnapshot().GetId()))
	}
	return sum, nil
}

// LoadMethodologies imports the methodologies shipped with PAR scoring that are not loaded
// yet (see loadMethodologies) and returns the id of the 2022 provincial set of QĐ 876/QĐ-BNV,
// the one the demo's and the end-to-end tests' provincial results follow ("" when missing).
// The connection's calls must carry a secretariat token.
func LoadMethodologies(ctx context.Context, log *slog.Logger, scoringConn grpc.ClientConnInterface) (string, error) {
	sets := parscoringv1.NewParScoringServiceClient(scoringConn)
	if err := loadMethodologies(ctx, log, parscoringv1.NewMethodologyServiceClient(scoringConn), sets); err != nil {
		return "", err
	}
	return criteriaSetID(ctx, sets)
}

// loadMethodologies imports the methodologies shipped with PAR scoring (QĐ 2948 and QĐ 876)
// that are not loaded yet: a dry run reads each file's year, kind and decision, and a set
// already listed with them is left alone.
func loadMethodologies(ctx context.Context, log *slog.Logger, client parscoringv1.MethodologyServiceClient, sets parscoringv1.ParScoringServiceClient) error {
	for _, f := range methodologies.All() {
		req := &parscoringv1.ImportCriteriaSetRequest{Format: parscoringv1.CriteriaSetFormat_CRITERIA_SET_FORMAT_YAML, Content: f.Content, DryRun: true}
		dry, err := client.ImportCriteriaSet(ctx, req)
		if err != nil {
			return fmt.Errorf("read methodology %s: %w", f.Name, err)
		}
		set := dry.GetCriteriaSet()
		have, err := sets.ListCriteriaSets(ctx, &parscoringv1.ListCriteriaSetsRequest{Year: set.GetYear(), SubjectKind: set.GetSubjectKind(), PageSize: 500})
		if err != nil {
			return fmt.Errorf("list criteria sets: %w", err)
		}
		if slices.ContainsFunc(have.GetCriteriaSets(), func(s *parscoringv1.CriteriaSet) bool { return s.GetDecision() == set.GetDecision() }) {
			continue
		}
		req.DryRun = false
		out, err := client.ImportCriteriaSet(ctx, req)
		switch {
		case err != nil:
			return fmt.Errorf("import methodology %s: %w", f.Name, err)
		case len(out.GetProblems()) > 0:
			return fmt.Errorf("import methodology %s: %v", f.Name, out.GetProblems())
		}
		log.InfoContext(ctx, "demo methodology loaded", slog.String("file", f.Name))
	}
	return nil
}

// criteriaSetID finds the 2022 provincial set of QĐ 876, or "" when it is not loaded.
func criteriaSetID(ctx context.Context, sets parscoringv1.ParScoringServiceClient) (string, error) {
	list, err := sets.ListCriteriaSets(ctx, &parscoringv1.ListCriteriaSetsRequest{Year: 2022, SubjectKind: resultsKind, PageSize: 500})
	if err != nil {
		return "", fmt.Errorf("list criteria sets: %w", err)
	}
	for _, s := range list.GetCriteriaSets() {
		if s.GetDecision() == resultsDecision {
			return s.GetId(), nil
		}
	}
	return "", nil
}

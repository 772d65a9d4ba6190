// Package events holds accountability's JetStream consumers.
package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/proto"

	parscoringv1 "github.com/parindex/platform/proto/gen/go/par/parscoring/v1"
	"github.com/parindex/platform/services/accountability/internal/app"
	"github.com/parindex/platform/services/accountability/internal/explanation"
	"github.com/parindex/platform/services/accountability/internal/postgres"
	"github.com/parindex/platform/services/kit/consumer"
)

// Durable and subject of the Art. 14.1 trigger.
const (
	TriggersDurable        = "accountability-triggers"
	SubjectResultPublished = "parscoring.v1.subject_result.published"
)

// ResultsHandler returns the Handle of the accountability-triggers consumer: each published
// (or imported) unit result is stored; on the provincial index every owned node whose score
// fell opens one explanation request to the owner of the matrix (Art. 14.1), on a
// department's or district's own index every fallen node opens one to that unit's head
// (Art. 15.7). The processed-event record of kit/consumer and the unique index on (year,
// index, node, unit) make redeliveries and republications open nothing twice.
func ResultsHandler(svc *app.Explanations, log *slog.Logger) func(ctx context.Context, tx pgx.Tx, m consumer.Message) error {
	return func(ctx context.Context, tx pgx.Tx, m consumer.Message) error {
		var ev parscoringv1.SubjectResultPublished
		if err := proto.Unmarshal(m.Data, &ev); err != nil {
			return consumer.GiveUp(fmt.Errorf("decode SubjectResultPublished: %w", err))
		}
		if ev.GetUnitId() == "" || ev.GetYear() == 0 {
			return consumer.GiveUp(errors.New("SubjectResultPublished without unit or year"))
		}
		out, err := svc.ApplyPublishedResult(ctx, postgres.NewTxStore(tx), resultFromProto(&ev))
		if errors.Is(err, app.ErrDirectoryUnavailable) {
			return consumer.Retry(err, 0)
		}
		if err != nil {
			return err
		}
		if len(out.Opened) > 0 || len(out.Unassigned) > 0 {
			log.InfoContext(ctx, "explanation trigger", slog.Int("year", int(ev.GetYear())),
				slog.Int("opened", len(out.Opened)), slog.Any("unassigned", out.Unassigned))
		}
		return nil
	}
}

func resultFromProto(ev *parscoringv1.SubjectResultPublished) explanation.PublishedResult {
	source := "appraised"
	if ev.GetSource() == parscoringv1.ResultSource_RESULT_SOURCE_IMPORTED {
		source = "imported"
	}
	publish := time.Now()
	if ev.GetPublishTime() != nil {
		publish = ev.GetPublishTime().AsTime()
	}
	r := explanation.PublishedResult{
		SnapshotID: ev.GetSnapshotId(), Year: int(ev.GetYear()), SubjectKind: ev.GetSubjectKind(),
		UnitID: strings.ToLower(ev.GetUnitId()), Source: source, Decision: ev.GetDecision(), PublishTime: publish,
		Total: ev.GetTotal(), MaxPoints: ev.GetMaxPoints(), IndexPercent: ev.GetIndexPercent(), PrevTotal: ev.GetPreviousTotal(),
		Rank: int(ev.GetRank()), RankOf: int(ev.GetRankOf()),
	}
	if f := ev.GetNodeFigures(); f != nil {
		r.Nodes = nodesFromColumns(f)
		return r
	}
	// An event written before node_figures: one NodeResult of decimal strings per node.
	for _, n := range ev.GetNodes() {
		r.Nodes = append(r.Nodes, explanation.NodeFigure{
			Code: n.GetCode(), ParentCode: n.GetParentCode(), Name: n.GetName(), Score: n.GetScore(),
			MaxPoints: n.GetMaxPoints(), PreviousScore: n.GetPreviousScore(), Bonus: n.GetBonus(),
		})
	}
	return r
}

// nodesFromColumns turns NodeFigures' columns of hundredths into the published figures as
// decimal text, the form stored and compared since the first events. Every node is kept,
// held ones too: evaluations tell a score that held from one not published. A column
// shorter than codes (empty: no figure at any node) reads as "no figure".
func nodesFromColumns(f *parscoringv1.NodeFigures) []explanation.NodeFigure {
	at := func(col []int64, i int) string {
		if i >= len(col) {
			return ""
		}
		return formatHundredths(col[i])
	}
	out := make([]explanation.NodeFigure, len(f.GetCodes()))
	for i, code := range f.GetCodes() {
		n := explanation.NodeFigure{Code: code, Score: at(f.GetScores(), i), MaxPoints: at(f.GetMaxPoints(), i),
			PreviousScore: at(f.GetPreviousScores(), i)}
		if i < len(f.GetParentCodes()) {
			n.ParentCode = f.GetParentCodes()[i]
		}
		if i < len(f.GetBonus()) {
			n.Bonus = f.GetBonus()[i]
		}
		out[i] = n
	}
	return out
}

// formatHundredths writes integer hundredths with two decimals ("12.75", "-0.50"); "" for
// NodeFigures' no-figure marker.
func formatHundredths(v int64) string {
	if v == int64(parscoringv1.NodeFigures_MARKER_NO_FIGURE) {
		return ""
	}
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

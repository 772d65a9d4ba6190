package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/types/known/timestamppb"

	tasktrackingv1 "github.com/parindex/platform/proto/gen/go/par/tasktracking/v1"
	"github.com/parindex/platform/services/kit/outbox"
	"github.com/parindex/platform/services/tasktracking/internal/app"
	"github.com/parindex/platform/services/tasktracking/internal/protoconv"
	"github.com/parindex/platform/services/tasktracking/internal/tracking"
)

// Subjects of the notices of due periodic reports.
const (
	SubjectObligationReportDue = "tasktracking.v1.obligation.report_due"
	SubjectObligationOverdue   = "tasktracking.v1.obligation.overdue"
)

var _ app.DueReportNoticeStore = (*Store)(nil)

// dueReportCandidates selects and locks the open due reports with a notice reached at $1 and
// not yet made, earliest due first, like noticeCandidates for occurrences: past due without
// an overdue notice for this due time, or a lead time in $2 (seconds) reached without its
// report-due notice, after the pass's cursor ($5, $6). Rows locked elsewhere are skipped and
// seen again by a later pass.
const dueReportCandidates = `SELECT ` + dueReportColumns + `, d.number, d.title` + dueReportFrom + `
	WHERE r.state = 'open' AND ` + dueInPeriod + `
	  AND r.due_time <= $1::timestamptz + $3::bigint * interval '1 second'
	  AND (
		(r.due_time < $1
		 AND NOT EXISTS (SELECT 1 FROM due_report_notices n
			WHERE n.due_report_id = r.id AND n.kind = 'overdue' AND n.lead_seconds = 0 AND n.due_time = r.due_time))
		OR
		(r.due_time >= $1
		 AND EXISTS (SELECT 1 FROM unnest($2::bigint[]) l(s)
			WHERE r.due_time <= $1 + l.s * interval '1 second'
			  AND NOT EXISTS (SELECT 1 FROM due_report_notices n
				WHERE n.due_report_id = r.id AND n.kind = 'report_due'
				  AND n.lead_seconds = l.s AND n.due_time = r.due_time)))
	  )
	  AND r.due_time >= $5 AND (r.due_time, r.id) > ($5, $6::uuid)
	ORDER BY r.due_time, r.id
	LIMIT $4
	FOR UPDATE OF r SKIP LOCKED`

// EmitDueReportNotices makes the notices of due periodic reports reached at p.Now with the
// deadline scheduler's exactly-once mechanism: per batch, one transaction locks the
// candidates, inserts the notices (ON CONFLICT DO NOTHING on their key) and writes one
// event per notice inserted and meant to be sent. The rules are tracking.Notices applied to
// the due report as open work (report due before, overdue after).
func (s *Store) EmitDueReportNotices(ctx context.Context, p app.NoticePass) (app.NoticeCounts, error) {
	return s.runNoticePass(ctx, p, emitDueReportBatch)
}

type dueRow struct {
	r             tracking.DueReport
	number, title string
}

func emitDueReportBatch(ctx context.Context, tx pgx.Tx, now time.Time, leads []time.Duration, leadSecs []int64, maxLead int64, batch int, after *noticeCursor) (app.NoticeCounts, error) {
	var c app.NoticeCounts
	rows, err := tx.Query(ctx, dueReportCandidates, now, leadSecs, maxLead, batch, after.Due, after.ID)
	if err != nil {
		return c, fmt.Errorf("select due report candidates: %w", err)
	}
	cands, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (dueRow, error) {
		var d dueRow
		var err error
		d.r, err = scanDueReportWith(row, &d.number, &d.title)
		return d, err
	})
	if err != nil {
		return c, fmt.Errorf("select due report candidates: %w", err)
	}
	c.Candidates = len(cands)
	if len(cands) > 0 {
		last := cands[len(cands)-1].r
		after.advance(last.Due, last.ID)
	}
	for _, d := range cands {
		for _, n := range tracking.Notices(d.r.AsOccurrence(), true, leads, now) {
			lead := int64(n.Lead / time.Second)
			tag, err := tx.Exec(ctx, `
				INSERT INTO due_report_notices (due_report_id, kind, lead_seconds, due_time, emitted, emitted_at)
				VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
				d.r.ID, string(n.Kind), lead, n.Due, n.Send, now)
			if err != nil {
				return c, fmt.Errorf("insert due report notice: %w", err)
			}
			if tag.RowsAffected() == 0 {
				continue // made by an earlier pass or another replica
			}
			if !n.Send {
				c.Superseded++
				continue
			}
			subject := SubjectObligationReportDue
			if n.Kind == tracking.NoticeOverdue {
				subject = SubjectObligationOverdue
			}
			ev := &tasktrackingv1.ObligationReportDue{
				DueReport: protoconv.DueReportToProto(d.r, now), DocumentNumber: d.number, DocumentTitle: d.title,
				LeadSeconds: lead, NoticeTime: timestamppb.New(now),
			}
			if _, err := outbox.Add(ctx, tx, subject, ev); err != nil {
				return c, fmt.Errorf("outbox %s notice of due report %s: %w", n.Kind, d.r.ID, err)
			}
			if n.Kind == tracking.NoticeOverdue {
				c.Overdue++
			} else {
				c.ReportDue++
			}
		}
	}
	return c, nil
}

package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parindex/platform/services/kit/outbox"
	"github.com/parindex/platform/services/kit/pg"
	"github.com/parindex/platform/services/tasktracking/internal/app"
	"github.com/parindex/platform/services/tasktracking/internal/protoconv"
	"github.com/parindex/platform/services/tasktracking/internal/tracking"
)

// Subjects of the deadline notices.
const (
	SubjectOccurrenceDueSoon = "tasktracking.v1.occurrence.due_soon"
	SubjectOccurrenceOverdue = "tasktracking.v1.occurrence.overdue"
	SubjectReportDue         = "tasktracking.v1.report.due"
)

// noticeSubjects maps a notice kind to the subject of its event.
var noticeSubjects = map[tracking.NoticeKind]string{
	tracking.NoticeDueSoon:   SubjectOccurrenceDueSoon,
	tracking.NoticeReportDue: SubjectReportDue,
	tracking.NoticeOverdue:   SubjectOccurrenceOverdue,
}

// DefaultNoticeBatch is how many occurrences one transaction of a pass handles: large enough
// to amortise round trips, small enough to keep the row locks (which a user's change of the
// same occurrence waits for) short.
const DefaultNoticeBatch = 500

var _ app.NoticeStore = (*Store)(nil)

// noticeCandidates selects, locks and reads the occurrences with a notice reached at $1 and
// not yet made, earliest deadline first: overdue ($1 past the deadline; the derived overdue
// rule of tracking.Occurrence.Overdue) without an overdue notice for this deadline, or still
// expecting work with a lead time in $2 (seconds) reached and shorter than any noticed for
// this deadline. What was noticed is read from the occurrence's summary (noticed_due_time,
// noticed_lead_seconds; migration 010), so the walk of occurrences_notice_pending_idx over
// deadlines up to $1 + the longest lead ($3) skips every occurrence whose overdue notice is
// made: a pass costs what is left to notice plus the open deadlines within the longest
// lead, not the whole backlog of overdue work. It starts after the last candidate of the
// pass's previous batch (($5, $6), its deadline and id).
//
// The first two conditions are the index's predicate word for word (the planner matches it
// only so). Rows another transaction holds (a user's change, another replica's pass) are
// skipped: a later pass sees them again with their new state, so nothing is noticed from a
// stale read.
const noticeCandidates = `SELECT ` + occurrenceColumns + `,
		t.deadline_kind, t.content, t.expected_product, d.number, d.title` + occurrenceFrom + `
	WHERE (o.state IN ('not_started', 'received', 'in_progress')
	       OR (o.state = 'completion_reported' AND o.report_time > o.due_time))
	  AND (o.noticed_due_time IS DISTINCT FROM o.due_time OR o.noticed_lead_seconds > 0)
	  AND o.due_time <= $1::timestamptz + $3::bigint * interval '1 second'
	  AND (o.due_time < $1
		OR (o.state <> 'completion_reported'
		 AND EXISTS (SELECT 1 FROM unnest($2::bigint[]) l(s)
			WHERE o.due_time <= $1 + l.s * interval '1 second'
			  AND (o.noticed_due_time IS DISTINCT FROM o.due_time OR l.s < o.noticed_lead_seconds))))
	  AND o.due_time >= $5 AND (o.due_time, o.id) > ($5, $6::uuid)
	ORDER BY o.due_time, o.id
	LIMIT $4
	FOR UPDATE OF o SKIP LOCKED`

// EmitDeadlineNotices makes the notices reached at p.Now, one transaction per batch of
// occurrences: in each, the candidates are locked, their notices inserted (ON CONFLICT DO
// NOTHING on the notice key) and one event written to the outbox per notice actually
// inserted and meant to be sent. A crash rolls back rows and events together; a notice made
// by another replica, by an earlier pass or before a clock jump back conflicts and writes
// nothing.
func (s *Store) EmitDeadlineNotices(ctx context.Context, p app.NoticePass) (app.NoticeCounts, error) {
	return s.runNoticePass(ctx, p, emitNoticeBatch)
}

// noticeBatch makes the notices of one batch of candidates in tx: the deadline notices of
// occurrences, or those of due periodic reports.
type noticeBatch func(ctx context.Context, tx pgx.Tx, now time.Time, leads []time.Duration, leadSecs []int64, maxLead int64, batch int, after *noticeCursor) (app.NoticeCounts, error)

// noticeCursor is where a pass has got to: the deadline and id of the last candidate of its
// previous batch. A batch starts after it, so a pass reads each candidate once however long
// the backlog (re-reading from the earliest deadline made a backlog quadratic). A candidate
// skipped because it was locked, or whose deadline moved behind the cursor, is seen by the
// next pass.
type noticeCursor struct {
	Due time.Time
	ID  string
}

// startCursor is before every candidate.
func startCursor() *noticeCursor {
	return &noticeCursor{Due: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), ID: "00000000-0000-0000-0000-000000000000"}
}

// advance moves the cursor to the last candidate read.
func (c *noticeCursor) advance(due time.Time, id string) {
	c.Due, c.ID = due, id
}

// runNoticePass runs emit one transaction per batch until the window at p.Now is drained:
// the exactly-once mechanism shared by every kind of notice.
func (s *Store) runNoticePass(ctx context.Context, p app.NoticePass, emit noticeBatch) (app.NoticeCounts, error) {
	var total app.NoticeCounts
	if len(p.Leads) == 0 {
		p.Leads = tracking.DefaultLeadTimes
	}
	batch := p.Batch
	if batch <= 0 {
		batch = DefaultNoticeBatch
	}
	// PostgreSQL keeps microseconds; comparing in Go at the same precision keeps the Go rule
	// and the SQL filter in agreement.
	now := p.Now.Truncate(time.Microsecond)
	leadSecs := make([]int64, len(p.Leads))
	for i, l := range p.Leads {
		leadSecs[i] = int64(l / time.Second)
	}
	maxLead := slices.Max(leadSecs)
	barren := 0 // full batches in a row that made nothing
	after := startCursor()
	for {
		var c app.NoticeCounts
		from := *after
		err := pg.InTx(ctx, s.pool, func(tx pgx.Tx) error {
			*after = from // a retried transaction starts where this batch did
			var err error
			c, err = emit(ctx, tx, now, p.Leads, leadSecs, maxLead, batch, after)
			return err
		})
		if err != nil {
			return total, err
		}
		total.Candidates += c.Candidates
		total.DueSoon += c.DueSoon
		total.ReportDue += c.ReportDue
		total.Overdue += c.Overdue
		total.Superseded += c.Superseded
		// A short batch means the window is drained. A full batch that made nothing read
		// candidates another replica noticed meanwhile: the candidate query's snapshot
		// predates the other replica's commit, so its notices conflicted. While replicas
		// race that can repeat, so three barren batches in a row end this pass without an
		// error rather than spin; the next pass starts from a fresh snapshot. (Agreement of
		// the Go rule with the SQL filter is what the store tests check.)
		if c.Candidates < batch {
			return total, nil
		}
		if c.DueSoon+c.ReportDue+c.Overdue+c.Superseded > 0 {
			barren = 0
		} else if barren++; barren == 3 {
			return total, nil
		}
	}
}

// noticeRow is one candidate occurrence with what its notices say about the task.
type noticeRow struct {
	occ        tracking.Occurrence
	continuous bool
	ctx        protoconv.NoticeContext
}

func emitNoticeBatch(ctx context.Context, tx pgx.Tx, now time.Time, leads []time.Duration, leadSecs []int64, maxLead int64, batch int, after *noticeCursor) (app.NoticeCounts, error) {
	var c app.NoticeCounts
	rows, err := tx.Query(ctx, noticeCandidates, now, leadSecs, maxLead, batch, after.Due, after.ID)
	if err != nil {
		return c, fmt.Errorf("select notice candidates: %w", err)
	}
	cands, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (noticeRow, error) {
		var (
			r    noticeRow
			kind string
		)
		o, err := scanOccurrenceWith(row, &kind, &r.ctx.TaskContent, &r.ctx.ExpectedProduct, &r.ctx.DocumentNumber, &r.ctx.DocumentTitle)
		r.occ, r.continuous = o, tracking.TimingKind(kind) == tracking.TimingContinuous
		return r, err
	})
	if err != nil {
		return c, fmt.Errorf("select notice candidates: %w", err)
	}
	c.Candidates = len(cands)
	if len(cands) == 0 {
		return c, nil
	}
	last := cands[len(cands)-1].occ
	after.advance(last.Due, last.ID)

	// Every notice reached, sent or superseded, in one insert; what comes back is what no
	// one had made yet.
	type key struct {
		occ  string
		kind tracking.NoticeKind
		lead int64
	}
	var (
		occIDs, kinds []string
		secs          []int64
		dues          []time.Time
		emitted       []bool
		notices       = map[key]tracking.Notice{}
		byID          = map[string]*noticeRow{}
	)
	// The summary each candidate will have (see below): its shortest lead reached.
	var (
		sumIDs  []string
		sumDues []time.Time
		sumLead []int64
	)
	for i := range cands {
		r := &cands[i]
		byID[r.occ.ID] = r
		ns := tracking.Notices(r.occ, r.continuous, leads, now)
		for j, n := range ns {
			k := key{r.occ.ID, n.Kind, int64(n.Lead / time.Second)}
			notices[k] = n
			occIDs, kinds, secs = append(occIDs, r.occ.ID), append(kinds, string(n.Kind)), append(secs, k.lead)
			dues, emitted = append(dues, n.Due), append(emitted, n.Send)
			if j == 0 {
				sumIDs, sumDues, sumLead = append(sumIDs, r.occ.ID), append(sumDues, n.Due), append(sumLead, k.lead)
			} else {
				sumLead[len(sumLead)-1] = min(sumLead[len(sumLead)-1], k.lead)
			}
		}
	}
	rows, err = tx.Query(ctx, `
		INSERT INTO deadline_notices (occurrence_id, kind, lead_seconds, due_time, emitted, emitted_at)
		SELECT o, k, l, d, e, $6 FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::timestamptz[], $5::boolean[]) AS n(o, k, l, d, e)
		ON CONFLICT DO NOTHING
		RETURNING occurrence_id::text, kind, lead_seconds`,
		occIDs, kinds, secs, dues, emitted, now)
	if err != nil {
		return c, fmt.Errorf("insert deadline notices: %w", err)
	}
	made, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (key, error) {
		var k key
		err := row.Scan(&k.occ, &k.kind, &k.lead)
		return k, err
	})
	if err != nil {
		return c, fmt.Errorf("insert deadline notices: %w", err)
	}
	// Every notice reached now exists, inserted here or before (a conflicting insert of
	// another transaction is waited for), so the candidates' summaries may say so: the
	// shortest lead reached, 0 when overdue. An occurrence whose Go rule reached nothing
	// keeps its summary.
	if _, err := tx.Exec(ctx, `
		UPDATE occurrences o SET noticed_due_time = u.d,
			noticed_lead_seconds = CASE WHEN o.noticed_due_time = u.d THEN LEAST(o.noticed_lead_seconds, u.l) ELSE u.l END
		FROM unnest($1::uuid[], $2::timestamptz[], $3::bigint[]) AS u(id, d, l)
		WHERE o.id = u.id`, sumIDs, sumDues, sumLead); err != nil {
		return c, fmt.Errorf("record notice progress: %w", err)
	}
	// Events in deadline order (the candidates' order), whatever order RETURNING gave.
	slices.SortFunc(made, func(a, b key) int {
		if c := byID[a.occ].occ.Due.Compare(byID[b.occ].occ.Due); c != 0 {
			return c
		}
		return strings.Compare(a.occ, b.occ)
	})
	// One COPY for the batch's events rather than a statement each: a window that passes a
	// thousand deadlines is a few round trips, not a thousand.
	var events []outbox.Event
	for _, k := range made {
		n := notices[k]
		if !n.Send {
			c.Superseded++
			continue
		}
		r := byID[k.occ]
		events = append(events, outbox.Event{Subject: noticeSubjects[n.Kind], Msg: protoconv.DeadlineNotice(r.occ, n, r.ctx, now)})
		switch n.Kind {
		case tracking.NoticeDueSoon:
			c.DueSoon++
		case tracking.NoticeReportDue:
			c.ReportDue++
		case tracking.NoticeOverdue:
			c.Overdue++
		}
	}
	if _, err := outbox.AddBatch(ctx, tx, events); err != nil {
		return c, fmt.Errorf("outbox %d deadline notices: %w", len(events), err)
	}
	return c, nil
}

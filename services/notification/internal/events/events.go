// Package events consumes the events of other services from JetStream and turns them into
// notifications. Handlers run inside the transaction kit/consumer opens for each message, so
// what an event causes and its processed-event record commit together.
package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	accountabilityv1 "github.com/parindex/platform/proto/gen/go/par/accountability/v1"
	parscoringv1 "github.com/parindex/platform/proto/gen/go/par/parscoring/v1"
	tasktrackingv1 "github.com/parindex/platform/proto/gen/go/par/tasktracking/v1"
	"github.com/parindex/platform/services/kit/consumer"
	"github.com/parindex/platform/services/kit/natsx"
	"github.com/parindex/platform/services/kit/vntime"
	"github.com/parindex/platform/services/notification/internal/app"
	"github.com/parindex/platform/services/notification/internal/notice"
)

// Durable consumers, one per producer, named "notification-<purpose>".
const (
	// TasksDurable consumes task tracking's events.
	TasksDurable = "notification-tasks"
	// ScoringDurable consumes PAR scoring's events.
	ScoringDurable = "notification-scoring"
	// AccountabilityDurable consumes accountability's events.
	AccountabilityDurable = "notification-accountability"
)

// EventTaskAssigned is the subject of task tracking's TaskAssigned event.
const EventTaskAssigned = "tasktracking.v1.task.assigned"

// Handler turns events into notifications.
type Handler struct {
	svc *app.Service
	// store binds the store to the consumer's transaction.
	store func(pgx.Tx) app.TxStore
}

// NewHandler returns a Handler notifying through svc; store returns the store working in a
// given transaction (postgres.New in production).
func NewHandler(svc *app.Service, store func(pgx.Tx) app.TxStore) *Handler {
	return &Handler{svc: svc, store: store}
}

// Consumers returns the durable consumers, one per producer, each filtered on the subjects
// the rules name, for consumer.Run.
func (h *Handler) Consumers(pool *pgxpool.Pool, js jetstream.JetStream, log *slog.Logger) []consumer.Config {
	producers := []struct{ stream, durable string }{
		{"tasktracking", TasksDurable},
		{"parscoring", ScoringDurable},
		{"accountability", AccountabilityDurable},
	}
	var out []consumer.Config
	for _, p := range producers {
		var subjects []string
		for _, ev := range h.svc.Rules().Events() {
			if strings.HasPrefix(ev, p.stream+".") {
				if _, ok := decoders[ev]; ok {
					subjects = append(subjects, ev)
				}
			}
		}
		if len(subjects) == 0 {
			continue
		}
		out = append(out, consumer.Config{
			Pool: pool, JS: js, Stream: p.stream, Durable: p.durable,
			FilterSubjects: subjects, Log: log, Handle: h.Handle, HandleBatch: h.HandleBatch,
			// Bigger than kit/consumer's default: the cost of a batch's transaction (processed
			// events, subscriptions, preferences, one COPY per table) is shared by more events
			// (BenchmarkTaskEventStream: floor and notify rates both rose against 256).
			BatchSize: 1024,
		})
	}
	return out
}

// Handle applies one event in tx. A payload that cannot be decoded, or an event this
// service does not know, can never succeed: it is given up (dead-lettered), not retried. A
// directory that does not answer is transient: the event is retried.
func (h *Handler) Handle(ctx context.Context, tx pgx.Tx, m consumer.Message) error {
	ev, err := Decode(m)
	if err != nil {
		return consumer.GiveUp(err)
	}
	err = h.svc.Notify(ctx, h.store(tx), ev)
	if errors.Is(err, app.ErrDirectory) {
		return consumer.Retry(err, 0)
	}
	return err
}

// HandleBatch applies several events in tx (kit/consumer's batch mode). Any failure fails
// the batch; kit/consumer then hands each message to Handle alone, where an undecodable one
// is dead-lettered and the others succeed.
func (h *Handler) HandleBatch(ctx context.Context, tx pgx.Tx, ms []consumer.Message) error {
	evs := make([]app.Event, 0, len(ms))
	for _, m := range ms {
		ev, err := Decode(m)
		if err != nil {
			return consumer.GiveUp(err)
		}
		if m.Header != nil {
			ev.Trace = otel.GetTextMapPropagator().Extract(ctx, natsx.HeaderCarrier(m.Header))
		}
		evs = append(evs, ev)
	}
	err := h.svc.NotifyBatch(ctx, h.store(tx), evs)
	if errors.Is(err, app.ErrDirectory) {
		return consumer.Retry(err, 0)
	}
	return err
}

// decoder reads one event type into facts.
type decoder struct {
	msg   func() proto.Message
	facts func(proto.Message) (notice.Facts, error)
}

// Decode reads a message into an app.Event.
func Decode(m consumer.Message) (app.Event, error) {
	d, ok := decoders[m.Subject]
	if !ok {
		return app.Event{}, fmt.Errorf("no handler for subject %q", m.Subject)
	}
	pm := d.msg()
	if err := proto.Unmarshal(m.Data, pm); err != nil {
		return app.Event{}, fmt.Errorf("decode %s %s: %w", m.Subject, m.ID, err)
	}
	f, err := d.facts(pm)
	if err != nil {
		return app.Event{}, fmt.Errorf("%s %s: %w", m.Subject, m.ID, err)
	}
	// Only webhooks need the JSON: made on demand. A message that decoded marshals.
	js := func() []byte {
		b, _ := protojson.MarshalOptions{UseProtoNames: true}.Marshal(pm)
		return b
	}
	return app.Event{ID: m.ID, Type: m.Subject, Facts: f, JSONFunc: js}, nil
}

var decoders = map[string]decoder{
	EventTaskAssigned: {
		msg: func() proto.Message { return &tasktrackingv1.TaskAssigned{} },
		facts: func(pm proto.Message) (notice.Facts, error) {
			ev := pm.(*tasktrackingv1.TaskAssigned)
			t := ev.GetTask()
			if t.GetId() == "" {
				return notice.Facts{}, errors.New("event carries no task id")
			}
			if len(t.GetLeadUnitIds())+len(t.GetCooperatingUnitIds()) == 0 {
				return notice.Facts{}, errors.New("event assigns the task to no unit")
			}
			due, err := when(t.GetDeadline().GetDueTime())
			if err != nil {
				return notice.Facts{}, err
			}
			return notice.Facts{
				TaskID: t.GetId(), TaskCode: t.GetCode(), Content: strings.TrimSpace(t.GetContent()),
				DocumentNumber: ev.GetDocumentNumber(), DocumentTitle: strings.TrimSpace(ev.GetDocumentTitle()),
				LeadUnitIDs: t.GetLeadUnitIds(), CooperatingUnitIDs: t.GetCooperatingUnitIds(),
				Due: due, DeadlineText: t.GetDeadline().GetText(),
			}, nil
		},
	},
	"tasktracking.v1.occurrence.due_soon": {
		msg: func() proto.Message { return &tasktrackingv1.OccurrenceDueSoon{} },
		facts: func(pm proto.Message) (notice.Facts, error) {
			ev := pm.(*tasktrackingv1.OccurrenceDueSoon)
			return occurrenceFacts(ev.GetOccurrence(), ev.GetTaskContent(), ev.GetDocumentNumber(), ev.GetDocumentTitle(), ev.GetDueTime())
		},
	},
	"tasktracking.v1.occurrence.overdue": {
		msg: func() proto.Message { return &tasktrackingv1.OccurrenceOverdue{} },
		facts: func(pm proto.Message) (notice.Facts, error) {
			ev := pm.(*tasktrackingv1.OccurrenceOverdue)
			return occurrenceFacts(ev.GetOccurrence(), ev.GetTaskContent(), ev.GetDocumentNumber(), ev.GetDocumentTitle(), ev.GetDueTime())
		},
	},
	"tasktracking.v1.report.due": {
		msg: func() proto.Message { return &tasktrackingv1.ReportDue{} },
		facts: func(pm proto.Message) (notice.Facts, error) {
			ev := pm.(*tasktrackingv1.ReportDue)
			return occurrenceFacts(ev.GetOccurrence(), ev.GetTaskContent(), ev.GetDocumentNumber(), ev.GetDocumentTitle(), ev.GetDueTime())
		},
	},
	"tasktracking.v1.obligation.report_due": obligationDue(),
	"tasktracking.v1.obligation.overdue":    obligationDue(),
	"tasktracking.v1.extension.decided": {
		msg: func() proto.Message { return &tasktrackingv1.ExtensionDecided{} },
		facts: func(pm proto.Message) (notice.Facts, error) {
			ev := pm.(*tasktrackingv1.ExtensionDecided)
			f, err := occurrenceFacts(ev.GetOccurrence(), "", "", "", ev.GetOccurrence().GetDueTime())
			f.ExtensionApproved = ev.GetExtension().GetDecision() == tasktrackingv1.ExtensionDecision_EXTENSION_DECISION_APPROVED
			f.Reason = ev.GetExtension().GetDecisionReason()
			return f, err
		},
	},
	"tasktracking.v1.occurrence.status_changed": {
		msg: func() proto.Message { return &tasktrackingv1.OccurrenceStatusChanged{} },
		facts: func(pm proto.Message) (notice.Facts, error) {
			return notice.Facts{OccurrenceID: pm.(*tasktrackingv1.OccurrenceStatusChanged).GetOccurrence().GetId()}, nil
		},
	},
	"tasktracking.v1.extension.requested": {
		msg: func() proto.Message { return &tasktrackingv1.ExtensionRequested{} },
		facts: func(pm proto.Message) (notice.Facts, error) {
			return notice.Facts{OccurrenceID: pm.(*tasktrackingv1.ExtensionRequested).GetOccurrence().GetId()}, nil
		},
	},
	"parscoring.v1.results.published": {
		msg: func() proto.Message { return &parscoringv1.ResultsPublished{} },
		facts: func(pm proto.Message) (notice.Facts, error) {
			ev := pm.(*parscoringv1.ResultsPublished)
			return notice.Facts{RecordID: ev.GetSnapshotId(), Year: ev.GetYear(), SubjectKind: ev.GetSubjectKind(),
				Decision: ev.GetDecision(), ScoredUnitIDs: ev.GetSubjectUnitIds()}, nil
		},
	},
	"parscoring.v1.results.corrected": {
		msg: func() proto.Message { return &parscoringv1.ResultsCorrected{} },
		facts: func(pm proto.Message) (notice.Facts, error) {
			ev := pm.(*parscoringv1.ResultsCorrected)
			if ev.GetSnapshotId() == "" || ev.GetYear() == 0 {
				return notice.Facts{}, errors.New("event carries no snapshot or year")
			}
			return notice.Facts{RecordID: ev.GetSnapshotId(), Year: ev.GetYear(), SubjectKind: ev.GetSubjectKind(),
				Reason: strings.TrimSpace(ev.GetReason()), ScoredUnitIDs: ev.GetCorrectedUnitIds()}, nil
		},
	},
	"accountability.v1.explanation.requested": explanation(func() proto.Message { return &accountabilityv1.ExplanationRequested{} }),
	"accountability.v1.explanation.submitted": explanation(func() proto.Message { return &accountabilityv1.ExplanationSubmitted{} }),
	"accountability.v1.explanation.returned":  explanation(func() proto.Message { return &accountabilityv1.ExplanationReturned{} }),
	"accountability.v1.explanation.overdue":   explanation(func() proto.Message { return &accountabilityv1.ExplanationOverdue{} }),
	"accountability.v1.explanation.concluded": explanation(func() proto.Message { return &accountabilityv1.ExplanationConcluded{} }),
	"accountability.v1.evaluation.published": {
		msg: func() proto.Message { return &accountabilityv1.HeadEvaluated{} },
		facts: func(pm proto.Message) (notice.Facts, error) {
			ev := pm.(*accountabilityv1.HeadEvaluated)
			return notice.Facts{RecordID: ev.GetEvaluationId(), Year: ev.GetYear(), UnitID: ev.GetUnitId(),
				HeadUserID: ev.GetHeadUserId(), HeadName: ev.GetHeadName(), Tier: label(tierNames, ev.GetTier())}, nil
		},
	},
	"accountability.v1.sanction.proposed": {
		msg: func() proto.Message { return &accountabilityv1.SanctionProposed{} },
		facts: func(pm proto.Message) (notice.Facts, error) {
			ev := pm.(*accountabilityv1.SanctionProposed)
			return notice.Facts{RecordID: ev.GetProposalId(), Year: ev.GetYear(), UnitID: ev.GetUnitId(),
				HeadUserID: ev.GetHeadUserId(), HeadName: ev.GetHeadName(), Kind: label(kindNames, ev.GetKind()), LegalBasis: ev.GetLegalBasis()}, nil
		},
	},
}

// explanationEvent is every accountability event carrying an explanation.
type explanationEvent interface {
	proto.Message
	GetExplanation() *accountabilityv1.ExplanationRef
}

func explanation(msg func() proto.Message) decoder {
	return decoder{msg: msg, facts: func(pm proto.Message) (notice.Facts, error) {
		x := pm.(explanationEvent).GetExplanation()
		if x.GetId() == "" || x.GetUnitId() == "" {
			return notice.Facts{}, errors.New("event carries no explanation or unit id")
		}
		f := notice.Facts{
			RecordID: x.GetId(), Year: x.GetYear(), NodeCode: x.GetNodeCode(), Title: x.GetTitle(),
			UnitID: x.GetUnitId(), HeadUserID: x.GetHeadUserId(), HeadName: x.GetHeadName(),
			CooperatingUnitIDs: x.GetCooperatingUnitIds(), DeadlineText: notice.ISODateVN(x.GetDueDate()),
		}
		if d, err := vntime.ParseISO(x.GetDueDate()); err == nil {
			f.Due, f.DeadlineText = d.EndOfDay(), ""
		}
		switch ev := pm.(type) {
		case *accountabilityv1.ExplanationRequested:
			f.Reason = ev.GetReason()
		case *accountabilityv1.ExplanationReturned:
			f.Reason = ev.GetComment()
		}
		return f, nil
	}}
}

func occurrenceFacts(o *tasktrackingv1.Occurrence, content, docNumber, docTitle string, dueTS *timestamppb.Timestamp) (notice.Facts, error) {
	if o.GetId() == "" || o.GetTaskId() == "" {
		return notice.Facts{}, errors.New("event carries no occurrence or task id")
	}
	due, err := when(dueTS)
	if err != nil {
		return notice.Facts{}, err
	}
	return notice.Facts{
		TaskID: o.GetTaskId(), OccurrenceID: o.GetId(), TaskCode: o.GetTaskCode(), Content: strings.TrimSpace(content),
		DocumentNumber: docNumber, DocumentTitle: strings.TrimSpace(docTitle),
		LeadUnitIDs: o.GetLeadUnitIds(), CooperatingUnitIDs: o.GetCooperatingUnitIds(), Due: due,
	}, nil
}

// obligationDue decodes the notices of a periodic report a document requires of a unit
// (tasktracking's ObligationReportDue, sent both when it comes due and when it is overdue):
// the reporting unit is told, as the lead of that report.
func obligationDue() decoder {
	return decoder{
		msg: func() proto.Message { return &tasktrackingv1.ObligationReportDue{} },
		facts: func(pm proto.Message) (notice.Facts, error) {
			ev := pm.(*tasktrackingv1.ObligationReportDue)
			d := ev.GetDueReport()
			if d.GetId() == "" || d.GetUnitId() == "" {
				return notice.Facts{}, errors.New("event carries no due report or reporting unit")
			}
			due, err := when(d.GetDueTime())
			if err != nil {
				return notice.Facts{}, err
			}
			return notice.Facts{
				RecordID: d.GetId(), UnitID: d.GetUnitId(), LeadUnitIDs: []string{d.GetUnitId()},
				DocumentNumber: ev.GetDocumentNumber(), DocumentTitle: strings.TrimSpace(ev.GetDocumentTitle()),
				Title: periodLabel(d.GetPeriod()), Due: due, Year: d.GetPeriod().GetYear(),
			}, nil
		},
	}
}

// periodLabel words a reporting period as Vietnamese reports name them.
func periodLabel(p *tasktrackingv1.Period) string {
	switch p.GetKind() {
	case tasktrackingv1.PeriodKind_PERIOD_KIND_QUARTER:
		return fmt.Sprintf("quý %s/%d", romanQuarter(p.GetNumber()), p.GetYear())
	case tasktrackingv1.PeriodKind_PERIOD_KIND_HALF_YEAR:
		if p.GetNumber() == 2 {
			return fmt.Sprintf("6 tháng cuối năm %d", p.GetYear())
		}
		return fmt.Sprintf("6 tháng đầu năm %d", p.GetYear())
	case tasktrackingv1.PeriodKind_PERIOD_KIND_YEAR:
		return fmt.Sprintf("năm %d", p.GetYear())
	}
	if p.GetYear() > 0 {
		return fmt.Sprintf("kỳ năm %d", p.GetYear())
	}
	return "định kỳ"
}

func romanQuarter(n int32) string {
	if n >= 1 && n <= 4 {
		return [...]string{"I", "II", "III", "IV"}[n-1]
	}
	return fmt.Sprint(n)
}

func when(ts *timestamppb.Timestamp) (time.Time, error) {
	if ts == nil {
		return time.Time{}, nil
	}
	if err := ts.CheckValid(); err != nil {
		return time.Time{}, fmt.Errorf("due time: %w", err)
	}
	return ts.AsTime(), nil
}

// tierNames words the tiers of a head's evaluation (mức xếp loại, Art. 17).
var tierNames = map[string]string{
	"excellent":     "Hoàn thành xuất sắc nhiệm vụ",
	"good":          "Hoàn thành tốt nhiệm vụ",
	"completed":     "Hoàn thành nhiệm vụ",
	"not_completed": "Không hoàn thành nhiệm vụ",
}

// kindNames words the kinds of proposals (Art. 18, 19).
var kindNames = map[string]string{
	"written_criticism":         "Phê bình bằng văn bản",
	"written_notice":            "Thông báo bằng văn bản",
	"report_to_party_committee": "Báo cáo cấp ủy xem xét",
	"commune_criticism":         "Phê bình (cấp xã)",
	"commune_discipline":        "Xem xét kỷ luật (cấp xã)",
	"commendation":              "Khen thưởng",
}

// label returns the Vietnamese name of code in names, or code itself.
func label(names map[string]string, code string) string {
	if n, ok := names[strings.ToLower(code)]; ok {
		return n
	}
	return code
}

package protoconv

import (
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	tasktrackingv1 "github.com/parindex/platform/proto/gen/go/par/tasktracking/v1"
	"github.com/parindex/platform/services/tasktracking/internal/tracking"
)

// NoticeContext is what a deadline notice says about the task and its document besides the
// occurrence, so a notification can be rendered without calling back.
type NoticeContext struct {
	TaskContent, ExpectedProduct string
	DocumentNumber               string
	DocumentTitle                string
}

// DeadlineNotice returns the event of notice n about o made at now: OccurrenceDueSoon,
// ReportDue or OccurrenceOverdue.
func DeadlineNotice(o tracking.Occurrence, n tracking.Notice, c NoticeContext, now time.Time) proto.Message {
	occ := OccurrenceToProto(o, now)
	switch n.Kind {
	case tracking.NoticeOverdue:
		return &tasktrackingv1.OccurrenceOverdue{
			Occurrence: occ, TaskContent: c.TaskContent, ExpectedProduct: c.ExpectedProduct,
			DocumentNumber: c.DocumentNumber, DocumentTitle: c.DocumentTitle, IssuerUnitId: o.Scope.IssuerUnitID,
			DueTime: timestamp(n.Due), NoticeTime: timestamp(now),
		}
	case tracking.NoticeReportDue:
		return &tasktrackingv1.ReportDue{
			Occurrence: occ, TaskContent: c.TaskContent, ExpectedProduct: c.ExpectedProduct,
			DocumentNumber: c.DocumentNumber, DocumentTitle: c.DocumentTitle, IssuerUnitId: o.Scope.IssuerUnitID,
			DueTime: timestamp(n.Due), LeadTime: durationpb.New(n.Lead), NoticeTime: timestamp(now),
		}
	default:
		return &tasktrackingv1.OccurrenceDueSoon{
			Occurrence: occ, TaskContent: c.TaskContent, ExpectedProduct: c.ExpectedProduct,
			DocumentNumber: c.DocumentNumber, DocumentTitle: c.DocumentTitle, IssuerUnitId: o.Scope.IssuerUnitID,
			DueTime: timestamp(n.Due), LeadTime: durationpb.New(n.Lead), NoticeTime: timestamp(now),
		}
	}
}
